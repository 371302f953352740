"""Message bodies as JSON text: encoded once where they are made, then stored and answered as is.

orjson writes compact JSON, the form IoP stores on IRIS (pydantic's ``model_dump_json``), in a
fraction of the time of :mod:`json`; the host keeps that text and splices it into its answers
(:func:`embed`) instead of decoding and encoding a large body again.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(data: Any) -> str:
    """``data`` as compact JSON text; anything JSON has no type for is written as its ``str``."""
    return dumps_bytes(data).decode()


def dumps_bytes(data: Any) -> bytes:
    """:func:`dumps` as UTF-8, for an HTTP answer."""
    try:
        return orjson.dumps(data, default=str, option=_OPTIONS)
    except orjson.JSONEncodeError:  # an int beyond 64 bits: the standard library writes it
        return json.dumps(data, default=str, ensure_ascii=False, separators=(",", ":")).encode()


def loads(text: str | bytes) -> Any:
    """Decode JSON text (raises :class:`json.JSONDecodeError`, a ValueError, when it is not JSON)."""
    return orjson.loads(text)


def embed(text: str | None) -> Any:
    """Stored JSON text to place, undecoded, inside a value given to :func:`dumps`."""
    return None if text is None else orjson.Fragment(text)
