"""The model card (``README.md``) of a trained model, written with huggingface_hub's ``ModelCard``:
what it was tuned from and on, how, how well (the evaluation report) and at what cost
(``co2_eq_emissions``, and the tokens computed against the seed's recipe's 512 per row)."""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..layout import MODEL_CARD
from .report import write_atomically

if TYPE_CHECKING:
    from .run import TrainingOutcome

#: The seed's recipe padded every row to this many tokens.
SEED_TOKENS_PER_ROW = 512
#: The metrics the card lists, with their names on the Hub.
_CARD_METRICS = {"accuracy": ("accuracy", "Accuracy"), "f1_macro": ("f1", "Macro F1"),
                 "f1": ("f1", "Weighted F1"), "precision": ("precision", "Weighted precision")}


def co2_eq_emissions(outcome: TrainingOutcome) -> dict[str, Any]:
    """The Hub's ``co2_eq_emissions`` metadata: grams of CO2 (when measured), source, training type, hardware."""
    energy = outcome.energy
    hardware = energy.hardware or platform.processor() or platform.machine()
    emissions = {"source": "codecarbon", "training_type": "fine-tuning", "hardware_used": hardware}
    if energy.co2_kg is not None:
        emissions = {"emissions": round(energy.co2_kg * 1000, 4)} | emissions
    return emissions


def base_model_of(model_dir: Path, fallback: str) -> str:
    """The model a training starts from was tuned from: the ``base_model`` of its own card (a model
    promoted before), else ``fallback`` (the hub id it was downloaded from, or its name)."""
    from huggingface_hub import ModelCard

    card = Path(model_dir) / MODEL_CARD
    try:
        base = ModelCard.load(card).data.base_model if card.is_file() else None
    except Exception:  # a hand-written README that is no card: the fallback names the model well enough
        base = None
    return str(base) if isinstance(base, str) and base else fallback


def write_model_card(folder: Path, outcome: TrainingOutcome, *, base_model: str, table: str) -> Path:
    """Write ``README.md`` into the trained model's ``folder`` (it moves with the model on Override
    and Rollback); returns its path."""
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    results = [EvalResult(task_type="text-classification", dataset_type=table, dataset_name=table, dataset_split="test",
                          metric_type=kind, metric_name=name, metric_value=outcome.new_metrics[key])
               for key, (kind, name) in _CARD_METRICS.items() if key in outcome.new_metrics]
    data = ModelCardData(base_model=base_model, library_name="transformers", pipeline_tag="text-classification",
                         tags=["text-classification", "fine-tuned"], metrics=["accuracy", "f1"],
                         model_name=Path(folder).name, eval_results=results or None,
                         co2_eq_emissions=co2_eq_emissions(outcome))
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n{_body(outcome, base_model, table)}")
    return write_atomically(Path(folder) / MODEL_CARD, str(card))


def _body(outcome: TrainingOutcome, base_model: str, table: str) -> str:
    report, energy = outcome.report, outcome.energy
    hyper = {name: value for name, value in outcome.arguments.items() if name not in ("output_dir",)}
    saved = 1 - outcome.tokens / outcome.seed_tokens if outcome.seed_tokens else 0.0
    lines = [f"# Fine-tuned {base_model}", "",
             f"A text classifier fine-tuned from `{base_model}` on rows of `{table}`.", "",
             "## Training data", "",
             f"- table: `{table}`, {outcome.rows} rows: {outcome.train_rows} to train"
             + (f" ({outcome.validation_rows} of them held out to pick the best checkpoint)"
                if outcome.validation_rows else "") + f", {outcome.test_rows} to test",
             f"- split: stratified by label, seed {outcome.seed}",
             f"- labels: {', '.join(f'`{label}`' for label in report.get('labels', []))}", "",
             "## Training", "",
             f"- precision: {outcome.precision}; epochs trained: {outcome.epochs:g}"
             + (f"; checkpoint kept: step {outcome.best_step}" if outcome.best_step is not None else ""), "",
             *_table(["hyper-parameter", "value"], [[name, f"`{value}`"] for name, value in hyper.items()]), "",
             "## Evaluation (test rows)", "",
             *_table(["metric", "old model", "new model"],
                     [[name, _number(outcome.old_metrics.get(name)), _number(outcome.new_metrics.get(name))]
                      for name in dict.fromkeys([*outcome.old_metrics, *outcome.new_metrics])]), ""]
    for model in ("old", "new"):
        scores = report.get(model) or {}
        if not scores:
            continue
        labels = report["labels"]
        lines += [f"### {model.capitalize()} model per label", "",
                  *_table(["label", "precision", "recall", "F1", "test rows", "predicted"],
                          [[label, *(_number(scores[key][i]) for key in ("precision", "recall", "f1")),
                            str(scores["support"][i]), str(scores["predicted"][i])] for i, label in enumerate(labels)]),
                  "", f"Confusion matrix of the {model} model (rows: true label, columns: predicted):", "",
                  *_table(["true \\ predicted", *labels],
                          [[label, *map(str, row)] for label, row in zip(labels, scores["confusion"], strict=True)]),
                  ""]
    lines += ["## Environmental impact", "",
              f"- energy: {_number(energy.energy_kwh)} kWh, CO2: "
              + (f"{energy.co2_kg * 1000:.4g} g" if energy.co2_kg is not None else "not measured")
              + f" (codecarbon, {energy.country_iso_code}; "
              + (energy.note or "; ".join(f"{part}: {how}" for part, how in (energy.methods or {}).items())) + ")",
              f"- tokens computed: {outcome.tokens:,}; the seed's recipe (every row padded to "
              f"{SEED_TOKENS_PER_ROW} tokens) would have computed {outcome.seed_tokens:,}: "
              f"{saved:.0%} fewer", ""]
    return "\n".join(lines)


def _number(value: Any) -> str:
    return "—" if value is None else f"{float(value):.4g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |" for row in rows)]


def seed_recipe_tokens(rows: int, test_rows: int, epochs: float) -> int:
    """Tokens the seed's recipe computes: every row padded to 512, trained ``epochs`` times, the test
    rows evaluated twice (old and new model)."""
    return int(SEED_TOKENS_PER_ROW * (rows * epochs + 2 * test_rows))

