"""Choose the files of a repository a ``transformers`` pipeline needs, and nothing else.

Only root-level files are candidates (sub-folders hold ``onnx/``, ``coreml/``, ``openvino/`` copies).
Of the weights, one format is kept: safetensors first, else PyTorch ``.bin`` (single file or shards
with their index). Besides weights, configuration and tokenizer/processor files are kept; TensorFlow
(``.h5``), Flax (``.msgpack``), Rust (``.ot``), ONNX, TFLite, Core ML and GGUF copies never are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import NoUsableWeights

#: Root-level files (besides weights) that configs, tokenizers and processors are read from.
_SUPPORT_FILE = re.compile(
    r"""^(
        .*\.json                       # config, generation_config, tokenizer*, preprocessor_config, vocab.json
      | .*\.txt                        # vocab.txt, merges.txt
      | .*\.model | .*\.spm            # sentencepiece
      | .*\.tiktoken | .*tiktoken.*   # tiktoken vocabularies
      | .*\.jinja                      # chat templates
      | .*\.py                         # code of trust_remote_code models
    )$""", re.VERBOSE)

#: Weight layouts in order of preference: (format, single file, index file, shard pattern).
_WEIGHT_LAYOUTS = (
    ("safetensors", "model.safetensors", "model.safetensors.index.json",
     re.compile(r"^model-\d+-of-\d+\.safetensors$")),
    ("pytorch", "pytorch_model.bin", "pytorch_model.bin.index.json",
     re.compile(r"^pytorch_model-\d+-of-\d+\.bin$")),
)
_INDEX_FILES = {layout[2] for layout in _WEIGHT_LAYOUTS}
_OTHER_WEIGHTS = re.compile(r"\.(h5|msgpack|ot|onnx|onnx_data|tflite|mlmodel|gguf|ckpt|pt|pth|bin|safetensors)$")


@dataclass(frozen=True)
class RemoteFile:
    """A file of the repository as the hub lists it (``sha256`` for LFS files, ``blob_id`` for the others)."""

    name: str
    size: int | None = None
    sha256: str | None = None
    blob_id: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "size": self.size, "sha256": self.sha256, "blob_id": self.blob_id}

    @classmethod
    def from_dict(cls, data: dict) -> RemoteFile:
        return cls(name=data["name"], size=data.get("size"), sha256=data.get("sha256"), blob_id=data.get("blob_id"))


@dataclass
class Selection:
    """The files to download and those left on the hub."""

    needed: list[RemoteFile] = field(default_factory=list)
    skipped: list[RemoteFile] = field(default_factory=list)
    weight_format: str = ""

    @property
    def needed_bytes(self) -> int:
        return sum(f.size or 0 for f in self.needed)

    @property
    def skipped_bytes(self) -> int:
        return sum(f.size or 0 for f in self.skipped)


def select_files(files: Iterable[RemoteFile]) -> Selection:
    """Split a repository's files into those a pipeline needs and the rest.

    Args:
        files: every file of the repository.

    Returns:
        The selection; ``weight_format`` is ``"safetensors"`` or ``"pytorch"``.

    Raises:
        NoUsableWeights: neither safetensors nor PyTorch weights at the root of the repository.
    """
    files = list(files)
    root = {f.name: f for f in files if "/" not in f.name}
    weights, weight_format = _weights(root)
    if not weights:
        kinds = sorted({m.group(1) for m in (_OTHER_WEIGHTS.search(n) for n in (f.name for f in files)) if m})
        raise NoUsableWeights(
            "no safetensors or PyTorch weights at the root of the repository"
            + (f" (it has only: {', '.join(kinds)})" if kinds else ""))
    chosen = {f.name for f in weights}
    for name in root:
        if name in _INDEX_FILES or _OTHER_WEIGHTS.search(name):
            continue  # weights and indexes are chosen above, never by the support-file rule
        if _SUPPORT_FILE.match(name):
            chosen.add(name)
    needed = [f for f in files if f.name in chosen]
    skipped = [f for f in files if f.name not in chosen]
    return Selection(needed=needed, skipped=skipped, weight_format=weight_format)


def is_weight_file(name: str) -> bool:
    """True for root-level safetensors or PyTorch weights and their shard indexes."""
    return "/" not in name and (name.endswith(".safetensors") or name in _INDEX_FILES
                                or bool(re.match(r"^pytorch_model.*\.bin$", name)))


def _weights(root: dict[str, RemoteFile]) -> tuple[list[RemoteFile], str]:
    for weight_format, single, index, shard in _WEIGHT_LAYOUTS:
        if single in root:
            return [root[single]], weight_format
        if index in root:
            shards = [f for name, f in sorted(root.items()) if shard.match(name)]
            if shards:
                return [root[index], *shards], weight_format
    # A lone differently named safetensors file (e.g. an adapter) is still loadable.
    others = [f for name, f in sorted(root.items()) if name.endswith(".safetensors")]
    return (others, "safetensors") if others else ([], "")
