"""The instructor's report renders, with its plots and tables, its item analysis and the
similarity page; ``report --json`` prints the typed document."""

from __future__ import annotations

import base64
import contextlib
import io
import re

from autograder.__main__ import main
from autograder.analysis.data import from_json
from engine_support import ASSIGNMENT


def test_report_page(graded):
    course, _ = graded
    assert main(["report", ASSIGNMENT, "--course", str(course)]) == 0
    text = (course / "reports" / f"{ASSIGNMENT}.html").read_text()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 4, [alt for alt, _ in images]
    for alt, data in images:
        assert alt and base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    for heading in (
        "Exercises",
        "Item analysis",
        "Similar submissions",
        "Most frequent misconceptions",
        "Flagged for review",
        "Crashed or timed out",
        "Slowest submissions",
        "Missing",
    ):
        assert f"<h2>{heading}</h2>" in text
    section = lambda name: text.split(f"<h2>{name}</h2>", 1)[1].split("<h2>", 1)[0]  # noqa: E731
    mis = section("Most frequent misconceptions")
    assert "<td>not-implemented</td><td>Exercise not attempted yet</td><td class=num>3</td>" in mis
    assert "float64-not-float32" in mis and "square(x) has dtype torch.float64" in mis
    assert "frank06" in section("Flagged for review") and "torch.equal" in section("Flagged for review")
    trouble = section("Crashed or timed out")
    assert "dave04" in trouble and "timeout" in trouble and "erin05" in trouble
    assert "dave04" in section("Slowest submissions").split("</tr>")[1]  # the timeout was slowest
    assert "hank08" in section("Missing") and "unknown-student" in section("Missing")
    assert "<td>nb90-ex2</td><td>Fixture 2</td><td class=num>0.50</td>" in section("Exercises")
    items = section("Item analysis")
    # 7 participants (carol03 handed in the blank release): too few to flag anything, and it says so
    assert "7 participants: the 8 graded students less 1 who attempted no exercise" in items
    assert "No item is flagged." in items and "too uncertain" in items
    assert "<table class=sortable>" in items and "grading s (median / max)" in items
    table = items.split("</table>", 1)[0]  # every exercise has its seconds in grading (the journal's exercise_s)
    assert len(re.findall(r'<td class=num data-sort="[0-9.e-]+">[0-9.]+ / [0-9.]+</td>', table)) == 3
    similar = section("Similar submissions")
    assert f'href="{ASSIGNMENT}_similarity.html"' in similar and "Too short to judge" in similar
    page = (course / "reports" / f"{ASSIGNMENT}_similarity.html").read_text()
    assert "Never a verdict" in page and "<script>alert" not in page


def test_report_json(graded):
    course, _ = graded
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["report", ASSIGNMENT, "--course", str(course), "--json"]) == 0
    doc = from_json(out.getvalue())
    assert doc.assignment == ASSIGNMENT and doc.max_score == 3
    by = {s.student: s for s in doc.students}
    assert by["hank08"].score is None and by["hank08"].status == "not placed"
    bob = {x.grade_id: x for x in by["bob02"].exercises}
    assert bob["nb90-ex2"].misconception == "float64-not-float32" and bob["nb90-ex2"].attempted
    assert not {x.grade_id: x for x in by["carol03"].exercises}["nb90-ex1"].attempted
    assert by["ivan09"].late_days == 1 and [i.grade_id for i in doc.items] == ["nb90-ex1", "nb90-ex2", "nb90-ex3"]
    assert all(e.note for e in doc.similarity)  # one-line answers: too short to judge
