"""Leaving out what grading does not need (``autograder/engine/needed.py``).

In-process: which cells of small notebooks run, cell by cell, for every reason a cell
must run (a name it binds, an object it changes, something that cannot be followed), and
the plan of a submission built on it. In a sandbox: a course notebook whose expensive
demonstration would run past the time limit if it ran, while a student's answer that uses
a helper the lesson defined in another demonstration still earns its point. (The proof on
the course's own notebooks, every named wrong answer included, is in
``test_course_notebooks.py``.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import coursedir
from autograder import authoring as a
from autograder.engine import needed
from autograder.engine import notebook as nbm
from autograder.engine.limits import Limits
from engine_support import CHECKS, FIXTURE


def _left_out(*cells: str, answers=("f",), student=(), tags=()) -> set[int]:
    """Indexes of the cells left out: cells in order, the test (checking ``answers``) after the last.

    ``student``: indexes of the student's cells; ``tags``: those tagged demonstration."""
    steps = [needed.CodeStep(i, src, i not in student, i in tags) for i, src in enumerate(cells)]
    return set(needed.decide(steps, [needed.TestStep(len(cells), tuple(answers))]).skipped)


ANSWER = "def f(x):\n    return helper(x) + 1"


def test_a_demonstration_nobody_needs_is_left_out_and_what_the_answer_uses_runs():
    cells = [
        "import torch",
        "def helper(x):\n    return SCALE * torch.as_tensor(x)",
        "SCALE = 2",
        "plot = [1, 2, 3]\nprint(plot)",
        ANSWER,
    ]
    assert _left_out(*cells, student={4}) == {3}


def test_a_name_the_answer_uses_is_kept_transitively_and_only_before_the_test():
    cells = ["k = 3", "def helper(x):\n    return x * k", ANSWER, "k = 100\nhelper = lambda x: x"]
    assert _left_out(*cells, student={2}) == {0, 1}  # the test runs after cell 3: it sees only cell 3's
    steps = [needed.CodeStep(i, src, i != 2) for i, src in enumerate(cells)]
    early = needed.decide(steps, [needed.TestStep(3, ("f",))])  # a test before cell 3
    assert set(early.skipped) == {3}


@pytest.mark.parametrize(
    "source,why",
    [
        ("global k\nk = 1", "global"),
        ("from math import *", "*"),
        ("%timeit sum(range(10))", "magic"),
        ("!ls", "magic"),
        ("exec('k = 1')", "exec"),
        ("setattr(obj, 'x', 1)", "setattr"),
        ("open('out.txt', 'w').write('x')", "open"),
        ("torch.save(model, 'model.pt')", "files"),
        ("torch.set_default_dtype(torch.float64)", "library"),
        ("warnings.filterwarnings('ignore')", "library"),
        ("torch.backends.cudnn.deterministic = True", "library object"),
        ("sys.path.append('/tmp')", "library"),
        ("def oops(:\n    pass", "parse"),
    ],
)
def test_what_cannot_be_followed_by_name_always_runs(source, why):
    prelude = "import torch\nimport warnings\nimport sys\nobj = object()\nmodel = torch.nn.Linear(1, 1)"
    steps = [
        needed.CodeStep(0, prelude, True),
        needed.CodeStep(1, source, True),
        needed.CodeStep(2, "def f(x):\n    return x", False),
    ]
    decision = needed.decide(steps, [needed.TestStep(3, ("f",))])
    assert 1 not in decision.skipped
    assert why in decision.kept[1], decision.kept[1]


@pytest.mark.parametrize(
    "demo,left_out",
    [
        (
            "with tempfile.TemporaryDirectory() as tmp:\n    torch.save(model.state_dict(), Path(tmp) / 'm.pt')\n"
            "    print(torch.load(Path(tmp) / 'm.pt'))",
            True,
        ),  # gone at the end of the block
        ("buffer = io.BytesIO()\ntorch.save(model.state_dict(), buffer)\nprint(len(buffer.getvalue()))", True),
        ("handle = model.register_forward_hook(lambda *a: None)\nhandle.remove()", True),  # the notebook's object
        ("torch.save(model.state_dict(), 'm.pt')", False),  # a file a later cell may read
        ("with tempfile.TemporaryDirectory() as tmp:\n    torch.save(model.state_dict(), 'm.pt')", False),
        ("os.remove('old.pt')", False),  # a library's remove
    ],
)
def test_files_only_a_later_cell_could_read_make_a_cell_run(demo, left_out):
    prelude = (
        "import io\nimport os\nimport tempfile\nfrom pathlib import Path\nimport torch\nmodel = torch.nn.Linear(1, 1)"
    )
    cells = [prelude, demo, "def f(x):\n    return x + 1"]
    assert (1 in _left_out(*cells, student={2})) == left_out, demo


def test_a_buffer_in_memory_written_by_a_cell_a_later_one_reads_makes_it_run():
    cells = [
        "import io\nimport torch\nbuffer = io.BytesIO()",
        "torch.save(torch.ones(2), buffer)",
        "def f(x):\n    return x + len(buffer.getvalue())",
    ]
    assert _left_out(*cells, student={2}) == set()


def test_warning_filters_inside_catch_warnings_are_undone_and_left_out():
    cell = "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n    frame = list(range(3))"
    assert _left_out("import warnings", cell, ANSWER.replace("helper(x)", "x"), student={2}) == {0, 1}
    assert (
        _left_out("import warnings", "warnings.simplefilter('ignore')", ANSWER.replace("helper(x)", "x"), student={2})
        == set()
    )


@pytest.mark.parametrize(
    "demo",
    [
        "data.append(4)",  # a method call on it
        "data[0] = 99",  # an item assigned
        "alias = data\nalias.append(4)",  # through a name that shares it
        "view = data\nfor item in [view]:\n    item.append(4)",
        "def grow():\n    data.append(4)\n\ngrow()",  # a function of the notebook that changes it
        "data += [4]",  # in place
    ],
)
def test_a_cell_that_may_change_what_the_answer_reads_runs(demo):
    cells = ["data = [1, 2, 3]", demo, "def f(x):\n    return x + len(data)"]
    assert _left_out(*cells, student={2}) == set(), demo


@pytest.mark.parametrize(
    "demo",
    [
        "total = sum(data)\nprint(total)",  # read only
        "copy = list(data)\ncopy.append(4)",  # a copy of numbers: shares nothing that can change
        "import numpy as np\nprint(np.mean(data), np.array(data).sum())",  # a library function reads it
        "data2 = [5]\ndata2.append(6)",  # another object
    ],
)
def test_a_cell_that_only_reads_or_copies_is_left_out(demo):
    cells = ["data = [1, 2, 3]", demo, "def f(x):\n    return x + len(data)"]
    assert _left_out(*cells, student={2}) == {1}, demo


def test_iterating_a_generator_uses_it_up_so_the_cell_runs():
    cells = ["numbers = (i for i in range(10))", "first = next(numbers)", "def f(x):\n    return x + sum(numbers)"]
    assert _left_out(*cells, student={2}) == set()


def test_a_students_later_rebinding_makes_an_earlier_demonstration_irrelevant():
    cells = ["model = train_for_minutes()", "model = [1, 2]", "def f(x):\n    return x + len(model)"]
    assert _left_out(*cells, student={1, 2}) == {0}
    shared = ["model = train_for_minutes()", "model = model[:1]", "def f(x):\n    return x + len(model)"]
    assert _left_out(*shared, student={1, 2}) == set()  # the new value comes from the old one


def test_a_check_that_calls_a_function_that_changes_a_global_runs():
    cells = [
        "seen = []",
        "def f(x):\n    seen.append(x)\n    return x + len(seen)",
        "nb.ex.check(f)",
        "from course.checks import nb00 as nb",
    ]
    assert 2 not in _left_out(*cells, student={1})
    pure = [
        "seen = []",
        "def f(x):\n    return x + len(seen)",
        "nb.ex.check(f)",
        "from course.checks import nb00 as nb",
    ]
    assert 2 in _left_out(*pure, student={1})


def test_the_demonstration_tag_leaves_out_what_analysis_cannot_follow_unless_a_name_is_needed():
    cells = ["%time results = train_for_minutes()", "helper = lambda x: x", ANSWER]
    assert _left_out(*cells, student={2}) == set()  # a magic: runs
    assert _left_out(*cells, student={2}, tags={0}) == {0}  # tagged: left out
    tagged_but_used = ["%time helper = make_helper()", ANSWER]
    assert _left_out(*tagged_but_used, student={1}, tags={0}) == set()  # the answer uses helper


def test_facts_are_scoped_like_python():
    f = needed.facts("def fit(model, X):\n    loss = model(X)\n    return loss + bias\n\nresult = fit(net, data)")
    assert f.binds == {"fit", "result"}
    assert {"bias", "net", "data"} <= f.uses and not {"model", "X", "loss"} & f.uses


# --- the plan of a submission ------------------------------------------------------------------


def _source_with_demos(tmp_path: Path) -> Path:
    from course.checks import load_file

    load_file(CHECKS)
    cells = [
        a.code("import time\nimport torch"),
        a.code("SCALE = 2"),
        a.code("def helper(x):\n    return SCALE * x"),
        a.code("time.sleep(600)  # an expensive demonstration: past the time limit if it ran"),
        a.demonstration("%time torch.manual_seed(0); print('a tagged demonstration')"),
    ]
    cells += a.exercise(
        "nb90.ex1", "double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
    )
    cells.append(a.code("print('after the test')"))
    return a.write(cells, tmp_path / "demo_fixture.ipynb")


def test_the_plan_leaves_out_unneeded_instructor_cells_and_keeps_the_students(tmp_path):
    path = _source_with_demos(tmp_path)
    source = nbm.Source.load("demo_fixture", path.read_bytes())
    nb = json.loads(path.read_text())
    answers_of = {"nb90.ex1": ("double",)}.get
    plan = nbm.plan(source, nbm.read_cells(path.read_bytes()), answers_of)
    ran = {plan.cells[s.cell]["source"].splitlines()[0] for s in plan.steps if s.kind == "code"}
    assert not any("sleep" in line or "after the test" in line or "tagged" in line for line in ran)
    assert not any(line.startswith(("SCALE", "def helper")) for line in ran)  # nobody uses them
    assert any("not run" in n for n in plan.notes) and plan.skipped
    assert [s.exercise for s in plan.steps if s.kind == "test"] == ["nb90.ex1"]
    # the student edits the demonstration, adds a cell, and uses the helper in the answer
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"])
        if cell["source"].startswith("time.sleep"):
            cell["source"] = "time.sleep(0)  # mine now"
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "nb90-ex1-answer":
            cell["source"] = "def double(x):\n    return helper(x)"
    nb["cells"].insert(
        1,
        {
            "cell_type": "code",
            "metadata": {},
            "source": "mine = 1",
            "outputs": [],
            "execution_count": None,
            "id": "mine",
        },
    )
    plan = nbm.plan(source, nbm.read_cells(json.dumps(nb).encode()), answers_of)
    ran = [plan.cells[s.cell]["source"] for s in plan.steps if s.kind == "code"]
    assert "mine = 1" in ran and any(r.startswith("time.sleep(0)") for r in ran)
    assert "SCALE = 2" in ran and any(r.startswith("def helper") for r in ran)
    everything = nbm.plan(source, nbm.read_cells(json.dumps(nb).encode()), answers_of, all_cells=True)
    assert not everything.skipped and len(everything.steps) > len(plan.steps)


@pytest.mark.kernel
def test_in_a_sandbox_left_out_cells_do_not_run_and_a_demonstrations_helper_works(tmp_path):
    from autograder.engine.scheduler import grade

    path = _source_with_demos(tmp_path)
    release = None
    root = coursedir.prepare(tmp_path / "course", [path], {})
    release = json.loads((root / "release" / "demo_fixture" / "demo_fixture.ipynb").read_text())
    for cell in release["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "nb90-ex1-answer":
            cell["source"] = "def double(x):\n    return helper(x)"  # the lesson's helper, from a demonstration
    coursedir.submit(root, "uses_helper", "demo_fixture", json.dumps(release).encode())
    limits = Limits(cell_timeout_s=10)
    rows = {r.student: r for r in grade("demo_fixture", root, limits=limits, extra_checks=[CHECKS], progress=False)}
    row = rows["uses_helper"]
    assert (row.score, row.max_score, str(row.status)) == (1.0, 1.0, "graded"), (row.flags, row.notes)
    autograded = json.loads((root / "autograded" / "uses_helper" / "demo_fixture" / "demo_fixture.ipynb").read_text())
    sleep = next(c for c in autograded["cells"] if "".join(c["source"]).startswith("time.sleep"))
    assert "Not run under grading" in sleep["outputs"][0]["text"]
    assert FIXTURE.exists()
