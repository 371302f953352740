"""Training progress to the component's log: step, epoch, loss, learning rate, ETA, evaluations.

Lines are ``key=value`` pairs, which the portal draws as curves. Loss lines are throttled to one
every ``every_s`` seconds (the event log is persisted, a line per step would flood it);
evaluations and the end of training are always logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from transformers import TrainerCallback


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    minutes, sec = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{sec:02d}s" if hours else f"{minutes}m{sec:02d}s"


class ProgressLogger(TrainerCallback):
    """Writes progress lines through ``log`` (the component's ``log_info``)."""

    def __init__(self, log: Callable[[str], None], every_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.every_s = every_s
        self.clock = clock
        self.phase = "old model"
        self._started = 0.0
        self._last_logged = -float("inf")
        self._pending: str | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.phase = "training"
        self._started = self.clock()
        self.log(f"training started: max_steps={state.max_steps} epochs={args.num_train_epochs} "
                 f"batch_size={args.per_device_train_batch_size} learning_rate={args.learning_rate}")

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        if not logs or "loss" not in logs:
            return
        now = self.clock()
        line = self._line(state, logs, now)
        if now - self._last_logged >= self.every_s:
            self.log(line)
            self._last_logged = now
            self._pending = None
        else:
            self._pending = line

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, Any] | None = None,
                    **kwargs: Any) -> None:
        values = " ".join(f"{key}={value:.4f}" for key, value in sorted((metrics or {}).items())
                          if isinstance(value, float) and not key.endswith(("runtime", "per_second", "_time")))
        self.log(f"evaluation ({self.phase}): step={state.global_step} {values}")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._pending:
            self.log(self._pending)
            self._pending = None
        self.log(f"training done: step={state.global_step} in {_duration(self.clock() - self._started)}")
        self.phase = "new model"

    def _line(self, state: Any, logs: dict[str, Any], now: float) -> str:
        step, total = state.global_step, state.max_steps
        elapsed = now - self._started
        eta = elapsed / step * (total - step) if step else 0.0
        parts = [f"step={step}/{total}", f"epoch={state.epoch or 0:.2f}", f"loss={logs['loss']:.4f}"]
        if "learning_rate" in logs:
            parts.append(f"learning_rate={logs['learning_rate']:.3g}")
        parts.append(f"ETA {_duration(eta)}")  # no "=": the portal plots key=number pairs
        return " ".join(parts)
