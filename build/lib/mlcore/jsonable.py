"""Make library outputs (numpy scalars, tensors, PIL images, dataclasses) JSON-serialisable."""

from __future__ import annotations

from typing import Any

_PLAIN = frozenset({str, bool, int, float, type(None)})


def to_jsonable(value: Any) -> Any:
    """Recursively convert ``value`` into plain lists, dicts, str, int, float, bool and None."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if type(value) is list and _PLAIN.issuperset(map(type, value)):
        return value  # already plain (an embedding's vector): checked in C, not copied
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays/scalars and torch tensors
        return to_jsonable(value.tolist())
    if hasattr(value, "item"):
        return to_jsonable(value.item())
    if type(value).__module__.startswith("PIL."):
        return {"image": {"mode": value.mode, "size": list(value.size)}}
    return str(value)
