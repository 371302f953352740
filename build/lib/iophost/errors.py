"""What can go wrong when driving the host, one exception per thing a caller can act on."""

from __future__ import annotations


class HostError(Exception):
    """Base of the host's errors."""


class UnknownProductionError(HostError, LookupError):
    """No production of that name in ``settings.py``."""


class UnknownItemError(HostError, LookupError):
    """No item of that name in the production."""


class StateError(HostError):
    """The production or item is not in a state that allows this (not running, in error, ...)."""


class InvalidMessageError(HostError, ValueError):
    """A message class that cannot be imported, or a body that is not valid JSON for it."""


class ComponentError(HostError):
    """The component raised while handling the message, or its worker died."""

    def __init__(self, text: str, session_id: int) -> None:
        super().__init__(text)
        self.session_id = session_id


class RefusedMessageError(ComponentError):
    """The component refused the message as invalid (a field missing, of the wrong type or out of range)."""


def failed(error: str, session_id: int, refused: bool) -> ComponentError:
    """The error of a message that did not complete: refused by its component, or failed in it."""
    return (RefusedMessageError if refused else ComponentError)(error, session_id)


class DataFolderInUseError(HostError):
    """Another live host process owns this data folder."""


class StoreUnavailableError(HostError):
    """The message store stayed busy or unreachable: the message was not saved, so not sent."""
