"""``--scheduler ADDRESS``: the engine on an existing Dask cluster (here a separate LocalCluster)."""

from __future__ import annotations

import coursedir
from autograder.engine.scheduler import grade
from engine_support import ASSIGNMENT, CHECKS, make_course, with_answers


def test_grades_on_an_existing_cluster(tmp_path):
    from dask.distributed import LocalCluster

    root = make_course(tmp_path / "course", {"honest": lambda r: with_answers(r, {}), "blank": lambda r: r})
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        rows = grade(ASSIGNMENT, root, scheduler=cluster.scheduler_address, extra_checks=[CHECKS], progress=False)
    assert {r.student: r.score for r in rows} == {"honest": 3.0, "blank": 0.0}
    assert coursedir.gradebook_scores(root, ASSIGNMENT)["honest"] == {"nb90-ex1": 1.0, "nb90-ex2": 1.0, "nb90-ex3": 1.0}
