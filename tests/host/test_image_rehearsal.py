"""A rehearsal of the IRIS image, as far as IRIS is not needed: the Dockerfile's own project-install
line (read from the Dockerfile) under the base image's pip in a scratch venv, with the Dockerfile's
environment; then the installed copy's ``iophost`` started from another folder with the application
root set as the image sets it, every item of the seed's production enabled on tiny twins of its
models (a local hub), and the seed's requests sent by ``scripts/iris-smoke.sh --requests-only``."""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iophost.testing import HostProcess
from support import dockerfile
from support.checkout import ROOT
from support.hub_server import HubServer
from support.seed_models import build_seed_twins, enable_items, serve_seed_twins

pytestmark = [pytest.mark.slow, pytest.mark.process]

#: The image's folders, mapped onto scratch folders here: where pip installs (IRIS's Python path) and
#: where the sources are copied.
IMAGE_TARGET = dockerfile.env()["PYTHONPATH"]
IMAGE_APP = next(line.split()[1] for line in dockerfile.instructions() if line.startswith("WORKDIR "))
SMOKE_REQUESTS = json.loads((ROOT / "scripts" / "iris-smoke-requests.json").read_text())


@dataclass
class Rehearsal:
    app: Path
    target: Path
    python: Path
    host: HostProcess
    install_seconds: float


def _image_env(app: Path, target: Path) -> dict[str, str]:
    """The Dockerfile's ENV with the image's folders mapped here; IRIS's own variables (PATH to its
    binaries, its database URL) left out."""
    mapped = {name: value.replace(IMAGE_TARGET, str(target)).replace(IMAGE_APP, str(app))
              for name, value in dockerfile.env().items() if name not in ("PATH", "LD_LIBRARY_PATH", "DATABASE_URL")}
    # the dependencies the image installs beforehand: this venv's, after the installed copy
    mapped["PYTHONPATH"] = os.pathsep.join([mapped["PYTHONPATH"], sysconfig.get_paths()["purelib"]])
    return mapped


def _install_line() -> list[str]:
    """The Dockerfile's project install: ``pip3 install --no-deps --target ... .``."""
    run = next(line for line in dockerfile.instructions() if line.startswith("RUN pip3 install --no-deps"))
    return shlex.split(run.removeprefix("RUN ").split("&&")[0])


def _install(tmp: Path, app: Path, target: Path, env: dict[str, str]) -> tuple[Path, float]:
    venv = tmp / "base-pip"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"pip=={dockerfile.arg('PIP_VERSION')}"],
                   check=True, timeout=300)
    command = [str(python), "-m", "pip", *[word.replace(IMAGE_TARGET, str(target)) for word in _install_line()[1:]]]
    started = time.monotonic()
    result = subprocess.run(command, cwd=app, env={**_without_pythonpath(), **env}, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return python, time.monotonic() - started


def _without_pythonpath() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "DATABASE_URL")}


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    tmp = tmp_path_factory.mktemp("image")
    app = dockerfile.copy_build_context(tmp / "app")
    (app / "src" / "model").mkdir(exist_ok=True)
    target = tmp / "site"
    env = _image_env(app, target)
    python, seconds = _install(tmp, app, target, env)
    elsewhere = tmp / "elsewhere"
    host = HostProcess(app / "src" / "python" / "settings.py", elsewhere / "var")
    host.command = lambda: [str(target / "bin" / "iophost"), "start", "--settings", str(host.settings),
                            "--data", str(host.data), "--port", str(host.port)]
    host.cwd, host.start_timeout = elsewhere, 600
    host.env = {**_without_pythonpath(), **{k: v for k, v in host.env.items() if k != "PYTHONPATH"}, **env,
                "HF_HUB_DISABLE_TELEMETRY": "1"}
    for name in ("HF_HUB_OFFLINE", "IOPHOST_DATABASE_URL", "HF_TOKEN"):
        host.env.pop(name, None)
    items = sorted({request["target"] for request in SMOKE_REQUESTS})
    enable_items(host.data, items)
    with HubServer() as hub:
        serve_seed_twins(hub, build_seed_twins(tmp / "twins"))
        host.env["HF_ENDPOINT"] = hub.endpoint
        host.start()
        try:
            yield Rehearsal(app, target, python, host, seconds)
        finally:
            host.stop()


def _smoke(rehearsal: Rehearsal, out: Path, requests: Path | None = None) -> subprocess.CompletedProcess:
    host = rehearsal.host
    env = {**_without_pythonpath(), "IOP_URL": host.url, "IOP_USERNAME": "admin", "IOP_PASSWORD": host.env[
        "IOP_PASSWORD"], "SMOKE_OUT": str(out), "PYTHON": sys.executable}
    env.pop("HF_TOKEN", None)
    if requests:
        env["SMOKE_REQUESTS"] = str(requests)
    return subprocess.run(["bash", str(ROOT / "scripts" / "iris-smoke.sh"), "--requests-only"], env=env,
                          capture_output=True, text=True, timeout=900)


def test_the_dockerfiles_install_line_installs_the_project_with_the_base_images_pip(rehearsal: Rehearsal):
    found = subprocess.run([str(rehearsal.python), "-c", "import iophost, mlcore; print(mlcore.__file__)"],
                           env={**_without_pythonpath(), **_image_env(rehearsal.app, rehearsal.target)},
                           cwd=rehearsal.host.cwd, capture_output=True, text=True, timeout=120)
    assert found.stdout.strip() == str(rehearsal.target / "mlcore" / "__init__.py"), found.stderr
    assert rehearsal.host.status()["status"] == "running"
    print(f"Dockerfile-style install of the project with pip {dockerfile.arg('PIP_VERSION')}: "
          f"{rehearsal.install_seconds:.1f} s")


def test_the_installed_copy_answers_every_seed_request_from_another_folder(rehearsal: Rehearsal, tmp_path: Path):
    assert set(rehearsal.host.status()["items"].values()) == {"running"}, rehearsal.host.status()
    result = _smoke(rehearsal, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed request(s)" in result.stdout
    answers = {path.name: json.loads(path.read_text()) for path in tmp_path.glob("answer-*.json")}
    assert len(answers) == len(SMOKE_REQUESTS) - 1, result.stdout  # the hosted API's needs HF_TOKEN
    bodies = [json.loads(answer["body"]) for answer in answers.values()]
    train = next(body for body, answer in zip(bodies, answers.values(), strict=True)
                 if answer["classname"] == "msg.TrainResponse")
    assert train["rows"] == 20
    assert any(body.get("promoted") for body in bodies)
    for png in ("resnet.png", "panoptic.png"):
        assert (tmp_path / png).read_bytes().startswith(b"\x89PNG")
    # the application root holds the downloads, the default database and the dataset loaded from misc/
    app = rehearsal.app
    assert (app / "src" / "model" / "detr-resnet-50" / "config.json").is_file()
    assert (app / "src" / "model" / "bert-base-cased").is_dir() and (app / "var" / "iris.sqlite").is_file()
    assert not (rehearsal.host.cwd / "src").exists()


def test_the_smoke_keeps_a_large_answer_whole_and_fails_on_a_bad_request(rehearsal: Rehearsal, tmp_path: Path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (900, 1200, 3), dtype=np.uint8)).save(rehearsal.app / "misc" / "noise.png")
    requests = tmp_path / "requests.json"
    requests.write_text(json.dumps([
        {"target": "HuggingFace Image resnet local", "classname": "msg.MLRequest", "png": "noise-drawn.png",
         "body": {"url": f"{IMAGE_APP}/misc/noise.png"}},
        {"target": "HuggingFace Image resnet local", "classname": "msg.MLRequest", "body": {"url": "/etc/passwd"}},
    ]))
    result = _smoke(rehearsal, tmp_path / "out", requests)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "outside the allowed folders" in result.stdout and "1 failed request(s)" in result.stdout
    answer = (tmp_path / "out" / "answer-0.json").read_bytes()
    assert len(answer) > 1_000_000
    drawn = base64.b64decode(json.loads(json.loads(answer)["body"])["image_png_base64"])
    assert drawn == (tmp_path / "out" / "noise-drawn.png").read_bytes() and drawn.startswith(b"\x89PNG")


def test_the_docker_part_enables_each_item_it_tests_then_sends_the_requests_and_ends_with_down(
        rehearsal: Rehearsal, tmp_path: Path):
    # A stand-in `docker` recording its calls (and what `exec` reads); IRIS's REST API is the host's.
    calls = tmp_path / "docker-calls.txt"
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "docker").write_text(f'#!/bin/bash\necho "$*" >>{calls}\n'
                                             f'[ "$2" = exec ] && cat >>{calls}\nexit 0\n')
    (tmp_path / "bin" / "docker").chmod(0o755)
    requests = tmp_path / "requests.json"
    chosen = [r for r in SMOKE_REQUESTS if r["classname"] == "msg.MLRequest" and "png" not in r]
    requests.write_text(json.dumps(chosen))
    host = rehearsal.host
    env = {**_without_pythonpath(), "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "IOP_URL": host.url,
           "IOP_USERNAME": "admin", "IOP_PASSWORD": host.env["IOP_PASSWORD"], "SMOKE_OUT": str(tmp_path / "out"),
           "SMOKE_REQUESTS": str(requests), "PYTHON": sys.executable}
    result = subprocess.run(["bash", str(ROOT / "scripts" / "iris-smoke.sh")], env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = calls.read_text().splitlines()
    assert lines[:3] == ["info", "compose version", "compose up -d --build"] and lines[-1] == "compose down"
    enabled = [line for line in lines if "EnableConfigItem" in line]
    assert enabled == [f'set sc = ##class(Ens.Director).EnableConfigItem("{target}",1,1)'
                       for target in sorted({r["target"] for r in chosen})]
    assert lines.count("compose exec -T iris iris session IRIS -U IRISAPP") == len(enabled) == 3
    assert len(list((tmp_path / "out").glob("answer-*.json"))) == 3
    assert json.loads((tmp_path / "out" / "log.json").read_text())
