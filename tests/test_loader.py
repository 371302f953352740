"""How the host reads a settings.py: every form of CLASSES ``iop --migrate`` registers, several
productions, IRIS-only entries, and what an unresolvable class or an IRIS adapter says."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from iophost.loader import SettingsError, component_spec, load_settings

COMPONENTS = '''
from iop import BusinessOperation, BusinessService, PollingBusinessService


class Op(BusinessOperation):
    pass


class Poller(PollingBusinessService):
    pass


class FileService(BusinessService):
    @staticmethod
    def get_adapter_type():
        return "EnsLib.File.InboundAdapter"
'''

SETTINGS = '''
import loadercomps
from loadercomps import FileService, Op, Poller

CLASSES = {{
    "Python.Op": Op,
    "Pkg": loadercomps,
    "Desc.Op": {{"module": "loadercomps", "class": "Op", "path": "."}},
    "Files": {{"path": ".", "file": "loadercomps.py"}},
    "Python.Poller": Poller,
    "Python.FileService": FileService,
}}
SCHEMAS = []
REMOTE_SETTINGS = {{"url": "http://iris:52773"}}


def item(name, classname, **adapter):
    return {{"@Name": name, "@ClassName": classname,
             "Setting": [{{"@Target": "Adapter", "@Name": k, "#text": v}} for k, v in adapter.items()]}}


PRODUCTIONS = [{{"demo.A": {{"Item": [
    item("class", "Python.Op"), item("module", "Pkg.loadercomps.Op"), item("descriptor", "Desc.Op"),
    item("file", "Files.loadercomps.Op"), item("default package", "Python.loadercomps.Op"),
    item("unknown", "Python.Nowhere"), item("poller", "Python.Poller", CallInterval="2"),
    item("iris adapter", "Python.FileService"),
]}}}}, {{"demo.B": {{"Item": []}}}}]
'''


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loader")
    (folder / "loadercomps.py").write_text(textwrap.dedent(COMPONENTS))
    (folder / "settings.py").write_text(textwrap.dedent(SETTINGS.format()))
    return load_settings(folder / "settings.py")


def spec(loaded, name: str):
    item = next(item for item in loaded.productions["demo.A"].items if item.name == name)
    return component_spec(item, loaded.path, loaded.classes)


def test_several_productions_are_read_in_order(loaded):
    assert list(loaded.productions) == ["demo.A", "demo.B"]


def test_iris_only_entries_are_noted_not_used(loaded):
    assert [note.split(": ")[1] for note in loaded.notes] == [
        "REMOTE_SETTINGS is used by iop --migrate on IRIS only; the local host skips it"]


@pytest.mark.parametrize("name", ["class", "module", "descriptor", "file", "default package"])
def test_every_form_of_classes_resolves_to_the_python_class(loaded, name):
    found = spec(loaded, name)
    assert (found.module, found.class_name) == ("loadercomps", "Op")
    assert str(loaded.path.parent) in found.import_paths


def test_an_unresolvable_class_names_classes(loaded):
    with pytest.raises(SettingsError, match=r"class 'Python.Nowhere' is not registered in CLASSES of settings.py"):
        spec(loaded, "unknown")


def test_a_polling_service_is_polled_with_its_adapter_settings(loaded):
    poller = spec(loaded, "poller")
    assert poller.polled and poller.adapter_settings == {"CallInterval": "2"} and not poller.adapter_class


def test_an_iris_adapter_is_a_clear_error(loaded):
    with pytest.raises(SettingsError, match="adapter EnsLib.File.InboundAdapter is an IRIS adapter"):
        spec(loaded, "iris adapter")


def test_a_missing_settings_file_or_productions_list_is_a_settings_error(tmp_path: Path):
    with pytest.raises(SettingsError, match="settings file not found"):
        load_settings(tmp_path / "nowhere.py")
    (tmp_path / "settings.py").write_text("PRODUCTIONS = {}\n")
    with pytest.raises(SettingsError, match="must define PRODUCTIONS as a list"):
        load_settings(tmp_path / "settings.py")
