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
        if _any_rank(self.clock() - self._started >= self.seconds) and state.global_step < state.max_steps:
            control.should_training_stop = True
            self.stopped = (f"training stopped at step {state.global_step} of {state.max_steps}: the time budget "
                            f"of {self.seconds:g} s (max_train_seconds) was reached")


def _any_rank(over: bool) -> bool:
    """In a multi-process training every rank stops at the same step (a rank stopping alone would
    leave the others waiting for it): the ranks' clocks are compared at each step."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return over
    import torch

    flag = torch.tensor([1 if over else 0], device="cuda" if dist.get_backend() == "nccl" else "cpu")
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item())
