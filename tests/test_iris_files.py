"""The IRIS path's files, checked where no Docker engine runs: what the image's build context
keeps out, the Dockerfile's layers, the pins, and the requests the smoke command sends."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from iophost.component import load_message
from iophost.loader import load_productions
from support.checkout import ROOT

SMOKE_REQUESTS = json.loads((ROOT / "scripts" / "iris-smoke-requests.json").read_text())


def _ignored(path: str) -> bool:
    """Docker's rule, enough for these patterns: a path is out when it, or a folder above it, matches."""
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    parts = path.split("/")
    prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(prefix, pattern.removeprefix("**/")) or fnmatch.fnmatchcase(prefix, pattern)
               for prefix in prefixes for pattern in patterns)


def _instructions() -> list[str]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.parametrize("path", [".venv/bin/python", "var/iris.sqlite", "src/model/gpt2/model.safetensors",
                                  ".git/HEAD", "test-artifacts/iris-smoke/log.txt", "src/mlcore/__pycache__/x.pyc"])
def test_the_build_context_keeps_environments_data_and_models_out(path):
    assert _ignored(path)


@pytest.mark.parametrize("path", ["requirements.txt", "requirements-iris.txt", "src/python/bo.py",
                                  "misc/dataset/dataset.txt", "iris.script", "src/iris/Python/ImageResponse.cls"])
def test_the_build_context_keeps_what_the_image_needs(path):
    assert not _ignored(path)


def test_requirements_are_installed_before_the_sources_are_copied():
    steps = _instructions()
    copy_sources = next(i for i, line in enumerate(steps) if line.startswith("COPY") and line.endswith(" . ."))
    install = next(i for i, line in enumerate(steps) if "-r requirements.txt" in line)
    assert steps[install].startswith("RUN pip3 install") and "-r requirements-iris.txt" in steps[install]
    assert next(i for i, line in enumerate(steps) if line.startswith("COPY requirements.txt")) < install < copy_sources
    assert "--index-url https://download.pytorch.org/whl/cpu" in steps[install]
    assert any(line.startswith("RUN pip3 install --no-deps .") for line in steps[copy_sources:])


def test_the_base_image_and_iop_are_pinned_and_both_runtimes_read_one_requirement_list():
    image = next(line for line in _instructions() if line.startswith("ARG IMAGE="))
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    assert f"iris-pex-embedded-python=={version('iris-pex-embedded-python')}" in requirements
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["dynamic"] == ["dependencies"]
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    assert "timm" in (ROOT / "requirements-iris.txt").read_text().splitlines()


def test_the_image_compiles_our_classes_after_iops_and_a_compile_error_fails_the_build():
    steps = " ".join(_instructions())
    assert steps.index("python3 -m iop --init") < steps.index("src/iris/load-classes.script") < steps.index(
        "python3 -m iop --migrate")
    script = (ROOT / "src" / "iris" / "load-classes.script").read_text()
    assert '$system.OBJ.LoadDir("/irisdev/app/src/iris", "ck"' in script
    assert "if 'sc {" in script and "$system.Process.Terminate(, 1)" in script


def test_the_visual_trace_writes_the_image_tag_with_write_statements():
    # An &html block around the base64 loop would print the ObjectScript lines inside the tag.
    method = (ROOT / "src" / "iris" / "Python" / "ImageResponse.cls").read_text().split("Method %ShowContents", 1)[1]
    assert "&html<" not in method
    assert 'Write "<div><img alt=""drawn result"" style=""max-width:100%"" src=""data:image/png;base64,"' in method
    assert "While 'png.AtEnd { Write png.Read(32000) }" in method


def test_compose_runs_iris_as_iop_does_and_keeps_models_in_a_volume_irisowner_can_write():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "- --check-caps false" in compose
    assert "- models:/irisdev/app/src/model" in compose


def test_each_smoke_request_deserialises_into_its_class_and_targets_an_item_of_the_production():
    production = next(iter(load_productions(ROOT / "src" / "python" / "settings.py").values()))
    items = {item.name for item in production.items}
    for request in SMOKE_REQUESTS:
        message = load_message(request["classname"], json.dumps(request["body"]))
        assert f"{type(message).__module__}.{type(message).__name__}" == request["classname"]
        assert request["target"] in items
    assert {r["target"] for r in SMOKE_REQUESTS} == items, "every item of the production is smoke-tested"


def test_the_smoke_command_refuses_clearly_without_docker(tmp_path: Path):
    (tmp_path / "dirname").symlink_to("/usr/bin/dirname")
    result = subprocess.run(["/bin/bash", str(ROOT / "scripts" / "iris-smoke.sh")], env={"PATH": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no 'docker' command here; this check needs Docker with compose" in result.stderr
