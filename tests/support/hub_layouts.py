"""Repository layouts served by the local hub: ids of the test repositories, the files a hub
repository carries that a PyTorch pipeline never needs, and a gpt2-like repository for the bench."""

from __future__ import annotations

import os

TINY_GPT2 = "test-org/tiny-gpt2"
TINY_BERT = "test-org/tiny-bert"

#: Files a repository on the hub carries that a PyTorch pipeline never needs (formats of other
#: frameworks, a duplicate PyTorch copy, docs); the download must not request any of them.
UNNEEDED_FILES = {
    "pytorch_model.bin": b"\x80\x02duplicate pytorch weights" * 64,
    "tf_model.h5": b"\x89HDF\r\n\x1a\n" + b"t" * 4000,
    "flax_model.msgpack": b"\x81" + b"f" * 4000,
    "rust_model.ot": b"PK" + b"r" * 4000,
    "model.tflite": b"TFL3" + b"l" * 2000,
    "onnx/model.onnx": b"\x08\x07" + b"o" * 3000,
    "onnx/decoder_model.onnx": b"\x08\x07" + b"d" * 3000,
    "coreml/model.mlmodel": b"c" * 1000,
    "README.md": b"# tiny model\n",
    ".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
    "64-8bits.tflite": b"q" * 1000,
}

#: The files of openai-community/gpt2 on the hub with their approximate sizes in bytes (recalled from the
#: hub's file listing, not fetched here: the tests and bench run without internet).
GPT2_LAYOUT = {
    ".gitattributes": 445,
    "64-8bits.tflite": 125_162_496,
    "64-fp16.tflite": 248_269_688,
    "64.tflite": 495_791_932,
    "README.md": 8_092,
    "config.json": 665,
    "flax_model.msgpack": 497_764_120,
    "generation_config.json": 124,
    "merges.txt": 456_318,
    "model.safetensors": 548_105_171,
    "onnx/config.json": 879,
    "onnx/decoder_model.onnx": 653_665_842,
    "onnx/decoder_model_merged.onnx": 655_189_339,
    "onnx/decoder_with_past_model.onnx": 653_672_649,
    "onnx/generation_config.json": 119,
    "onnx/merges.txt": 456_318,
    "onnx/special_tokens_map.json": 99,
    "onnx/tokenizer.json": 2_107_653,
    "onnx/tokenizer_config.json": 234,
    "onnx/vocab.json": 1_042_301,
    "pytorch_model.bin": 548_118_077,
    "rust_model.ot": 702_517_648,
    "tf_model.h5": 497_933_648,
    "tokenizer.json": 1_355_256,
    "tokenizer_config.json": 26,
    "vocab.json": 1_042_301,
}


def scaled_layout(layout: dict[str, int], scale: float, minimum: int = 16) -> dict[str, bytes]:
    """Random contents of ``size * scale`` bytes per file (at least ``minimum``), proportions kept."""
    return {name: os.urandom(max(minimum, int(size * scale))) for name, size in layout.items()}
