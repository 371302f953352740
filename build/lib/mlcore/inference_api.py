"""Client of the hosted Hugging Face inference API."""

from __future__ import annotations

import os
from typing import Any

import requests

#: Today's hosted inference router; a bare model id is appended to it.
DEFAULT_API_BASE = "https://router.huggingface.co/hf-inference/models/"

#: An error body is quoted at most this long: enough for the API's own message, and a service on
#: the internal network answering the URL does not have its pages copied into the event log.
MAX_QUOTED = 160

_STATUS_HINTS = {
    400: "the API refused the payload",
    401: "the API key is missing or invalid",
    403: "the API key may not use this model",
    404: "no such model or endpoint at this URL",
    429: "rate limited, retry later",
    503: "the model is loading or unavailable, retry in a moment",
}


class InferenceAPIError(RuntimeError):
    """The hosted API did not answer with a usable JSON result.

    ``status`` is the HTTP status, or None for a timeout or a connection failure.
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def resolve_url(api_url: str, base: str = DEFAULT_API_BASE) -> str:
    """A full http(s) URL is used as given (the seed's ``api-inference`` URLs included);
    a bare model id such as ``gpt2`` or ``org/model`` goes to ``base``."""
    api_url = (api_url or "").strip()
    if not api_url:
        raise ValueError("api_url is empty: give a model id (e.g. 'gpt2') or a full URL")
    if api_url.startswith(("http://", "https://")):
        return api_url
    return base.rstrip("/") + "/" + api_url.lstrip("/")


def resolve_key(*candidates: str | None) -> str | None:
    """The first non-empty key among the candidates, then the ``HF_TOKEN`` environment variable."""
    for key in (*candidates, os.environ.get("HF_TOKEN")):
        if key and key.strip() and set(key.strip()) != {"-"}:
            return key.strip()
    return None


def call_inference_api(api_url: str, payload: Any, api_key: str | None, timeout: float = 60.0,
                       base: str = DEFAULT_API_BASE) -> Any:
    """POST ``payload`` to the hosted inference API and return its decoded JSON answer.

    A dict payload is sent as it is; any other payload (the seed sends a string) is sent as
    ``{"inputs": payload}``, the body the API expects.

    Raises:
        ValueError: ``api_url`` is empty.
        InferenceAPIError: an HTTP error status, a timeout, a connection failure or a
            body that is not JSON; the message names the status and the URL.
    """
    url = resolve_url(api_url, base)
    body = payload if isinstance(payload, dict) else {"inputs": payload}
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    try:
        response = requests.post(url, json=body, headers=headers, timeout=timeout)
    except requests.Timeout as exc:
        raise InferenceAPIError(f"no answer from {url} within {timeout:g} s (timeout)") from exc
    except requests.RequestException as exc:
        raise InferenceAPIError(f"could not reach {url}: {exc}") from exc

    if response.status_code >= 400:
        hint = _STATUS_HINTS.get(response.status_code, response.reason or "HTTP error")
        detail = _error_detail(response)
        raise InferenceAPIError(
            f"HTTP {response.status_code} from {url}: {hint}" + (f" ({detail})" if detail else ""),
            status=response.status_code,
        )
    try:
        return response.json()
    except ValueError as exc:
        raise InferenceAPIError(
            f"HTTP {response.status_code} from {url} but the body is not JSON: {quoted(response.text)!r}",
            status=response.status_code,
        ) from exc


def quoted(text: str) -> str:
    """``text`` on one line, printable characters only, cut at :data:`MAX_QUOTED` (its length said)."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text[:MAX_QUOTED * 4]).split())
    return flat if len(flat) <= MAX_QUOTED else f"{flat[:MAX_QUOTED]}... ({len(text)} characters)"


def _error_detail(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return quoted(response.text)
    if isinstance(data, dict):
        parts = [quoted(str(data.get("error", "")))]
        if isinstance(data.get("estimated_time"), (int, float)):
            parts.append(f"estimated_time={data['estimated_time']}s")
        return ", ".join(p for p in parts if p)
    return quoted(str(data))
