"""What a secret is, and how it is masked wherever the host or the portal shows or stores text.

A secret is the value of a field named exactly like a credential (``api_key``, ``token``,
``hf_token``, ``access_token``, ``password``, ``secret``, ``authorization``; any case; more names
in ``IOPHOST_SECRET_NAMES``, comma-separated). Other names are never secrets, even when they
contain one (``max_new_tokens``, ``token_str``). Three nets:

- by name: the value of a secret field in a body, a setting or an export is replaced by :data:`MASK`;
- by value: a secret value of at least :data:`MIN_SECRET_LENGTH` characters is masked wherever it
  appears in the text of its own message (response, error, log lines) or, for a secret setting,
  in any text of the host; shorter values ("started") would mask ordinary words, so they are not;
- by form: credentials in a URL (``http://user:pass@host``), ``Bearer ...``, and ``name=value`` or
  ``"name": "value"`` with a secret name in free text (errors, log lines, rendered Python).

Bodies are walked only through objects, lists of objects and strings: a list that starts with a
number is taken as numeric data and left as it is, so masking costs nothing on tensors' worth of floats.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import jsontext

MASK = "********"
DEFAULT_SECRET_NAMES = ("api_key", "apikey", "token", "hf_token", "access_token", "password", "secret",
                        "authorization")
SECRET_NAMES_ENV = "IOPHOST_SECRET_NAMES"
#: Shorter values are masked by name only: by value they would hide common words in every line.
MIN_SECRET_LENGTH = 8

_URL_CREDENTIALS = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)(@)")
_BEARER = re.compile(r"(Bearer\s+)([A-Za-z0-9._~+/=-]+)", re.IGNORECASE)
# A key of compact JSON text: a quoted name without escapes, then ``:``.
_JSON_KEY = re.compile(r'"([^"\\]*)":')
_STRINGS_JUMPED = 64


def _json_keys(text: str) -> set[str] | None:
    """The keys of compact JSON text, or None when one may hold an escape (the text is then decoded).

    Without a backslash no string holds a quote, so the keys are the strings followed by ``:``,
    found by jumping from quote to quote: a few searches of an embedding's 1 MB instead of a regular
    expression reading all of it (0.7 ms). Past a few dozen strings the expression is the faster
    (a NER answer of 3,000 entities: 4 ms against 7). With a backslash the keys found whole must be
    every ``":``.
    """
    if "\\" not in text:
        names = set()
        start, jumps = text.find('"'), 0
        while start != -1:
            jumps += 1
            if jumps > _STRINGS_JUMPED:
                return {match.group(1) for match in _JSON_KEY.finditer(text)}
            end = text.find('"', start + 1)
            if end == -1:  # not JSON (an unterminated string): nothing more to read
                break
            if text.startswith(":", end + 1):
                names.add(text[start + 1:end])
            start = text.find('"', end + 1)
        return names
    keys = [match for match in _JSON_KEY.finditer(text) if text[match.start() - 1:match.start()] != "\\"]
    return {match.group(1) for match in keys} if len(keys) == text.count('":') else None


class Masker:
    """The masking rule for one set of secret names."""

    def __init__(self, names: Iterable[str] = DEFAULT_SECRET_NAMES) -> None:
        self.names = frozenset(name.strip().lower() for name in names if name.strip())
        alternatives = "|".join(sorted(map(re.escape, self.names), key=len, reverse=True))
        # The name must not be part of a longer one (``max_new_tokens=3`` is not a token), except after
        # a ``\n`` escape (a ``%settings`` line in rendered Python); a quoted value is masked whole.
        self._in_text = re.compile(
            rf"""(?:(?<=\\n)|(?<![\w-]))((?:{alternatives})["']?\s*[:=]\s*)(?:(["'])(?!\2).*?\2|[^\s'",}}&\\]+)""",
            re.IGNORECASE)

    def is_secret(self, name: str) -> bool:
        return name.strip().lower() in self.names

    def secret_values(self, body: Any) -> tuple[str, ...]:
        """The values of secret fields in ``body``, at any depth, long enough to be masked by value."""
        found: list[str] = []
        self._collect(body, found)
        return tuple(found)

    def _collect(self, body: Any, found: list[str]) -> None:
        if isinstance(body, Mapping):
            for key, value in body.items():
                if isinstance(value, str) and self.is_secret(str(key)):
                    if len(value.strip()) >= MIN_SECRET_LENGTH and value != MASK:
                        found.append(value.strip())
                else:
                    self._collect(value, found)
        elif isinstance(body, list) and body and not _is_number(body[0]):
            for value in body:
                self._collect(value, found)

    def mask_body(self, body: Any, values: Iterable[str] = ()) -> Any:
        """A copy of ``body`` with secret fields masked and, in its strings, the given secret
        ``values`` and URL credentials. Nothing else changes: numbers and other fields stay as they are."""
        return self._mask(body, tuple(values))

    def _mask(self, body: Any, values: tuple[str, ...]) -> Any:
        if isinstance(body, str):
            return _mask_values(body, values)
        if isinstance(body, Mapping):
            return {key: (MASK if self.is_secret(str(key)) and value not in (None, "") else self._mask(value, values))
                    for key, value in body.items()}
        if isinstance(body, list) and body and not _is_number(body[0]):
            return [self._mask(value, values) for value in body]
        return body

    def mask_json(self, text: str, values: Iterable[str] = ()) -> str:
        """Compact JSON text (as :mod:`iophost.jsontext` writes it) masked as :meth:`mask_body` masks
        its decoded body.

        Only the keys are read, and the text searched for the given values and URL credentials: it
        is returned as it is, undecoded, unless one of them may be there (or a key holds an escape),
        so a body of a million numbers costs a few scans of its text.
        """
        values = tuple(values)
        names = _json_keys(text)
        clean = (names is not None and not any(self.is_secret(name) for name in names)
                 and not any(jsontext.dumps(value)[1:-1] in text for value in values)
                 and not ("@" in text and _URL_CREDENTIALS.search(text)))
        return text if clean else jsontext.dumps(self.mask_body(jsontext.loads(text), values))

    def mask_text(self, text: str, values: Iterable[str] = ()) -> str:
        """Free text (an error, a log line) with the given secret values and every secret by form masked."""
        if not text:
            return text
        text = _mask_values(text, tuple(values))
        text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
        return self._in_text.sub(_masked_setting, text)

    def unmasked_for_resend(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """A stored (masked) request body made sendable again: secret fields still masked are left out
        (the component falls back on its own setting, as it does for a request without them). Also
        returns the other fields that hold a mask, whose original text is lost."""
        lost: list[str] = []
        return self._restore(body, "", lost), lost

    def _restore(self, body: Any, path: str, lost: list[str]) -> Any:
        if isinstance(body, Mapping):
            return {key: self._restore(value, f"{path}.{key}" if path else str(key), lost)
                    for key, value in body.items() if not (self.is_secret(str(key)) and value == MASK)}
        if isinstance(body, list) and body and not _is_number(body[0]):
            return [self._restore(value, f"{path}[{index}]", lost) for index, value in enumerate(body)]
        if isinstance(body, str) and MASK in body:
            lost.append(path)
        return body

    def mask_lines(self, text: str) -> str:
        """``key=value`` lines (``%settings``) with the values of secret keys masked."""
        lines = []
        for line in text.split("\n"):
            key, sep, value = line.partition("=")
            lines.append(f"{key}={MASK}" if sep and value.strip() and self.is_secret(key) else line)
        return "\n".join(lines)

    def mask_export(self, definition: Any) -> Any:
        """A production in IRIS's export shape with secret settings (and secret ``%settings`` lines) masked."""
        if isinstance(definition, list):
            return [self.mask_export(value) for value in definition]
        if not isinstance(definition, Mapping):
            return definition
        masked = {key: self.mask_export(value) for key, value in definition.items()}
        name, text = str(masked.get("@Name", "")), masked.get("#text")
        if isinstance(text, str) and text:
            masked["#text"] = MASK if self.is_secret(name) else self.mask_lines(text) if name == "%settings" else text
        return masked


def _masked_setting(match: re.Match) -> str:
    quote = match.group(2) or ""
    return f"{match.group(1)}{quote}{MASK}{quote}"


def unmask_lines(submitted: str, current: str) -> str:
    """Put back the stored value of every line submitted still masked (a settings form sent back as shown)."""
    stored = {}
    for line in current.split("\n"):
        key, _, value = line.partition("=")
        stored[key.strip()] = value
    lines = []
    for line in submitted.split("\n"):
        key, sep, value = line.partition("=")
        lines.append(f"{key}={stored.get(key.strip(), '')}" if sep and value.strip() == MASK else line)
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _mask_values(text: str, values: tuple[str, ...]) -> str:
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    if "@" in text:
        text = _URL_CREDENTIALS.sub(lambda m: m.group(1) + MASK + m.group(3), text)
    return text


def host_masker() -> Masker:
    """The rule of this host: the default names and those of ``IOPHOST_SECRET_NAMES``."""
    extra = os.environ.get(SECRET_NAMES_ENV, "").split(",")
    return Masker((*DEFAULT_SECRET_NAMES, *extra))


#: The rule every part of the host and the portal uses.
MASKER = host_masker()
