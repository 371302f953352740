"""Create and drive one production component the way IRIS does.

IRIS allocates the Python object without ``__init__``, applies the item's settings (the rule
of :mod:`iophost.settings_rule`), calls ``on_init`` through IoP's ``_dispatch_on_init``,
and hands each message to IoP's dispatcher. Message bodies cross process boundaries as JSON
text, built from IoP's own dict form (``dataclass_to_dict``) and encoded once, here.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import types
from collections.abc import Mapping
from dataclasses import is_dataclass
from typing import Any

from iop.messages import serialization
from iop.messages.dispatch import dispatch_message
from iop.messages.serialization import dataclass_to_dict
from pydantic import BaseModel, TypeAdapter, ValidationError

from . import jsontext
from .request_limits import DEFAULT_LIMITS, RequestLimits
from .settings_rule import apply_settings


class MessageClassError(ValueError):
    """A message class name that cannot be imported or is not an IoP message."""


class MessageBodyError(ValueError):
    """A message body that is not valid JSON for its class."""


class NoHandlerError(ValueError):
    """The component has no handler for the message's class (IoP would hand it to a no-op on_message)."""


def create_component(component_class: type, host_settings: Mapping[str, Any] | None = None,
                     logger: logging.Logger | None = None) -> Any:
    """Allocate ``component_class`` as IRIS does, apply its Host settings, and return it
    before ``on_init`` (call :func:`start_component` next)."""
    component = component_class.__new__(component_class)
    if logger is not None:
        component.logger = logger
    apply_settings(component, host_settings, logger)
    return component


def start_component(component: Any) -> None:
    """Run IoP's start-up path (dispatch table, then ``on_init``)."""
    component._dispatch_on_init(None)


def stop_component(component: Any) -> None:
    component._dispatch_on_tear_down(None)


@functools.lru_cache(maxsize=256)
def message_class(classname: str) -> type:
    """Import ``module.Class`` and check it is a dataclass Message or a Pydantic message
    (remembered: every message of a class pays the import and the checks once per process)."""
    module_name, _, class_name = (classname or "").rpartition(".")
    if not module_name:
        raise MessageClassError(f"classname must be module.Class, got {classname!r}")
    try:
        klass = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise MessageClassError(f"unknown message class {classname!r}: {exc}") from exc
    if not isinstance(klass, type) or not (is_dataclass(klass) or issubclass(klass, BaseModel)):
        raise MessageClassError(f"{classname!r} is not an IoP message class")
    return klass


def parse_body(body: str | Mapping[str, Any] | None, limits: RequestLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """A message body given as a JSON object or a JSON string (empty: ``{}``), as a dict.

    Raises:
        MessageBodyError: not JSON, not an object, or nested deeper than ``limits`` allow.
    """
    if body is None or body == "":
        return {}
    if isinstance(body, str):
        if limits.nested_too_deep(body):
            raise MessageBodyError(f"body: {limits.too_deep()}")
        try:
            body = jsontext.loads(body)
        except ValueError as exc:
            raise MessageBodyError(f"body is not valid JSON: {exc}") from exc
        except RecursionError:
            raise MessageBodyError("body: JSON nested too deep for this host") from None
    if not isinstance(body, Mapping):
        raise MessageBodyError(f"body must be a JSON object, got {type(body).__name__}")
    return body if isinstance(body, dict) else dict(body)


def load_message(classname: str, body: str | Mapping[str, Any] | None) -> Any:
    """Build a message of ``classname`` from its JSON body with IoP's deserialisation
    (undeclared keys are kept as attributes)."""
    klass = message_class(classname)
    data = parse_body(body)
    try:
        if issubclass(klass, BaseModel):
            return klass.model_validate(data)
        return dataclass_from_dict(klass, data)
    except Exception as exc:
        raise MessageBodyError(f"body does not fit {classname}: {exc}") from exc


def dataclass_from_dict(klass: type, data: Mapping[str, Any]) -> Any:
    """IoP's ``dataclass_from_dict``, step for step, with what it rebuilds for every message kept.

    IoP reads the class's signature and builds a pydantic ``TypeAdapter`` for each field of each
    message (50-70 µs for a two-field message here, paid three times on a process hop); the
    signature and the adapters depend only on the class, so they are made once per process.
    """
    values: dict[str, Any] = {}
    for name, default, annotation in _parameters(klass):
        if name not in data:
            if default is not inspect.Parameter.empty:
                values[name] = default
            continue
        values[name] = _field_value(data[name], annotation)
    instance = klass(**values)
    for key, value in data.items():  # keys the class does not declare are kept, as IoP does
        if key not in values:
            setattr(instance, key, value)
    return instance


@functools.lru_cache(maxsize=256)
def _parameters(klass: type) -> tuple[tuple[str, Any, Any], ...]:
    return tuple((name, parameter.default, parameter.annotation)
                 for name, parameter in inspect.signature(klass).parameters.items())


def _field_value(value: Any, annotation: Any) -> Any:
    """IoP's ``process_field``: a nested dataclass built, other values validated for their annotation
    (left as they are when they do not validate)."""
    if value is None:
        return None
    if is_dataclass(annotation):
        return dataclass_from_dict(annotation, value)
    if annotation is inspect.Parameter.empty:
        return value
    try:
        adapter = _type_adapter(annotation)
    except TypeError:  # an unhashable annotation: built for this value only
        adapter = _adapter_as_iop_builds_it(annotation)
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return value


def _new_type_adapter(field_type: Any) -> TypeAdapter:
    return TypeAdapter(field_type)


# Built from IoP's module namespace, as IoP builds it: a string annotation (a module with
# ``from __future__ import annotations``) resolves against the same names there as on IRIS.
_adapter_as_iop_builds_it = types.FunctionType(_new_type_adapter.__code__, vars(serialization))
_type_adapter = functools.lru_cache(maxsize=1024)(_adapter_as_iop_builds_it)


def message_classname(message: Any) -> str:
    return f"{type(message).__module__}.{type(message).__name__}"


def dump_message(message: Any) -> str:
    """A message's body as compact JSON text, as IoP stores it on IRIS (pydantic's dump for a
    Pydantic message, IoP's ``dataclass_to_dict`` for a dataclass one)."""
    return encode_message(message).decode()


def encode_message(message: Any) -> bytes:
    """:func:`dump_message` as UTF-8, the form a response crosses the worker's pipe in (pickling
    bytes is a copy; pickling a 1 MB str encodes it again)."""
    if isinstance(message, BaseModel):
        return message.__pydantic_serializer__.to_json(message)  # what model_dump_json decodes
    return jsontext.dumps_bytes(dataclass_to_dict(message))


def deliver(component: Any, message: Any) -> Any:
    """Hand a message to the component through IoP's dispatcher; return its response.

    Raises:
        NoHandlerError: no handler of the component takes this message's class and the component
            keeps IoP's default ``on_message`` (which would drop the message and answer nothing).
    """
    classname = message_classname(message)
    dispatch = getattr(component, "DISPATCH", None) or []
    if not any(name == classname for name, _ in dispatch) and not _handles_any_message(component):
        handled = ", ".join(sorted({name for name, _ in dispatch})) or "none"
        raise NoHandlerError(f"{type(component).__name__} has no handler for {classname} (it handles: {handled})")
    return dispatch_message(component, message)


def _handles_any_message(component: Any) -> bool:
    """True when the component's own class overrides IoP's catch-all ``on_message`` (or ``on_request``)."""
    for hook in ("on_message", "on_request"):
        owner = next((klass for klass in type(component).__mro__ if hook in vars(klass)), None)
        if owner is not None and not owner.__module__.startswith("iop."):
            return True
    return False


#: The hook of a component that serves several queued messages at once (see :func:`batching`).
BATCH_HOOK = "on_message_batch"


def batching(component: Any) -> tuple[int, float]:
    """``(batch size, seconds to wait for a batch to fill)`` a component asks the host for.

    A component takes batches when it defines ``on_message_batch(messages) -> list | None`` and
    its ``batch_size`` is above 1 (``batch_wait_ms``: how long a first message may wait for
    others); every other component gets its messages one by one, ``(1, 0.0)``.
    """
    if not callable(getattr(component, BATCH_HOOK, None)):
        return 1, 0.0
    try:
        size = int(getattr(component, "batch_size", 1))
        wait = float(getattr(component, "batch_wait_ms", 0)) / 1000
    except (TypeError, ValueError):
        return 1, 0.0
    return max(size, 1), max(wait, 0.0)


def deliver_batch(component: Any, messages: list[Any]) -> list[Any]:
    """The response (or the exception) of each message, in order: one call of the component's
    batch hook; each message through :func:`deliver` when the hook declines (returns None)."""
    results = getattr(component, BATCH_HOOK)(messages) if len(messages) > 1 else None
    if results is not None:
        if len(results) != len(messages):
            raise ValueError(f"{BATCH_HOOK} answered {len(results)} results for {len(messages)} messages")
        return list(results)
    answers: list[Any] = []
    for message in messages:
        try:
            answers.append(deliver(component, message))
        except Exception as exc:  # noqa: BLE001 (each message's own failure is its answer)
            answers.append(exc)
    return answers
