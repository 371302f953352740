"""One application root: ``misc/``, ``var/``, the dataset and ``src/model`` follow ``SUSTAINABLE_ML_ROOT``
(the IRIS image sets it), the checkout otherwise; the torchrun launcher finds a Python inside IRIS."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlcore import layout
from mlcore.images import ImageNotAllowed, load_image
from mlcore.tuning import launcher
from support.checkout import ROOT as CHECKOUT


def test_without_the_variable_the_root_is_the_checkout(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(layout.APP_ROOT_ENV, raising=False)
    assert layout.app_root() == CHECKOUT
    assert layout.default_dataset() == CHECKOUT / "misc" / "dataset" / "dataset.txt"
    assert layout.default_model_root() == CHECKOUT / "src" / "model"


def test_the_variable_moves_misc_var_the_dataset_and_the_model_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv(layout.APP_ROOT_ENV, str(tmp_path))
    monkeypatch.delenv(layout.DATABASE_URL_ENV, raising=False)
    assert layout.default_dataset() == tmp_path / "misc" / "dataset" / "dataset.txt"
    assert layout.default_model_root() == tmp_path / "src" / "model"
    assert layout.default_database_url() == f"sqlite:///{tmp_path / 'var' / 'iris.sqlite'}"


def test_the_seeds_image_path_is_read_under_the_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / "misc").mkdir()
    shutil.copy(CHECKOUT / "misc" / "000000039769.jpg", tmp_path / "misc" / "cats.jpg")
    monkeypatch.setenv(layout.APP_ROOT_ENV, str(tmp_path))
    assert load_image("/irisdev/app/misc/cats.jpg").size == (640, 480)
    assert load_image("misc/cats.jpg").size == (640, 480)
    with pytest.raises(ImageNotAllowed, match="outside the allowed folders"):
        load_image(str(CHECKOUT / "misc" / "000000039769.jpg"))


def test_inside_iris_the_launcher_runs_iris_python(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "irispython").write_text("#!/bin/sh\n")
    monkeypatch.setattr(launcher.sys, "executable", "/usr/irissys/bin/irisdb")
    monkeypatch.setenv("IRISINSTALLDIR", str(tmp_path))
    assert launcher.launch_command(tmp_path, 2)[0] == str(tmp_path / "bin" / "irispython")
    monkeypatch.delenv("IRISINSTALLDIR")
    monkeypatch.delenv("ISC_PACKAGE_INSTALLDIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    (tmp_path / "bin" / "irispython").chmod(0o755)
    assert launcher.launch_command(tmp_path, 2)[0] == str(tmp_path / "bin" / "irispython")
    monkeypatch.setenv("PATH", str(tmp_path / "none"))
    with pytest.raises(launcher.TrainingProcessError, match="no Python to run torchrun"):
        launcher.launch_command(tmp_path, 2)
