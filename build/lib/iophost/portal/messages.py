"""The portal's view of stored messages and event log entries, whatever the store's row shape.

The host's store gives rows with ``Ens.MessageHeader``'s fields; these dataclasses are the few
the pages use, built by :func:`message_from_row` / :func:`log_entry_from_row` from a mapping
with either the host's snake_case names or IRIS's names.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from .. import jsontext
from ..masking import MASKER

ERROR_STATUSES = frozenset({"Error", "Aborted"})
IMAGE_FIELD_SUFFIXES = ("_png_base64", "png_base64", "image_base64")


def _first(row: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    for name in names:
        if name in row and row[name] is not None:
            return row[name]
    return default


@dataclass
class MessageView:
    """One stored message: its ``Ens.MessageHeader`` fields and its body as the stored JSON text."""

    id: int
    session_id: int
    source: str
    target: str
    type: str  # Request | Response
    status: str
    body_class: str
    body_json: str | None = None
    is_error: bool = False
    error_text: str = ""
    time_created: str = ""
    time_processed: str = ""
    corresponding_id: int | None = None
    priority: str = ""

    @property
    def failed(self) -> bool:
        return self.is_error or self.status in ERROR_STATUSES

    @cached_property
    def body(self) -> Any:
        """The body decoded (pages that read fields of it; answers embed :attr:`body_json`)."""
        return None if self.body_json is None else jsontext.loads(self.body_json)

    def header(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("body_json")
        return data

    def to_dict(self) -> dict[str, Any]:
        """The message for a JSON answer (:class:`~iophost.api.responses.JSONTextResponse`), its
        body embedded as stored, secrets masked."""
        data = self.header()
        data["body"] = None if self.body_json is None else jsontext.embed(MASKER.mask_json(self.body_json))
        data["failed"] = self.failed
        data["images"] = [{"field": name, "size": len(value)} for name, value in body_images(self.body)] \
            if may_hold_images(self.body_json) else []
        return data


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def message_from_row(row: Mapping[str, Any]) -> MessageView:
    """A :class:`MessageView` from a store row (snake_case or IRIS field names)."""
    corresponding = _first(row, "corresponding_message_id", "corresponding_id", "CorrespondingMessageId")
    body = _first(row, "body", "MessageBody")
    return MessageView(
        id=int(_first(row, "id", "ID", default=0)),
        session_id=int(_first(row, "session_id", "SessionId", default=0)),
        source=_text(_first(row, "source", "source_config_name", "SourceConfigName")),
        target=_text(_first(row, "target", "target_config_name", "TargetConfigName")),
        type=_text(_first(row, "type", "message_type", "Type", default="Request")),
        status=_text(_first(row, "status", "Status")),
        body_class=_text(_first(row, "body_class", "body_class_name", "classname", "MessageBodyClassName")),
        body_json=body if body is None or isinstance(body, str) else jsontext.dumps(body),
        is_error=bool(_first(row, "is_error", "IsError", default=False)),
        error_text=_text(_first(row, "error_text", "error", "ErrorStatus")),
        time_created=_text(_first(row, "time_created", "TimeCreated")),
        time_processed=_text(_first(row, "time_processed", "TimeProcessed")),
        corresponding_id=None if corresponding in (None, "", 0) else int(corresponding),
        priority=_text(_first(row, "priority", "Priority")),
    )


@dataclass
class LogEntryView:
    """One event log entry, with the fields ``iop --log`` prints."""

    id: int
    time_logged: str
    type: str
    config_name: str
    text: str
    session_id: int | None = None
    message_id: int | None = None
    job: str = ""
    source_class: str = ""
    source_method: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def log_entry_from_row(row: Mapping[str, Any]) -> LogEntryView:
    return LogEntryView(
        id=int(_first(row, "id", "ID", default=0)),
        time_logged=_text(_first(row, "time_logged", "TimeLogged")),
        type=_text(_first(row, "type", "Type")),
        config_name=_text(_first(row, "config_name", "item", "ConfigName")),
        text=_text(_first(row, "text", "Text")),
        session_id=_int_or_none(_first(row, "session_id", "SessionId")),
        message_id=_int_or_none(_first(row, "message_id", "MessageId")),
        job=_text(_first(row, "job", "Job")),
        source_class=_text(_first(row, "source_class", "SourceClass")),
        source_method=_text(_first(row, "source_method", "SourceMethod")),
    )


def may_hold_images(body_json: str | None) -> bool:
    """Whether a body's JSON text has an image field (else it need not be decoded to look for one)."""
    return body_json is not None and any(f'{suffix}":' in body_json for suffix in IMAGE_FIELD_SUFFIXES)


def body_images(body: Any, path: str = "") -> list[tuple[str, str]]:
    """``(field path, base64 PNG)`` for every body field holding a PNG image, at any depth."""
    found: list[tuple[str, str]] = []
    if isinstance(body, Mapping):
        for key, value in body.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(value, str) and str(key).endswith(IMAGE_FIELD_SUFFIXES):
                found.append((where, value))
            else:
                found.extend(body_images(value, where))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            found.extend(body_images(value, f"{path}[{index}]"))
    return found


def image_bytes(body: Any, field_path: str) -> bytes | None:
    """The decoded PNG of ``field_path`` in ``body``, or None when absent or not base64."""
    for where, value in body_images(body):
        if where == field_path:
            if value.startswith("data:"):
                value = value.partition(",")[2]
            try:
                return base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                return None
    return None


def hide_images(body: Any) -> Any:
    """A copy of ``body`` whose image fields say what they hold instead of thousands of base64 characters."""
    if isinstance(body, Mapping):
        return {key: f"<PNG, {len(value)} base64 characters: shown as an image>"
                if isinstance(value, str) and str(key).endswith(IMAGE_FIELD_SUFFIXES) else hide_images(value)
                for key, value in body.items()}
    if isinstance(body, list):
        return [hide_images(value) for value in body]
    return body
