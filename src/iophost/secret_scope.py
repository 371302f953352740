"""Which secret values the host masks in a text, by value (see :mod:`iophost.masking`): those of the
items' settings in every text, and those of a request in its own response, error and log lines,
while it is in flight."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .masking import MASKER


class SecretScope:
    def __init__(self) -> None:
        self._settings: tuple[str, ...] = ()
        self._messages: dict[int, tuple[str, ...]] = {}

    def use_settings(self, settings: Iterable[dict[str, Any]]) -> None:
        """The secret values of these settings (one mapping per item) are masked in every text."""
        found = [value for values in settings for value in MASKER.secret_values(values)]
        self._settings = tuple(dict.fromkeys(found))

    def open(self, message_id: int, body: Any) -> None:
        """``body``'s secret values are masked in the texts of ``message_id`` until :meth:`close`."""
        values = MASKER.secret_values(body)
        if values:
            self._messages[message_id] = values

    def close(self, message_id: int) -> None:
        self._messages.pop(message_id, None)

    def of(self, message_id: int | None = None) -> tuple[str, ...]:
        """The values to mask in the text of ``message_id``: its request's and the settings'."""
        own = self._messages.get(message_id, ()) if message_id is not None else ()
        return own + self._settings

    def mask_text(self, text: str, message_id: int | None = None) -> str:
        return MASKER.mask_text(text, self.of(message_id))

    def mask_json(self, text: str, message_id: int | None = None) -> str:
        return MASKER.mask_json(text, self.of(message_id))
