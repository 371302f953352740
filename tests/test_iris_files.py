"""The IRIS path's files, checked where no Docker engine runs: what the image's build context
keeps out, the Dockerfile's layers, the pins, and the requests the smoke command sends."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from iophost.loader import load_productions
from iophost.worker.component import load_message
from support.checkout import ROOT
from support.dockerfile import ignored, instructions

SMOKE_REQUESTS = json.loads((ROOT / "scripts" / "iris-smoke-requests.json").read_text())


@pytest.mark.parametrize("path", [".venv/bin/python", "var/iris.sqlite", "src/model/gpt2/model.safetensors",
                                  ".git/HEAD", "test-artifacts/iris-smoke/log.txt", "src/mlcore/__pycache__/x.pyc",
                                  "src/sustainable_ml_production.egg-info/PKG-INFO", "tests/.pytest_cache/x",
                                  "build/lib/mlcore/layout.py"])
def test_the_build_context_keeps_environments_data_and_models_out(path):
    assert ignored(path)


@pytest.mark.parametrize("path", ["requirements.txt", "requirements-iris.txt", "src/python/bo.py",
                                  "misc/dataset/dataset.txt", "iris.script", "src/iris/Python/ImageResponse.cls",
                                  "src/mlcore/layout.py", "misc/000000039769.jpg"])
def test_the_build_context_keeps_what_the_image_needs(path):
    assert not ignored(path)


def test_requirements_are_installed_before_the_sources_are_copied():
    steps = instructions()
    copy_sources = next(i for i, line in enumerate(steps) if line.startswith("COPY") and line.endswith(" . ."))
    install = next(i for i, line in enumerate(steps) if "-r requirements.txt" in line)
    assert steps[install].startswith("RUN pip3 install") and "-r requirements-iris.txt" in steps[install]
    assert next(i for i, line in enumerate(steps) if line.startswith("COPY requirements.txt")) < install < copy_sources
    assert "--index-url https://download.pytorch.org/whl/cpu" in steps[install]
    assert any(line.startswith("RUN pip3 install --no-deps --target /usr/irissys/mgr/python .")
               for line in steps[copy_sources:])


def test_every_pip_line_names_its_target_and_no_pip_target_reaches_the_build_of_the_project():
    # pip 24.0 (the base image's) passes PIP_TARGET on to the pip that installs the project's build
    # requirements with --prefix, which stops with "Cannot set --home and --prefix together".
    assert not any("PIP_TARGET=" in line for line in instructions())
    installs = [line for line in instructions() if "pip3 install" in line]
    assert len(installs) == 2 and all("--target /usr/irissys/mgr/python" in line for line in installs)
    assert any(line.startswith("ARG PIP_VERSION=") for line in instructions())


def test_nothing_is_declared_twice_and_sqlalchemy_iris_is_the_range_with_the_embedded_dialect():
    def names(path: Path) -> list[str]:
        lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
        return [re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower() for line in lines if line]

    runtime, iris = names(ROOT / "requirements.txt"), names(ROOT / "requirements-iris.txt")
    assert not set(runtime) & set(iris) and len(set(runtime)) == len(runtime)
    assert {"torch", "torchvision", "timm"} <= set(runtime)
    assert "sqlalchemy-iris>=0.20,<0.21" in (ROOT / "requirements-iris.txt").read_text().splitlines()


def test_the_base_image_and_iop_are_pinned_and_both_runtimes_read_one_requirement_list():
    image = next(line for line in instructions() if line.startswith("ARG IMAGE="))
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest")
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    assert f"iris-pex-embedded-python=={version('iris-pex-embedded-python')}" in requirements
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["dynamic"] == ["dependencies"]
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}


def test_the_image_compiles_our_classes_after_iops_and_a_compile_error_fails_the_build():
    steps = " ".join(instructions())
    assert steps.index("python3 -m iop --init") < steps.index("src/iris/load-classes.script") < steps.index(
        "python3 -m iop --migrate")
    script = (ROOT / "src" / "iris" / "load-classes.script").read_text()
    assert '$system.OBJ.LoadDir("/irisdev/app/src/iris", "ck"' in script
    assert "if 'sc {" in script and "$system.Process.Terminate(, 1)" in script


def test_the_production_starts_with_iris_once_it_is_migrated():
    steps = " ".join(instructions())
    assert steps.index("python3 -m iop --migrate") < steps.index("< src/iris/auto-start.script")
    script = (ROOT / "src" / "iris" / "auto-start.script").read_text()
    assert 'set sc = ##class(Ens.Director).SetAutoStart("iris.Production")' in script
    assert "if 'sc {" in script and "$system.Process.Terminate(, 1)" in script


def _code(line: str) -> str:
    """An ObjectScript line without its string literals and its ``//`` or ``;`` comment."""
    code = re.sub(r'"(?:[^"]|"")*"', '""', line)
    return re.split(r"//|;", code, maxsplit=1)[0]


@pytest.mark.parametrize("script", ["iris.script", "src/iris/load-classes.script", "src/iris/auto-start.script"])
def test_scripts_piped_into_iris_session_have_no_block_spanning_lines(script):
    # `iris session IRIS < file` runs each line on its own: a block opened on one line and closed on
    # another would run its inner lines unconditionally and fail on the lone braces.
    for number, line in enumerate((ROOT / script).read_text().splitlines(), 1):
        code = _code(line)
        assert code.count("{") == code.count("}") and code.count("(") == code.count(")"), f"{script}:{number}: {line}"
    assert (ROOT / script).read_text().splitlines()[-1].strip() == "halt"


def test_the_visual_trace_reads_the_json_from_its_start():
    method = (ROOT / "src" / "iris" / "Python" / "ImageResponse.cls").read_text().split("Method %ShowContents", 1)[1]
    assert method.index("Do json.Rewind()") < method.index("%FromJSON(json)")


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


def test_compose_passes_the_token_and_keeps_iris_state_across_down_and_up():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "- HF_TOKEN\n" in compose
    assert "- ISC_DATA_DIRECTORY=/durable/iris" in compose and "- durable:/durable" in compose
    assert "- irisapp:/usr/irissys/mgr/irisapp" in compose
    assert "dir=\"/usr/irissys/mgr/irisapp/\"" in (ROOT / "iris.script").read_text()


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
