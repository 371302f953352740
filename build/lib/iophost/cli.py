"""``iophost start``: run a production of ``settings.py`` with IoP's REST API on 127.0.0.1."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from dataclasses import replace
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from .api import create_app
from .credentials import load_credentials
from .errors import HostError
from .host import Host
from .loader import SettingsError
from .request_limits import BODY_ENV, DEFAULT_BODY_BYTES, DEFAULT_JSON_DEPTH, DEPTH_ENV, RequestLimits
from .store import MessageStore
from .workers import STOP_TIMEOUT

DEFAULT_PORT = 52795
DATABASE_FILE = "iophost.db"
# Python hands the GIL over every 5 ms by default; a host whose threads each do a little work per
# message (web server, store writer, worker pipes) answers much sooner with a shorter interval.
SWITCH_INTERVAL = 0.0005


def tune_for_serving() -> None:
    """Interpreter settings for a long-running server, once start-up is done."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    # What start-up built (FastAPI, SQLAlchemy, pydantic, the portal) lives as long as the host:
    # frozen, the collector stops walking it every few thousand requests (2.5 ms a time).
    gc.freeze()


def create_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iophost", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start the host and the production")
    start.add_argument("--settings", default="src/python/settings.py", help="the production's settings.py")
    start.add_argument("--production", help="production to start (default: the default production)")
    start.add_argument("--host", default="127.0.0.1", help="address to listen on")
    start.add_argument("--port", type=int, default=DEFAULT_PORT)
    start.add_argument("--data", default="var", help="folder for the message store, password and state")
    start.add_argument("--db", default=os.environ.get("IOPHOST_DATABASE_URL"),
                       help="SQLAlchemy URL of the message store (default: SQLite file in --data; "
                            "env IOPHOST_DATABASE_URL)")
    start.add_argument("--models", help="model cache folder shown by the portal (default: src/model)")
    start.add_argument("--max-body-bytes", type=int,
                       help=f"largest request body accepted, else 413 (default {DEFAULT_BODY_BYTES}; env {BODY_ENV})")
    start.add_argument("--max-json-depth", type=int,
                       help=f"deepest JSON nesting accepted, else 400 (default {DEFAULT_JSON_DEPTH}; env {DEPTH_ENV})")
    start.add_argument("--no-start", action="store_true", help="serve the API without starting the production")
    return parser


def request_limits(args: argparse.Namespace) -> RequestLimits:
    """The limits of the command line, else of the environment, else the defaults."""
    limits = RequestLimits.from_env()
    for name in ("max_body_bytes", "max_json_depth"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive whole number, got {value}")
    return replace(limits, **{name: value for name in ("max_body_bytes", "max_json_depth")
                              if (value := getattr(args, name)) is not None})


def keep_private(data_dir: Path) -> None:
    """Every file the host creates from now on (message store and its -wal/-shm, lock, state, portal
    changes) is readable by this user only, and so are the store's files of an earlier start."""
    os.umask(0o077)
    for path in data_dir.glob(f"{DATABASE_FILE}*"):
        path.chmod(0o600)


def start(args: argparse.Namespace) -> int:
    # A SIGTERM while the host starts (settings.py imported, the store opened, the data folder
    # claimed) is kept for when start-up is done: killed half way, the host would leave its lock
    # behind and exit 143; it stops cleanly instead, without serving.
    stop_asked = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop_asked.set())
    try:
        limits = request_limits(args)
    except ValueError as exc:
        print(f"iophost: {exc}", file=sys.stderr)
        return 2
    data_dir = Path(args.data).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    keep_private(data_dir)
    credentials = load_credentials(data_dir)
    store = MessageStore(args.db or f"sqlite:///{data_dir / DATABASE_FILE}")
    try:
        host = Host(Path(args.settings), store, data_dir=data_dir, production=args.production,
                    model_path=Path(args.models).resolve() if args.models else None,
                    check_credentials=credentials.check, on_load=_portal_changes(data_dir), limits=limits)
    except (HostError, SettingsError) as exc:
        store.close()
        print(f"iophost: {exc}", file=sys.stderr)
        return 1
    app, portal = create_web_app(host)
    url = f"http://{args.host}:{args.port}"
    print(f"iophost: production {host.production.name} from {host.settings_path}", flush=True)
    print(f"iophost: REST API {url}/api/iop (OpenAPI: {url}/docs){' - portal ' + url + '/portal/' if portal else ''}")
    print(f"iophost: log in as {credentials.username!r}; " + (
        f"password (shown once, kept in {credentials.source}): {credentials.password}" if credentials.generated
        else f"password from {credentials.source}"))
    print(f"iophost: iop CLI: IOP_URL={url} IOP_USERNAME={credentials.username} IOP_PASSWORD=... iop --status",
          flush=True)
    tune_for_serving()
    # A request waiting for a long message (a training sent with /test) must not hold the stop
    # forever: after STOP_TIMEOUT the web server gives up on it; the message itself still gets
    # the items' own stop (it finishes, or ends Aborted).
    server = uvicorn.Server(uvicorn.Config(app, host=args.host, port=args.port, log_level="warning",
                                           access_log=False, timeout_graceful_shutdown=int(STOP_TIMEOUT)))
    # uvicorn stops serving on SIGINT/SIGTERM, then raises the signal again with the handler it found:
    # this one turns SIGTERM into SystemExit (as Ctrl-C is KeyboardInterrupt) so the host stops cleanly.
    signal.signal(signal.SIGTERM, _exit)
    try:
        if not stop_asked.is_set():
            if not args.no_start:
                # The production starts while the API already answers: a model load can take minutes.
                threading.Thread(target=_start_production, args=(host,), daemon=True).start()
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C (or the group's SIGTERM after SIGINT) must not break off the stop half way.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _already_stopping)
        print("iophost: stopping (queued messages finish, then each item's on_tear_down)", flush=True)
        host.close()
        store.close()
        print("iophost: stopped", flush=True)
    return 0


def _exit(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _already_stopping(_signum: int, _frame: object) -> None:
    print("iophost: already stopping; messages in flight finish first", flush=True)


def _start_production(host: Host) -> None:
    try:
        host.start_production()
    except HostError as exc:
        host.log("Error", "iophost", f"production did not start: {exc}")


def _portal_changes(data_dir: Path):
    """The portal's saved changes to the production, applied on each load (None without the portal)."""
    try:
        from .portal import ProductionChanges
    except ImportError:
        return None
    return ProductionChanges(data_dir).apply_to


def create_web_app(host: Host) -> tuple[FastAPI, bool]:
    """The host's web app: IoP's REST API, and the portal when it is installed (the second value)."""
    app = create_app(host)
    try:
        from .portal import mount_portal
        from .portal_adapter import PortalAdapter
    except ImportError:
        return app, False
    mount_portal(app, PortalAdapter(host))
    return app, True


def main(argv: list[str] | None = None) -> None:
    args = create_parser().parse_args(argv)
    sys.exit(start(args))


if __name__ == "__main__":
    main()
