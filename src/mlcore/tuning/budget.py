"""The wall-time budget of a training: past it the Trainer stops after the current step."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from transformers import TrainerCallback


class TimeBudget(TrainerCallback):
    """Stops training once ``seconds`` have passed since it began; ``stopped`` then says where."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.stopped = ""
        self._started = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._started = self.clock()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.clock() - self._started >= self.seconds and state.global_step < state.max_steps:
            control.should_training_stop = True
            self.stopped = (f"training stopped at step {state.global_step} of {state.max_steps}: the time budget "
                            f"of {self.seconds:g} s (max_train_seconds) was reached")
