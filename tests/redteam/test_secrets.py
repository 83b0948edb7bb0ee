"""No hidden test, solution or secret in what students get or what the sandbox can read (issue 14)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from engine_support import ASSIGNMENT
from redteam_support import LEAK_MARK, REPO

HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True", "### BEGIN SOLUTION", "### END SOLUTION")


def _solution_lines(nb: dict) -> set[str]:
    """The lines between BEGIN/END SOLUTION of a solution notebook (long enough to be telling)."""
    out = set()
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", src, re.S):
            out |= {ln.strip() for ln in block.splitlines() if len(ln.strip()) >= 30}
    return out


def _cells_text(nb: dict) -> str:
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"])


@pytest.mark.parametrize("release", sorted((REPO / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_the_student_release_holds_no_hidden_tests_or_solutions(release):
    text = _cells_text(json.loads(release.read_text()))
    assert not [m for m in HIDDEN_MARKERS if m in text]
    solution = REPO / "solutions" / release.name
    if solution.exists():
        nb = json.loads(solution.read_text())
        public = re.sub(r"### BEGIN SOLUTION\n.*?### END SOLUTION", "", _cells_text(nb), flags=re.S)
        leaked = [ln for ln in _solution_lines(nb) if ln in text and ln not in public]
        assert not leaked, leaked[:3]


def _student_facing(root: Path) -> list[Path]:
    """The autograded notebooks (what feedback is made from) and any feedback pages."""
    pages = [p for d in ("feedback", "feedback_html") for p in (root / d).rglob("*.html")] if root.exists() else []
    return sorted((root / "autograded").rglob("*.ipynb")) + pages


@pytest.fixture(scope="module")
def pages(graded) -> list[Path]:
    """The feedback pages (``autograder.feedback``), when that module is there."""
    try:
        from autograder import feedback
    except ImportError:
        return []
    return feedback.write(graded["root"], ASSIGNMENT)


def test_the_feedback_holds_no_hidden_tests_and_no_secret(graded, pages):
    root = graded["root"]
    secret = (root / ".secret").read_text().strip()
    files = _student_facing(root)
    assert set(pages) <= set(files)
    assert len(files) >= len(graded["rows"]) - 6  # unreadable and missing ones have no cells of their own
    for path in files:
        text = path.read_text(errors="replace")
        assert secret not in text, path
        assert not [m for m in HIDDEN_MARKERS[:3] if m in text], path


def _answer_output(root: Path, student: str) -> str:
    nb = json.loads((root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "nb90-ex2-answer")
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if isinstance(o.get("text"), str))


@pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox drops to its own uid only when the grader runs as root")
@pytest.mark.parametrize("variant", ["direct", "pathlib", "exec"])
def test_the_sandbox_reads_and_writes_nothing_it_must_not(graded, variant):
    root = graded["root"]
    text = _answer_output(root, f"c8_snoop_{variant}")
    lines = text.splitlines()
    assert "env COURSE_SECRET=None" in lines, text
    assert "cwd holds ['engine_fixture.ipynb']" in lines, text
    assert not [ln for ln in lines if ln.startswith(("READ ", "WROTE "))], text
    for what in (
        ".secret",
        "gradebook.db",
        f"source/{ASSIGNMENT}",
        "submitted/honest",
        "autograded/honest",
        "results",
        "solutions/00_start_here",
        "solutions/01_tensors",
        "environ",
    ):
        assert any(ln.startswith("denied") and what in ln for ln in lines), (what, text)
    assert graded["rows"][f"c8_snoop_{variant}"].cells["nb90-ex2"].score == 0


def test_hidden_inputs_do_not_reach_the_feedback_pages(graded, pages):
    if not pages:
        pytest.skip("no feedback pages (autograder.feedback) in this checkout")
    for student in ("c8_leak_capture", "c8_leak_later"):
        page = graded["root"] / "feedback_html" / student / f"{ASSIGNMENT}.html"
        assert page in pages and LEAK_MARK + "[" not in page.read_text()


@pytest.mark.xfail(
    strict=True,
    reason="not defended: the hidden inputs are in the sandbox by design, and student code "
    "can carry them into outputs that the feedback shows (docs/grader-defences.md)",
)
def test_hidden_inputs_do_not_reach_the_autograded_notebook(graded):
    """The autograded notebook is what ``nbgrader generate_feedback`` turns into its page: a
    function that keeps a reference to the visible output capture writes into it later."""
    _no_leak(graded, "c8_leak_capture")


def test_a_thread_left_to_print_the_hidden_inputs_later_costs_its_cell(graded):
    """The same through a thread the answer cell leaves running: the cell is left out (its
    exercise flagged "left-behind"), so the thread never sees the hidden inputs."""
    _no_leak(graded, "c8_leak_later")
    verdict = graded["rows"]["c8_leak_later"].cells["nb90-ex2"]
    assert verdict.score == 0 and any("thread" in f and "(left-behind)" in f for f in verdict.flags), verdict


def _no_leak(graded, student: str) -> None:
    nb = (graded["root"] / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert LEAK_MARK + "[" not in nb
