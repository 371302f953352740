"""The request part of scripts/iris-smoke.sh: send each request of a list to an IoP REST API and check
the answers. Any runtime speaking IoP's /api/iop works: IRIS (the smoke command) or the local host (CI).

    python3 scripts/smoke_requests.py [--requests FILE] [--out DIR] [--timeout S] [--ready-timeout S]

The endpoint and login come from IoP's own variables: IOP_URL (default http://127.0.0.1:52795),
IOP_USERNAME, IOP_PASSWORD, IOP_NAMESPACE (default IRISAPP). For each item a request targets, it first
waits until the item is ready: the item's state where the runtime reports one (the local host's
/status), else its queue (IRIS's /queues). Each request goes to POST /api/iop/test with
"restart": false (the iop CLI always restarts the item, which reruns its start and its first model
download), waits up to --timeout seconds (a training takes minutes), and its answer is saved whole in
DIR/answer-N.json. An answer with "png" in the list must carry a drawn PNG, saved as DIR/<png>.
A request with "needs_token" runs only when HF_TOKEN is set; the key is the item's (its api_key
setting, HF_TOKEN in its environment or its credentials), never put in the message.
The exit status is the number of failed requests (at most 100): 0 when every request was answered.
Standard library only, so any python3 runs it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HERE = Path(__file__).resolve().parent


class SmokeFailure(Exception):
    """One request or one item did not pass; the message says which and why."""


class IopApi:
    """The few routes of IoP's REST API the smoke uses, with HTTP Basic auth."""

    def __init__(self, url: str, username: str, password: str, namespace: str) -> None:
        self.base, self.namespace = url.rstrip("/") + "/api/iop", namespace
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def call(self, method: str, route: str, body: Any = None, timeout: float = 30.0) -> tuple[int, bytes]:
        """The status and the raw body of one call; an HTTP error status is returned, not raised."""
        data = json.dumps(body).encode() if body is not None else None
        url = f"{self.base}{route}{'&' if '?' in route else '?'}namespace={self.namespace}"
        request = urllib.request.Request(url, data=data, method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def get(self, route: str) -> Any:
        status, raw = self.call("GET", route)
        if status != 200:
            raise SmokeFailure(f"GET {route}: HTTP {status} {raw[:300]!r}")
        return json.loads(raw)


def item_state(api: IopApi, item: str) -> str:
    """"running", "error: <why>", or "starting" (not ready yet): from the runtime's item states when
    it has them, else from whether IRIS has the item's queue."""
    status = api.get("/status")
    if str(status.get("status", "")).lower() != "running":
        return "starting"
    states = status.get("items")
    if isinstance(states, dict):
        state = states.get(item, "absent")
        if state in ("error", "disabled", "stopped", "absent"):
            reason = (status.get("errors") or {}).get(item) or "enable it first"
            return f"error: {item} is {state}: {reason}"
        return state
    queues = api.get("/queues").get("items", [])
    return "running" if any(q.get("item") == item and q.get("exists") for q in queues) else "starting"


def wait_ready(api: IopApi, item: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            state = item_state(api, item)
        except (OSError, SmokeFailure) as exc:  # the runtime may still be starting
            state = f"starting ({exc})"
        if state == "running":
            return
        if state.startswith("error"):
            raise SmokeFailure(state)
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{item} not ready after {timeout:g} s ({state}); is it enabled?")
        time.sleep(2)


def check_png(answer: dict[str, Any], png_path: Path) -> str:
    """Save the drawn PNG of an image answer; what was checked, in words."""
    text = answer.get("body") or ""
    if answer.get("truncated"):
        # IoP on IRIS cuts /test answers at 1,000,000 characters: the image starts in the part it sent
        found = re.search(r'"image_png_base64"\s*:\s*"([A-Za-z0-9+/]{12})', text)
        if not found or not base64.b64decode(found.group(1)).startswith(PNG_SIGNATURE[:8]):
            raise SmokeFailure("the answer (cut by IoP's REST API) has no PNG image")
        return "PNG header checked (IoP's REST API cut the answer at 1,000,000 characters: the whole image is " \
               "in Visual Trace)"
    encoded = json.loads(text).get("image_png_base64")
    if not encoded:
        raise SmokeFailure("no image_png_base64 in the answer")
    image = base64.b64decode(encoded)
    if not image.startswith(PNG_SIGNATURE):
        raise SmokeFailure("image_png_base64 is not a PNG")
    png_path.write_bytes(image)
    return f"PNG of {len(image)} bytes saved to {png_path}"


def send(api: IopApi, index: int, request: dict[str, Any], out: Path, timeout: float) -> str:
    """Send one request; what passed, in words. Raises SmokeFailure otherwise."""
    payload = {"target": request["target"], "classname": request["classname"], "body": json.dumps(request["body"]),
               "restart": False, "namespace": api.namespace}
    started = time.monotonic()
    try:
        status, raw = api.call("POST", "/test", payload, timeout=timeout)
    except OSError as exc:
        raise SmokeFailure(f"no answer within {timeout:g} s: {exc}") from exc
    path = out / f"answer-{index}.json"
    path.write_bytes(raw)
    seconds = time.monotonic() - started
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise SmokeFailure(f"HTTP {status}, not JSON (saved in {path})") from exc
    if status != 200 or "error" in answer:
        raise SmokeFailure(f"HTTP {status}: {str(answer.get('error', answer))[:500]}")
    said = f"{answer.get('classname')} in {seconds:.1f} s, {len(raw)} bytes saved to {path}"
    if request.get("png"):
        said += "; " + check_png(answer, out / request["png"])
    return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=Path, default=HERE / "iris-smoke-requests.json")
    parser.add_argument("--out", type=Path, default=Path("test-artifacts/iris-smoke"))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for one answer (training)")
    parser.add_argument("--ready-timeout", type=float, default=1800,
                        help="seconds to wait for an item to be ready (its first model download)")
    args = parser.parse_args(argv)
    api = IopApi(os.environ.get("IOP_URL", "http://127.0.0.1:52795"), os.environ.get("IOP_USERNAME", "SuperUser"),
                 os.environ.get("IOP_PASSWORD", "SYS"), os.environ.get("IOP_NAMESPACE", "IRISAPP"))
    args.out.mkdir(parents=True, exist_ok=True)
    failures, ready = 0, {}
    for index, request in enumerate(json.loads(args.requests.read_text())):
        name = f"{request['classname']} -> {request['target']}"
        if request.get("needs_token") and not os.environ.get("HF_TOKEN"):
            print(f"smoke: {name}: skipped (set HF_TOKEN where the item runs to test the hosted API)", flush=True)
            continue
        try:
            target = request["target"]
            if target not in ready:
                ready[target] = None
                wait_ready(api, target, args.ready_timeout)
                ready[target] = "ready"
            elif ready[target] is None:
                raise SmokeFailure(f"{target} was not ready")
            print(f"smoke: {name}: {send(api, index, request, args.out, args.timeout)}", flush=True)
        except SmokeFailure as exc:
            failures += 1
            print(f"smoke: {name}: FAILED: {exc}", flush=True)
    print(f"smoke: {failures} failed request(s); answers in {args.out}/", flush=True)
    return min(failures, 100)


if __name__ == "__main__":
    sys.exit(main())
