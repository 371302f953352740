"""Which floating-point precision a training runs in: bf16 autocast where the hardware has it.

bf16 keeps fp32's range (no loss scaling), so it is safe to turn on by default where the hardware
computes it natively: a GPU that torch says supports it, or a CPU with AVX512-BF16 or AMX.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def bf16_supported(use_gpu: bool) -> bool:
    """Whether this machine computes bf16 natively, as torch sees it (on the GPU when ``use_gpu``)."""
    import torch

    if use_gpu:
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    # torch's own CPU feature probes (cpuinfo), the ones its oneDNN kernels go by
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def precision_of(arguments: Mapping[str, Any]) -> str:
    """``bf16``, ``fp16`` or ``fp32``: the autocast a training with these ``TrainingArguments`` values runs under."""
    if arguments.get("bf16"):
        return "bf16"
    return "fp16" if arguments.get("fp16") else "fp32"
