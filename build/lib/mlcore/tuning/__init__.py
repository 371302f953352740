"""Fine-tuning a sequence classifier on rows of a SQL table, and promoting the result deliberately.

Modules: ``request`` (a TrainRequest's own fields), ``arguments`` (TrainingArguments names and
defaults), ``training_data`` (SQL → labelled rows, split), ``trainer`` (tokenize, train, evaluate),
``sampling`` (shuffled length buckets), ``metrics``, ``progress`` (log callback), ``budget`` (wall-time
stop), ``validation`` (values, bounds, output_dir), ``advice`` (what a TrainResponse recommends),
``model_versions`` (temp folder, promote, rollback), ``job`` (a checked
training, trained and saved), ``run`` (one request end to end), ``launcher``/``distributed`` (the same
training on several processes under torchrun), ``loading`` (load the classifier a TuningOperation uses).
"""

from .errors import (
    NO_TEMPORARY_MODEL,
    LabelError,
    NoPreviousVersionError,
    NoTemporaryModelError,
    NotEnoughRowsError,
    TrainingArgumentsError,
    TrainRequestError,
    TuningError,
    UnknownColumnError,
    UnknownTableError,
)
from .launcher import TrainingProcessError
from .loading import load_classifier
from .model_versions import DEFAULT_KEEP_VERSIONS, Promotion, Rollback, promote, rollback, temporary_dir
from .run import DEFAULT_SEED, TrainingOutcome, TuningConfig, train_from_table
from .validation import TrainingLimits

__all__ = [
    "DEFAULT_KEEP_VERSIONS", "DEFAULT_SEED", "NO_TEMPORARY_MODEL", "LabelError", "NoPreviousVersionError",
    "NoTemporaryModelError", "NotEnoughRowsError", "Promotion", "Rollback", "TrainRequestError",
    "TrainingArgumentsError", "TrainingLimits", "TrainingOutcome", "TrainingProcessError", "TuningConfig",
    "TuningError", "UnknownColumnError", "UnknownTableError", "load_classifier", "promote", "rollback",
    "temporary_dir", "train_from_table",
]
