"""The production's business operations: thin IoP glue over the ML core (``mlcore``).

IRIS (and our local host) creates a component without calling ``__init__``, sets each
``%settings`` line as a string attribute, then copies every declared attribute (an annotated
class attribute: a "Python Attribute" setting on IRIS) whose value is not empty over them, then
calls ``on_init``. So declared settings default to ``""`` (a ``%settings`` line wins on both
runtimes) and get their real defaults in ``on_init`` (:func:`resolve_defaults`). Every other
string attribute is a user setting passed on to ``transformers`` with its type coerced.
Runtime state lives in ``_``-prefixed attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from iop import BusinessOperation

from iris_credentials import credential_password
from iris_trace import for_visual_trace
from mlcore.coercion import coerce, setting_number, setting_truth
from mlcore.images import (
    ImageLimits,
    load_image,
    parse_image_dirs,
    run_image_pipeline,
    take_image_source,
    takes_image,
)
from mlcore.inference_api import DEFAULT_API_BASE, call_inference_api, resolve_key
from mlcore.layout import DEFAULT_TUNING_MODEL_URL, default_model_root
from mlcore.model_cache import ensure_model, parse_model_url
from mlcore.pipelines import (
    AnswerLimits,
    ModelLoadError,
    check_answer_size,
    load_pipeline,
    run_pipeline,
    run_pipeline_batch,
)
from msg import (
    HFRequest,
    HFResponse,
    MLRequest,
    MLResponse,
    OverrideRequest,
    OverrideResponse,
    ReviewAlertRequest,
    ReviewAlertResponse,
    RollbackRequest,
    RollbackResponse,
    TrainRequest,
    TrainResponse,
)

#: ``src/model/`` of the application root (mlcore.layout): the model cache, on IRIS (/irisdev/app) and locally.
DEFAULT_MODEL_PATH = str(default_model_root())


def declared_settings(component: Any) -> set[str]:
    """Names of the settings a component class declares (its annotated class attributes)."""
    names: set[str] = set()
    for klass in type(component).__mro__:
        names.update(getattr(klass, "__annotations__", {}))
    return names


def resolve_defaults(component: Any, defaults: Mapping[str, str]) -> None:
    """Give each declared setting left empty its default (a non-empty declared default would
    override the item's ``%settings`` line on IRIS)."""
    for name, value in defaults.items():
        if getattr(component, name, "") in ("", None):
            setattr(component, name, value)


def download_once(component: Any, model_url: str, model_dir: Path, revision: str) -> None:
    """Download ``model_url`` into ``model_dir`` unless it is there already, progress in the log."""
    ensure_model(model_url, model_dir, revision=revision or None,
                 progress=lambda progress: component.log_info(progress.describe()), log=component.log_info)


def user_settings(component: Any) -> dict[str, Any]:
    """The ``%settings`` lines the class does not declare, with their values coerced."""
    declared = declared_settings(component)
    return {key: coerce(value) for key, value in vars(component).items()
            if isinstance(value, str) and not key.startswith("_") and key not in declared}


class HFOperation(BusinessOperation):
    """Calls the hosted Hugging Face inference API.

    The key: a request's ``api_key`` (the seed's way, stored with the message), else the ``api_key``
    setting, else the password of the IRIS credentials entry named by ``credentials`` (IRIS only),
    else ``HF_TOKEN`` in the item's environment.
    """

    api_key: str = ""
    #: ID of an IRIS credentials entry (Ens.Config.Credentials) whose password is the key; IRIS only.
    credentials: str = ""
    #: Empty: the hosted inference API's router (DEFAULT_API_BASE).
    api_base: str = ""
    #: Seconds to wait for the API; empty: 60.
    timeout: str = ""

    _DEFAULTS = {"api_base": DEFAULT_API_BASE, "timeout": "60"}

    def on_init(self) -> None:
        resolve_defaults(self, self._DEFAULTS)
        self._stored_key = credential_password(self, self.credentials) if self.credentials else None

    def on_hf_request(self, request: HFRequest) -> HFResponse:
        key = resolve_key(request.api_key, self.api_key, self._stored_key)
        output = call_inference_api(request.api_url, request.payload, key,
                                    timeout=_number(self, "timeout", float), base=self.api_base)
        return HFResponse(payload=output, api_url=request.api_url)


class MLOperation(BusinessOperation):
    """Serves a model of ``<path>/<name>/`` through a ``transformers`` pipeline.

    With ``model_url`` set, the model is downloaded there first (once: later starts reuse the
    folder without any request); ``revision`` pins a branch, tag or commit. Image tasks load the
    request's ``url`` (http(s), or a path under ``misc/`` or the ``allowed_image_dirs`` folders).

    ``batch_size`` above 1 lets the host hand this operation up to that many queued requests at
    once, waiting up to ``batch_wait_ms`` for them to gather; the pipeline then runs on their texts
    in lists of similar lengths (text classification), each request keeping its own response or error.
    """

    name: str = ""
    #: The model cache folder; empty: src/model.
    path: str = ""
    task: str = ""
    model_url: str = ""
    revision: str = ""
    allowed_image_dirs: str = ""
    #: Limits of one request (empty: the default of AnswerLimits and ImageLimits): sequences (and
    #: beams, top_k; 16), tokens (2048), inputs in a list (64), image bytes (50 MB) and pixels (40 M).
    max_return_sequences: str = ""
    max_answer_tokens: str = ""
    max_inputs: str = ""
    max_image_bytes: str = ""
    max_image_pixels: str = ""
    #: Requests handed over together (1: one at a time) and how long a first one waits for others
    #: (empty: 1 and 5 ms).
    batch_size: str = ""
    batch_wait_ms: str = ""

    _DEFAULTS = {"path": DEFAULT_MODEL_PATH, "max_return_sequences": str(AnswerLimits.max_return_sequences),
                 "max_answer_tokens": str(AnswerLimits.max_answer_tokens), "max_inputs": str(AnswerLimits.max_inputs),
                 "max_image_bytes": str(ImageLimits.max_bytes), "max_image_pixels": str(ImageLimits.max_pixels),
                 "batch_size": "1", "batch_wait_ms": "5"}

    def on_init(self) -> None:
        resolve_defaults(self, self._DEFAULTS)
        self._answer_limits = AnswerLimits(max_return_sequences=_number(self, "max_return_sequences", int, 0),
                                           max_answer_tokens=_number(self, "max_answer_tokens", int, 0),
                                           max_inputs=_number(self, "max_inputs", int, 0))
        self._image_limits = ImageLimits(max_bytes=_number(self, "max_image_bytes", int, 0),
                                         max_pixels=_number(self, "max_image_pixels", int, 0))
        self.batch_size = _number(self, "batch_size", int, 1)
        self.batch_wait_ms = _number(self, "batch_wait_ms", float, 0)
        self._pipeline = None
        if not self.name and self.model_url:
            self.name = parse_model_url(self.model_url).folder_name
        model_dir = Path(self.path) / self.name
        options = user_settings(self)
        try:
            if self.model_url:
                download_once(self, self.model_url, model_dir, self.revision)
            self._pipeline = load_pipeline(model_dir, self.task, options)
        except Exception as exc:
            self.log_error(f"model {self.name!r} not loaded: {exc}")
            raise
        self.log_info(f"{self.task} pipeline ready from {model_dir} with {options or 'no options'}")

    def on_ml_request(self, request: MLRequest) -> MLResponse:
        arguments = _arguments(request)
        if takes_image(getattr(self._pipeline, "task", None) or self.task):
            return self._image_request(arguments)
        return MLResponse(output=run_pipeline(self._pipeline, arguments, self._answer_limits), model=self.name,
                          task=self.task)

    def on_message_batch(self, requests: list[Any]) -> list[Any] | None:
        """Several queued requests at once (the host's batching): a response or an exception for
        each, in order; None leaves them to ``on_ml_request`` one by one (images, other messages)."""
        if takes_image(getattr(self._pipeline, "task", None) or self.task) or not all(
                isinstance(request, MLRequest) for request in requests):
            return None
        self.log_info(f"{len(requests)} requests in one batch")
        outputs = run_pipeline_batch(self._pipeline, [_arguments(request) for request in requests], self._answer_limits)
        return [output if isinstance(output, Exception) else MLResponse(output=output, model=self.name, task=self.task)
                for output in outputs]

    def _image_request(self, arguments: dict[str, Any]) -> MLResponse:
        source = take_image_source(arguments, self.task)
        image = load_image(source, parse_image_dirs(self.allowed_image_dirs), limits=self._image_limits)
        answer = run_image_pipeline(self._pipeline, image, check_answer_size(arguments, self._answer_limits))
        response = MLResponse(output=answer.output, model=self.name, task=self.task,
                              image_png_base64=answer.image_png_base64)
        return for_visual_trace(self, response)


def _arguments(request: MLRequest) -> dict[str, Any]:
    """The request's fields for the pipeline call (IoP keeps undeclared keys as attributes)."""
    return {key: value for key, value in vars(request).items() if value is not None and not key.startswith("_")}


def _number(component: Any, name: str, kind: type, least: float | None = None) -> Any:
    """The component's numeric setting ``name``, checked (see :func:`mlcore.coercion.setting_number`)."""
    return setting_number(getattr(component, name), name, kind, least)


class TuningOperation(BusinessOperation):
    """Fine-tunes ``<path>/<model_name>`` on rows of a SQL table; promotes or rolls back the result.

    The model is downloaded once from ``model_url`` (the seed's bert-base-cased when neither it nor
    ``model_name`` is set). Without a model (offline, say) the item still starts, with a warning, and
    a TrainRequest tries again and otherwise answers how to fix it. When the review table is missing
    it is created and filled from misc/dataset/dataset.txt, as the IRIS image does at build.
    """

    # Each default (in _DEFAULTS) applies when the setting is left empty.
    #: The model cache folder (src/model).
    path: str = ""
    #: The model's folder under ``path`` (the repository's name of model_url, else bert-base-cased).
    model_name: str = ""
    #: The hub URL (or repo id) of the model, downloaded once into ``<path>/<model_name>``; empty
    #: with a model_name: that folder is used as it is.
    model_url: str = ""
    revision: str = ""
    num_labels: str = ""
    #: SQLAlchemy URL of the database holding the table; empty: $DATABASE_URL, else var/iris.sqlite.
    db_url: str = ""
    #: Seed of the train/test split and of the training (42; a request's "seed" overrides it).
    seed: str = ""
    #: Where the electricity comes from (ISO 3166 alpha-3, FRA), for codecarbon's carbon intensity.
    country_iso_code: str = ""
    measure_energy: str = ""
    #: How many replaced models an OverrideRequest keeps for RollbackRequest (3).
    keep_versions: str = ""
    #: At most one training progress line per this many seconds in the log (5).
    progress_seconds: str = ""
    #: Limits of one TrainRequest: epochs (100), steps (100000), and the training loop's wall time
    #: in seconds (14400; it stops there).
    max_epochs: str = ""
    max_steps: str = ""
    max_train_seconds: str = ""
    #: Training processes (1; a request's "processes" overrides it): above 1, torchrun runs DDP ranks.
    processes: str = ""
    #: torchrun options of a multi-process training (its rendezvous across machines); empty: one machine.
    launcher_options: str = ""
    #: bf16 autocast where the CPU or GPU has it (true); false: fp32 (a request's "bf16" wins).
    bf16: str = ""

    _DEFAULTS = {"path": DEFAULT_MODEL_PATH, "num_labels": "5", "seed": "42",
                 "country_iso_code": "FRA", "measure_energy": "true", "keep_versions": "3",
                 "progress_seconds": "5", "max_epochs": "100", "max_steps": "100000", "max_train_seconds": "14400",
                 "processes": "1", "bf16": "true"}

    def on_init(self) -> None:
        if not self.model_name:
            self.model_url = self.model_url or DEFAULT_TUNING_MODEL_URL
            self.model_name = parse_model_url(self.model_url).folder_name
        resolve_defaults(self, self._DEFAULTS)
        self._model = self._tokenizer = None
        self._prepare_reviews()
        try:
            self._ready_model()
        except ModelLoadError as exc:
            self.log_warning(f"{exc} The item runs; a TrainRequest tries again.")

    def _prepare_reviews(self) -> None:
        from mlcore.database import create_db_engine
        from mlcore.layout import default_dataset
        from mlcore.reviews_loader import ensure_reviews

        engine = create_db_engine(self.db_url or None)
        try:
            report = ensure_reviews(engine)
        except Exception as exc:  # a database out of reach must not keep the item from starting
            self.log_warning(f"iris.Review could not be checked or created: {exc}")
            return
        finally:
            engine.dispose()
        if report is not None:
            self.log_info(f"iris.Review was missing: created and filled from {default_dataset()}: {report.summary()}")

    @property
    def _model_dir(self) -> Path:
        return Path(self.path) / self.model_name

    def _ready_model(self) -> None:
        """Download the model (once) and load it; ModelLoadError says how to fix a failure."""
        try:
            if self.model_url:
                download_once(self, self.model_url, self._model_dir, self.revision)
            self._load()
        except Exception as exc:
            raise ModelLoadError(f"TuningOperation has no model {self.model_name!r}: {exc}. "
                                 f"Fix: {self._model_fix()}.") from exc

    def _model_fix(self) -> str:
        if not self.model_url:
            return f"put a model in {self._model_dir}, or set model_url= to download one, then send the request again"
        return (f"let the item reach the hub for {self.model_url} (unset HF_HUB_OFFLINE; HF_ENDPOINT for a "
                f"mirror, HF_TOKEN for a private model), or download it ahead with `python src/utils/download_bert.py"
                f" --model-url {self.model_url} --name {self.model_name} --path {self.path}`, then send the request "
                f"again")

    def _load(self) -> None:
        from mlcore.tuning import load_classifier

        self._model, self._tokenizer = load_classifier(self._model_dir, _number(self, "num_labels", int),
                                                       user_settings(self))
        self.log_info(f"{self.model_name} loaded from {self._model_dir} with {self.num_labels} labels")

    def on_train_request(self, request: TrainRequest) -> TrainResponse:
        import shlex

        from mlcore.database import create_db_engine
        from mlcore.tuning import TrainingLimits, TuningConfig, train_from_table
        from mlcore.tuning.request import processes

        config = TuningConfig(model_root=Path(self.path), model_name=self.model_name, seed=_number(self, "seed", int),
                              country_iso_code=self.country_iso_code,
                              measure_energy=setting_truth(self.measure_energy, "measure_energy"),
                              progress_every_s=_number(self, "progress_seconds", float),
                              limits=TrainingLimits(max_epochs=_number(self, "max_epochs", float),
                                                    max_steps=_number(self, "max_steps", int),
                                                    max_train_seconds=_number(self, "max_train_seconds", float)),
                              num_labels=_number(self, "num_labels", int), load_options=user_settings(self),
                              processes=processes(self.processes) or 1,
                              launcher_options=tuple(shlex.split(self.launcher_options)),
                              base_model=parse_model_url(self.model_url).repo_id if self.model_url else "",
                              bf16=bool(coerce(self.bf16)))
        if self._model is None:
            self._ready_model()
        # a training changes the weights it is given: the next request loads a fresh copy (no deepcopy)
        model, self._model = self._model, None
        engine = create_db_engine(self.db_url or None)
        try:
            outcome = train_from_table(engine, vars(request), config, self.log_info, model=model,
                                       tokenizer=self._tokenizer)
        finally:
            engine.dispose()
        self.log_info(f"old model {outcome.old_metrics} → new model {outcome.new_metrics}; {outcome.info}")
        return TrainResponse(old_model=outcome.old_metrics, new_model=outcome.new_metrics, info=outcome.info,
                             rows=outcome.rows, train_rows=outcome.train_rows, test_rows=outcome.test_rows,
                             duration_s=outcome.duration_s, energy_kwh=outcome.energy.energy_kwh,
                             co2_kg=outcome.energy.co2_kg, energy=outcome.energy.to_dict(),
                             saved_to=str(outcome.saved_to), labels=outcome.label2id, arguments=outcome.arguments,
                             precision=outcome.precision, report=outcome.report, model_card=str(outcome.card),
                             tokens={"computed": outcome.tokens, "seed_recipe": outcome.seed_tokens},
                             validation_rows=outcome.validation_rows, best_step=outcome.best_step)

    def on_override_request(self, request: OverrideRequest) -> OverrideResponse:
        from mlcore.tuning import NoTemporaryModelError, promote

        try:
            promotion = promote(Path(self.path), self.model_name, _number(self, "keep_versions", int))
        except NoTemporaryModelError as exc:
            return OverrideResponse(text=str(exc))
        self.log_info(f"temp-{self.model_name} promoted to {promotion.model_dir}; previous model kept in "
                      f"{promotion.previous}")
        self._load()
        return OverrideResponse(text=f"New model promoted to {promotion.model_dir} and reloaded; an MLOperation "
                                     f"serving it picks it up when restarted.",
                                previous_version=str(promotion.previous or ""), promoted=True)

    def on_rollback_request(self, request: RollbackRequest) -> RollbackResponse:
        from mlcore.tuning import rollback

        result = rollback(Path(self.path), self.model_name)
        self.log_info(f"{result.restored.name} restored to {result.model_dir}; replaced model moved to "
                      f"{result.replaced_to}")
        self._load()
        return RollbackResponse(text=f"Previous model restored to {result.model_dir} and reloaded; the replaced "
                                     f"model is in {result.replaced_to}.", restored_version=result.restored.name)


class ReviewAlertOperation(BusinessOperation):
    """Records low-star reviews in ``iris.ReviewAlert`` (created when missing)."""

    #: SQLAlchemy URL of the database; empty: $DATABASE_URL, else var/iris.sqlite.
    db_url: str = ""

    def on_init(self) -> None:
        from mlcore.database import create_db_engine

        self._engine = create_db_engine(self.db_url or None)

    def on_tear_down(self) -> None:
        self._engine.dispose()

    def on_review_alert_request(self, request: ReviewAlertRequest) -> ReviewAlertResponse:
        from mlcore.review_triage import Review, record_alert

        alert_id = record_alert(self._engine, Review(request.review_id, request.text), request.stars, request.score)
        return ReviewAlertResponse(alert_id=alert_id)
