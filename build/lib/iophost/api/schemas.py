"""Request bodies of the REST API, as IoP's clients send them (``namespace`` accepted, unused:
the host runs one namespace)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: Ids are BIGINT columns: a larger number names no message (and SQLite cannot even bind it).
MAX_ID = 2**63 - 1


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")

    namespace: str | None = None


class ProductionBody(_Body):
    production: str | None = Field(None, description="Production name; the default production when omitted")


class DefaultBody(_Body):
    production: str = ""


class ComponentBody(_Body):
    component: str | None = Field(None, description="Config name of the item")
    item: str | None = Field(None, description="Alias of component")

    @property
    def name(self) -> str:
        return self.component or self.item or ""


class TestBody(_Body):
    target: str = Field(..., description="Config name of the item to send the message to")
    classname: str | None = Field(None, description="Message class, module.Class")
    body: dict[str, Any] | str | None = Field(None, description="Message body: a JSON object or a JSON string")
    restart: bool = Field(False, description="Restart the target item before sending")


class TestAnswer(BaseModel):
    """What ``/test`` answers, as IoP's client reads it."""

    classname: str = Field(description="Class of the response message (empty when the component returned none)")
    body: str = Field(description="The response message as a JSON string")
    truncated: bool = False
    session_id: int = Field(description="Session of the request and its response (see /sessions/{id})")
