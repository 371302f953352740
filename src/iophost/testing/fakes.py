"""A recording stand-in for one item of a production under test.

:class:`RecordingFake` runs in the item's place, in the host's worker process: it keeps every
message it gets as a JSON file in its folder and answers what the test scripted there (a message,
an error, or nothing). :class:`Fake` is the test's side of that folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iop import BusinessOperation

from ..worker.component import dump_message, load_message, message_classname

RECEIVED = "received"
SCRIPT = "script.json"


class FakeFailure(RuntimeError):
    """The failure a test asked a fake to answer with."""


class RecordingFake(BusinessOperation):
    """Keeps each message it gets, and answers as ``script.json`` of its folder says."""

    fake_folder = ""

    def on_message(self, request: Any) -> Any:
        folder = Path(self.fake_folder)
        received = folder / RECEIVED
        count = len(list(received.glob("*.json")))
        (received / f"{count:06d}.json").write_text(json.dumps({"classname": message_classname(request),
                                                                "body": dump_message(request)}))
        script = json.loads((folder / SCRIPT).read_text()) if (folder / SCRIPT).exists() else []
        if not script:
            return None
        answer = script[min(count, len(script) - 1)]  # the last answer repeats
        self.log_info(f"fake {answer.get('classname') or 'failure'} for message {count + 1}")
        if "error" in answer:
            raise FakeFailure(answer["error"])
        return load_message(answer["classname"], answer["body"])


class Fake:
    """The test's side of a :class:`RecordingFake`: what it received, what it answers."""

    def __init__(self, item: str, folder: Path) -> None:
        self.item, self.folder = item, folder
        (folder / RECEIVED).mkdir(parents=True, exist_ok=True)
        self._write([])

    def _write(self, script: list[dict[str, str]]) -> None:
        temporary = self.folder / f"{SCRIPT}.tmp"
        temporary.write_text(json.dumps(script))
        temporary.replace(self.folder / SCRIPT)

    def answer(self, *responses: Any) -> Fake:
        """Answer the next messages with ``responses`` in turn (IoP messages), the last one for ever after."""
        self._write([{"classname": message_classname(r), "body": dump_message(r)} for r in responses])
        return self

    def fail(self, text: str) -> Fake:
        """Fail every next message with ``FakeFailure: text``."""
        self._write([{"error": text}])
        return self

    @property
    def requests(self) -> list[Any]:
        """The messages received so far, oldest first, as their IoP message classes."""
        files = sorted((self.folder / RECEIVED).glob("*.json"))
        return [load_message(kept["classname"], kept["body"])
                for kept in (json.loads(path.read_text()) for path in files)]
