"""Who may read ``/api/monitor`` and which namespace the metrics name: host settings.

IRIS enables its ``/api/monitor`` web application with "Unauthenticated" access by default
(docs/monitoring.md cites where it says so); the local host does the same unless told otherwise:
``iophost start --monitor-access password`` (or the environment variable) asks for the portal's
credentials, with HTTP Basic, as ``/api/iop`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

ACCESS_ENV, NAMESPACE_ENV = "IOPHOST_MONITOR_ACCESS", "IOPHOST_NAMESPACE"
UNAUTHENTICATED, PASSWORD = "unauthenticated", "password"
ACCESS_CHOICES = (UNAUTHENTICATED, PASSWORD)
#: The namespace the image's production runs in (iris.script): the ``id`` label of IRIS's metrics.
DEFAULT_NAMESPACE = "IRISAPP"


@dataclass(frozen=True)
class MonitorSettings:
    access: str = UNAUTHENTICATED
    namespace: str = DEFAULT_NAMESPACE

    def __post_init__(self) -> None:
        if self.access not in ACCESS_CHOICES:
            raise ConfigError(f"monitor access must be one of {', '.join(ACCESS_CHOICES)}, got {self.access!r} "
                             f"(iophost start --monitor-access, {ACCESS_ENV})")
        if not self.namespace:
            raise ConfigError(f"the namespace of the metrics must not be empty ({NAMESPACE_ENV})")

    @property
    def needs_password(self) -> bool:
        return self.access == PASSWORD
