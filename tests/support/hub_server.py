"""A local stand-in for the Hugging Face Hub on 127.0.0.1, selected with ``HF_ENDPOINT``.

It answers the routes ``huggingface_hub`` 2.x calls to download a model repository:

- ``GET /api/models/<repo>[/revision/<rev>][?blobs=true]``: model info with the commit ``sha``
  and ``siblings`` (size, git blob id, LFS sha256 for weight files);
- ``HEAD``/``GET /<repo>/resolve/<rev>/<file>``: the file, with ``ETag``, ``X-Repo-Commit``,
  ``Content-Length``, ``Accept-Ranges`` and ``Range`` support (206 + ``Content-Range``).

Errors carry the ``X-Error-Code`` header the hub sends (RepoNotFound, RevisionNotFound,
EntryNotFound, GatedRepo), so ``huggingface_hub`` raises its own typed errors. Every request is
recorded (method, path, Range and Authorization headers) for the tests to count; ``cut_once``
makes the next GET of a file drop the connection after a number of bytes.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: Files the hub stores with Git LFS (their ETag is the sha256 of the content).
LFS_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack", ".ot", ".onnx", ".onnx_data", ".tflite", ".pt",
                ".mlmodel", ".model", ".gguf")


def git_blob_id(content: bytes) -> str:
    """The git object id of a file's content, the hub's ETag for files not in LFS."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class HubRepo:
    """One model repository: file name → content, at a single commit also reachable as ``main``."""

    repo_id: str
    files: dict[str, bytes]
    commit: str = ""
    token: str | None = None  # when set, requests must send "Authorization: Bearer <token>"

    def __post_init__(self) -> None:
        if not self.commit:
            digest = hashlib.sha1()
            for name in sorted(self.files):
                digest.update(name.encode() + b"\0" + hashlib.sha1(self.files[name]).digest())
            self.commit = digest.hexdigest()

    @classmethod
    def from_folder(cls, repo_id: str, folder: Path, extra: dict[str, bytes] | None = None,
                    token: str | None = None) -> HubRepo:
        files = {str(p.relative_to(folder)).replace("\\", "/"): p.read_bytes()
                 for p in sorted(folder.rglob("*")) if p.is_file()}
        files.update(extra or {})
        return cls(repo_id, files, token=token)

    def is_lfs(self, name: str) -> bool:
        return name.endswith(LFS_SUFFIXES)

    def etag(self, name: str) -> str:
        content = self.files[name]
        return hashlib.sha256(content).hexdigest() if self.is_lfs(name) else git_blob_id(content)

    def sibling(self, name: str) -> dict:
        content = self.files[name]
        entry = {"rfilename": name, "size": len(content), "blobId": git_blob_id(content)}
        if self.is_lfs(name):
            entry["lfs"] = {"size": len(content), "sha256": hashlib.sha256(content).hexdigest(), "pointerSize": 134}
        return entry

    @property
    def total_bytes(self) -> int:
        return sum(len(c) for c in self.files.values())


@dataclass
class RequestRecord:
    method: str
    path: str
    range: str | None
    authorization: str | None


@dataclass
class HubState:
    repos: dict[str, HubRepo] = field(default_factory=dict)
    requests: list[RequestRecord] = field(default_factory=list)
    cuts: dict[tuple[str, str], int] = field(default_factory=dict)
    failures: dict[tuple[str, str], int] = field(default_factory=dict)
    bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _HubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: HubState  # set on the subclass made per server

    def log_message(self, format: str, *args) -> None:  # noqa: A002  (silence the default stderr log)
        pass

    def do_HEAD(self) -> None:
        self._handle(send_body=False)

    def do_GET(self) -> None:
        self._handle(send_body=True)

    # routing -------------------------------------------------------------------------------------
    def _handle(self, send_body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        with self.state.lock:
            self.state.requests.append(RequestRecord(self.command, path, self.headers.get("Range"),
                                                     self.headers.get("Authorization")))
        if path.startswith("/api/models/"):
            self._model_info(path[len("/api/models/"):], send_body)
        elif "/resolve/" in path:
            repo_id, _, rest = path.strip("/").partition("/resolve/")
            revision, _, name = rest.partition("/")
            self._resolve(repo_id, revision, name, send_body)
        else:
            self._error(404, "RepoNotFound", f"no route for {path}", send_body)

    def _repo(self, repo_id: str, revision: str | None, send_body: bool) -> HubRepo | None:
        repo = self.state.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", f"Repository {repo_id} not found", send_body)
            return None
        if repo.token and self.headers.get("Authorization") != f"Bearer {repo.token}":
            self._error(401, "GatedRepo", f"Access to {repo_id} is restricted: log in", send_body)
            return None
        if revision not in (None, "main", repo.commit):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", send_body)
            return None
        return repo

    def _model_info(self, rest: str, send_body: bool) -> None:
        repo_id, _, revision = rest.partition("/revision/")
        repo = self._repo(repo_id.strip("/"), revision or None, send_body)
        if repo is None:
            return
        info = {"_id": repo.commit[:24], "id": repo.repo_id, "modelId": repo.repo_id, "sha": repo.commit,
                "private": repo.token is not None, "tags": [],
                "siblings": [repo.sibling(n) for n in sorted(repo.files)]}
        self._send(200, json.dumps(info).encode(), {"Content-Type": "application/json"}, send_body)

    def _resolve(self, repo_id: str, revision: str, name: str, send_body: bool) -> None:
        repo = self._repo(repo_id, revision, send_body)
        if repo is None:
            return
        if name not in repo.files:
            self._error(404, "EntryNotFound", f"{name} does not exist on {revision}", send_body)
            return
        content = repo.files[name]
        headers = {"ETag": f'"{repo.etag(name)}"', "X-Repo-Commit": repo.commit, "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        if repo.is_lfs(name):
            headers.update({"X-Linked-Etag": f'"{repo.etag(name)}"', "X-Linked-Size": str(len(content))})
        status, body = 200, content
        byte_range = self.headers.get("Range")
        if byte_range and byte_range.startswith("bytes="):
            first, _, last = byte_range[len("bytes="):].partition("-")
            start = int(first or 0)
            end = int(last) if last else len(content) - 1
            if start >= len(content):
                headers["Content-Range"] = f"bytes */{len(content)}"
                self._send(416, b"", headers, send_body)
                return
            status, body = 206, content[start:end + 1]
            headers["Content-Range"] = f"bytes {start}-{start + len(body) - 1}/{len(content)}"
        cut = None
        if send_body:
            with self.state.lock:
                cut = self.state.cuts.pop((repo_id, name), None)
                failing = cut is None and self.state.failures.get((repo_id, name), 0) > 0
                if failing:
                    self.state.failures[(repo_id, name)] -= 1
            if failing:
                self._error(500, "InternalError", "the hub stand-in fails this request on purpose", send_body)
                return
        if cut is not None:
            self._send_cut(status, body, headers, cut)
        else:
            self._send(status, body, headers, send_body)

    # responses -----------------------------------------------------------------------------------
    def _error(self, status: int, code: str, message: str, send_body: bool) -> None:
        body = json.dumps({"error": message}).encode()
        self._send(status, body, {"Content-Type": "application/json", "X-Error-Code": code,
                                  "X-Error-Message": message}, send_body)

    def _send(self, status: int, body: bytes, headers: dict[str, str], send_body: bool) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)
            with self.state.lock:
                self.state.bytes_sent += len(body)

    def _send_cut(self, status: int, body: bytes, headers: dict[str, str], keep: int) -> None:
        """Announce the whole body, send ``keep`` bytes of it, then drop the connection."""
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:keep])
        self.wfile.flush()
        with self.state.lock:
            self.state.bytes_sent += min(keep, len(body))
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class HubServer:
    """``with HubServer() as hub:`` serves ``hub.add(HubRepo(...))`` at ``hub.endpoint``."""

    def __init__(self) -> None:
        self.state = HubState()
        handler = type("HubHandler", (_HubHandler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hub-server", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, repo: HubRepo) -> HubRepo:
        self.state.repos[repo.repo_id] = repo
        return repo

    def cut_once(self, repo_id: str, name: str, after_bytes: int, then_fail: int = 0) -> None:
        """The next GET of ``name`` drops the connection after ``after_bytes`` bytes of body;
        the ``then_fail`` GETs after it get a 500 (so the client gives up, like a killed process)."""
        self.state.cuts[(repo_id, name)] = after_bytes
        self.state.failures[(repo_id, name)] = then_fail

    @property
    def requests(self) -> list[RequestRecord]:
        with self.state.lock:
            return list(self.state.requests)

    def file_requests(self, method: str | None = None) -> list[RequestRecord]:
        """Requests for files (``/resolve/``), optionally of one method."""
        return [r for r in self.requests if "/resolve/" in r.path and (method is None or r.method == method)]

    def requested_files(self) -> Counter[str]:
        """File name → number of GET requests for it."""
        return Counter(r.path.partition("/resolve/")[2].partition("/")[2] for r in self.file_requests("GET"))

    def reset_counts(self) -> None:
        with self.state.lock:
            self.state.requests.clear()
            self.state.bytes_sent = 0

    @property
    def bytes_sent(self) -> int:
        return self.state.bytes_sent

    def __enter__(self) -> HubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
