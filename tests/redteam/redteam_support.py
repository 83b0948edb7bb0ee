"""The red-team class: one course, every attack and malformed submission, graded in one engine run."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

from attacks import ATTACKS, STRUCTURE, WRONG
from autograder.engine.limits import Limits
from autograder.engine.scheduler import grade
from engine_support import ASSIGNMENT, CHECKS, HONEST, colab_like, make_course, with_answers

LIMITS = Limits(cell_timeout_s=4, memory_mb=1024, processes=48, output_kb=64)
REPO = Path(__file__).resolve().parents[2]
LEAK_MARK = "LEAKED:"


def _gid(cell) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")


def _find(nb, gid):
    return next(c for c in nb["cells"] if _gid(c) == gid)


def structure_builders() -> dict:
    def wrong(release):
        return with_answers(release, {"nb90.ex2": WRONG})

    def deleted_test(r):
        nb = wrong(r)
        nb["cells"] = [c for c in nb["cells"] if _gid(c) != "nb90-ex2"]
        return nb

    def edited_test(r):
        nb = wrong(r)
        _find(nb, "nb90-ex2")["source"] = "pass"
        return nb

    def moved_test(r):
        nb = wrong(r)
        test = _find(nb, "nb90-ex2")
        nb["cells"].remove(test)
        test["source"] = "print('ok')"
        nb["cells"].insert(0, test)
        return nb

    def points_and_gid(r):
        nb = wrong(r)
        meta = _find(nb, "nb90-ex2")["metadata"]["nbgrader"]
        meta.update({"points": 100, "grade_id": "nb90-ex2-mine", "locked": False})
        _find(nb, "nb90-ex2-mine")["source"] = "pass"
        return nb

    def answer_as_test(r):
        nb = wrong(r)
        meta = _find(nb, "nb90-ex2-answer")["metadata"]["nbgrader"]
        meta.update({"grade_id": "nb90-ex2", "grade": True, "solution": False, "points": 100})
        return nb

    def claimed_gid(r):
        nb = wrong(r)
        extra = copy.deepcopy(_find(nb, "nb90-ex2"))
        extra["id"] = "mine"
        extra["source"] = "pass"
        extra["metadata"]["nbgrader"]["points"] = 50
        at = nb["cells"].index(_find(nb, "nb90-ex2"))
        nb["cells"].insert(at, extra)
        return nb

    def check_cell_edited(r):
        nb = wrong(r)
        _find(nb, "nb90-ex2-check")["source"] = "def square(x):\n    return x * x"
        _find(nb, "nb90-ex2-check")["metadata"]["nbgrader"]["locked"] = False
        return nb

    out = {
        "deleted_test": deleted_test,
        "edited_test": edited_test,
        "moved_test": moved_test,
        "points_and_gid": points_and_gid,
        "answer_as_test": answer_as_test,
        "claimed_gid": claimed_gid,
        "check_cell_edited": check_cell_edited,
    }
    assert set(out) == set(STRUCTURE)
    return {f"c7_{k}": v for k, v in out.items()}


def snoop_source(course: Path, variant: str) -> str:
    """Class 8: try to read and write everything the sandbox must not reach; print what worked."""
    targets = [
        course / ".secret",
        course / "gradebook.db",
        course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        course / "submitted" / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        course / "autograded" / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        course / "engine" / "results" / ASSIGNMENT / "honest.json",
        REPO / "solutions" / "00_start_here.ipynb",
        REPO / "solutions" / "01_tensors.ipynb",
    ]
    writes = [
        course / "gradebook.db",
        course / "submitted" / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        course / "engine" / "results" / ASSIGNMENT / "summary.csv",
    ]
    body = (
        "import os, glob\nfound = []\n"
        f"for p in {[str(t) for t in targets]!r} + glob.glob('/tmp/ag-job-*/cases.*') + ['/proc/%d/environ' % os.getppid(), '/proc/1/environ', '/proc/%d/mem' % os.getppid()]:\n"
        "    try:\n        with open(p, 'rb') as f:\n            f.read(16)\n        found.append('READ ' + p)\n"
        "    except OSError as e:\n        found.append('denied ' + p)\n"
        f"for p in {[str(w) for w in writes]!r}:\n"
        "    try:\n        with open(p, 'ab') as f:\n            f.write(b'x')\n        found.append('WROTE ' + p)\n"
        "    except OSError as e:\n        found.append('denied-write ' + p)\n"
        "found.append('env COURSE_SECRET=%r' % os.environ.get('COURSE_SECRET'))\n"
        "found.append('cwd holds %r' % sorted(os.listdir('.')))\n"
        "print('\\n'.join(found))\n"
    )
    if variant == "direct":
        return body + WRONG
    if variant == "pathlib":
        return (
            body.replace(
                "with open(p, 'rb') as f:\n            f.read(16)",
                "__import__('importlib').import_module('pathlib').Path(p).read_bytes()",
            )
            + WRONG
        )
    from attacks import _exec

    return _exec(body) + WRONG


#: Class 8: the student's function keeps the hidden inputs and a later moment shows them.
LEAK_CAPTURE = (
    "import importlib\nsb = importlib.import_module('autograder.engine.sandbox')\n_held = []\n"
    "def square(x):\n    if not _held:\n        _held.append(sb.CAPTURE)\n"
    f"    _held[0].stream('stdout', {LEAK_MARK!r} + repr(x.tolist()) + '\\n')\n    return x + x\n"
)
LEAK_LATER = (
    "_seen = []\nimport threading, time, sys\nsys.setswitchinterval(1e-6)\n"
    "def _later():\n    for _ in range(20000):\n        time.sleep(0.0002)\n        if len(_seen) > 1:\n"
    f"            sys.stdout.write({LEAK_MARK!r} + repr(_seen[1:]) + '\\n')\n"
    "threading.Thread(target=_later, daemon=True).start()\n"
    "def square(x):\n    _seen.append(x.tolist())\n    return x + x\n"
)


#: Right values, but the input is changed in place (a failure: the exercise may not mutate it).
MUTATES = "def square(x):\n    r = x * x\n    x.mul_(0)\n    return r\n"
#: The same, with a torch.equal that lies once and puts itself back: the in-sandbox
#: mutation check is fooled and the tripwire, which looks after the step, sees nothing.
MUTATES_LYING_ONCE = (
    "import torch\n_real = torch.equal\n"
    "def _liar(a, b):\n    torch.equal = _real\n    return True\n"
    "def square(x):\n    r = x * x\n    x.mul_(0)\n    torch.equal = _liar\n    return r\n"
)


def _honest(r):
    return with_answers(r, {})


def _colab_widgets(r):
    """Honest work as Colab saves it: widget state, an accelerator, widget views as outputs."""
    nb = colab_like(_honest(r))
    nb["metadata"]["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {
            "state": {"abc": {"model_name": "LayoutModel", "state": {"width": "100%"}}},
            "version_major": 2,
        }
    }
    nb["metadata"]["accelerator"] = "GPU"
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["outputs"] = [
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2}},
                }
            ]
            c["execution_count"] = None
    return nb


def _no_ids(r):
    nb = _honest(r)
    nb["nbformat_minor"] = 0
    for c in nb["cells"]:
        c.pop("id", None)
    return nb


def _duplicate_ids(r):
    nb = _honest(r)
    for c in nb["cells"]:
        c["id"] = "same"
    return nb


def _wrong_kernel(r):
    nb = _honest(r)
    nb["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    nb["metadata"]["language_info"] = {"name": "R"}
    return nb


def _fifty_mb_outputs(r):
    nb = _honest(r)
    big = "y" * (1 << 20)
    cell = _find(nb, "nb90-ex1-answer")
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": big} for _ in range(50)]
    return nb


def _string_sources(r):
    nb = _honest(r)
    for c in nb["cells"]:
        src = c["source"]
        c["source"] = "".join(src) if isinstance(src, list) else src
    return nb


def _list_sources(r):
    nb = _honest(r)
    for c in nb["cells"]:
        src = c["source"] if isinstance(c["source"], str) else "".join(c["source"])
        c["source"] = src.splitlines(keepends=True)
    return nb


def _other_assignment(r):
    return json.loads((REPO / "notebooks" / "01_tensors.ipynb").read_text())


def _truncated(r):
    return json.dumps(_honest(r)).encode()[:1000]


def _cells_not_dicts(r):
    nb = _honest(r)
    nb["cells"] = [1, "two", None] + nb["cells"]
    return nb


def malformed_builders(course_hint: str = "") -> dict:
    """Malformed submission -> builder (release notebook -> notebook, or raw bytes)."""
    return {
        "m_corrupt_json": _truncated,
        "m_empty": lambda r: b"",
        "m_not_utf8": lambda r: b'\xff\xfe\x00{"cells": []}\xc3',
        "m_nbformat40_no_ids": _no_ids,
        "m_colab_widgets": _colab_widgets,
        "m_other_assignment": _other_assignment,
        "m_duplicate_ids": _duplicate_ids,
        "m_wrong_kernelspec": _wrong_kernel,
        "m_fifty_mb_outputs": _fifty_mb_outputs,
        "m_string_sources": _string_sources,
        "m_list_sources": _list_sources,
        "m_cells_not_dicts": _cells_not_dicts,
        "m_nbformat3": lambda r: json.dumps(
            {"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "cells": []}
        ).encode(),
        "m_json_list": lambda r: b"[1, 2, 3]",
    }


#: malformed submission -> status its row must have (and, for readable ones, the scores).
MALFORMED_STATUS = {
    "m_corrupt_json": "unreadable",
    "m_empty": "unreadable",
    "m_not_utf8": "unreadable",
    "m_nbformat3": "unreadable",
    "m_json_list": "unreadable",
    "m_missing": "missing",
    "m_nbformat40_no_ids": "graded",
    "m_colab_widgets": "graded",
    "m_duplicate_ids": "graded",
    "m_wrong_kernelspec": "graded",
    "m_fifty_mb_outputs": "graded",
    "m_string_sources": "graded",
    "m_list_sources": "graded",
    "m_cells_not_dicts": "graded",
    "m_other_assignment": "flagged",
}


def _fill(source: str, host: dict) -> str:
    """Class 10's placeholders: what the host side of the test opened (``host_side``)."""
    values = {
        "HOST_PORT": host.get("port", 9),
        "HOST_UNIX": host.get("unix") or "/run/redteam-none.sock",
        "HOST_MARKER": host.get("marker", "/tmp/redteam-host-marker"),
        "FILL_MB": FILL_MB,
    }
    for name, value in values.items():
        source = source.replace(name, repr(value))
    return source


#: What the fill attacks write. Without the private scratch (a grader that is not root) that
#: much would land on the host's /tmp, so they then write only a little: nothing to test there.
FILL_MB = 256 if os.geteuid() == 0 else 16


def students(course: Path, host: dict | None = None) -> dict:
    out = {"honest": lambda r: with_answers(r, {}), "wrong_only": lambda r: with_answers(r, {"nb90.ex2": WRONG})}
    for a in ATTACKS:
        out[a.student] = (lambda src: lambda r: with_answers(r, {"nb90.ex2": src}))(_fill(a.source, host or {}))
    out.update(structure_builders())
    for v in ("direct", "pathlib", "exec"):
        out[f"c8_snoop_{v}"] = (lambda src: lambda r: with_answers(r, {"nb90.ex2": src}))(snoop_source(course, v))
    # honest work whose output is silenced: the score does not rest on output either way
    out["silenced_honest"] = lambda r: with_answers(
        r, {"nb90.ex2": "import sys, os\nsys.stdout = sys.stderr = open(os.devnull, 'w')\n" + HONEST["nb90.ex2"]}
    )
    out["mutates_input"] = lambda r: with_answers(r, {"nb90.ex2": MUTATES})
    out["mutates_input_lying_once"] = lambda r: with_answers(r, {"nb90.ex2": MUTATES_LYING_ONCE})
    out["c8_leak_capture"] = lambda r: with_answers(r, {"nb90.ex2": LEAK_CAPTURE})
    out["c8_leak_later"] = lambda r: with_answers(r, {"nb90.ex2": LEAK_LATER})
    out.update(malformed_builders())
    return out


@contextlib.contextmanager
def host_side():
    """What class 10 reaches for on the grader's host: a TCP listener on 127.0.0.1, a Unix
    socket in /run (as root), a world-readable marker file in /tmp; after grading, the
    connections any of them got and the free space of /tmp before and after."""
    tag = uuid.uuid4().hex[:12]
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(64)
    unix = None
    host = {"port": tcp.getsockname()[1], "marker": f"/tmp/redteam-host-marker-{tag}", "unix": None, "tag": tag}
    if os.access("/run", os.W_OK):
        host["unix"] = f"/run/redteam-{tag}.sock"
        unix = socket.socket(socket.AF_UNIX)
        unix.bind(host["unix"])
        os.chmod(host["unix"], 0o777)
        unix.listen(64)
    with open(host["marker"], "w") as f:
        f.write("the host's own file\n")
    os.chmod(host["marker"], 0o644)
    try:
        yield host
    finally:
        host["connections"] = []
        for s in (tcp, unix):
            if s is not None:
                s.setblocking(False)
                while True:  # a connection completes in the kernel's backlog even if never accepted
                    try:
                        host["connections"].append(str(s.accept()[1]))
                    except OSError:
                        break
                s.close()
        for path in (host["unix"], host["marker"]):
            if path:
                os.unlink(path)


SCRATCH = [d for d in ("/tmp", "/var/tmp", "/dev/shm") if os.path.isdir(d)]


class _ScratchWatch(threading.Thread):
    """While grading: the host's scratch places, every 20 ms (a fill attack's files, /tmp's lowest free space)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen: set[str] = set()
        self.free_min = shutil.disk_usage("/tmp").free
        self.done = threading.Event()
        self.start()

    def run(self):
        while not self.done.wait(0.02):
            self.free_min = min(self.free_min, shutil.disk_usage("/tmp").free)
            for d in SCRATCH:
                try:
                    self.seen.update(os.path.join(d, n) for n in os.listdir(d) if n.startswith("redteam-fill"))
                except OSError:
                    pass

    def stop(self):
        self.done.set()
        self.join()


def build_and_grade(root: Path):
    with host_side() as host:
        make_course(root, students(root, host))
        (root / "submitted" / "m_missing" / ASSIGNMENT).mkdir(parents=True)  # a student folder without the notebook
        (root / "submitted" / "m_missing" / ASSIGNMENT / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
        before = {p: p.read_bytes() for p in (root / "submitted").rglob("*.ipynb")}
        free_before = shutil.disk_usage("/tmp").free
        watch = _ScratchWatch()
        t0 = time.perf_counter()
        try:
            rows = grade(ASSIGNMENT, root, workers=2, limits=LIMITS, extra_checks=[CHECKS], progress=False)
        finally:
            watch.stop()
        seconds = time.perf_counter() - t0
        host.update(
            free_before=free_before,
            free_min=min(watch.free_min, free_before),
            free_after=shutil.disk_usage("/tmp").free,
            fill_seen=sorted(watch.seen),
            tmp_after=sorted(n for d in SCRATCH for n in os.listdir(d)),
        )
    return {"root": root, "rows": {r.student: r for r in rows}, "seconds": seconds, "before": before, "host": host}
