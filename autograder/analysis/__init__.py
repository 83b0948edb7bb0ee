"""What an instructor learns beyond the scores: item analysis, similar submissions, progress.

One module per job, all reading grades through ``autograder.results`` and answer cells
from the engine's ``autograded/`` copies:

- ``items``: per-exercise statistics (difficulty, discrimination, attempts, misconceptions,
  time in grading) and the flags that call for the instructor's look;
- ``normalise`` and ``similarity``: answers in canonical form, then similar pairs per
  exercise (copydetect's fingerprints), never a verdict;
- ``progress``: one offline page per student over every assignment, and a class overview;
- ``views`` and ``html``: the HTML of the report's new sections and of the pages;
- ``data``: the typed document of ``autograder report --json``.

``report.py`` and ``export.py`` call :func:`run` and use what it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.analysis.items import ItemAnalysis, ItemStats
from autograder.analysis.similarity import SimilarityReport


@dataclass
class Analysis:
    """Everything the report and the exports add to an assignment's results."""

    items: ItemAnalysis
    similar: SimilarityReport
    history: list[ItemStats] = field(default_factory=list)  #: every graded assignment's items, in term order


def run(course: str | Path, results, *, history: bool = True, workers: int | None = None) -> Analysis:
    """The item analysis, the similarity report and (``history``) the course's item history
    of a graded assignment (``results``: ``autograder.results.AssignmentResults``)."""
    from autograder.analysis import items, similarity

    analysis = items.analyse(results)
    similar = similarity.for_assignment(course, results, workers=workers)
    past = []
    if history:
        others = [a for a in items.graded_assignments(course) if a != results.assignment]
        past = items.course_history(course, others) + analysis.items
        order = sorted({i.assignment for i in past})
        past.sort(key=lambda i: order.index(i.assignment))
    return Analysis(analysis, similar, past)
