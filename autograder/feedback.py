"""``autograder feedback``: one self-contained HTML page per student and assignment.

Written to ``<course>/feedback_html/<student>/<assignment>.html``, not into nbgrader's
``feedback/`` folder: that one belongs to ``nbgrader generate_feedback`` (the whole
executed notebook) and its ``release_feedback`` exchange, and two writers of one folder
would overwrite each other. Both can be handed out; this page is the short one.

The page is built only from what a student may see: the score per exercise, the
checker's message, the named mistake (title, why, fix from ``course.misconceptions``),
the hint, the engine's flags, and the student's own answer cells. Never the test
cells (they hold the hidden tests), the solution, the secret, other students' results,
or the notebook's metadata (Colab's authorship tags, names): the answer cells' source
is the only text taken from the notebook file, and everything is HTML-escaped (a
student's code is untrusted). Pass and fail are said in words and with a symbol, not by
colour alone.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from autograder.results import AssignmentResults, ExerciseResult, StudentResult, load

#: status -> (symbol, words, colour from course.plots.PALETTE)
LOOK = {
    "passed": ("\u2714", "Passed", "#0072B2"),
    "partial": ("\u25d0", "Partly right", "#E69F00"),
    "failed": ("\u2718", "Not yet", "#D55E00"),
    "timeout": ("\u25f7", "Timed out", "#D55E00"),
    "crashed": ("\u2718", "Crashed", "#D55E00"),
    "flagged": ("\u2691", "Flagged for review", "#CC79A7"),
    "not-run": ("\u2718", "Not run", "#D55E00"),
    "manual": ("\u270e", "Graded by hand", "#56B4E9"),
}
STATUS_WORDS = {
    "ok": "Graded",
    "late": "Graded, submitted late",
    "restored": "Graded (the notebook's grading metadata had to be repaired; your answers were kept)",
    "timeout": "Graded; an exercise ran past the time limit",
    "crashed": "Graded; an exercise crashed",
    "flagged": "Graded; an exercise is flagged for review by your instructor",
    "not graded": "Not graded yet",
    "not placed": "No submission received",
}
#: Each status's label in the page's list of statuses (all that apply are shown, each with its reason).
STATUS_LABELS = {
    "late": "Late",
    "restored": "Repaired by the grader",
    "flagged": "Flagged for review",
    "timeout": "Timed out",
    "crashed": "Crashed",
    "not graded": "Not graded yet",
    "not placed": "No grade",
}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;color:#111;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.2rem;margin:0}
.sub{color:#444;margin-top:0}
.total{font-size:1.3rem;margin:1rem 0;padding:.6rem 1rem;background:#f3f6fa;border-radius:6px}
table{border-collapse:collapse;margin:1rem 0;width:100%}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f3f6fa}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.ex{border-left:6px solid var(--c);padding:.6rem 1rem;margin:1.2rem 0;background:#fafafa;border-radius:0 6px 6px 0}
.mark{font-weight:bold}
.mistake{margin:.4rem 0;padding:.4rem .6rem;background:#fff;border:1px solid #ddd;border-radius:4px}
pre{background:#f6f8fa;border:1px solid #ddd;padding:.6rem;overflow-x:auto;font-size:.9rem;white-space:pre-wrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.flags{color:#5a2d82} .foot{color:#555;font-size:.85rem;margin-top:2rem}
"""


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _pts(x) -> str:
    return "&ndash;" if x is None else f"{float(x):g}"


def answer_cells(course: Path, student: str, assignment: str, notebook: str) -> dict[str, str]:
    """grade id -> source of the student's answer cells (nbgrader ``solution`` cells, code or
    written; a manually graded answer is its own grade cell) only.

    Read from the engine's executed copy in ``autograded/`` (the engine put the source's
    nbgrader metadata back on the answer cells, even after a Colab save); no other cell,
    output or metadata of the file is taken.
    """
    path = Path(course) / "autograded" / student / assignment / f"{notebook}.ipynb"
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    out = {}
    for cell in nb.get("cells", []):
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") in ("code", "markdown") and meta.get("solution") and meta.get("grade_id"):
            src = cell.get("source", "")
            out[meta["grade_id"]] = "".join(src) if isinstance(src, list) else str(src)
    return out


def _answers_for(e: ExerciseResult, answers: dict[str, str]) -> list[tuple[str, str]]:
    return [(gid, src) for gid, src in answers.items() if gid == e.grade_id or gid.startswith(e.grade_id + "-")]


def _exercise_html(e: ExerciseResult, answers: dict[str, str]) -> str:
    from course.misconceptions import CATALOGUE, url

    mark, word, colour = LOOK.get(e.status, ("\u2718", e.status or "Unknown", "#000000"))
    if e.manual_points is not None:
        mark, word, colour = LOOK["manual"]
    parts = [
        f'<section class="ex" style="--c:{colour}" id="{_e(e.grade_id)}">',
        f'<h2><span class="mark">{mark} {_e(word)}</span>: {_e(e.title)} '
        f'<span class="sub">({_e(e.exercise or e.grade_id)})</span> &mdash; '
        f"{_pts(e.points)} / {_pts(e.max_points)} points</h2>",
    ]
    if e.message:
        parts.append(f"<p>{_e(e.message)}</p>")
    m = CATALOGUE.get(e.code) if e.code else None
    if m is not None:
        parts.append(
            f'<div class="mistake"><b>Mistake:</b> {_e(m.title)} '
            f'<a href="{_e(url(m.code))}"><code>[{_e(m.code)}]</code></a><br>'
            f"<b>Why:</b> {_e(m.why)}<br><b>Fix:</b> {_e(m.fix)}</div>"
        )
    if e.hint and (m is None or e.hint != m.fix):
        parts.append(f"<p><b>Hint:</b> {_e(e.hint)}</p>")
    if e.manual_points is not None and e.auto_points is not None and e.manual_points != e.auto_points:
        parts.append(f"<p>Your instructor set the score by hand (the checker gave {_pts(e.auto_points)}).</p>")
    flags = [f for f in e.flags if f.split(" (")[0] not in e.message]  # not the message again
    if flags:
        parts.append('<ul class="flags">' + "".join(f"<li>{_e(f)}</li>" for f in flags) + "</ul>")
    for gid, src in _answers_for(e, answers):
        parts.append(
            f"<details{'' if e.passed else ' open'}><summary>Your answer (<code>{_e(gid)}</code>)</summary>"
            f"<pre><code>{_e(src)}</code></pre></details>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def page(s: StudentResult, course: Path) -> str:
    """The HTML of one student's page (a string; nothing written)."""
    rows, sections = [], []
    for nb in s.notebooks:
        answers = answer_cells(course, s.student, s.assignment, nb.notebook)
        for e in nb.exercises:
            mark, word, _ = LOOK.get(e.status, ("\u2718", e.status, ""))
            rows.append(
                f'<tr><td><a href="#{_e(e.grade_id)}">{_e(e.title)}</a></td>'
                f"<td>{mark} {_e(word)}</td><td class=num>{_pts(e.points)} / {_pts(e.max_points)}</td></tr>"
            )
            sections.append(_exercise_html(e, answers))
    table = (
        (
            "<table><thead><tr><th>Exercise</th><th>Result</th><th class=num>Points</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
        if rows
        else ""
    )
    submitted = f"Submitted {_e(s.timestamp)} (UTC). " if s.timestamp else ""
    statuses = "".join(
        f"<li><b>{_e(STATUS_LABELS.get(st.kind, st.kind))}</b>: {_e(st.reason)}</li>" for st in s.statuses
    )
    statuses = f'<ul class="statuses">{statuses}</ul>' if statuses else ""
    if s.notebooks:
        total = f"<b>Score: {s.score:g} / {s.max_score:g}</b>"
    else:
        why = next((st.reason for st in s.statuses if st.kind in ("not placed", "not graded")), "nothing was graded")
        total = f"<b>No grade</b> (out of {s.max_score:g}): {_e(why)}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Feedback: {_e(s.assignment)}</title><style>{CSS}</style></head>
<body>
<h1>Feedback: {_e(s.assignment)}</h1>
<p class="sub">For {_e(s.student)}. {submitted}{_e(STATUS_WORDS.get(s.status, s.status))}.</p>
<div class="total">{total}</div>
{statuses}
{table}
{"".join(sections)}
<p class="foot">Hidden tests ran your code on inputs you have not seen; their messages never show those inputs.
Checked by the course's grading engine. Questions about a score: ask your instructor.</p>
</body></html>
"""


def write(
    course: str | Path, assignment: str, students: list[str] | None = None, results: AssignmentResults | None = None
) -> list[Path]:
    """Write the pages of ``assignment`` for every student (only ``students`` when given),
    those without a grade too: their page says why; paths back."""
    course = Path(course).resolve()
    results = results or load(course, assignment)
    written = []
    for s in results.students:
        if students and s.student not in students:
            continue
        folder = course / "feedback_html" / s.student
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{assignment}.html"
        tmp = folder / f".{assignment}.html.tmp"
        tmp.write_text(page(s, course), encoding="utf-8")
        os.replace(tmp, target)
        written.append(target)
    return written
