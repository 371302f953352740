"""A multi-process training as a child of the TuningOperation's worker: ``torchrun`` (run as
``python -m torch.distributed.run``) starts the ranks of ``distributed``; this module streams rank 0's
progress lines to the log, and turns any rank's failure into an error naming the rank and its error.

No process is left behind: the launcher and the ranks die with their parent (``PR_SET_PDEATHSIG``),
and after the launcher ends, any rank still alive is killed (ranks record their pids).
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from .distributed import JOB_FILE, PIDS_DIR, PROGRESS_MARK, RESULT_FILE, die_with_parent, error_file
from .errors import TuningError
from .job import Trained, TrainingJob

#: Lines of the launcher's own output kept to explain a failure that left no error file.
_KEPT_LINES = 40
#: torchrun's summary of the first failure: "Root Cause ... rank : 1 (local_rank: 1) exitcode : -9 ...".
_ROOT_CAUSE = re.compile(r"Root Cause.*?^\s*rank\s*:\s*(\d+).*?^\s*exitcode\s*:\s*(-?\d+)", re.S | re.M)


class TrainingProcessError(TuningError):
    """A rank of a multi-process training failed (or the launcher did); no model was saved."""


def launch_command(job_dir: Path, processes: int, options: Sequence[str] = ()) -> list[str]:
    """``torchrun`` with this interpreter; ``--standalone`` (one machine, a free port) unless ``options``
    name their own rendezvous."""
    rendezvous = list(options) or ["--standalone"]
    return [sys.executable, "-m", "torch.distributed.run", *rendezvous, f"--nproc-per-node={processes}",
            "-m", "mlcore.tuning.distributed", str(job_dir)]


def _environment(processes: int) -> dict[str, str]:
    """This environment, ``mlcore`` importable by the ranks, the CPU's cores shared between the ranks
    (torchrun would give each a single thread)."""
    env = dict(os.environ)
    source = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // processes)))
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def run_distributed(job: TrainingJob, processes: int, log: Callable[[str], None],
                    options: Sequence[str] = ()) -> Trained:
    """Train ``job`` on ``processes`` ranks; returns rank 0's metrics and saved folder.

    Raises:
        TrainingProcessError: a rank or the launcher failed (the first rank's own error when it left one).
    """
    job_dir = Path(tempfile.mkdtemp(prefix="tuning-job-"))  # mode 0700: the rows stay private
    try:
        job.write(job_dir / JOB_FILE)
        tail: collections.deque[str] = collections.deque(maxlen=_KEPT_LINES)
        process = subprocess.Popen(launch_command(job_dir, processes, options), env=_environment(processes),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True, preexec_fn=die_with_parent)
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith(PROGRESS_MARK):
                    log(line[len(PROGRESS_MARK):].rstrip("\n"))
                else:
                    tail.append(line.rstrip("\n"))
            code = process.wait()
        finally:
            _stop(process, job_dir)
        result_file = job_dir / RESULT_FILE
        if code != 0 or not result_file.is_file():
            raise TrainingProcessError(_failure(job_dir, processes, code, list(tail)))
        return Trained.from_json(result_file.read_text())
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)


def _stop(process: subprocess.Popen, job_dir: Path) -> None:
    """The launcher's process group, then every rank still alive, killed (a no-op after a clean end)."""
    if process.poll() is None:
        _kill_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    _kill_group(process.pid, signal.SIGKILL)
    process.wait()
    for pid_file in (job_dir / PIDS_DIR).glob("rank*") if (job_dir / PIDS_DIR).is_dir() else ():
        _kill_rank(int(pid_file.read_text() or 0), job_dir)


def _kill_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_rank(pid: int, job_dir: Path) -> None:
    """Kill ``pid`` if it is still a rank of this job (its command line names the job's folder)."""
    import psutil

    try:
        rank = psutil.Process(pid)
        if str(job_dir) in rank.cmdline():
            rank.kill()
            rank.wait(timeout=10)
    except (psutil.Error, ValueError):
        pass


def _failure(job_dir: Path, processes: int, code: int, tail: list[str]) -> str:
    """Why the training failed: the first failure torchrun saw (a rank's own error when it wrote one,
    else how it ended), then the other ranks' errors."""
    errors = {rank: error_file(job_dir, rank).read_text().strip()
              for rank in range(processes) if error_file(job_dir, rank).is_file()}
    causes = []
    root = _ROOT_CAUSE.search("\n".join(tail))
    if root:
        rank, exit_code = int(root.group(1)), int(root.group(2))
        how = (f"was killed by signal {-exit_code} ({signal.Signals(-exit_code).name})" if exit_code < 0
               else f"exited with code {exit_code}")
        causes.append(f"rank {rank}: {errors.pop(rank)}" if rank in errors
                      else f"rank {rank} {how} before the training finished")
    causes += [f"rank {rank}: {error}" for rank, error in sorted(errors.items())]
    if not causes:
        last = next((line for line in reversed(tail) if line.strip()), "no output")
        causes.append(f"the launcher exited with code {code} ({last})")
    return f"multi-process training failed, no model saved: {'; then '.join(causes)}"
