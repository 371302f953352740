"""The host's vocabulary of states: a message's status (IRIS's ``Ens.MessageHeader`` Status) and
an item's state. Both are ``str`` enums, so stored values, JSON and templates read the same words."""

from __future__ import annotations

from enum import StrEnum


class MessageStatus(StrEnum):
    CREATED = "Created"
    QUEUED = "Queued"
    DELIVERED = "Delivered"
    COMPLETED = "Completed"
    ERROR = "Error"
    DISCARDED = "Discarded"
    SUSPENDED = "Suspended"
    ABORTED = "Aborted"


#: Not finished yet: a restart of the host marks such messages Aborted.
UNFINISHED = (MessageStatus.CREATED, MessageStatus.QUEUED, MessageStatus.DELIVERED)
#: Ended: nothing more will happen to the message.
ENDED = (MessageStatus.COMPLETED, MessageStatus.ERROR, MessageStatus.ABORTED, MessageStatus.DISCARDED)
#: Ended without a response.
FAILED = (MessageStatus.ERROR, MessageStatus.ABORTED)


class ItemState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    ERROR = "error"  # a worker failed to start
    STOPPED = "stopped"
    DISABLED = "disabled"  # Enabled is false and nobody started it
