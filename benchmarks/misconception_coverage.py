"""How many wrong answers the checkers name, and how many the visible check already catches.

Every wrong variant in ``tests/variants/nbNN.py`` is run through its exercise's checker:
the visible cases (what a student sees before submitting) and the hidden cases, for each
of a fixed list of secrets. A variant ends in the mistake code of the first check that
failed it (visible, else hidden). Printed per notebook and in total:

- the number of wrong variants;
- how many end in the generic ``wrong-values`` and their share (target: at most 5%);
- how many still pass the visible check (the student would submit them in good faith);
- with ``--list``, every variant that ends generic or passes visibly.

    python benchmarks/misconception_coverage.py [--secrets N] [--list] [nb04 ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from course.checks import load_all  # noqa: E402
from support import variant_answers, variant_module  # noqa: E402

GENERIC = "wrong-values"
TARGET = 0.05


@dataclass
class Verdict:
    exercise: str
    declared: str  #: the code the variant file says it shows
    code: str | None  #: the code it ended in (None: it passed everything)
    visible_passed: bool
    hidden_lost: bool  #: lost points on the hidden cases for every secret


def secrets_list(n: int) -> list[str]:
    """A fixed list of secrets: the same figures on every run."""
    return [f"coverage-{i:03d}" for i in range(n)]


def judge_variants(notebooks: list[str] | None = None, secrets: list[str] | None = None) -> list[Verdict]:
    """Every wrong variant of the given notebooks (all when None), judged visible and hidden."""
    secrets = secrets or secrets_list(1)
    exercises = load_all()
    verdicts = []
    saved = os.environ.get("COURSE_SECRET")
    try:
        for ex_id in sorted(exercises):
            key = ex_id.split(".")[0]
            if notebooks and key not in notebooks:
                continue
            for declared, source in getattr(variant_module(key), "WRONG", {}).get(ex_id, []):
                ex = exercises[ex_id]
                answers = variant_answers(ex, source)
                visible = ex.evaluate(*answers)
                code, lost = (None if visible.passed else visible.code), True
                for secret in secrets:
                    os.environ["COURSE_SECRET"] = secret
                    hidden = ex.evaluate(*answers, hidden=True)
                    lost = lost and hidden.points < ex.points
                    if code is None and not hidden.passed:
                        code = hidden.code
                verdicts.append(Verdict(ex_id, declared, code, visible.passed, lost))
    finally:
        if saved is None:
            os.environ.pop("COURSE_SECRET", None)
        else:
            os.environ["COURSE_SECRET"] = saved
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="nbNN keys (default: every notebook)")
    parser.add_argument("--secrets", type=int, default=1, help="hidden cases from this many fixed secrets")
    parser.add_argument("--list", action="store_true", help="list the generic and the visibly passing variants")
    args = parser.parse_args()
    verdicts = judge_variants(args.notebooks or None, secrets_list(args.secrets))
    by_nb: dict[str, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        by_nb[v.exercise.split(".")[0]].append(v)
    print(f"{'notebook':<10}{'wrong':>7}{'generic':>9}{'share':>8}{'pass visibly':>14}{'keep points':>13}")
    rows = sorted(by_nb.items()) + [("total", verdicts)]
    for nb, vs in rows:
        generic = sum(v.code == GENERIC for v in vs)
        visible = sum(v.visible_passed for v in vs)
        kept = sum(not v.hidden_lost for v in vs)
        share = generic / len(vs) if vs else 0.0
        print(f"{nb:<10}{len(vs):>7}{generic:>9}{share:>8.1%}{visible:>14}{kept:>13}")
    total_share = sum(v.code == GENERIC for v in verdicts) / max(1, len(verdicts))
    print(f"generic share {total_share:.1%} (target at most {TARGET:.0%}); secrets: {args.secrets}")
    if args.list:
        for v in verdicts:
            notes = [
                n
                for n, on in (
                    ("generic", v.code == GENERIC),
                    ("passes visibly", v.visible_passed),
                    ("keeps its points hidden", not v.hidden_lost),
                )
                if on
            ]
            if notes:
                print(f"  {v.exercise:<10} [{v.declared}] -> [{v.code}]: {', '.join(notes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
