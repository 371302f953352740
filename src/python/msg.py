"""The production's messages. Keys of a request's JSON that are not declared here are kept
as attributes by IoP's deserialization and passed on (to the pipeline, to TrainingArguments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iop import Message


@dataclass
class HFRequest(Message):
    """A call to the hosted inference API: a full URL (the seed's) or a model id."""

    api_url: str = ""
    payload: Any = None
    api_key: str = ""


@dataclass
class HFResponse(Message):
    """The API's decoded JSON answer in ``payload``, as the seed's HFResponse."""

    payload: Any = None
    api_url: str = ""


@dataclass
class MLRequest(Message):
    """Arguments of a local pipeline: ``text_inputs``/``inputs`` for text tasks, ``url`` for images;
    any other key (``max_length``, ``num_return_sequences``, ...) goes to the pipeline call."""

    text_inputs: Any = None
    inputs: Any = None
    url: str | None = None


@dataclass
class MLResponse(Message):
    """The pipeline's JSON-safe ``output``; for image tasks also the drawn image (boxes, masks) as a
    base64 PNG, which the portal's trace shows and IRIS's Visual Trace renders (Python.ImageResponse)."""

    output: Any = None
    model: str = ""
    task: str = ""
    image_png_base64: str | None = None


@dataclass
class TrainRequest(Message):
    """The seed's training request; keys beyond these go to ``TrainingArguments``."""

    columns: str = "ReviewLabel,ReviewText"
    table: str = "iris.Review"
    #: Any, not int: IoP would turn ``true`` into 1 row; the TuningOperation checks it is a whole number.
    limit: Any = None
    p_of_train: float = 0.8
    #: Training processes (DDP under torchrun); None: the TuningOperation's ``processes`` setting.
    processes: int | None = None


@dataclass
class TrainResponse(Message):
    """The seed's names: evaluation of the old model, of the new one, and what to do next."""

    old_model: dict[str, Any] = field(default_factory=dict)
    new_model: dict[str, Any] = field(default_factory=dict)
    info: str = ""
    #: Rows read from the table, and how they were split.
    rows: int = 0
    train_rows: int = 0
    test_rows: int = 0
    #: Wall time of the whole request, energy and CO2 of tokenizing, evaluating, training and saving.
    duration_s: float = 0.0
    energy_kwh: float | None = None
    co2_kg: float | None = None
    #: Per-device energy and how codecarbon obtained each figure (measured or estimated).
    energy: dict[str, Any] = field(default_factory=dict)
    #: The folder of the new model (``temp-<model_name>``), its labels, the TrainingArguments used.
    saved_to: str = ""
    labels: dict[str, int] = field(default_factory=dict)
    arguments: dict[str, Any] = field(default_factory=dict)
    #: ``bf16``, ``fp16`` or ``fp32``: the autocast the training ran under.
    precision: str = ""
    #: Per-label precision, recall, F1 and confusion matrix of the old and new model on the test rows
    #: (``{"labels": [...], "old": {...}, "new": {...}}``), also in ``evaluation.json`` beside the model.
    report: dict[str, Any] = field(default_factory=dict)
    #: The new model's card (``README.md`` in ``saved_to``).
    model_card: str = ""
    #: Tokens computed, and what the seed's recipe (512 per row) would have computed.
    tokens: dict[str, int] = field(default_factory=dict)
    #: Training rows held out to pick the best checkpoint, and that checkpoint's step (0 and None:
    #: one epoch, the last model kept).
    validation_rows: int = 0
    best_step: int | None = None


@dataclass
class OverrideRequest(Message):
    """Promote the model trained last (kept aside in ``temp-<model_name>``)."""


@dataclass
class OverrideResponse(Message):
    text: str = ""
    #: False when there was nothing to promote (``text`` says why), so callers need not read the words.
    promoted: bool = False
    #: Where the model it replaced is kept (restorable with a RollbackRequest); empty when none.
    previous_version: str = ""


@dataclass
class RollbackRequest(Message):
    """Put the previous model back in use (undo the last OverrideRequest)."""


@dataclass
class RollbackResponse(Message):
    text: str = ""
    restored_version: str = ""


@dataclass
class ReviewRequest(Message):
    """One row of ``iris.Review`` to triage (production iris.ReviewTriage)."""

    review_id: int = 0
    text: str = ""


@dataclass
class ReviewTriageResponse(Message):
    """The stars the classifier gave the review, and whether it was recorded as an alert."""

    review_id: int = 0
    stars: int = 0
    score: float | None = None
    alert_id: int | None = None


@dataclass
class ReviewAlertRequest(Message):
    """A low-star review to record in ``iris.ReviewAlert``."""

    review_id: int = 0
    text: str = ""
    stars: int = 0
    score: float | None = None


@dataclass
class ReviewAlertResponse(Message):
    alert_id: int = 0
