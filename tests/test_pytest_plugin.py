"""The pytest plugin (``pytest_iophost``, ``iophost.testing``) on the example project of docs/testing.md
(a service, a process and an operation), and that project tested on its own, outside this repository,
with only this package installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from iophost.testing import MessageFailed, ProductionStartError, RunningProduction
from support.checkout import ROOT

EXAMPLE = ROOT / "docs" / "examples" / "greeting"


@pytest.fixture(scope="module")
def greetings(iop_launcher) -> RunningProduction:
    return iop_launcher.start(EXAMPLE / "settings.py")


def messages():
    import messages  # the example's messages, beside its settings.py (on sys.path once it runs)

    return messages


def test_a_failing_operation_is_reported_with_its_own_traceback_through_each_caller(greetings):
    with pytest.raises(MessageFailed) as failed:
        greetings.send("Front", messages().GreetRequest(name="Nobody"))
    report = str(failed.value)
    assert report.startswith("CallError: Greeter: CallError: Titles: KeyError: 'Nobody'")
    assert f'File "{EXAMPLE / "components.py"}", line 29, in on_title_request' in report
    assert "in 'Greeter': CallError raised at" in report and "in 'Front': CallError raised at" in report
    assert greetings.session(failed.value.session_id).root.status == "Error"


def test_a_fake_can_fail_and_the_item_is_itself_again_after_the_block(greetings):
    with greetings.fake("Titles") as titles:
        titles.fail("directory down")
        with pytest.raises(MessageFailed, match="FakeFailure: directory down"):
            greetings.send("Greeter", messages().GreetRequest(name="Ada"))
    assert greetings.send("Greeter", messages().GreetRequest(name="Ada")).text == "Hello Countess Ada"
    assert "Titles" not in greetings.fakes


def test_an_item_in_error_at_start_fails_the_start_naming_it_and_why(iop_launcher, tmp_path: Path):
    settings = tmp_path / "settings.py"
    settings.write_text('PRODUCTIONS = [{"demo.Broken": {"Item": [{"@Name": "Mystery", "@ClassName": '
                        '"Python.NoSuchClass"}]}}]\n')
    with pytest.raises(ProductionStartError, match="Mystery: .*'Python.NoSuchClass' is not registered in CLASSES "
                                                   "of settings.py"):
        iop_launcher.start(settings)


def test_the_item_in_the_tests_process_calls_the_hosts_items(greetings):
    with greetings.in_process("Greeter") as greeter:
        assert greeter.component.greeting == "Hello", "its settings as the host applies them"
        answer = greeter.send(messages().GreetRequest(name="Alan"))
    assert answer == messages().GreetResponse(text="Hello Dr Alan")
    assert greetings.messages(target="Titles", limit=1)[0].source == "EnsLib.Testing.Service"


def outside_project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The example copied to a temporary folder with a failing test, and an environment whose only
    copy of this project is installed (not editable) in a folder of its own."""
    project = tmp_path / "greetings"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__"))
    (project / "test_failing.py").write_text(textwrap.dedent('''\
        from messages import GreetRequest


        def test_a_name_the_directory_does_not_know(iop_production):
            iop_production.send("Front", GreetRequest(name="Nobody"))
        '''))
    # Built from a copy: setuptools builds in the source folder, and the checkout stays as it is.
    source = tmp_path / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "model"))
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy(ROOT / name, source / name)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(source)], check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(site)}
    return project, env


def pytest_in(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.process
@pytest.mark.slow  # a pip install and three pytest runs, each starting a host
def test_a_project_outside_this_repository_passes_its_tests_with_the_package_installed(tmp_path: Path):
    project, env = outside_project(tmp_path)
    run = pytest_in(project, env, "test_greetings.py", "test_failing.py", "--tb=short")
    assert "1 failed, 3 passed" in run.stdout, run.stdout + run.stderr
    failure = run.stdout[run.stdout.index("test_a_name_the_directory_does_not_know"):]
    assert "KeyError: 'Nobody'" in failure
    assert f'File "{project / "components.py"}", line 29, in on_title_request' in failure
    assert str(tmp_path / "site" / "iophost") in run.stdout, "the installed copy ran, not this checkout"
    # Loaded by name as well (a conftest's pytest_plugins): the same plugin, not a second one.
    (project / "conftest.py").write_text('pytest_plugins = ["pytest_iophost"]\n')
    assert "3 passed" in pytest_in(project, env, "test_greetings.py").stdout
    (project / "conftest.py").unlink()
    blocked = pytest_in(project, env, "test_greetings.py", "-p", "no:pytest_iophost")
    assert "fixture 'iop_production' not found" in blocked.stdout, "the entry point is what brought the fixtures"
