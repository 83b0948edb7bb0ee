"""The grading engine on the example class: every graded student gets the scores written
by hand in autograder/example_class.py (per exercise, the late penalty, the named
mistakes), after roster import, due dates and collect, with nbgrader's gradebook.
"""

from __future__ import annotations

import pytest

from autograder.engine.limits import Limits
from autograder.engine.scheduler import _client, grade
from autograder.example_class import ASSIGNMENTS, exercise_ids, expected_scores, setup_course

pytestmark = pytest.mark.kernel

EXPECTED = expected_scores()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from nbgrader.api import Gradebook

    tmp = tmp_path_factory.mktemp("class")
    _api, config, _report = setup_course(tmp / "course", tmp / "handin")
    client, cluster = _client(None, None)
    rows = {}
    try:
        for a in ASSIGNMENTS:  # a short cell limit: the infinite loop costs 10 s, not 60
            for row in grade(a, tmp / "course", client=client, progress=False, limits=Limits(cell_timeout_s=10)):
                rows[(row.student, a)] = row
    finally:
        client.close()
        cluster.close()
    penalties = {}
    with Gradebook(config.CourseDirectory.db_url) as gb:
        for student, a in EXPECTED:
            try:
                sub = gb.find_submission(a, student)
            except Exception:  # noqa: BLE001 - reported by the test below
                continue
            penalties[(student, a)] = (sub.score, sub.late_submission_penalty or 0.0)
    return rows, penalties, tmp / "course"


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: f"{k[0]}-{k[1]}")
def test_scores_match_the_hand_written_table(graded, key):
    rows, penalties, _ = graded
    sub = EXPECTED[key]
    assert key in rows, f"{key} was not graded"
    row = rows[key]
    got = tuple(row.cells[gid].score for gid in exercise_ids(key[1]))
    assert got == tuple(float(x) for x in sub.expected), (sub.mistakes, {g: row.cells[g].message for g in row.cells})
    for ex_id, code in sub.codes.items():
        verdict = row.cells[ex_id.replace(".", "-")]
        assert verdict.code == code, (ex_id, code, verdict.code, verdict.message)
    score, penalty = penalties[key]  # nbgrader keeps the raw score and the penalty apart
    assert penalty == pytest.approx(sub.late_penalty)
    assert score - penalty == pytest.approx(sum(sub.expected) - sub.late_penalty)


def test_analysis_of_the_graded_class(graded):
    """On the engine's own results: no honest item is flagged (the planted ones are, in
    tests/analysis on the same class), every roster student has a progress page, and every
    exercise has its time in grading."""
    from autograder.analysis.items import analyse
    from autograder.analysis.progress import write
    from autograder.example_class import POINTS, ROSTER
    from autograder.results import load

    _, _, course = graded
    for a in ASSIGNMENTS:
        items = analyse(load(course, a))
        assert len(items.items) == len(POINTS[a]) and not items.flagged, [(i.grade_id, i.flags) for i in items.flagged]
        assert all(i.grading_s_median is not None for i in items.items)
    pages, overview = write(course)
    assert sorted(p.stem for p in pages) == sorted(s for s, *_ in ROSTER) and overview.exists()
