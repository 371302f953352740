"""A ``settings.py`` for the host's tests, holding the items a test declares."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_settings(folder: Path, items: str, name: str = "test.Production") -> Path:
    """A settings.py whose production holds ``items`` (Python lines using ``production``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.py"
    path.write_text(textwrap.dedent('''\
        from iop import Production
        from bo import HFOperation, MLOperation
        from support.host_components import BrokenOperation, EchoOperation, QuietEchoOperation

        production = Production("{name}", testing_enabled=True)
        ''').format(name=name) + textwrap.dedent(items) + "\nPRODUCTIONS = [production]\n")
    return path
