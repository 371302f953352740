"""Components for the portal's tests: an echo, a detection stand-in that draws a PNG, and a
training stand-in that logs progress like the Trainer and answers old/new metrics."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

from iop import BusinessOperation

from msg import MLRequest, MLResponse, OverrideRequest, OverrideResponse, TrainRequest, TrainResponse


def wait_for_gate(gate: str) -> None:
    """Return once the file ``gate`` exists (at once when ``gate`` is empty): the test opens it."""
    while gate and not Path(gate).exists():
        time.sleep(0.05)


class GatedStart(BusinessOperation):
    """Stays in on_init (the item "starting") until the file named by its ``gate`` setting exists."""

    gate: str = ""

    def on_init(self) -> None:
        wait_for_gate(self.gate)


class SilentOperation(BusinessOperation):
    """Handles MLRequest and answers nothing."""

    def on_ml_request(self, request: MLRequest) -> None:
        self.log_info("nothing to answer")


class EchoOperation(BusinessOperation):
    def on_ml_request(self, request: MLRequest) -> MLResponse:
        self.log_info(f"echo: {request.text_inputs or request.inputs}")
        return MLResponse(output={"echo": request.text_inputs or request.inputs}, model="echo", task="echo")


def box_png() -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 20, 130, 100), outline="red", width=4)
    draw.text((36, 24), "cat 0.98", fill="red")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class DetectionStandIn(BusinessOperation):
    def on_ml_request(self, request: MLRequest) -> MLResponse:
        detections = [{"label": "cat", "score": 0.98, "box": {"xmin": 30, "ymin": 20, "xmax": 130, "ymax": 100}}]
        return MLResponse(output={"objects": detections, "image_png_base64": box_png()},
                          model="tiny-detr", task="object-detection")


class TrainingStandIn(BusinessOperation):
    # Empty defaults (6 steps, 0.25 s): on IRIS a non-empty one would override the %settings line.
    steps: str = ""
    pause: str = ""
    #: A file each training waits for before its first step (none: no wait).
    gate: str = ""

    def on_train_request(self, request: TrainRequest) -> TrainResponse:
        wait_for_gate(self.gate)
        steps = int(self.steps or 6)
        for step in range(1, steps + 1):
            time.sleep(float(self.pause or 0.25))
            self.log_info(f"step={step} epoch={step / steps:.2f} loss={1.6 - 0.15 * step:.3f} learning_rate=0.01")
            if step % 2 == 0:
                self.log_info(f"step={step} eval_loss={1.5 - 0.1 * step:.3f} eval_accuracy={0.2 + 0.08 * step:.3f}")
        self.log_info("new model saved to temp-tiny-classifier")
        self.trained = True
        return TrainResponse(old_model={"eval_loss": 1.52, "eval_accuracy": 0.2},
                             new_model={"eval_loss": 0.9, "eval_accuracy": 0.68, "energy_kwh": 0.00042,
                                        "co2_kg": 0.00011},
                             info="To keep the new model, send msg.OverrideRequest", precision="bf16",
                             duration_s=steps * float(self.pause or 0.25),
                             tokens={"computed": 5200, "seed_recipe": 40960},
                             report={"labels": ["1", "2", "3"],
                                     "old": {"confusion": [[0, 0, 4], [0, 0, 3], [0, 0, 3]], "f1": [0.0, 0.0, 0.46]},
                                     "new": {"confusion": [[3, 1, 0], [1, 2, 0], [0, 1, 2]], "f1": [0.75, 0.57, 0.8],
                                             "support": [4, 3, 3]}})

    def on_override_request(self, request: OverrideRequest) -> OverrideResponse:
        if not getattr(self, "trained", False):
            return OverrideResponse(text="No temporary model detected, run a training first.")
        self.trained = False
        self.log_info("temp-tiny-classifier promoted")
        return OverrideResponse(text="new model promoted", promoted=True)
