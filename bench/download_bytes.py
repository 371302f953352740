"""Bytes our download fetches for a repository laid out like gpt2's on the hub, against the bytes
of all its files (what the seed's page scraper fetched: every file listed), as a ratio.

    .venv/bin/python bench/download_bytes.py [--scale 0.001]

The repository (several weight formats: safetensors, PyTorch, TensorFlow, Flax, Rust, TFLite,
ONNX) is served by the tests' local hub server with file sizes scaled down, proportions kept.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.checkout import use_checkout  # noqa: E402

use_checkout()

from mlcore.model_cache import ensure_model  # noqa: E402
from support.hub_layouts import GPT2_LAYOUT, scaled_layout  # noqa: E402
from support.hub_server import HubRepo, HubServer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1e-3, help="file size factor (default 0.001)")
    args = parser.parse_args(argv)

    repo = HubRepo("openai-community/gpt2", scaled_layout(GPT2_LAYOUT, args.scale))
    with HubServer() as hub, tempfile.TemporaryDirectory() as models:
        hub.add(repo)
        os.environ["HF_ENDPOINT"] = hub.endpoint
        os.environ.pop("HF_HUB_OFFLINE", None)
        started = time.perf_counter()
        first = ensure_model("https://huggingface.co/openai-community/gpt2", Path(models) / "gpt2")
        elapsed = time.perf_counter() - started
        first_sent = hub.bytes_sent
        first_files = len(hub.file_requests())
        first_api = sum(r.path.startswith("/api/models/") for r in hub.requests)
        first_other = len(hub.requests) - first_files - first_api
        hub.reset_counts()
        ensure_model("https://huggingface.co/openai-community/gpt2", Path(models) / "gpt2")
        second_sent, second_requests = hub.bytes_sent, len(hub.requests)

    everything = repo.total_bytes
    full_scale_all = sum(GPT2_LAYOUT.values())
    full_scale_ours = sum(GPT2_LAYOUT[name] for name in first.fetched)
    print(f"repository laid out like openai-community/gpt2: {len(repo.files)} files, sizes x{args.scale:g}")
    print(f"all files (what the seed's scraper fetched): {everything:>12,} bytes")
    print(f"our first start, files fetched:              {first.fetched_bytes:>12,} bytes "
          f"in {len(first.fetched)} files: {', '.join(first.fetched)}")
    print(f"our first start, all HTTP bodies:            {first_sent:>12,} bytes: {first_files} file requests, "
          f"{first_api} listing, {first_other} other (huggingface_hub's own telemetry) ({elapsed:.2f} s)")
    print(f"ratio fetched / all: {first.fetched_bytes / everything:.4f} "
          f"({everything / first.fetched_bytes:.1f}x fewer bytes)")
    print(f"our second start: {second_sent} bytes in {second_requests} requests")
    print(f"at full scale: {full_scale_ours / 1e6:,.0f} MB instead of {full_scale_all / 1e6:,.0f} MB "
          f"(ratio {full_scale_ours / full_scale_all:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
