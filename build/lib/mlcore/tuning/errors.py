"""What can go wrong with a training request or a promotion, one class per thing a caller can act on."""

from __future__ import annotations

#: The seed's answer to an OverrideRequest when no training left a model aside.
NO_TEMPORARY_MODEL = "No temporary model detected, run a training first."


class TuningError(ValueError):
    """Base class: the request cannot be carried out; nothing was changed on disk."""


class TrainRequestError(TuningError):
    """A field of the TrainRequest is missing or out of range (``p_of_train``, ``limit``, ``columns``)."""


class UnknownTableError(TrainRequestError):
    """The table is not in the database's metadata (a typo, or SQL where a name belongs)."""


class UnknownColumnError(TrainRequestError):
    """A column is not in the table's metadata."""


class TrainingArgumentsError(TrainRequestError):
    """A key is not a ``TrainingArguments`` field (nor a legacy name of one), or its value is refused."""


class NotEnoughRowsError(TrainRequestError):
    """Too few usable rows: fewer than the model's labels, or too few to split into train and test."""


class LabelError(TrainRequestError):
    """The label column's values do not fit the model's ``num_labels``."""


class NoTemporaryModelError(TuningError):
    """An override was asked for but no training left a ``temp-<model_name>`` folder."""

    def __init__(self, message: str = NO_TEMPORARY_MODEL) -> None:
        super().__init__(message)


class NoPreviousVersionError(TuningError):
    """A rollback was asked for but no earlier version was kept."""
