"""The production's business operations: thin IoP glue over the ML core (``mlcore``).

IRIS (and our local host) creates a component without calling ``__init__``, sets each
``%settings`` line as a string attribute, then calls ``on_init``. Settings a class declares
below are read by name; every other string attribute is a user setting passed on to
``transformers`` with its type coerced. Runtime state lives in ``_``-prefixed attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from iop import BusinessOperation

from mlcore.coercion import coerce
from mlcore.inference_api import DEFAULT_API_BASE, call_inference_api, resolve_key
from mlcore.pipelines import load_pipeline, run_pipeline
from msg import HFRequest, HFResponse, MLRequest, MLResponse

#: ``src/model/``: the model cache, the same relative place on IRIS (/irisdev/app) and locally.
DEFAULT_MODEL_PATH = str(Path(__file__).resolve().parents[1] / "model")


def declared_settings(component: Any) -> set[str]:
    """Names of the settings a component class declares (its annotated class attributes)."""
    names: set[str] = set()
    for klass in type(component).__mro__:
        names.update(getattr(klass, "__annotations__", {}))
    return names


def user_settings(component: Any) -> dict[str, Any]:
    """The ``%settings`` lines the class does not declare, with their values coerced."""
    declared = declared_settings(component)
    return {key: coerce(value) for key, value in vars(component).items()
            if isinstance(value, str) and not key.startswith("_") and key not in declared}


class HFOperation(BusinessOperation):
    """Calls the hosted Hugging Face inference API."""

    api_key: str = ""
    api_base: str = DEFAULT_API_BASE
    timeout: str = "60"

    def on_hf_request(self, request: HFRequest) -> HFResponse:
        key = resolve_key(request.api_key, self.api_key)
        output = call_inference_api(request.api_url, request.payload, key,
                                    timeout=float(coerce(self.timeout)), base=self.api_base)
        return HFResponse(payload=output, api_url=request.api_url)


class MLOperation(BusinessOperation):
    """Serves a model of ``<path>/<name>/`` through a ``transformers`` pipeline."""

    name: str = ""
    path: str = DEFAULT_MODEL_PATH
    task: str = ""
    model_url: str = ""

    def on_init(self) -> None:
        self._pipeline = None
        model_dir = Path(self.path) / self.name
        options = user_settings(self)
        try:
            self._pipeline = load_pipeline(model_dir, self.task, options)
        except Exception as exc:
            self.log_error(f"model {self.name!r} not loaded: {exc}")
            raise
        self.log_info(f"{self.task} pipeline ready from {model_dir} with {options or 'no options'}")

    def on_ml_request(self, request: MLRequest) -> MLResponse:
        arguments = {key: value for key, value in vars(request).items()
                     if value is not None and not key.startswith("_")}
        return MLResponse(output=run_pipeline(self._pipeline, arguments), model=self.name, task=self.task)


class TuningOperation(BusinessOperation):
    """Fine-tunes ``<path>/<model_name>`` on rows of a SQL table."""

    path: str = DEFAULT_MODEL_PATH
    model_name: str = "bert-base-cased"
    num_labels: str = "5"

    def on_init(self) -> None:
        from mlcore.tuning import load_classifier

        model_dir = Path(self.path) / self.model_name
        try:
            self._model, self._tokenizer = load_classifier(model_dir, int(coerce(self.num_labels)),
                                                           user_settings(self))
        except Exception as exc:
            self.log_error(f"model {self.model_name!r} not loaded: {exc}")
            raise
        self.log_info(f"{self.model_name} loaded from {model_dir} with {self.num_labels} labels")
