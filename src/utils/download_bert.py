"""Download ``bert-base-cased`` into ``src/model/bert-base-cased`` of the application root ahead of
time, through the model cache TuningOperation itself uses (it downloads the model on its first start too): a second run,
or the item's start, transfers nothing.

    python src/utils/download_bert.py [--model-url URL] [--name NAME] [--path FOLDER] [--revision REV]

``HF_ENDPOINT``, ``HF_TOKEN`` and ``HF_HUB_OFFLINE`` are honoured.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# mlcore is installed (pip install -e . locally, into IRIS's Python path in the image)
from mlcore.layout import DEFAULT_TUNING_MODEL, DEFAULT_TUNING_MODEL_URL, default_model_root
from mlcore.model_cache import ModelCacheError, ensure_model


def main(argv: list[str] | None = None) -> int:
    """Run the download; returns the process exit status (0 done or already there, 1 failed)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-url", default=DEFAULT_TUNING_MODEL_URL)
    parser.add_argument("--name", default=DEFAULT_TUNING_MODEL)
    parser.add_argument("--path", type=Path, default=default_model_root())
    parser.add_argument("--revision", default=None)
    args = parser.parse_args(argv)
    try:
        outcome = ensure_model(args.model_url, args.path / args.name, revision=args.revision,
                               progress=lambda progress: print(progress.describe(), flush=True),
                               log=lambda message: print(message, flush=True))
    except ModelCacheError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.name} ready in {outcome.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
