"""An item's settings reach its component as IRIS's ``IOP.Common.SetPropertyValues`` applies them:
``%settings`` lines first, then every non-empty "Python Attribute" (IoP's ``_get_properties``)
over them. The production's components declare empty defaults, so a line wins on both runtimes."""

from __future__ import annotations

import logging

import pytest
from iop import BusinessOperation

from iophost.loader import load_productions
from iophost.settings_rule import parse_settings_lines, python_attributes, settings_line_problems
from iophost.worker.component import create_component
from support.checkout import ROOT
from support.components import RecordingHandler

SETTINGS_PY = ROOT / "src" / "python" / "settings.py"


def _production_classes() -> list[type]:
    production = next(iter(load_productions(SETTINGS_PY).values()))
    return list(dict.fromkeys(item.component_class for item in production.items))


class Declared(BusinessOperation):
    path: str = "/default/models"
    name: str = ""
    retries: int = 3


def _component(settings: dict) -> tuple[Declared, RecordingHandler]:
    handler = RecordingHandler()
    logger = logging.Logger("rule")
    logger.addHandler(handler)
    return create_component(Declared, settings, logger), handler


@pytest.mark.parametrize("component_class", _production_classes(), ids=lambda klass: klass.__name__)
def test_a_settings_line_wins_for_every_declared_setting_of_every_production_component(component_class):
    attributes = python_attributes(component_class)
    assert attributes, f"{component_class.__name__} declares no settings"
    # IRIS copies a non-empty InitialExpression over the line: every default must be empty.
    assert {name: default for name, default in attributes.items() if default not in ("", None)} == {}
    lines = "\n".join(f"{name}=from-settings-{name}" for name in attributes)
    component = create_component(component_class, {"%settings": lines})
    assert {name: getattr(component, name) for name in attributes} == {
        name: f"from-settings-{name}" for name in attributes}


def test_a_non_empty_declared_default_overrides_the_settings_line_as_on_iris():
    component, log = _component({"%settings": "path=/mine\nname=gpt2\nretries=5"})
    assert (component.path, component.name, component.retries) == ("/default/models", "gpt2", 3)
    assert any("path= is overridden" in line for line in log.messages(logging.WARNING))


def test_a_host_setting_of_a_python_attribute_is_copied_last_and_an_empty_one_lets_the_line_win():
    # An empty Host setting empties the proxy property, so nothing is copied over the line.
    component, _ = _component({"%settings": "name=from-line\npath=/from-line", "name": "from-host", "path": ""})
    assert (component.name, component.path) == ("from-host", "/from-line")


def test_a_host_setting_that_is_not_a_python_attribute_does_not_reach_the_component():
    component, _ = _component({"%settings": "", "Timeout": "30"})
    assert "Timeout" not in vars(component)


def test_settings_lines_are_read_as_iris_reads_them():
    text = "a=1\r\nurl=http://x/?q=1\n\n=orphan\nflag\nname = spaced \na=2"
    assert parse_settings_lines(text) == {"a": "2", "url": "http://x/?q=1", "flag": "", "name ": " spaced "}


def test_lines_iris_would_misread_are_reported():
    problems = settings_line_problems("task=ner\nflag\nname = gpt2")
    assert problems == ["line 2: 'flag' has no '=' (expected name=value)",
                        "line 3: setting name 'name ' is not a Python attribute name "
                        "(no spaces around '='; letters, digits and _ only)"]
