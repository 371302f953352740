"""The management portal of the embedded host: production, Test, Visual Trace, messages, event log,
training, models and data, in the browser. A web layer only: it drives the host core through
:class:`~iophost.portal.host_protocol.PortalHost` and imports no ML code.

Mount it on the host's FastAPI app with ``mount_portal(app, host)``.
"""

from __future__ import annotations

from fastapi import FastAPI

from .auth import PortalAuth
from .context import PortalContext
from .host_protocol import MessageQuery, PortalHost, TestOutcome
from .production_changes import ProductionChanges, apply_changes
from .routes import actions, api, login, pages, static

__all__ = ["MessageQuery", "PortalHost", "ProductionChanges", "TestOutcome", "apply_changes", "mount_portal"]


def mount_portal(app: FastAPI, host: PortalHost, *, changes: ProductionChanges | None = None) -> PortalContext:
    """Serve the portal at ``/portal/`` on ``app``, logging in with the host's credentials."""
    context = PortalContext(host=host, auth=PortalAuth(host.check_credentials),
                            changes=changes or ProductionChanges(host.data_dir))
    app.state.iophost_portal = context
    for module in (static, login, api, actions, pages):
        app.include_router(module.router, include_in_schema=module is api)
    return context
