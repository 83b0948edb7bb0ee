"""``autograder report``: the instructor's page for one assignment, ``<course>/reports/<assignment>.html``.

What an instructor needs after grading, on one self-contained page: how the class did
(score histogram), which exercises were hard (mean score and pass rate per exercise),
which mistakes were common (misconception counts, with example messages), and what needs
a person: flagged submissions, crashes and timeouts with their reasons, the slowest
submissions, missing and unplaced ones. Plots are matplotlib PNGs embedded as base64,
in the course's colour-blind-safe palette (``course.plots.PALETTE``), with labelled axes
and hatching so that no bar is told apart by colour alone. Everything is escaped.

The analysis of ``autograder.analysis`` adds the item analysis (a sortable table, a plot,
the flags, every exercise of the course so far) and a summary of similar submissions,
whose pairs are on their own page, ``<course>/reports/<assignment>_similarity.html``.
"""

from __future__ import annotations

import base64
import html
import io
import os
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

from autograder.results import AssignmentResults, load

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:72rem;margin:2rem auto;
padding:0 1rem;color:#111;line-height:1.4}
h1{font-size:1.6rem} h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #0072B2;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.3rem .55rem;border-bottom:1px solid #ddd;vertical-align:top}
th{background:#f3f6fa} td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.card{background:#f3f6fa;border-radius:6px;padding:.5rem .9rem;min-width:7rem}
.card b{display:block;font-size:1.3rem}
.plots{display:flex;flex-wrap:wrap;gap:1rem} .plots figure{margin:0;flex:1 1 30rem}
img{max-width:100%;height:auto} figcaption{color:#444;font-size:.88rem}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88rem}
.muted{color:#555}
"""


def _e(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _plots(results: AssignmentResults, graded, per_ex, codes) -> list[tuple[str, str, str]]:
    """(alt text, data URI, caption) of each plot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course.plots import PALETTE

    out = []
    scores = [s.score for s in graded]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    top = max(results.max_score, max(scores, default=0.0), 1.0)
    width = next(w for w in (0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, top) if top / w <= 20)
    edges = [(i - 0.5) * width for i in range(int(-(-top // width)) + 2)]  # bars centred on their value
    ax.hist(scores, bins=edges, color=PALETTE[0], edgecolor="black", hatch="//")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_xlabel(f"score (out of {results.max_score:g})")
    ax.set_ylabel("students")
    ax.set_title(f"Score distribution ({len(scores)} graded)")
    ax.yaxis.get_major_locator().set_params(integer=True)
    out.append(
        (
            "Histogram of the students' scores",
            _png(fig),
            "Scores after manual grades and late penalties; students without a graded submission are left out.",
        )
    )

    if per_ex:
        names = list(per_ex)
        fig, ax = plt.subplots(figsize=(max(6.4, 0.9 * len(names) + 2), 3.6))
        xs = range(len(names))
        w = 0.38
        means = [per_ex[n]["mean_frac"] * 100 for n in names]
        rates = [per_ex[n]["pass_rate"] * 100 for n in names]
        ax.bar(
            [x - w / 2 for x in xs],
            means,
            w,
            label="mean score (% of max)",
            color=PALETTE[0],
            edgecolor="black",
            hatch="//",
        )
        ax.bar(
            [x + w / 2 for x in xs],
            rates,
            w,
            label="pass rate (% full marks)",
            color=PALETTE[1],
            edgecolor="black",
            hatch="..",
        )
        ax.set_xticks(list(xs), names, rotation=30, ha="right")
        ax.set_ylim(0, 122)
        ax.set_yticks([0, 20, 40, 60, 80, 100])
        ax.set_xlabel("exercise (grade id)")
        ax.set_ylabel("percent")
        ax.set_title("Per exercise: mean score and pass rate")
        ax.legend(loc="upper center", ncol=2, fontsize=8, frameon=False)
        out.append(
            (
                "Bar chart of each exercise's mean score and pass rate",
                _png(fig),
                "Left bar (hatched //): mean score as a percentage of the exercise's points; "
                "right bar (dotted): share of graded students with full marks.",
            )
        )

    if codes:
        items = codes.most_common(12)[::-1]
        fig, ax = plt.subplots(figsize=(6.4, 0.45 * len(items) + 1.4))
        ax.barh([c for c, _ in items], [n for _, n in items], color=PALETTE[3], edgecolor="black", hatch="\\\\")
        ax.set_xlabel("times named (student x exercise)")
        ax.set_ylabel("misconception code")
        ax.set_title("Most frequent misconceptions")
        ax.xaxis.get_major_locator().set_params(integer=True)
        out.append(
            (
                "Bar chart of the most frequent misconception codes",
                _png(fig),
                "How often the checkers named each mistake (course.misconceptions).",
            )
        )
    return out


def _table(head: list[str], rows: list[list], numeric: set[int] = frozenset(), empty: str = "None.") -> str:
    if not rows:
        return f'<p class="muted">{_e(empty)}</p>'
    th = "".join(f"<th{' class=num' if i in numeric else ''}>{_e(h)}</th>" for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{_e(v)}</td>" for i, v in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def page(results: AssignmentResults, slowest: int = 10, analysis=None) -> str:
    """The HTML of the report (a string; nothing written). ``analysis``: an
    ``autograder.analysis.Analysis`` of the same results (made here when not given)."""
    from autograder.analysis import run
    from autograder.analysis.html import SCRIPT_HASH, SORT_SCRIPT
    from autograder.analysis.html import CSS as ANALYSIS_CSS
    from autograder.analysis.views import item_section, similarity_summary
    from course.misconceptions import CATALOGUE

    analysis = analysis or run(results.course, results)

    students = results.students
    graded = [s for s in students if s.notebooks]
    status_counts = Counter(s.status for s in students)
    per_ex: dict[str, dict] = {}
    titles = {}
    for gid in results.exercise_ids():
        rows = [e for s in graded for e in s.exercises if e.grade_id == gid]
        if not rows:
            continue
        titles[gid] = rows[0].title
        maxp = max(e.max_points for e in rows) or 1.0
        pts = [float(e.points or 0) for e in rows]
        per_ex[gid] = {
            "mean": statistics.fmean(pts),
            "max": maxp,
            "mean_frac": statistics.fmean(pts) / maxp,
            "pass_rate": sum(e.passed for e in rows) / len(rows),
            "n": len(rows),
            "codes": Counter(e.code for e in rows if e.code),
            "statuses": Counter(e.status for e in rows),
        }
    codes: Counter = Counter()
    examples: dict[str, list[tuple[str, str]]] = defaultdict(list)
    where: dict[str, Counter] = defaultdict(Counter)
    for s in graded:
        for e in s.exercises:
            if e.code:
                codes[e.code] += 1
                where[e.code][e.grade_id] += 1
                if len(examples[e.code]) < 3 and e.message not in [m for _, m in examples[e.code]]:
                    examples[e.code].append((f"{s.student}, {e.grade_id}", e.message))

    scores = [s.score for s in graded]
    cards = [("students", len(students)), ("graded", len(graded))]
    if scores:
        cards += [
            ("mean score", f"{statistics.fmean(scores):.2f} / {results.max_score:g}"),
            ("median", f"{statistics.median(scores):g}"),
        ]
    cards += [
        (k, status_counts[k])
        for k in ("ok", "late", "restored", "flagged", "timeout", "crashed", "not graded", "not placed")
        if status_counts[k]
    ]
    card_html = "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>' for k, v in cards)
    figs = "".join(
        f'<figure><img alt="{_e(alt)}" src="{uri}"><figcaption>{_e(cap)}</figcaption></figure>'
        for alt, uri, cap in _plots(results, graded, per_ex, codes)
    )

    ex_rows = [
        [
            gid,
            titles[gid],
            f"{d['mean']:.2f}",
            f"{d['max']:g}",
            f"{100 * d['pass_rate']:.0f}%",
            d["n"],
            ", ".join(f"{k} {n}" for k, n in sorted(d["statuses"].items())),
            ", ".join(f"{c} ({n})" for c, n in d["codes"].most_common(3)),
        ]
        for gid, d in per_ex.items()
    ]
    mis_rows = []
    for code, n in codes.most_common(15):
        m = CATALOGUE.get(code)
        ex_txt = " / ".join(f"[{who}] {msg}" for who, msg in examples[code])
        mis_rows.append(
            [
                code,
                m.title if m else "(not in the catalogue)",
                n,
                ", ".join(f"{g} ({k})" for g, k in where[code].most_common()),
                ex_txt,
            ]
        )
    slow = sorted((s for s in graded if s.notebooks), key=lambda s: -s.compute_s)[:slowest]
    slow_rows = [[s.student, f"{s.compute_s:.2f}", sum(nb.timings.runs for nb in s.notebooks), s.status] for s in slow]
    trouble = [
        [s.student, s.status, f"{s.score:g}", "; ".join(s.reasons)]
        for s in students
        if s.status in ("crashed", "timeout")
    ]
    failed = [
        [s.student, f"{s.score:g}", ", ".join(e.grade_id for e in s.exercises if not e.passed)]
        for s in graded
        if s.status not in ("crashed", "timeout", "flagged")
        and any(e.status in ("failed", "not-run") for e in s.exercises)
    ]
    flagged = [[s.student, f"{s.score:g}", "; ".join(s.reasons)] for s in students if s.status == "flagged"]
    missing = [
        [s.student, s.status, "; ".join(s.reasons)] for s in students if s.status in ("not placed", "not graded")
    ]
    unplaced = [[u.get("origin", ""), u.get("reason", ""), u.get("detail", "")] for u in results.unplaced]
    other = [
        [s.student, s.status_text, f"{s.score:g}", "; ".join(s.reasons)]
        for s in students
        if s.has("late") or s.has("restored")
    ]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src '{
        SCRIPT_HASH
    }'">
<title>Report: {_e(results.assignment)}</title><style>{ANALYSIS_CSS}{CSS}</style></head><body><main>
<h1>Grading report: {_e(results.assignment)}</h1>
<p class="muted">Made {now} from the engine's journal, nbgrader's gradebook and collect's report
(<code>{_e(results.course)}</code>).</p>
<div class="cards">{card_html}</div>
<h2>Scores</h2><div class="plots">{figs}</div>
<h2>Exercises</h2>
{
        _table(
            ["grade id", "title", "mean", "max", "pass rate", "graded", "statuses", "top misconceptions"],
            ex_rows,
            {2, 3, 4, 5},
        )
    }
{item_section(analysis.items, analysis.history)}
{similarity_summary(analysis.similar, similarity_name(results.assignment))}
<h2>Most frequent misconceptions</h2>
{_table(["code", "mistake", "count", "exercises", "example messages"], mis_rows, {2}, "The checkers named no mistake.")}
<h2>Flagged for review</h2>
{_table(["student", "score", "why"], flagged, {1}, "No submission was flagged.")}
<h2>Crashed or timed out</h2>
{_table(["student", "status", "score", "why"], trouble, {2}, "No crash and no timeout.")}
<h2>Failed exercises</h2>
{_table(["student", "score", "exercises without full marks"], failed, {1}, "Every exercise passed.")}
<h2>Slowest submissions</h2>
{_table(["student", "sandbox seconds", "runs", "status"], slow_rows, {1, 2}, "No timings.")}
<h2>Late and restored</h2>
{_table(["student", "status", "score", "detail"], other, {2}, "None late, none restored.")}
<h2>Missing</h2>
{
        _table(
            ["student", "status", "why"],
            missing,
            set(),
            "Everyone on the roster handed in and was graded."
            if students
            else "No student: import the roster (autograder roster) and collect the hand-ins.",
        )
    }
{_table(["file", "reason", "detail"], unplaced, set(), "collect placed every file.")}
</main><script>{SORT_SCRIPT}</script></body></html>
"""


def similarity_name(assignment: str) -> str:
    return f"{assignment}_similarity.html"


def write(
    course: str | Path, assignment: str, results: AssignmentResults | None = None, slowest: int = 10, analysis=None
) -> Path:
    """The report and its similarity page; the report's path back."""
    from autograder.analysis import run
    from autograder.analysis.views import similarity_page

    course = Path(course).resolve()
    results = results or load(course, assignment)
    analysis = analysis or run(course, results)
    folder = course / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        (similarity_name(assignment), similarity_page(analysis.similar, f"{assignment}.html")),
        (f"{assignment}.html", page(results, slowest, analysis)),
    ):
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, folder / name)
    return folder / f"{assignment}.html"
