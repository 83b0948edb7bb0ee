"""Limits of a sandbox run, and their defaults (docs/grading-engine.md, "Limits").

The wall limit per cell is enforced from outside (the worker kills the sandbox); the
others are kernel limits (``setrlimit``) set inside the sandbox before student code runs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    #: Wall time of one cell, or of one exercise's ``collect`` (nbgrader allows 120 s).
    cell_timeout_s: float = 60.0
    #: CPU seconds of one sandbox run (RLIMIT_CPU; SIGXCPU then SIGKILL).
    cpu_s: int = 600
    #: Memory the student may add on top of the pre-imported zygote (RLIMIT_AS).
    memory_mb: int = 2048
    #: Processes and threads of the sandbox user (RLIMIT_NPROC; as the grader user: on top of what it runs).
    processes: int = 64
    #: Largest file the sandbox may write (RLIMIT_FSIZE).
    file_mb: int = 64
    #: What the sandbox may write in its working directory, /tmp, /var/tmp and /dev/shm together,
    #: on top of the submission's own files (as root: one private tmpfs, gone with the sandbox).
    scratch_mb: int = 64
    #: Text a cell may print; the rest is cut, with a note.
    output_kb: int = 256
    #: Bytes of tensors one exercise may hand back.
    result_mb: int = 128
    #: Runs of one submission: the first, then one replay per bad cell.
    max_runs: int = 5

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Limits":
        return cls(**d)
