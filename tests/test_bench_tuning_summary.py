"""``bench/tuning.py --summarize``: the figures a comparison is decided on, from saved runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.checkout import ROOT


def _run(recipe: str, seed: int, accuracy: float, f1_macro: float, cpu: float) -> dict:
    return {"recipe": recipe, "seed": seed, "seconds": cpu, "cpu_seconds": cpu, "energy_kwh": cpu * 1e-6,
            "old_accuracy": 0.1, "accuracy": accuracy, "f1_macro": f1_macro, "f1": accuracy - 0.1,
            "train_rows": 1200, "test_rows": 300, "rows": 1500, "epochs": 1.0}


def test_summarize_prints_means_ratios_and_the_seed_by_seed_differences(tmp_path: Path):
    saved = tmp_path / "runs.jsonl"
    runs = [_run("seed", 42, 0.55, 0.27, 1200.0), _run("ours", 42, 0.56, 0.28, 200.0),
            _run("seed", 43, 0.56, 0.28, 1300.0), _run("ours", 43, 0.52, 0.25, 250.0),
            _run("seed", 44, 0.54, 0.26, 1250.0), _run("ours", 44, 0.55, 0.26, 300.0)]
    saved.write_text("".join(json.dumps(run) + "\n" for run in runs))
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "tuning.py"), "--summarize", str(saved)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert "mean ± std over seeds [42, 43, 44]" in out
    assert "seed/ours: time 5.00x, CPU time 5.00x, energy 5.00x" in out
    assert "ours - seed: accuracy -0.007 (seed std 0.010, ours std 0.021)" in out
    # differences +0.01, -0.04, +0.01: mean -0.007, standard error 0.017
    assert ("seed by seed over [42, 43, 44], mean ± standard error: accuracy -0.007 ± 0.017 "
            "(+0.010, -0.040, +0.010)") in out


def test_recipes_the_bench_cannot_run_are_refused_by_name(tmp_path: Path):
    saved = tmp_path / "runs.jsonl"
    saved.write_text(json.dumps(_run("ours", 42, 0.56, 0.28, 200.0)) + "\n")
    refusals = {"warmup100": "warmup100: the warmup is a percentage of the steps, below 100",
                "buckets0": "buckets0: a bucket holds at least one batch",
                "bucketsx": "unknown recipe 'bucketsx'", "batch0": "batch0: a batch holds at least one row",
                "fp32+nope": "unknown recipe 'fp32+nope'"}
    for recipe, error in refusals.items():
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "tuning.py"), "--recipes", f"ours,{recipe}",
                               "--summarize", str(saved)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and error in done.stderr, (recipe, done.stderr)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "tuning.py"), "--recipes",
                           "ours,warmup10,buckets8,batch25+fp32+weights", "--summarize", str(saved)],
                          capture_output=True, text=True, timeout=120, check=True)
    assert "ours" in done.stdout


def test_saved_confusion_matrices_give_the_per_class_f1_of_each_recipe(tmp_path: Path):
    saved = tmp_path / "runs.jsonl"
    confusion = [[2, 1, 0], [0, 1, 1], [0, 0, 3]]
    saved.write_text(json.dumps(_run("ours", 42, 0.75, 0.7, 200.0) | {"confusion": confusion}) + "\n")
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "tuning.py"), "--summarize", str(saved)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    # F1 per class: 2*1*(2/3)/(5/3) = 0.8, 2*0.5*0.5/1 = 0.5, 2*0.75*1/1.75 = 0.857; predicted 2, 2, 4
    assert "per class F1 0.800 0.500 0.857, predicted 2 2 4" in out
    assert "per class F1, mean of 1: 0.800 0.500 0.857" in out
