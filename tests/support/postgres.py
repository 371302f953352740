"""A real, throw-away PostgreSQL server on 127.0.0.1 for tests (Debian's postgresql package)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from iophost.testing import free_port


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server in a temporary folder; yield its SQLAlchemy URL; stop and remove it.

    Raises:
        RuntimeError: PostgreSQL is not installed (``scripts/setup.sh`` installs it).
    """
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: run scripts/setup.sh as root")
    as_user: list[str] = []
    owner = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        owner = pwd.getpwnam("postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if owner:
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(sockets, owner.pw_uid, owner.pw_gid)
    run = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"], **run)
        for attempt in range(3):  # the free port was released before the server binds it: another may take it
            port = free_port()
            try:
                subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"),
                                "-o", f"-h 127.0.0.1 -p {port} -k {sockets} -F", "start"], **run)
                break
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(root, ignore_errors=True)
