"""One rank of a multi-process training: ``python -m torch.distributed.run ... -m mlcore.tuning.distributed JOB_DIR``.

Every rank loads the model, tokenizes and trains (DDP through the Trainer: gloo on CPU, NCCL on
GPUs); rank 0 alone writes progress lines (to stdout, marked), saves ``temp-<model_name>`` and
writes the metrics to ``JOB_DIR/result.json``. A rank that fails writes its error to
``JOB_DIR/error-rank<N>.txt`` for the TuningOperation to report.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import traceback
from pathlib import Path

from .job import TrainingJob, train_and_save
from .loading import load_classifier

#: Prefix of rank 0's progress lines on stdout; everything else there is the launcher's or a library's.
PROGRESS_MARK = "@progress "
JOB_FILE = "job.json"
RESULT_FILE = "result.json"
PIDS_DIR = "pids"


def error_file(job_dir: Path, rank: int) -> Path:
    return job_dir / f"error-rank{rank}.txt"


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (best effort: a no-op elsewhere), so that
    ranks never outlive their launcher, nor the launcher the TuningOperation's worker."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _emit(line: str) -> None:
    print(PROGRESS_MARK + line.replace("\n", " "), flush=True)


def _cpu_ddp(job: TrainingJob) -> None:
    """Without a GPU, DDP over gloo: accelerate only sets up CPU ranks when told ``use_cpu``
    (otherwise each rank would train alone on all the rows)."""
    import torch

    if not torch.cuda.is_available():
        job.arguments.setdefault("use_cpu", True)
        job.arguments.setdefault("ddp_backend", "gloo")


def main(job_dir: Path) -> int:
    rank = int(os.environ.get("RANK", "0"))
    die_with_parent()
    (job_dir / PIDS_DIR).mkdir(exist_ok=True)
    (job_dir / PIDS_DIR / f"rank{rank}").write_text(str(os.getpid()))
    try:
        job = TrainingJob.read(job_dir / JOB_FILE)
        _cpu_ddp(job)
        model, tokenizer = load_classifier(job.model_dir, job.num_labels, job.load_options)
        if Path(job.tokenizer_dir) != job.model_dir:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(job.tokenizer_dir)
        log = _emit if rank == 0 else (lambda line: None)
        trained = train_and_save(job, model, tokenizer, log, save=rank == 0)
        if rank == 0:
            (job_dir / RESULT_FILE).write_text(trained.to_json())
    except BaseException as exc:
        error_file(job_dir, rank).write_text(f"{type(exc).__name__}: {exc}")
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
