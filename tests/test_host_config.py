"""The host's one configuration (iophost.config): options and IOPHOST_* variables read once, an
option over its variable over the default, a bad value named; docs/local-host.md lists every
variable; no other module of the host reads an IOPHOST_* variable."""

from __future__ import annotations

import re

import pytest

from iophost.cli import create_parser
from iophost.config import ENVIRONMENT, read_config
from iophost.errors import ConfigError
from iophost.masking import Masker
from support.checkout import ROOT


def environment_table() -> str:
    rows = ["| Variable | Option | Default | |", "|---|---|---|---|"]
    rows += [f"| `{name}` | {f'`{v.option}`' if v.option else ''} | {v.default} | {v.meaning} |"
             for name, v in ENVIRONMENT.items()]
    return "\n".join(rows)


def test_the_docs_list_every_variable_the_host_reads() -> None:
    table = environment_table()
    assert table in (ROOT / "docs" / "local-host.md").read_text(), f"docs/local-host.md should hold:\n{table}"


def test_only_the_configuration_reads_iophost_variables() -> None:
    # iophost.testing is not the host: it hands its own environment to the host it starts.
    readers = {path.relative_to(ROOT).as_posix() for path in (ROOT / "src" / "iophost").rglob("*.py")
               if re.search(r"os\.environ|getenv", path.read_text()) and "testing" not in path.parts}
    assert readers <= {"src/iophost/config.py", "src/iophost/worker/child_process.py"}  # the latter: OpenMP's
    named = set(re.findall(r"IOPHOST_[A-Z_]+", (ROOT / "src" / "iophost" / "config.py").read_text()))
    for module in ("request_limits.py", "monitor/settings.py"):  # where the names of their limits live
        named |= set(re.findall(r'"(IOPHOST_[A-Z_]+)"', (ROOT / "src" / "iophost" / module).read_text()))
    assert set(ENVIRONMENT) == named


def _config(argv: list[str], **environ: str):
    return read_config(create_parser().parse_args(["start", *argv]), environ)


def test_an_option_wins_over_its_variable_which_wins_over_the_default() -> None:
    assert _config([]).limits.max_body_bytes == 10 * 1024 * 1024
    assert _config([], IOPHOST_MAX_BODY_BYTES="2048").limits.max_body_bytes == 2048
    assert _config(["--max-body-bytes", "4096"], IOPHOST_MAX_BODY_BYTES="2048").limits.max_body_bytes == 4096
    assert _config(["--db", "sqlite:///a.db"], IOPHOST_DATABASE_URL="sqlite:///b.db").database_url == "sqlite:///a.db"
    config = _config(["--no-start"], IOPHOST_DATABASE_URL="sqlite:///b.db", IOPHOST_USERNAME="ops",
                     IOPHOST_PASSWORD="pw", IOPHOST_SECRET_NAMES="Client_Secret, pin",
                     IOPHOST_MESSAGE_MODULES="msg, extra.messages")
    assert (config.database_url, config.username, config.password, config.start_production) == \
        ("sqlite:///b.db", "ops", "pw", False)
    assert config.secret_names == ("Client_Secret", "pin") and config.message_modules == ("msg", "extra.messages")


@pytest.mark.parametrize("argv, environ, named", [
    (["--max-json-depth", "0"], {}, "--max-json-depth must be a positive whole number, got '0'"),
    ([], {"IOPHOST_MAX_BODY_BYTES": "lots"}, "IOPHOST_MAX_BODY_BYTES must be a positive whole number, got 'lots'"),
])
def test_a_limit_that_is_not_a_positive_number_is_refused_naming_it(argv, environ, named) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        _config(argv, **environ)


def test_secret_names_of_the_configuration_are_added_to_the_defaults() -> None:
    masker = Masker()
    masker.add_names(_config([], IOPHOST_SECRET_NAMES="Client_Secret, pin").secret_names)
    assert masker.is_secret("client_secret") and masker.is_secret("PIN") and masker.is_secret("api_key")
    assert not Masker().is_secret("pin")
