"""What a zygote imports and warms for an assignment, and starting it before anything else.

A zygote pays once for what every sandbox it forks would otherwise pay: imports, and
the lazy paths of torch that import more on first use (the first ``optimizer.step()``
imports ``torch._dynamo``, ~800 modules). What it pays is decided here from the
assignment's own files, so that it pays for what the assignment uses and no more:

- the modules every code cell of the course's source notebooks imports;
- the checker modules of the assignment's graded cells (``nb01-ex3`` -> ``course.checks.nb01``)
  and every module those files import, at any depth (a checker that imports inside a
  function imports in the sandbox otherwise);
- the lazy torch paths the notebooks or the checkers reach (:data:`PATHS`, found by the
  names that reach them: ``optim``, ``DataLoader``, ``torch.save``...).

This module imports nothing heavy (no torch, no nbgrader, no Dask), so that the driver can
start its first zygote in its first milliseconds and import its own modules while the
zygote imports torch (:func:`launch`; ``worker.Zygote`` adopts the process).
"""

from __future__ import annotations

import ast
import fcntl
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SLOT_DIR = os.path.join(tempfile.gettempdir(), "autograder-engine-slots")
MAX_SLOTS = 256

#: Lazy torch paths a zygote can take before it forks, and the words in a notebook's or a
#: checker's code that reach them.
PATHS = {
    "optimizer": re.compile(r"\boptim\b|\boptimizer\b|lr_scheduler|\.step\("),
    "data-loader": re.compile(r"\bDataLoader\b|\bTensorDataset\b|torch\.utils\.data"),
    "serialization": re.compile(r"torch\.(save|load)\b"),
    "meta": re.compile(r"['\"]meta['\"]"),
}
#: Imported by every zygote: small modules that code reaches for lazily.
BASE_IMPORTS = (
    "encodings.ascii",
    "encodings.latin_1",
    "encodings.utf_16",
    "encodings.utf_32",
    "encodings.idna",
    "cProfile",
    "pstats",
    "copy",
    "io",
    "tempfile",
    "csv",
    "zipfile",
    "gzip",
    "pickle",
    "tqdm.auto",
    "torch.nn.init",
    "torch.autograd.functional",
)
_GRADE_ID = re.compile(r"^(nb\d+)-ex\d+$")


@dataclass(frozen=True)
class Needs:
    """What the zygote of an assignment imports and warms (``records.ZygoteSpec``'s fields)."""

    imports: tuple[str, ...]
    paths: tuple[str, ...]

    def spec(self, extra_checks=()) -> dict:
        """The ``ZygoteSpec`` as plain data (this module does not import the records)."""
        return {
            "extra_checks": list(extra_checks),
            "warm_imports": list(self.imports),
            "warm_paths": list(self.paths),
            "all_checkers": False,
        }


def needs(sources: list[bytes], extra_checks=()) -> Needs:
    """What grading these source notebooks needs imported and warmed (see the module docstring)."""
    texts, modules = [], set()
    for data in sources:
        for cell in _cells(data):
            if cell.get("cell_type") == "code":
                texts.append(_text(cell.get("source")))
            gid = (
                (cell.get("metadata") or {}).get("nbgrader", {}).get("grade_id", "")
                if isinstance(cell.get("metadata"), dict)
                else ""
            )
            m = _GRADE_ID.match(gid) if isinstance(gid, str) else None
            if m:
                modules.add(f"course.checks.{m.group(1)}")
    imports = set(BASE_IMPORTS) | set(modules)
    for text in texts:
        imports |= imported(text)
    for path in [checker_file(m) for m in sorted(modules)] + [Path(p) for p in extra_checks]:
        try:
            text = path.read_text() if path is not None else ""
        except OSError:
            continue
        texts.append(text)
        imports |= imported(text)
    paths = tuple(name for name, pattern in PATHS.items() if any(pattern.search(t) for t in texts))
    return Needs(tuple(sorted(imports)), paths)


def imported(text: str) -> set[str]:
    """Modules a cell or a file imports, at any depth (IPython's magic lines left out)."""
    lines = text.splitlines()
    try:
        tree = ast.parse("\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in lines))
    except (SyntaxError, ValueError, RecursionError):
        return set()
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)  # and what may be a submodule (`from course import plots`)
            out.update(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return out


def checker_file(module: str) -> Path | None:
    """Where ``course.checks.nbNN`` lives, found without importing ``course`` (which imports torch)."""
    try:
        spec = importlib.util.find_spec("course")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0], *module.split(".")[1:]).with_suffix(".py")
    return path if path.is_file() else None


def _cells(data: bytes) -> list[dict]:
    try:
        cells = json.loads(data)["cells"]
    except (ValueError, KeyError, TypeError):
        return []
    return [c for c in cells if isinstance(c, dict)] if isinstance(cells, list) else []


def _text(value) -> str:
    if isinstance(value, list):
        return "".join(s for s in value if isinstance(s, str))
    return value if isinstance(value, str) else ""


# --- starting a zygote ---------------------------------------------------------------------------


@dataclass
class Launched:
    """A zygote process that is starting (``worker.Zygote`` waits for its ``Ready``)."""

    slot: int
    slot_file: object
    log: str
    proc: subprocess.Popen
    t0: float

    def stop(self) -> None:
        """Started early, then not needed (a bad course, nothing to grade, the course busy)."""
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self.slot_file.close()  # type: ignore[attr-defined]


def slot() -> tuple[int, object]:
    """A slot number no other live zygote on this machine holds (flock, freed on death)."""
    os.makedirs(SLOT_DIR, mode=0o700, exist_ok=True)
    for n in range(MAX_SLOTS):
        f = open(os.path.join(SLOT_DIR, f"slot-{n}.lock"), "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return n, f
        except OSError:
            f.close()
    raise RuntimeError("no free sandbox slot")


def launch(spec_json: str) -> Launched:
    """Start a zygote on ``spec_json`` (a ``ZygoteSpec`` as JSON); it answers ``Ready`` when warm."""
    n, lock = slot()
    env = {
        k: v
        for k, v in os.environ.items()
        if k in ("PATH", "LANG", "LC_ALL", "HOME", "PYTHONPATH", "VIRTUAL_ENV", "TMPDIR")
    }
    t0 = time.perf_counter()
    log = os.path.join(SLOT_DIR, f"zygote-{n}.log")
    with open(log, "wb") as f:  # its stderr: why it failed to start, if it does
        proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.engine.zygote", spec_json],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=f,
            env=env,
            cwd="/",
            bufsize=0,
        )
    return Launched(n, lock, log, proc, t0)


def launch_for(course: Path, assignment: str, extra_checks=()) -> Launched | None:
    """The first zygote of grading ``assignment`` in ``course``, started now (None: no sources, or no slot)."""
    sources = [p.read_bytes() for p in sorted((Path(course) / "source" / assignment).glob("*.ipynb"))]
    if not sources:
        return None
    extra = [str(Path(p).resolve()) for p in extra_checks]
    try:
        return launch(json.dumps(needs(sources, extra).spec(extra)))
    except (OSError, RuntimeError):
        return None  # the grader starts its own, and says why if it cannot
