"""The host's configuration: every ``IOPHOST_*`` environment variable and every option of
``iophost start``, read once at start into one :class:`HostConfig` that is passed down.

An option on the command line wins over its variable; a variable wins over the default. Nothing
else in the host reads the environment for its own settings (the worker processes read OpenMP's).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from .credentials import DEFAULT_USERNAME
from .errors import ConfigError
from .monitor.settings import ACCESS_ENV, DEFAULT_NAMESPACE, NAMESPACE_ENV, UNAUTHENTICATED, MonitorSettings
from .request_limits import BODY_ENV, DEFAULT_LIMITS, DEPTH_ENV, RequestLimits

DEFAULT_PORT = 52795


class Variable(NamedTuple):
    """One environment variable: the option that overrides it (if any), its default, its meaning."""

    option: str
    default: str
    meaning: str


#: Every environment variable the host reads (docs/local-host.md's table is checked against it).
ENVIRONMENT: dict[str, Variable] = {
    "IOPHOST_DATABASE_URL": Variable("--db", "`sqlite:///<data>/iophost.db`",
                                     "any SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`"),
    BODY_ENV: Variable("--max-body-bytes", f"`{DEFAULT_LIMITS.max_body_bytes}` (10 MB)",
                       "larger request bodies get `413`"),
    DEPTH_ENV: Variable("--max-json-depth", f"`{DEFAULT_LIMITS.max_json_depth}`", "deeper JSON gets `400`"),
    "IOPHOST_USERNAME": Variable("", f"`{DEFAULT_USERNAME}`", "the user of the REST API, the portal and `iop`"),
    "IOPHOST_PASSWORD": Variable("", "generated once, kept in `<data>/password`", "that user's password"),
    "IOPHOST_SECRET_NAMES": Variable("", "", "more field names whose values are secrets (comma-separated)"),
    "IOPHOST_MESSAGE_MODULES": Variable("", "", "more modules a request's `classname` may name (comma-separated)"),
    ACCESS_ENV: Variable("--monitor-access", f"`{UNAUTHENTICATED}`",
                         "who may read `/api/monitor`: `unauthenticated` (as IRIS) or `password`"),
    NAMESPACE_ENV: Variable("--namespace", f"`{DEFAULT_NAMESPACE}`", "the `id` label of the `iris_interop_*` metrics"),
}


@dataclass(frozen=True)
class HostConfig:
    settings: Path = Path("src/python/settings.py")
    production: str | None = None
    listen: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: the SQLite file in data_dir
    model_path: Path | None = None  # None: the host's default beside settings.py
    limits: RequestLimits = DEFAULT_LIMITS
    username: str = DEFAULT_USERNAME
    password: str = ""  # empty: generated once and kept in the data folder
    secret_names: tuple[str, ...] = field(default=())
    message_modules: tuple[str, ...] = field(default=())
    start_production: bool = True
    monitor: MonitorSettings = field(default_factory=MonitorSettings)


def read_config(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> HostConfig:
    """The configuration of ``iophost start``'s options ``args`` and of ``environ`` (the process's).

    Raises:
        ConfigError: a limit that is not a positive whole number, naming its option or variable.
    """
    env = os.environ if environ is None else environ
    limits = RequestLimits(max_body_bytes=_positive(args.max_body_bytes, BODY_ENV, env, "--max-body-bytes",
                                                    DEFAULT_LIMITS.max_body_bytes),
                           max_json_depth=_positive(args.max_json_depth, DEPTH_ENV, env, "--max-json-depth",
                                                    DEFAULT_LIMITS.max_json_depth))
    return HostConfig(settings=Path(args.settings), production=args.production, listen=args.host, port=args.port,
                      data_dir=Path(args.data).resolve(), database_url=args.db or env.get("IOPHOST_DATABASE_URL", ""),
                      model_path=Path(args.models).resolve() if args.models else None, limits=limits,
                      username=env.get("IOPHOST_USERNAME") or DEFAULT_USERNAME,
                      password=env.get("IOPHOST_PASSWORD", ""),
                      secret_names=_names(env.get("IOPHOST_SECRET_NAMES", "")),
                      message_modules=_names(env.get("IOPHOST_MESSAGE_MODULES", "")),
                      start_production=not args.no_start,
                      monitor=MonitorSettings(
                          access=args.monitor_access or env.get(ACCESS_ENV, "").strip() or UNAUTHENTICATED,
                          namespace=args.namespace or env.get(NAMESPACE_ENV, "").strip() or DEFAULT_NAMESPACE))


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _positive(option: int | None, variable: str, env: Mapping[str, str], flag: str, default: int) -> int:
    """The option's value, else the variable's, else ``default``; a positive whole number."""
    if option is not None:
        given, source = str(option), flag
    else:
        given, source = env.get(variable, "").strip(), variable
    if not given:
        return default
    try:
        number = int(given)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigError(f"{source} must be a positive whole number, got {given!r}")
    return number
