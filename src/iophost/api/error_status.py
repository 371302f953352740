"""The one policy of the host's errors over HTTP, for the REST API and the portal alike: each
:class:`~iophost.errors.HostError` by its kind; anything else is a bug, a 500 (its traceback goes
to the server's log)."""

from __future__ import annotations

from ..errors import (
    ComponentError,
    ConfigError,
    DataFolderInUseError,
    HostError,
    InvalidMessageError,
    RefusedMessageError,
    SettingsError,
    StateError,
    StoreUnavailableError,
    UnknownItemError,
    UnknownProductionError,
)

# First match wins: a subclass comes before its base. A component that failed is the server's
# error, as on IRIS; one that refused the message as invalid is the caller's.
_STATUS: tuple[tuple[type[HostError], int], ...] = (
    (UnknownItemError, 404), (UnknownProductionError, 404), (InvalidMessageError, 400), (SettingsError, 400),
    (ConfigError, 400), (StateError, 409), (DataFolderInUseError, 409), (RefusedMessageError, 400),
    (ComponentError, 500), (StoreUnavailableError, 503), (HostError, 400))


def http_status(exc: BaseException) -> int:
    """The HTTP status that answers ``exc``."""
    return next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)


def error_content(exc: HostError) -> dict[str, object]:
    """The JSON body of a host error: ``{"error": text}``, and the session of a failed message."""
    content: dict[str, object] = {"error": str(exc)}
    if isinstance(exc, ComponentError):
        content["session_id"] = exc.session_id
    return content
