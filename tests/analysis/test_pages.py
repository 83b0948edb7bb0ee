"""The analysis pages: what they show, and that nothing a student wrote can run or break them."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import planted
from autograder.analysis import html, progress, views
from autograder.analysis.items import analyse
from autograder.analysis.similarity import ExerciseAnswers, SimilarityReport, Settings, compare

HOSTILE_ID = "<img src=x onerror=alert(1)>"
HOSTILE_CODE = (
    "def f(x):\n    s = \"</code></pre><script>alert('pwned')</script>\"\n"
    '    t = "<img src=x onerror=alert(2)>" & x\n    return s, t, x * 2 + 1, [x] * 3\n'
)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _scripts_are_only_ours(text: str) -> None:
    """The page as a browser parses it: no element but ours runs anything."""
    parser = _Tags()
    parser.feed(text)
    scripts = re.findall(r"<script>(.*?)</script>", text, re.S)
    assert scripts in ([], [html.SORT_SCRIPT]), len(scripts)
    assert [t for t, _ in parser.tags].count("script") == len(scripts)
    if scripts:
        digest = "sha256-" + base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
        assert f"script-src '{digest}'" in text
    assert "default-src 'none'" in text
    for tag, attrs in parser.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)  # no event handler anywhere
        assert tag not in ("iframe", "object", "embed", "base", "form"), tag
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,")
        if tag == "a":
            assert not attrs["href"].lower().startswith("javascript"), attrs


def test_similarity_page_escapes_student_code_and_names():
    answers = {
        HOSTILE_ID: HOSTILE_CODE,
        "bob": HOSTILE_CODE.replace("s, t", "t, s"),
        "carl": "def f(x):\n    return 0\n",
    }
    ex = ExerciseAnswers("nb99-ex1", "<b>title</b>", answers, [])
    report = SimilarityReport(
        "a<script>", Settings(min_length=0), compare([ex], Settings(min_length=0), workers=1), {"nb99-ex1": answers}
    )
    assert report.exercises[0].pairs  # the two hostile copies are a pair
    text = views.similarity_page(report, "report.html")
    _scripts_are_only_ours(text)
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "&lt;b&gt;title&lt;/b&gt;" in text
    assert text.count('<mark class="ln"') >= 4


def test_item_section_and_report_plot():
    a = analyse(planted.example_results("01_tensors", planted=True))
    section = views.item_section(a, a.items)
    assert section.count("<table class=sortable>") == 2 and "Items to look at" in section
    assert f"{planted.MISKEYED} Planted: row means (mis-keyed checker): negative discrimination" in section
    img = re.search(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', section)
    assert img and planted.MISKEYED in img.group(1)
    assert base64.b64decode(img.group(2))[:8] == b"\x89PNG\r\n\x1a\n"


def _progress() -> dict[str, progress.StudentProgress]:
    results = [planted.example_results("01_tensors"), planted.example_results("02_autograd")]
    sections = {
        "01_tensors": {"nb01-ex2": "01_tensors, 3 · Element-wise operations and `reductions`"},
        "02_autograd": {"nb02-ex3": "02_autograd, 5 · Updating parameters by hand"},
    }
    return progress.from_results(results, sections)


def test_every_roster_student_has_progress_with_what_to_revisit():
    p = _progress()
    assert set(p) == {s for s, *_ in planted.ec.ROSTER}
    turing = p["aturing"]
    assert [r.code for r in turing.revisit] == ["broadcast-n-by-n", "mean-on-int", "zero-grad-missing"]
    mean = next(r for r in turing.revisit if r.code == "mean-on-int")
    assert mean.sections == ["01_tensors, 3 · Element-wise operations and `reductions`"] and mean.fix
    assert p["jvonneumann"].missing == ["01_tensors"] and p["bbabbage"].empty == ["01_tensors", "02_autograd"]
    assert p["tberners"].late_days == 1
    text = progress.student_page(turing)
    _scripts_are_only_ours(text)
    assert "<code>reductions</code>" in text and "mean-on-int" in text and "Late days used: 0" in text
    for other, *_ in planted.ec.ROSTER:
        assert other == "aturing" or other not in text, other


def test_repeated_mistakes_and_the_overview():
    p = _progress()
    k = p["kjohnson"]  # numpy-copy-not-shared and view-non-contiguous in 01, two more in 02
    assert len(k.revisit) == 4 and not k.repeated
    overview = progress.overview_page(p)
    _scripts_are_only_ours(overview)
    rows = re.findall(r'<tr><td><a href="../progress_html/([^"]+)\.html">', overview)
    assert rows[:2] == ["bbabbage", "jvonneumann"]  # two signals (blank twice), then one (missing)
    assert len(rows) == 16


def test_hostile_student_ids_are_escaped_and_file_names_safe():
    results = planted.example_results("01_tensors")
    results.students[0].student = HOSTILE_ID
    p = progress.from_results([results])
    text = progress.student_page(p[HOSTILE_ID])
    _scripts_are_only_ours(text)
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    name = progress.page_name(HOSTILE_ID)
    assert "/" not in name and "<" not in name and name.endswith(".html")
    assert progress.page_name("../../etc/passwd") == "..%2F..%2Fetc%2Fpasswd.html"
    overview = progress.overview_page(p)
    _scripts_are_only_ours(overview)
