"""Job folders hold a run's hidden cases: a killed worker's are removed by the next worker."""

from __future__ import annotations

import os
import subprocess
import sys

from autograder.engine import worker


def test_a_dead_workers_job_folders_are_removed_and_a_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(worker, "JOBS_DIR", str(tmp_path / "jobs"))
    monkeypatch.setattr(worker, "_JOB_PARENT", None)
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, live = done.stdout.strip(), str(os.getppid())
    for pid in (dead, live):
        job = tmp_path / "jobs" / pid / "ag-job-x"
        job.mkdir(parents=True)
        (job / "cases.json").write_text("{}")

    parent = worker._job_parent()

    assert parent == str(tmp_path / "jobs" / str(os.getpid()))
    assert not (tmp_path / "jobs" / dead).exists()
    assert (tmp_path / "jobs" / live / "ag-job-x" / "cases.json").exists()
    assert oct(os.stat(tmp_path / "jobs").st_mode & 0o777) == oct(0o711)
