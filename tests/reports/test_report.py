"""The instructor's report renders, with its plots and tables."""

from __future__ import annotations

import base64
import re

from autograder.__main__ import main
from engine_support import ASSIGNMENT


def test_report_page(graded):
    course, _ = graded
    assert main(["report", ASSIGNMENT, "--course", str(course)]) == 0
    text = (course / "reports" / f"{ASSIGNMENT}.html").read_text()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 3, [alt for alt, _ in images]
    for alt, data in images:
        assert alt and base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    for heading in ("Exercises", "Most frequent misconceptions", "Flagged for review", "Crashed or timed out",
                    "Slowest submissions", "Missing"):
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
