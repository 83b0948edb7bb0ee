"""The grading engine on a fixture assignment: one graded class, many properties.

One ``grade()`` run (a LocalCluster of two workers) grades a class whose students each
do one thing: honest work, a crash, a timeout, a memory blow-up, a tampering trick, a
10 MB print, a fork bomb, a Colab save, a broken file. Each test then reads what that
student got. Honest exercises around the bad one keep full marks every time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import coursedir
from autograder.engine.limits import Limits
from autograder.engine.scheduler import CourseLock, GraderBusy, grade
from engine_support import ASSIGNMENT, CHECKS, HONEST, colab_like, make_course, with_answers

LIMITS = Limits(cell_timeout_s=4, memory_mb=1024, processes=48, output_kb=64)
SQUARE = HONEST["nb90.ex2"]


def _course_dir_literal(root: Path) -> str:
    return repr(str(root))


def students(root: Path) -> dict:
    def ans(ex2: str, **more):
        return lambda release: with_answers(release, {"nb90.ex2": ex2, **more})

    def deleted_test(release):
        nb = with_answers(release, {})
        nb["cells"] = [
            c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "nb90-ex3"
        ]
        return nb

    def remarked(release):
        nb = with_answers(release, {})
        for c in nb["cells"]:
            meta = c.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade_id") == "nb90-ex2-answer":
                meta.update({"grade_id": "nb90-ex2", "grade": True, "solution": False, "points": 100})
        return nb

    snoop = (
        SQUARE + "\nimport os\nprint('env secret:', os.environ.get('COURSE_SECRET'))\n"
        f"for p in ['.secret', 'gradebook.db', 'source']:\n"
        f"    p = os.path.join({_course_dir_literal(root)}, p)\n"
        "    try:\n        open(p, 'rb').read(1) if not os.path.isdir(p) else os.listdir(p)\n"
        "        print('READ', p)\n    except OSError as e:\n        print('denied', type(e).__name__)\n"
        "print('cwd holds', sorted(os.listdir('.')))"
    )
    return {
        "honest": ans(SQUARE),
        "blank": lambda release: release,
        "exit_in_answer": ans("import os\nos._exit(1)"),
        "exit_when_called": ans("def square(x):\n    import os\n    os._exit(3)"),
        "infinite_loop": ans(SQUARE + "\nwhile True:\n    pass"),
        "huge_allocation": ans("import torch\nbig = torch.empty(10**11)\n" + SQUARE),
        "patch_torch_equal": ans(
            SQUARE + "\nimport torch\ntorch.equal = lambda a, b: True\ntorch.allclose = lambda *a, **k: True"
        ),
        "input_transformer": ans(SQUARE + "\nget_ipython().input_transformers_cleanup.append(lambda lines: lines)"),
        "patch_checker_code": ans(
            SQUARE + "\nfrom course.checking.judge import Judge\n"
            "Judge.close.__code__ = (lambda self, *a, **k: None).__code__"
        ),
        "settrace": ans(SQUARE + "\nimport sys\nsys.settrace(lambda *a: None)"),
        "swap_sys_modules": ans(
            SQUARE + "\nimport sys, types\nsys.modules['course.checking.judge'] = types.ModuleType('fake')"
        ),
        "override_builtin": ans(SQUARE + "\nimport builtins\nbuiltins.isinstance = lambda *a: True"),
        "custom_exc_handler": ans(SQUARE + "\nget_ipython().set_custom_exc((Exception,), lambda *a, **k: None)"),
        "event_hook": ans(SQUARE + "\nget_ipython().events.register('post_run_cell', lambda result: None)"),
        "replace_run_cell": ans(SQUARE + "\nip = get_ipython()\nip.run_cell = lambda *a, **k: None"),
        "lying_tensor": ans(
            "import torch\nclass Liar(torch.Tensor):\n    def __eq__(self, other):\n        return True\n"
            "def square(x):\n    return Liar(torch.zeros(3))"
        ),
        "keyboard_interrupt": ans("def square(x):\n    raise KeyboardInterrupt"),
        "kill_session": ans("import os, signal\nos.killpg(0, signal.SIGKILL)"),
        "print_10mb": ans(SQUARE + "\nprint('x' * 10_000_000)"),
        # a fork bomb that ends its children before the cell ends (one that leaves them running
        # is left out for that: tests/redteam)
        "fork_bomb": ans(
            SQUARE + "\nimport os, time, signal\nn, kids = 0, []\ntry:\n    for _ in range(300):\n"
            "        pid = os.fork()\n        if pid == 0:\n            time.sleep(120)\n            os._exit(0)\n"
            "        kids.append(pid)\n        n += 1\nexcept OSError as e:\n    print('fork refused after', n)\n"
            "for pid in kids:\n    os.kill(pid, signal.SIGKILL)\n    os.waitpid(pid, 0)"
        ),
        "snoop": ans(snoop),
        "stderr_debug": ans(
            SQUARE, **{"nb90.ex1": "import sys\ndef double(x):\n    print('debug', file=sys.stderr)\n    return 2 * x"}
        ),
        "deleted_test": deleted_test,
        "remarked_answer": remarked,
        "colab": lambda release: colab_like(with_answers(release, {})),
        "empty_file": lambda release: b"",
        "not_json": lambda release: b"\x89PNG\r\n not a notebook",
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine") / "course"
    make_course(root, students(root))
    t0 = time.perf_counter()
    rows = grade(ASSIGNMENT, root, workers=2, limits=LIMITS, extra_checks=[CHECKS], progress=False)
    seconds = time.perf_counter() - t0
    by_student = {r.student: r for r in rows}
    return root, by_student, seconds


def scores(row) -> dict:
    return {g: v.score for g, v in row.cells.items()}


FULL = {"nb90-ex1": 1.0, "nb90-ex2": 1.0, "nb90-ex3": 1.0}
EX2_ZERO = {"nb90-ex1": 1.0, "nb90-ex2": 0.0, "nb90-ex3": 1.0}


def test_every_submission_gets_a_row(graded):
    root, rows, seconds = graded
    assert set(rows) == set(students(root))
    print(f"graded {len(rows)} submissions in {seconds:.1f} s")


def test_the_hostile_class_is_graded_on_two_zygotes(graded):
    """workers=2: the first zygote and a second one, its clone (``Zygote.clone``; what makes
    it a clone is proven in tests/engine/test_pool.py); the hostile submissions ran on both,
    and every other test here holds for every row."""
    _, rows, _ = graded
    zygotes = {r.timings.zygote_pid for r in rows.values() if r.timings.zygote_pid}
    assert len(zygotes) == 2, zygotes


def test_honest_full_blank_zero(graded):
    _, rows, _ = graded
    assert scores(rows["honest"]) == FULL and rows["honest"].status == "graded", rows["honest"]
    assert scores(rows["blank"]) == {g: 0.0 for g in FULL}


@pytest.mark.parametrize(
    "student,status",
    [
        ("exit_in_answer", "crashed"),
        ("exit_when_called", "crashed"),
        ("infinite_loop", "timeout"),
        ("kill_session", "crashed"),
    ],
)
def test_a_crash_costs_only_its_exercise(graded, student, status):
    _, rows, _ = graded
    row = rows[student]
    assert scores(row) == EX2_ZERO, row
    assert row.cells["nb90-ex2"].status == status, row.cells["nb90-ex2"]
    assert row.cells["nb90-ex2"].flags, row.cells["nb90-ex2"]


@pytest.mark.parametrize("student", ["lying_tensor", "keyboard_interrupt"])
def test_wrong_objects_and_interrupts_earn_zero(graded, student):
    _, rows, _ = graded
    assert scores(rows[student]) == EX2_ZERO, rows[student]


def test_memory_limit_fails_the_cell_not_the_notebook(graded):
    _, rows, _ = graded
    assert scores(rows["huge_allocation"]) == EX2_ZERO, rows["huge_allocation"]


@pytest.mark.parametrize(
    "student",
    [
        "patch_torch_equal",
        "input_transformer",
        "patch_checker_code",
        "settrace",
        "swap_sys_modules",
        "override_builtin",
        "custom_exc_handler",
        "event_hook",
        "replace_run_cell",
    ],
)
def test_tampering_is_zero_and_flagged(graded, student):
    _, rows, _ = graded
    row = rows[student]
    assert scores(row) == EX2_ZERO, row
    assert row.status == "flagged"
    assert row.cells["nb90-ex2"].status == "flagged"
    assert any("tampered" in f for f in row.cells["nb90-ex2"].flags), row.cells["nb90-ex2"]


def _autograded(root: Path, student: str) -> dict:
    return json.loads((root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())


def _outputs_text(nb: dict, grade_id: str) -> str:
    cell = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(o.get("text", "") if isinstance(o.get("text"), str) else "" for o in cell.get("outputs", []))


def test_output_is_capped(graded):
    root, rows, _ = graded
    assert scores(rows["print_10mb"]) == FULL
    text = _outputs_text(_autograded(root, "print_10mb"), "nb90-ex2-answer")
    assert len(text) < LIMITS.output_kb * 1024 + 200 and "output cut" in text


def test_process_limit(graded):
    root, rows, _ = graded
    assert scores(rows["fork_bomb"]) == FULL
    text = _outputs_text(_autograded(root, "fork_bomb"), "nb90-ex2-answer")
    assert "fork refused after" in text, text
    assert int(text.split("fork refused after")[1].split()[0]) < 300


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox drops to another uid only when the grader is root")
def test_sandbox_cannot_read_the_course(graded):
    root, rows, _ = graded
    text = _outputs_text(_autograded(root, "snoop"), "nb90-ex2-answer")
    assert "env secret: None" in text and "READ" not in text and text.count("denied") == 3, text
    assert "cwd holds ['engine_fixture.ipynb']" in text, text
    assert scores(rows["snoop"]) == FULL


def test_stderr_does_not_cost_points(graded):
    _, rows, _ = graded
    assert scores(rows["stderr_debug"]) == FULL  # plain nbgrader gives nb90-ex1 zero (test_parity.py)


def test_test_cells_come_from_the_source(graded):
    _, rows, _ = graded
    assert scores(rows["deleted_test"]) == FULL, rows["deleted_test"]
    row = rows["remarked_answer"]
    assert scores(row) == EX2_ZERO, row
    assert row.cells["nb90-ex2"].flags, row


def test_colab_save_is_matched_by_position(graded):
    _, rows, _ = graded
    assert scores(rows["colab"]) == FULL, rows["colab"]


@pytest.mark.parametrize("student", ["empty_file", "not_json"])
def test_unreadable_files_get_a_status(graded, student):
    _, rows, _ = graded
    assert rows[student].status == "unreadable" and rows[student].score == 0, rows[student]


def test_gradebook_matches_and_nbgrader_reads_it(graded):
    root, rows, _ = graded
    book = coursedir.gradebook_scores(root, ASSIGNMENT)
    assert book == {s: scores(r) for s, r in rows.items()}
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", "export"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    grades = (root / "grades.csv").read_text()
    assert "honest" in grades and "patch_torch_equal" in grades
    out = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_feedback", ASSIGNMENT, "--student", "honest"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (root / "feedback" / "honest" / ASSIGNMENT / f"{ASSIGNMENT}.html").exists()


def test_rerun_uses_the_journal_and_a_second_grader_refuses(graded):
    root, rows, _ = graded
    with CourseLock(root):
        with pytest.raises(GraderBusy, match="another grader"):
            grade(ASSIGNMENT, root, limits=LIMITS, extra_checks=[CHECKS], progress=False)
    holder = CourseLock(root).__enter__()
    threading.Timer(0.5, holder.__exit__, (None, None, None)).start()
    again = grade(ASSIGNMENT, root, limits=LIMITS, extra_checks=[CHECKS], progress=False, wait_s=30)
    assert all(r.resumed for r in again)
    assert {r.student: scores(r) for r in again} == {s: scores(r) for s, r in rows.items()}
