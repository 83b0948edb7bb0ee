"""The result record of a check, and how it looks to a person.

Pass or fail is said in words and with a symbol, never by colour alone. In Jupyter the
record renders as a box; in a terminal (or ``str()``) as one line.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import asdict, dataclass, field

from course.misconceptions import lookup, url

PASS_MARK, FAIL_MARK, PARTIAL_MARK = "\u2714", "\u2718", "\u25d0"


@dataclass
class CheckResult:
    exercise: str  #: e.g. "nb01.ex2"
    title: str
    points: float  #: earned
    max_points: float
    passed: bool
    message: str
    code: str | None = None  #: misconception code when failed
    hint: str | None = None
    hidden: bool = False  #: judged on hidden inputs
    steps: list[str] = field(default_factory=list)  #: checks that passed, in order
    cases: int = 0

    @property
    def status(self) -> str:
        if self.passed:
            return "passed"
        return "partial" if self.points > 0 else "failed"

    def explanation(self) -> tuple[str, str] | None:
        """(title, why) of the named mistake, with the fix as hint when none given."""
        if not self.code:
            return None
        m = lookup(self.code)
        return m.title, m.why

    def fix(self) -> str | None:
        return self.hint or (lookup(self.code).fix if self.code else None)

    def to_dict(self) -> dict:
        return asdict(self)

    # -- rendering --------------------------------------------------------------
    def headline(self) -> str:
        word = {"passed": "Passed", "partial": "Partly right", "failed": "Not yet"}[self.status]
        mark = {"passed": PASS_MARK, "partial": PARTIAL_MARK, "failed": FAIL_MARK}[self.status]
        where = " (hidden tests)" if self.hidden else ""
        return (
            f"{mark} {word}: {self.exercise} {self.title}{where} [{_fmt(self.points)}/{_fmt(self.max_points)} points]"
        )

    def _parts(self) -> list[str]:
        """The headline, then for a result that is not a full pass its message, mistake and hint."""
        parts = [self.headline()]
        if not self.passed or self.status == "partial":
            parts.append(self.message)
            if self.code:
                parts.append(f"Mistake [{self.code}]: {lookup(self.code).title}.")
            fix = self.fix()
            if fix:
                parts.append(f"Hint: {fix}")
        return parts

    def __str__(self) -> str:
        return " | ".join(self._parts())

    def report(self, width: int = 78) -> list[str]:
        """The same as ``str()``, one part per paragraph, wrapped to lines of ``width``."""
        lines = []
        for i, part in enumerate(self._parts()):
            indent = "" if i == 0 else "  "
            lines += textwrap.wrap(
                part,
                width,
                initial_indent=indent,
                subsequent_indent=indent + "  ",
                break_long_words=True,
                break_on_hyphens=False,
            ) or [indent]
        return lines

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        e = html.escape
        colour = {"passed": "#0072B2", "partial": "#E69F00", "failed": "#D55E00"}[self.status]
        rows = [f'<div style="font-weight:bold">{e(self.headline())}</div>']
        if self.steps:
            ticks = " &middot; ".join(f"{e(s)} {PASS_MARK}" for s in self.steps)
            rows.append(f"<div>Checked: {ticks}</div>")
        if not self.passed or self.status == "partial":
            rows.append(f"<div>{e(self.message)}</div>")
            if self.code:
                m = lookup(self.code)
                link = f'<a href="{e(url(self.code))}" target="_blank"><code>{e(self.code)}</code></a>'
                rows.append(f"<div><b>Mistake</b> {link}: {e(m.title)}. {e(m.why)}</div>")
            fix = self.fix()
            if fix:
                rows.append(f"<div><b>Hint:</b> {e(fix)}</div>")
        return (
            f'<div class="course-check course-check-{self.status}" '
            f'style="border-left:6px solid {colour};padding:6px 10px;margin:4px 0;">' + "".join(rows) + "</div>"
        )


def _fmt(x: float) -> str:
    return f"{x:g}"
