"""The cheat sheet (docs/mistakes.md) is the catalogue, rendered: in sync, complete, linked."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from course.checking.result import CheckResult
from course.misconceptions import CATALOGUE, SHEET_PATH, SHEET_URL, Misconception, _slug, markdown, match_error, url
from support import ROOT, SOLUTIONS

SHEET = ROOT / SHEET_PATH
REGENERATE = "python -m course.misconceptions --markdown > docs/mistakes.md"


def _problems(entries) -> list[str]:
    """What an entry lacks for the sheet: a symptom, a section, PyTorch's message where it raises."""
    found = []
    for m in entries:
        if not m.symptom.strip():
            found.append(f"{m.code}: no symptom= (what the student sees)")
        if not m.topic:
            found.append(f"{m.code}: added before any _section(...)")
        if m.errors and not m.message:
            found.append(f"{m.code}: has errors= fragments but no message= (PyTorch's message as it prints it)")
        if m.message and match_error(m.message) != m.code:
            found.append(f"{m.code}: its message= is named {match_error(m.message)!r} by match_error")
    return found


def test_sheet_is_generated_from_the_catalogue():
    assert SHEET.read_text() == markdown(), f"{SHEET_PATH} is out of date: run `{REGENERATE}`"


def test_every_entry_has_what_the_sheet_needs():
    assert not _problems(CATALOGUE.values())


def test_an_entry_without_symptom_or_message_is_reported():
    bare = Misconception("new-mistake", "A new mistake", "why", "fix", ("some error",), topic="T")
    assert [p.split(": ")[1][:12] for p in _problems([bare])] == ["no symptom= ", "has errors= "]
    unmatched = Misconception(
        "new-mistake",
        "A new mistake",
        "why",
        "fix",
        ("some error",),
        symptom="s",
        message="RuntimeError: another error",
        topic="T",
    )
    assert _problems([unmatched]) == ["new-mistake: its message= is named None by match_error"]


def test_every_code_has_its_own_anchor():
    text = markdown()
    headings = re.findall(r"^### (.+)$", text, flags=re.M)
    assert headings == list(CATALOGUE), "one heading per entry, in catalogue order"
    sections = {_slug(h) for h in re.findall(r"^## (.+)$", text, flags=re.M)}
    assert not sections & set(CATALOGUE), "a section's anchor would shadow a code's"
    for code in CATALOGUE:
        assert _slug(code) == code  # GitHub's anchor of the heading is the code itself
        assert url(code).endswith(f"/{SHEET_PATH}#{code}")
    with pytest.raises(KeyError):
        url("no-such-code")


def test_markdown_characters_in_catalogue_text_are_escaped():
    text = markdown()
    assert "super().\\_\\_init\\_\\_()" in text  # not bold "init"
    assert "`raise NotImplementedError`" in text  # code spans stay code


def test_the_check_box_links_the_named_mistake():
    box = CheckResult("nb05.ex1", "The training loop", 0.0, 3.0, False, "msg", "zero-grad-missing")
    assert f'href="{url("zero-grad-missing")}"' in box._repr_html_()


def test_the_documented_command_writes_the_sheet():
    out = subprocess.run(
        [sys.executable, "-m", "course.misconceptions", "--markdown"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == SHEET.read_text()


def test_every_notebook_summary_links_the_sheet():
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        summaries = [
            "".join(c["source"])
            for c in json.loads(path.read_text())["cells"]
            if c["cell_type"] == "markdown" and "## Summary" in "".join(c["source"])
        ]
        assert len(summaries) == 1, f"{path.name}: one summary cell"
        assert f"]({SHEET_URL})" in summaries[0], f"{path.name}: its summary does not link the cheat sheet"
