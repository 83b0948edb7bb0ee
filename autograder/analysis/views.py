"""The HTML of the analysis: the report's item-analysis and similarity sections, the
similarity page with each pair side by side.

Pass, fail and flags are said in words and symbols, never by colour alone; matching
lines are marked with ``<mark>``, a bar in the margin and their numbers in words.
"""

from __future__ import annotations

from autograder.analysis.html import e, page, png, table
from autograder.analysis.items import ItemAnalysis, ItemStats, Thresholds
from autograder.analysis.similarity import Pair, SimilarityReport

PAIR_CSS = """
.pair{display:flex;flex-wrap:wrap;gap:1rem}
.side{flex:1 1 30rem;min-width:0}
.code{margin:0;border:1px solid #bbb;background:#fafafa;overflow-x:auto;font-size:.86rem}
.code .ln{display:block;white-space:pre;padding:0 .5rem 0 0}
.code .ln::before{content:attr(data-n);display:inline-block;width:2.6rem;padding-right:.5rem;text-align:right;
color:#4d4d4d;border-right:4px solid transparent;margin-right:.5rem}
.code mark.ln{background:#fff0a8;color:#111}
.code mark.ln::before{border-right:4px solid #111;font-weight:bold;color:#111}
"""


def _num(x, fmt: str = "{:.2f}") -> tuple[str, str]:
    return ("\u2013", "") if x is None else (fmt.format(x), f"{x:.6g}")


def _pct(x) -> tuple[str, str]:
    return ("\u2013", "") if x is None else (f"{100 * x:.0f}%", f"{x:.6g}")


def _interval(iv, pct: bool = False) -> str:
    if iv is None:
        return ""
    if pct:
        return f" ({100 * iv.low:.0f}\u2013{100 * iv.high:.0f}%)"
    return f" ({iv.low:+.2f} to {iv.high:+.2f})"


def _item_row(it: ItemStats, with_assignment: bool = False) -> list:
    flags = "; ".join(f.flag.value for f in it.flags)
    mistakes = ", ".join(f"{m.code} ({m.count})" for m in it.mistakes)
    grading = "\u2013" if it.grading_s_median is None else f"{it.grading_s_median:.2f} / {it.grading_s_max:.2f}"
    pass_txt, pass_key = _pct(it.pass_rate)
    r_txt, r_key = _num(it.r, "{:+.2f}")
    row = ([it.assignment] if with_assignment else []) + [
        it.grade_id,
        it.title,
        (str(it.n), it.n),
        _num(it.difficulty),
        (pass_txt + _interval(it.pass_interval, pct=True), pass_key),
        _pct(it.not_attempted),
        (r_txt + _interval(it.r_interval), r_key),
        _num(it.d, "{:+.2f}"),
        mistakes,
        (grading, "" if it.grading_s_median is None else f"{it.grading_s_median:.6g}"),
        ("\u2691 " + flags)
        if flags
        else ("uncertain" if any("too uncertain" in n or "too wide" in n for n in it.notes) else ""),
    ]
    return row


ITEM_HEAD = [
    "grade id",
    "title",
    "n",
    "difficulty",
    "pass rate (90% interval)",
    "not attempted",
    "r (90% interval)",
    "D",
    "misconceptions of failed attempts",
    "grading s (median / max)",
    "flags",
]


def item_plot(analysis: ItemAnalysis) -> str | None:
    """Difficulty against discrimination, one marker per item; flagged items are triangles
    and named, the zones that flag are hatched (not colour alone)."""
    items = [i for i in analysis.items if i.difficulty is not None]
    if not items:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course.plots import PALETTE

    t: Thresholds = analysis.thresholds
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    ax.axhspan(-1.05, 0, facecolor="none", edgecolor="#999999", hatch="///", linewidth=0)
    ax.axvspan(-0.02, t.hard_rate, facecolor="none", edgecolor="#999999", hatch="...", linewidth=0)
    ax.axvspan(t.easy_rate, 1.02, facecolor="none", edgecolor="#999999", hatch="...", linewidth=0)
    ax.axhline(0, color="black", linewidth=0.8)
    shown = {"ok": False, "flag": False, "none": False}
    for it in items:
        x = it.pass_rate
        if it.r is None:
            ax.plot(
                [x],
                [0],
                marker="s",
                markersize=8,
                markerfacecolor="white",
                markeredgecolor="black",
                linestyle="none",
                label=None if shown["none"] else "no r (all scored the same)",
            )
            shown["none"] = True
        else:
            lo = it.r - it.r_interval.low if it.r_interval else 0
            hi = it.r_interval.high - it.r if it.r_interval else 0
            flagged = bool(it.flags)
            ax.errorbar(
                [x],
                [it.r],
                yerr=[[lo], [hi]],
                fmt="^" if flagged else "o",
                markersize=9 if flagged else 6,
                color=PALETTE[5] if flagged else PALETTE[0],
                ecolor="#777777",
                capsize=3,
                markeredgecolor="black",
                label=None
                if shown["flag" if flagged else "ok"]
                else ("flagged (triangle)" if flagged else "not flagged (circle)"),
            )
            shown["flag" if flagged else "ok"] = True
        if it.flags:
            ax.annotate(
                it.grade_id, (x, it.r if it.r is not None else 0), textcoords="offset points", xytext=(6, 6), fontsize=8
            )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("pass rate (share of participants with full marks)")
    ax.set_ylabel("discrimination r (90% interval)")
    ax.set_title(f"{analysis.assignment}: items by pass rate and discrimination")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return png(fig)


def item_section(analysis: ItemAnalysis, history: list[ItemStats] | None = None) -> str:
    """The report's "Item analysis" section (HTML)."""
    t = analysis.thresholds
    parts = [
        "<h2>Item analysis</h2>",
        f"<p>{analysis.participants} participants: the {analysis.graded} graded students less "
        f"{analysis.left_out} who attempted no exercise (a blank hand-in says nothing about any item). "
        "Difficulty is the mean fraction of the points; r (corrected point-biserial: the exercise against the "
        "rest of the assignment) and D (upper minus lower 27% by the rest) are over those who attempted the "
        "exercise. Intervals are 90%.</p>",
        f'<p class="muted">Flags: r\'s interval below 0 (negative discrimination: a mis-keyed or broken '
        f"checker?) or inside &plusmn;{t.weak_r:g} (near zero); pass rate at least {100 * t.easy_rate:.0f}% "
        f"with its interval above {100 * t.easy_floor:.0f}% (almost everyone passes), or at most "
        f"{100 * t.hard_rate:.0f}% with its interval below {100 * t.hard_ceiling:.0f}% (almost no one); "
        f"at least {t.mistake_min} students and more than half of the failed attempts naming one mistake. "
        "Where the class is too small for a statistic to support a flag, the item says so instead of "
        "flagging noise.</p>",
    ]
    flagged = analysis.flagged
    if flagged:
        parts.append("<h3>Items to look at</h3><ul>")
        for it in flagged:
            for f in it.flags:
                parts.append(
                    f'<li><span class="flag">{e(it.grade_id)} {e(it.title)}: {e(f.flag.value)}</span>. {e(f.why)}</li>'
                )
        parts.append("</ul>")
    else:
        parts.append('<p class="note">No item is flagged.</p>')
    parts.append(
        table(
            ITEM_HEAD,
            [_item_row(i) for i in analysis.items],
            numeric={2, 3, 4, 5, 6, 7, 9},
            sortable=True,
            caption="Per exercise (select a column header to sort)",
        )
    )
    notes = [(i.grade_id, n) for i in analysis.items for n in i.notes]
    if notes:
        parts.append(
            "<details><summary>Why some items are not flagged (uncertain statistics)</summary><ul>"
            + "".join(f"<li><b>{e(g)}</b>: {e(n)}</li>" for g, n in notes)
            + "</ul></details>"
        )
    uri = item_plot(analysis)
    if uri:
        parts.append(
            f"<figure><img alt=\"Scatter plot of each exercise's pass rate against its discrimination r; "
            f"flagged exercises are triangles with their grade id: "
            f'{e(", ".join(i.grade_id for i in flagged) or "none")}" src="{uri}">'
            "<figcaption>Each exercise: pass rate (x) and r with its 90% interval (y). Hatched: where "
            "a flag can fire (r below 0; pass rate under the low or over the high cut). Triangles are "
            "flagged, circles not, hollow squares have no r.</figcaption></figure>"
        )
    if history:
        parts.append("<h3>Every exercise of the course so far</h3>")
        parts.append(
            table(
                ["assignment"] + ITEM_HEAD,
                [_item_row(i, with_assignment=True) for i in history],
                numeric={3, 4, 5, 6, 7, 8, 10},
                sortable=True,
                caption="Per assignment and exercise, in the order of the term (sortable)",
            )
        )
    return "\n".join(parts)


# --- similarity ----------------------------------------------------------------------------------


def pair_id(p: Pair, n: int) -> str:
    """The anchor of the ``n``-th pair of an exercise (student ids never go into an id)."""
    slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in p.grade_id)
    return f"pair-{slug}-{n}"


def similarity_summary(report: SimilarityReport, page_name: str) -> str:
    """The report's short "Similar submissions" section, linking to the page."""
    rows = []
    for ex in report.exercises:
        rows.append(
            [ex.grade_id, ex.title, (str(ex.compared), ex.compared), (str(len(ex.pairs)), len(ex.pairs)), ex.note or ""]
        )
    head = (
        "<h2>Similar submissions</h2><p>Pairs of answers to the same exercise that share most of their code "
        "once names, comments, layout, string literals and the order of independent statements are set aside, "
        "and once the stub, the solution and what many students write are left out. A list to read, never a "
        f'verdict: <a href="{e(page_name)}">the pairs side by side</a>.</p>'
    )
    return head + table(["grade id", "title", "answers compared", "pairs listed", "note"], rows, numeric={2, 3})


def _code(source: str, marked: set[int], label: str) -> str:
    """The answer with its marked lines; the block can scroll sideways, so it takes the
    keyboard focus and is a named region."""
    lines = source.splitlines() or [""]
    out = []
    for n, line in enumerate(lines, start=1):
        tag = "mark" if n in marked else "span"
        out.append(f'<{tag} class="ln" data-n="{n}">{e(line) or " "}</{tag}>')
    return (
        f'<pre class="code" tabindex="0" role="region" aria-label="{e(label)}"><code>' + "".join(out) + "</code></pre>"
    )


def _ranges(lines: list[int]) -> str:
    if not lines:
        return "none"
    out, start, prev = [], lines[0], lines[0]
    for n in lines[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(f"{start}" if start == prev else f"{start}\u2013{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)


def similarity_page(report: SimilarityReport, report_name: str | None = None) -> str:
    """The similarity page of an assignment: per exercise its pairs, each side by side."""
    s = report.settings
    body = [
        f"<h1>Similar submissions: {e(report.assignment)}</h1>",
        "<p>Never a verdict of copying: students who learn from the same notebook write alike, and short "
        "answers leave little room to differ. Each pair is for you to read.</p>",
        f'<p class="muted">Compared with copydetect (k-grams of {s.k} characters of tokenized code, names as V, '
        f"strings as S) after putting each answer in canonical form (independent statements in one order, no "
        f"comments or docstrings). Left out: the release's stub, the instructor's solution, and code found in "
        f"at least {s.common_answers} answers or {100 * s.common_share:.0f}% of them. A pair is listed when at "
        f"least {100 * s.threshold:.0f}% of each answer matches the other. Marked lines "
        "(highlighted, with a bar by the line number) hold matching code.</p>",
    ]
    if report_name:
        body.append(f'<p><a href="{e(report_name)}">Back to the report</a></p>')
    for ex in report.exercises:
        body.append(f'<h2 id="{e(ex.grade_id)}">{e(ex.grade_id)}: {e(ex.title)}</h2>')
        body.append(f"<p>{ex.compared} attempted answers compared.</p>")
        if ex.note:
            body.append(f'<p class="note">{e(ex.note)}</p>')
            continue
        if not ex.pairs:
            body.append('<p class="muted">No pair above the threshold.</p>')
            continue
        rows = [
            [
                f'<a href="#{pair_id(p, n)}">{e(p.a)} and {e(p.b)}</a>',
                (f"{100 * p.similarity:.0f}%", p.similarity),
                f"{100 * p.share_a:.0f}% / {100 * p.share_b:.0f}%",
            ]
            for n, p in enumerate(ex.pairs, start=1)
        ]
        body.append(table(["pair", "similarity", "shares (first / second)"], rows, numeric={1}, sortable=True, raw={0}))
        sources = report.sources.get(ex.grade_id, {})
        for n, p in enumerate(ex.pairs, start=1):
            body.append(f'<section id="{pair_id(p, n)}" aria-label="{e(p.a)} and {e(p.b)}, {e(p.grade_id)}">')
            body.append(
                f'<h3>{e(p.grade_id)}: {e(p.a)} and {e(p.b)} ({100 * p.similarity:.0f}% similar)</h3><div class="pair">'
            )
            for who, share, lines in ((p.a, p.share_a, p.lines_a), (p.b, p.share_b, p.lines_b)):
                label = f"answer of {who} to {p.grade_id}, beside {p.other(who)}'s"
                body.append(
                    f'<div class="side"><h4>{e(who)}: {100 * share:.0f}% matches; '
                    f"matching lines {e(_ranges(lines))}</h4>"
                    f"{_code(sources.get(who, ''), set(lines), label)}</div>"
                )
            body.append("</div></section>")
    return page(f"Similar submissions: {report.assignment}", "\n".join(body), script=True, css=PAIR_CSS)
