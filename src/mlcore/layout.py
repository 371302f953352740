"""Where the ML core keeps things: the application root, folder names under the model path, the
default database and the review table's names. One home for these conventions, read by the ML core
and by the local host's portal (its ML pages show these folders and this table), so this module
imports nothing heavy.

The application root holds ``misc/`` (sample image, review dataset), ``var/`` (the default SQLite
database) and ``src/model/`` (the model cache). It is ``$SUSTAINABLE_ML_ROOT`` when set (the IRIS
image sets ``/irisdev/app``, where its sources are), else the checkout this module belongs to. An
installed copy of the package (``pip install --target``, as in the image) lives elsewhere, so it needs
the variable: nothing else derives the root from a module's location.

Under the model path (the ``path`` setting)::

    <name>/                       the model in use
    <name>/.hub_download.json     which repository, revision and commit a download put there
    <name>.incomplete/            a download being written (model cache)
    <name>.previous/              the model a re-download replaced (model cache)
    temp-<name>/                  the model a training left aside, until an override; like every
                                  trained model it holds its card (README.md) and evaluation.json
    temp-<name>.incomplete/       a training's model while it is being written
    .versions/<name>/<stamp>/     earlier models an override replaced, newest last (what Rollback restores)
    .versions/<name>/.set-aside/<stamp>/  models a rollback replaced while temp-<name> was taken
    checkpoints/checkpoint-<step>/ the Trainer's checkpoints (a TrainRequest's default ``output_dir``)
"""

from __future__ import annotations

import os
from pathlib import Path

#: The folder the ML core's packages are imported from (``src/`` of a checkout, or an install target):
#: the ranks of a multi-process training import ``mlcore`` from there.
CODE_ROOT = Path(__file__).resolve().parents[1]
#: Environment variable naming the application root.
APP_ROOT_ENV = "SUSTAINABLE_ML_ROOT"


def app_root() -> Path:
    """``$SUSTAINABLE_ML_ROOT`` when set, else the checkout holding ``src/mlcore``."""
    return Path(os.environ.get(APP_ROOT_ENV) or CODE_ROOT.parent).expanduser().resolve()


def misc_dir() -> Path:
    """``misc/``: the sample image(s), the only folder an image request's local path may name by default."""
    return app_root() / "misc"


def default_dataset() -> Path:
    """The review file that fills ``iris.Review`` when it is missing."""
    return misc_dir() / "dataset" / "dataset.txt"


def default_model_root() -> Path:
    """``src/model/``: the model cache, the ``path`` setting's default."""
    return app_root() / "src" / "model"


def default_sqlite_path() -> Path:
    """``var/iris.sqlite``: the database when neither a setting nor ``$DATABASE_URL`` names one."""
    return app_root() / "var" / "iris.sqlite"


TEMP_PREFIX = "temp-"
INCOMPLETE_SUFFIX = ".incomplete"
PREVIOUS_SUFFIX = ".previous"
VERSIONS_DIR = ".versions"
SET_ASIDE_DIR = ".set-aside"
CHECKPOINTS_DIR = "checkpoints"
CHECKPOINT_PREFIX = "checkpoint-"
#: The model cache's record of a download, in the model's folder (see mlcore.model_cache.record).
DOWNLOAD_RECORD = ".hub_download.json"
#: In a trained model's folder: its model card, and the evaluation report of the old and new model.
MODEL_CARD = "README.md"
EVALUATION_REPORT = "evaluation.json"

#: The model TuningOperation fine-tunes when none is named (the seed's), and where it comes from.
DEFAULT_TUNING_MODEL = "bert-base-cased"
DEFAULT_TUNING_MODEL_URL = "https://huggingface.co/bert-base-cased"

#: Environment variable naming the database; overrides the default SQLite file.
DATABASE_URL_ENV = "DATABASE_URL"
REVIEW_SCHEMA = "iris"
REVIEW_TABLE = "Review"
LABEL_COLUMN = "ReviewLabel"
TEXT_COLUMN = "ReviewText"


def default_database_url() -> str:
    """``$DATABASE_URL`` when set, else the SQLite file ``var/iris.sqlite`` of the application root."""
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{default_sqlite_path()}"


def temporary_dir(root: Path, name: str) -> Path:
    return Path(root) / f"{TEMP_PREFIX}{name}"


def versions_dir(root: Path, name: str) -> Path:
    return Path(root) / VERSIONS_DIR / name


def list_versions(root: Path, name: str) -> list[Path]:
    """Kept earlier versions of ``name``, oldest first (folder names are sortable UTC stamps)."""
    folder = versions_dir(root, name)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def set_aside_versions(root: Path, name: str) -> list[Path]:
    """Models a rollback replaced while ``temp-<name>`` was taken, oldest first."""
    folder = versions_dir(root, name) / SET_ASIDE_DIR
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def is_model_folder_name(name: str) -> bool:
    """A folder directly under the model path that holds a model of that name (not a version of one)."""
    return not (name.startswith((".", TEMP_PREFIX)) or name.endswith((INCOMPLETE_SUFFIX, PREVIOUS_SUFFIX))
                or name == CHECKPOINTS_DIR)
