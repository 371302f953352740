"""Drive a component as IoP on IRIS does: allocate, apply ``%settings`` text, ``on_init``,
then dispatch messages deserialised from JSON."""

from __future__ import annotations

import logging
from typing import Any

from iophost.worker.component import create_component, deliver, load_message, start_component


class RecordingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self, level: int | None = None) -> list[str]:
        return [r.getMessage() for r in self.records if level is None or r.levelno == level]


def started(component_class: type, percent_settings: str = "", **host_settings: Any) -> Any:
    """A started component; its log records are in ``component.log_records``."""
    handler = RecordingHandler()
    logger = logging.Logger(component_class.__name__)
    logger.addHandler(handler)
    component = create_component(component_class, {"%settings": percent_settings, **host_settings}, logger)
    component.log_records = handler
    start_component(component)
    return component


def call(component: Any, classname: str, body: str | dict) -> Any:
    return deliver(component, load_message(classname, body))
