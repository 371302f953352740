"""Energy and CO2 of a block of work, measured by codecarbon's offline tracker.

Offline: no network call; the carbon intensity comes from codecarbon's bundled table for the
country given (ISO 3166 alpha-3, e.g. ``FRA``). Nothing is written to disk (no emissions.csv).

What it can measure depends on the machine: CPU energy from RAPL counters when
``/sys/class/powercap/intel-rapl`` is readable, GPU energy from NVML on NVIDIA GPUs. Without
power counters the CPU figure is an *estimate* (codecarbon's TDP table, or 4 W per thread
for unknown CPUs, scaled by CPU load) and RAM is always estimated from its size; the report
says which. Measurement never fails the work it measures: problems become a note.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_COUNTRY = "FRA"

log = logging.getLogger(__name__)


@dataclass
class EnergyReport:
    """What a measured block cost. ``None`` where codecarbon could not say."""

    energy_kwh: float | None = None
    co2_kg: float | None = None
    cpu_kwh: float | None = None
    gpu_kwh: float | None = None
    ram_kwh: float | None = None
    duration_s: float = 0.0
    country_iso_code: str = DEFAULT_COUNTRY
    #: How each part was obtained, e.g. ``{"cpu": "estimated from CPU load x TDP (no RAPL counters)"}``.
    methods: dict[str, str] | None = None
    note: str = ""
    #: The CPU (and GPU) codecarbon measured, e.g. ``"Intel(R) Xeon(R) ... x 2"``; empty when not measured.
    hardware: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if self.energy_kwh is None:
            return f"energy not measured ({self.note})"
        return (f"energy={self.energy_kwh:.6g} kWh co2={self.co2_kg:.6g} kg "
                f"(cpu {self.cpu_kwh:.3g}, gpu {self.gpu_kwh:.3g}, ram {self.ram_kwh:.3g} kWh; "
                f"{self.country_iso_code}) {'; '.join(f'{k}: {v}' for k, v in (self.methods or {}).items())}")


_CPU_METHODS = {
    "intel_rapl": "measured by RAPL counters",
    "intel_power_gadget": "measured by Intel Power Gadget",
    "apple_powermetrics": "measured by powermetrics",
    "cpu_load": "estimated: TDP x CPU load (no power counters readable)",
    "constant": "estimated: constant TDP (no power counters readable)",
}


def _methods(tracker: Any) -> dict[str, str]:
    """Read back which sources codecarbon picked (private attributes: best effort, never raises)."""
    methods: dict[str, str] = {}
    for device in getattr(tracker, "_hardware", []) or []:
        kind = type(device).__name__
        if kind == "CPU":
            mode = str(getattr(device, "_mode", ""))
            methods["cpu"] = _CPU_METHODS.get(mode, f"codecarbon mode {mode!r}")
        elif kind == "GPU":
            methods["gpu"] = "measured by NVML"
        elif kind == "RAM":
            methods["ram"] = "estimated from installed memory size"
        elif kind == "AppleSiliconChip":
            methods.setdefault("cpu", "measured by powermetrics")
    methods.setdefault("gpu", "none detected")
    return methods


def _hardware(data: Any) -> str:
    """``<cpu model> x <count>`` and the GPU's, as codecarbon recorded them."""
    parts = []
    for model, count in ((data.cpu_model, data.cpu_count), (data.gpu_model, data.gpu_count)):
        if model and str(model).strip():
            parts.append(f"{str(model).strip()} x {int(count)}" if count else str(model).strip())
    return ", ".join(parts)


class EnergyMeter:
    """``with EnergyMeter("FRA") as meter: ...`` then ``meter.report``.

    Args:
        country_iso_code: where the electricity comes from (alpha-3), for the carbon intensity.
        enabled: False skips codecarbon (the report then says so).
        tracking_mode: ``"process"`` attributes this process's share of the CPU (other items of the
            production may be serving at the same time); ``"machine"`` counts the whole machine.
    """

    def __init__(self, country_iso_code: str = DEFAULT_COUNTRY, *, enabled: bool = True,
                 tracking_mode: str = "process", measure_power_secs: float = 5.0) -> None:
        self.country_iso_code = (country_iso_code or DEFAULT_COUNTRY).upper()
        self.enabled = enabled
        self.tracking_mode = tracking_mode
        self.measure_power_secs = measure_power_secs
        self.report = EnergyReport(country_iso_code=self.country_iso_code)
        self._tracker: Any = None
        self._started = 0.0

    def __enter__(self) -> EnergyMeter:
        self._started = time.perf_counter()
        if not self.enabled:
            self.report.note = "energy measurement switched off"
            return self
        try:
            from codecarbon import OfflineEmissionsTracker

            # codecarbon logs its hardware guesses at INFO/WARNING during init (its import resets the
            # level); the report's ``methods`` says the same once, in the component's log
            logging.getLogger("codecarbon").setLevel(logging.ERROR)

            self._tracker = OfflineEmissionsTracker(
                # no output method: no emissions.csv in the working folder, no API call
                country_iso_code=self.country_iso_code, output_methods=[], log_level="error",
                tracking_mode=self.tracking_mode, measure_power_secs=self.measure_power_secs, allow_multiple_runs=True,
                project_name="fine-tuning")
            self._tracker.start()
        except Exception as exc:  # a tracker problem must not stop a training
            log.warning("codecarbon could not start: %s", exc)
            self.report.note = f"codecarbon could not start: {exc}"
            self._tracker = None
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.report.duration_s = round(time.perf_counter() - self._started, 3)
        if self._tracker is None:
            return
        try:
            self._tracker.stop()
            data = self._tracker.final_emissions_data
            self.report.energy_kwh = float(data.energy_consumed)
            self.report.co2_kg = float(data.emissions)
            self.report.cpu_kwh = float(data.cpu_energy)
            self.report.gpu_kwh = float(data.gpu_energy)
            self.report.ram_kwh = float(data.ram_energy)
            self.report.methods = _methods(self._tracker)
            self.report.hardware = _hardware(data)
        except Exception as exc:
            log.warning("codecarbon could not report: %s", exc)
            self.report.note = f"codecarbon could not report: {exc}"
