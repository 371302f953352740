"""One item of a running production, run in the test's own process, for a debugger.

The item's component is built here as the host builds it in a worker (the same class, the same
settings after the test's changes, IoP's ``on_init`` and dispatcher), so ``breakpoint()`` or an
IDE's breakpoint inside ``on_message`` stops the test itself. Its calls to other items go to the
running host's items through the REST API. What that costs in fidelity (see docs/testing.md):
each call it makes is a session of its own on the host and nothing of the item's own message is
stored; a business process's async calls are answered at once, one by one, without
``on_response``/``on_complete``; no pool, no worker restart, no polling adapter.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from iop import BusinessService
from iop.production import resolve_target

from ..loader import component_spec, load_settings
from ..worker.component import create_component, deliver, start_component, stop_component

if TYPE_CHECKING:
    from .production import RunningProduction


class InProcessItem:
    """``item`` of ``production``, built and started in this process (see the module)."""

    def __init__(self, production: RunningProduction, item: str) -> None:
        loaded = load_settings(production.host.settings)
        definition = next(i for i in loaded.productions[production.name].items if i.name == item)
        spec = component_spec(definition, production.host.settings, loaded.classes)
        klass = getattr(importlib.import_module(spec.module), spec.class_name)
        self.name, self.production = item, production
        self.component = create_component(klass, spec.host_settings, logging.getLogger(f"iophost.testing.{item}"))
        self._route_calls()
        start_component(self.component)

    def _route_calls(self) -> None:
        component, production = self.component, self.production

        def send_request_sync(target: Any, request: Any, timeout: float = -1, description: str | None = None) -> Any:
            return production.send(resolve_target(target), request)

        def send_request_async(target: Any, request: Any, *_args: Any, **_kwargs: Any) -> None:
            production.send_async(resolve_target(target), request)

        def send_multi_request_sync(target_request: list[tuple[Any, Any]], timeout: float = -1,
                                    description: str | None = None) -> list[tuple[str, Any, Any, int]]:
            return [(resolve_target(t), r, send_request_sync(t, r), 1) for t, r in target_request]

        async def send_request_async_ng(target: Any, request: Any, timeout: float = -1,
                                        description: str | None = None) -> Any:
            return send_request_sync(target, request)

        # Instance attributes win over IoP's IRIS-bound methods of the class, as in a worker.
        component.send_request_sync, component.send_request_async = send_request_sync, send_request_async
        component.send_multi_request_sync, component.send_request_async_ng = (send_multi_request_sync,
                                                                              send_request_async_ng)

    def send(self, message: Any) -> Any:
        """Hand ``message`` to the component here (a service's ``on_process_input``); its response."""
        if isinstance(self.component, BusinessService):
            return self.component.on_process_input(message)
        return deliver(self.component, message)

    def stop(self) -> None:
        stop_component(self.component)

    def __enter__(self) -> InProcessItem:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
