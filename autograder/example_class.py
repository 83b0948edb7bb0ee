"""An example class built from ``solutions/``: what a real hand-in looks like, with known answers.

Sixteen synthetic students hand in ``01_tensors`` and ``02_autograd`` the way students do:
in mixed layouts (folders, flat names, LMS download names, "Copy of ...", a nested zip),
with the mistakes students make (blank, partial, named misconceptions taken from
``tests/variants``, a crash, an infinite loop, a corrupt file, Colab-saved notebooks
without nbgrader metadata, a recreated cell, tampered metadata, a duplicate, swapped
file names, a late hand-in) plus the junk that comes with them.

The EXPECTED table below is written by hand from the list of mistakes each student was
built with (a solved exercise earns its points, a wrong, blank or crashing one earns 0,
and an exercise whose answer calls a broken earlier answer fails with it). It is never
recorded from a grader's output: it is what the grader is tested against.

What the class is built from ships with the package (``autograder/example/``: the two
solution notebooks, their release, the wrong answers), so it runs from an installed
wheel; ``scripts/refresh_example_class.py`` copies it from ``solutions/``, ``notebooks/``
and ``tests/variants`` (a test fails when it is stale).
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

#: The class's data, shipped with the package (see the module docstring).
EXAMPLE = Path(__file__).resolve().parent / "example"
SOURCES = EXAMPLE / "source"  #: the solution notebooks, nbgrader's source
RELEASES = EXAMPLE / "release"  #: what students get

ASSIGNMENTS = ("01_tensors", "02_autograd")
#: Points per exercise, copied by hand from the graded test cells of the solution notebooks.
POINTS = {
    "01_tensors": (2, 2, 2, 2, 2, 2, 2, 2, 2, 2),  # 20
    "02_autograd": (2, 1, 2, 2, 1, 3, 1, 2),  # 14
}
DUE = {"01_tensors": "2026-01-12 12:00:00", "02_autograd": "2026-01-19 12:00:00"}
LATE_POINTS_PER_HOUR = 1.0
ON_TIME = {"01_tensors": datetime(2026, 1, 11, 18, 0), "02_autograd": datetime(2026, 1, 18, 18, 0)}
#: When an LMS zip was downloaded: the zip entries carry this time, the file names the real one.
DOWNLOADED = datetime(2026, 1, 20, 9, 0)

ROSTER = [  # id, first name, last name, email
    ("alovelace", "Ada", "Lovelace", "ada@example.edu"),
    ("bbabbage", "Charles", "Babbage", "charles@example.edu"),
    ("ghopper", "Grace", "Hopper", "grace@example.edu"),
    ("aturing", "Alan", "Turing", "alan@example.edu"),
    ("kjohnson", "Katherine", "Johnson", "katherine@example.edu"),
    ("dknuth", "Donald", "Knuth", "donald@example.edu"),
    ("ehamilton", "Margaret", "Hamilton", "margaret@example.edu"),
    ("rfeynman", "Richard", "Feynman", "richard@example.edu"),
    ("jvonneumann", "John", "von Neumann", "john@example.edu"),
    ("fallen", "Frances", "Allen", "frances@example.edu"),
    ("bliskov", "Barbara", "Liskov", "barbara@example.edu"),
    ("tberners", "Tim", "Berners-Lee", "tim@example.edu"),
    ("dritchie", "Dennis", "Ritchie", "dennis@example.edu"),
    ("hlamarr", "Hedy", "Lamarr", "hedy@example.edu"),
    ("lconway", "Lynn", "Conway", "lynn@example.edu"),
    ("bkernighan", "Brian", "Kernighan", "brian@example.edu"),
]


@dataclass
class Sub:
    """One file a student hands in, how it was made, and what grading it must give.

    ``answers``: exercise number -> "solution" | "blank" | ("wrong", k) | "crash" | "loop";
    exercises not named are solved. ``expected``: points per exercise (None: never graded).
    """

    student: str
    assignment: str
    file: str  # path inside the class folder / zip
    answers: dict = field(default_factory=dict)
    form: str = "plain"  # plain | colab | colab-stripped | corrupt | recreated:K | tampered:K | cp1252
    when: datetime | None = None  # the file's time (default: on time)
    expected: tuple | None = None
    status: str = "graded"  # graded | error | timeout | unplaced
    late_penalty: float = 0.0
    codes: dict = field(default_factory=dict)  # exercise id -> the misconception its test must name
    collect: dict = field(default_factory=dict)  # what collect must report (assignment_by, restored, ...)
    mistakes: str = ""


W = "wrong"
SUBMISSIONS: list[Sub] = [
    # -- 1. full marks, the plain folder layout
    Sub(
        "alovelace",
        "01_tensors",
        "alovelace/01_tensors.ipynb",
        expected=(2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
        mistakes="none",
    ),
    Sub("alovelace", "02_autograd", "alovelace/02_autograd.ipynb", expected=(2, 1, 2, 2, 1, 3, 1, 2), mistakes="none"),
    # -- 2. hands in the blank release, flat names
    Sub(
        "bbabbage",
        "01_tensors",
        "bbabbage_01_tensors.ipynb",
        {k: "blank" for k in range(1, 11)},
        expected=(0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        codes={f"nb01.ex{k}": "not-implemented" for k in range(1, 11)},
        mistakes="blank release",
    ),
    Sub(
        "bbabbage",
        "02_autograd",
        "bbabbage_02_autograd.ipynb",
        {k: "blank" for k in range(1, 9)},
        expected=(0, 0, 0, 0, 0, 0, 0, 0),
        codes={f"nb02.ex{k}": "not-implemented" for k in range(1, 9)},
        mistakes="blank release",
    ),
    # -- 3. partial, nbgrader's own layout <student>/<assignment>/<assignment>.ipynb
    Sub(
        "ghopper",
        "01_tensors",
        "ghopper/01_tensors/01_tensors.ipynb",
        {k: "blank" for k in range(5, 11)},
        expected=(2, 2, 2, 2, 0, 0, 0, 0, 0, 0),
        codes={"nb01.ex5": "not-implemented"},
        mistakes="partial: ex1-4 solved, ex5-10 blank",
    ),
    Sub(
        "ghopper",
        "02_autograd",
        "ghopper/02_autograd/02_autograd.ipynb",
        {k: "blank" for k in range(4, 9)},
        expected=(2, 1, 2, 0, 0, 0, 0, 0),
        codes={"nb02.ex4": "not-implemented"},
        mistakes="partial: ex1-3 solved, ex4-8 blank",
    ),
    # -- 4. named misconceptions, Canvas-style LMS names
    Sub(
        "aturing",
        "01_tensors",
        "Turing_Alan_10004_submission_01_tensors.ipynb",
        {2: (W, 0), 4: (W, 0)},
        expected=(2, 0, 2, 0, 2, 2, 2, 2, 2, 2),
        codes={"nb01.ex2": "mean-on-int", "nb01.ex4": "broadcast-n-by-n"},
        mistakes="ex2 mean-on-int, ex4 broadcast-n-by-n",
    ),
    Sub(
        "aturing",
        "02_autograd",
        "Turing_Alan_10004_submission_02_autograd.ipynb",
        {3: (W, 0)},
        expected=(2, 1, 0, 2, 1, 3, 1, 2),
        codes={"nb02.ex3": "zero-grad-missing"},
        mistakes="ex3 zero-grad-missing",
    ),
    # -- 5. misconceptions, Moodle-style names with the date in the name (zip time is the download)
    Sub(
        "kjohnson",
        "01_tensors",
        "10005-2001 - Katherine Johnson - Jan 11, 2026 502 PM - 01_tensors.ipynb",
        {6: (W, 0), 7: (W, 0)},
        when=DOWNLOADED,
        expected=(2, 2, 2, 2, 2, 0, 0, 2, 2, 2),
        codes={"nb01.ex6": "view-non-contiguous", "nb01.ex7": "numpy-copy-not-shared"},
        collect={"timestamp_from": "lms-name"},
        mistakes="ex6 view-non-contiguous, ex7 numpy-copy-not-shared",
    ),
    Sub(
        "kjohnson",
        "02_autograd",
        "10005-2002 - Katherine Johnson - Jan 18, 2026 930 AM - 02_autograd.ipynb",
        {1: (W, 0), 2: (W, 0)},
        when=DOWNLOADED,
        expected=(0, 0, 2, 2, 1, 3, 1, 2),
        codes={"nb02.ex1": "backward-non-scalar", "nb02.ex2": "grad-not-accumulated"},
        collect={"timestamp_from": "lms-name"},
        mistakes="ex1 backward-non-scalar, ex2 grad-not-accumulated",
    ),
    # -- 6. three misconceptions / two, in a folder named "First Last"
    Sub(
        "dknuth",
        "01_tensors",
        "Donald Knuth/01_tensors.ipynb",
        {1: (W, 0), 5: (W, 0), 8: (W, 0)},
        expected=(0, 2, 2, 2, 0, 2, 2, 0, 2, 2),
        codes={
            "nb01.ex1": "index-grid-not-pairs",
            "nb01.ex5": "reshape-scrambled-order",
            "nb01.ex8": "compute-then-move",
        },
        mistakes="ex1 index-grid-not-pairs, ex5 reshape-scrambled-order, ex8 compute-then-move",
    ),
    Sub(
        "dknuth",
        "02_autograd",
        "Donald Knuth/02_autograd.ipynb",
        {4: (W, 0), 8: (W, 0)},
        expected=(2, 1, 2, 0, 1, 3, 1, 0),
        codes={"nb02.ex4": "fd-one-sided", "nb02.ex8": "numpy-requires-grad"},
        mistakes="ex4 fd-one-sided, ex8 numpy-requires-grad",
    ),
    # -- 7. a crash: an answer cell raises before its def
    Sub(
        "ehamilton",
        "01_tensors",
        "ehamilton/01_tensors.ipynb",
        {3: "crash"},
        expected=(2, 2, 0, 2, 2, 2, 2, 2, 2, 2),
        status="error",
        mistakes="ex3 answer cell raises RuntimeError",
    ),
    Sub(
        "ehamilton",
        "02_autograd",
        "ehamilton/02_autograd.ipynb",
        {2: "crash"},
        expected=(2, 0, 2, 2, 1, 3, 1, 2),
        status="error",
        mistakes="ex2 answer cell raises RuntimeError",
    ),
    # -- 8. an infinite loop in ex6 (the check cell hangs); the grader must stop it and go on
    Sub(
        "rfeynman",
        "01_tensors",
        "rfeynman/01_tensors.ipynb",
        {6: "loop"},
        expected=(2, 2, 2, 2, 2, 0, 2, 2, 2, 2),
        status="timeout",
        mistakes="ex6 loops forever (i never grows)",
    ),
    Sub("rfeynman", "02_autograd", "rfeynman/02_autograd.ipynb", expected=(2, 1, 2, 2, 1, 3, 1, 2), mistakes="none"),
    # -- 9. a corrupt file (truncated JSON): listed, kept, never graded
    Sub(
        "jvonneumann",
        "01_tensors",
        "jvonneumann/01_tensors.ipynb",
        form="corrupt",
        expected=None,
        status="unplaced",
        collect={"reason": "corrupt-json"},
        mistakes="file truncated",
    ),
    Sub(
        "jvonneumann",
        "02_autograd",
        "jvonneumann/02_autograd.ipynb",
        {8: "blank"},
        expected=(2, 1, 2, 2, 1, 3, 1, 0),
        codes={"nb02.ex8": "not-implemented"},
        mistakes="ex8 blank",
    ),
    # -- 10. Colab: nbformat 4.0, no ids, nbgrader metadata stripped / kept
    Sub(
        "fallen",
        "01_tensors",
        "fallen/Copy of 01_tensors.ipynb",
        {3: (W, 0)},
        form="colab-stripped",
        expected=(2, 2, 0, 2, 2, 2, 2, 2, 2, 2),
        codes={"nb01.ex3": "keepdim-mismatch"},
        collect={"restored_by_fingerprint": 31},
        mistakes="Colab, nbgrader metadata lost; ex3 keepdim-mismatch",
    ),
    Sub(
        "fallen",
        "02_autograd",
        "Frances Allen - Copy of 02_autograd.ipynb",
        form="colab",
        expected=(2, 1, 2, 2, 1, 3, 1, 2),
        mistakes="Colab-saved, metadata kept",
    ),
    # -- 11. renamed files: "(1)" suffix; a name without the assignment (found by content)
    Sub(
        "bliskov",
        "01_tensors",
        "bliskov/01_tensors (1).ipynb",
        {8: "blank"},
        expected=(2, 2, 2, 2, 2, 2, 2, 0, 2, 2),
        codes={"nb01.ex8": "not-implemented"},
        mistakes="ex8 blank",
    ),
    Sub(
        "bliskov",
        "02_autograd",
        "bliskov/lab2_final.ipynb",
        {7: (W, 0)},
        expected=(2, 1, 2, 2, 1, 3, 0, 2),
        codes={"nb02.ex7": "update-sign"},
        collect={"assignment_by": "content"},
        mistakes="ex7 update-sign; file named lab2_final",
    ),
    # -- 12. late (2.5 h: 3 started hours x 1 point), and a recreated answer cell
    Sub(
        "tberners",
        "01_tensors",
        "Berners-Lee_Tim_10012_submission_01_tensors.ipynb",
        when=datetime(2026, 1, 12, 14, 30),
        expected=(2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
        late_penalty=3.0,
        mistakes="2 h 30 min late",
    ),
    Sub(
        "tberners",
        "02_autograd",
        "Berners-Lee_Tim_10012_submission_02_autograd.ipynb",
        form="recreated:4",
        expected=(2, 1, 2, 2, 1, 3, 1, 2),
        collect={"restored": {"nb02-ex4-answer": "fingerprint"}},
        mistakes="deleted the ex4 answer cell and typed it into a new cell",
    ),
    # -- 13. swapped file names: each notebook is found by its content
    Sub(
        "dritchie",
        "01_tensors",
        "dritchie/02_autograd.ipynb",
        expected=(2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
        collect={"assignment_by": "content"},
        mistakes="saved under the other name",
    ),
    Sub(
        "dritchie",
        "02_autograd",
        "dritchie/01_tensors.ipynb",
        expected=(2, 1, 2, 2, 1, 3, 1, 2),
        collect={"assignment_by": "content"},
        mistakes="saved under the other name",
    ),
    # -- 14. a duplicate (the newer, complete one wins); blank ex6 also sinks ex7 (hand_step calls gradients)
    Sub(
        "hlamarr",
        "01_tensors",
        "hlamarr/01_tensors.ipynb",
        {k: "blank" for k in range(3, 11)},
        when=datetime(2026, 1, 10, 9, 0),
        expected=None,
        status="duplicate",
        mistakes="older draft",
    ),
    Sub(
        "hlamarr",
        "01_tensors",
        "hlamarr/Copy of 01_tensors.ipynb",
        when=datetime(2026, 1, 11, 20, 0),
        expected=(2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
        mistakes="none (the newer of two files)",
    ),
    Sub(
        "hlamarr",
        "02_autograd",
        "hlamarr/02_autograd.ipynb",
        {6: "blank"},
        expected=(2, 1, 2, 2, 1, 0, 0, 2),
        codes={"nb02.ex6": "not-implemented", "nb02.ex7": "not-implemented"},
        mistakes="ex6 blank (ex7 calls it)",
    ),
    # -- 15. tampered metadata: the ex1 answer cell re-marked as a 100-point test cell
    Sub(
        "lconway",
        "01_tensors",
        "lconway_01_tensors.ipynb",
        {1: "blank"},
        form="tampered:1",
        expected=(0, 2, 2, 2, 2, 2, 2, 2, 2, 2),
        codes={"nb01.ex1": "not-implemented"},
        collect={"restored": {"nb01-ex1-answer": "grade_id"}},
        mistakes="ex1 blank, its cell re-marked as graded (100 points)",
    ),
    Sub("lconway", "02_autograd", "lconway_02_autograd.ipynb", expected=(2, 1, 2, 2, 1, 3, 1, 2), mistakes="none"),
    # -- 16. a zip inside the zip; a file with Windows-1252 bytes
    Sub(
        "bkernighan",
        "01_tensors",
        "bkernighan.zip/01_tensors.ipynb",
        {7: (W, 0)},
        expected=(2, 2, 2, 2, 2, 2, 0, 2, 2, 2),
        codes={"nb01.ex7": "numpy-copy-not-shared"},
        mistakes="ex7 numpy-copy-not-shared; handed in as a zip",
    ),
    Sub(
        "bkernighan",
        "02_autograd",
        "bkernighan_02_autograd.ipynb",
        form="cp1252",
        expected=(2, 1, 2, 2, 1, 3, 1, 2),
        collect={"read_status": "decoded-cp1252"},
        mistakes="a note with an accented word saved as Windows-1252",
    ),
]

#: Files in the hand-in that are no student's notebook for an assignment.
STRAYS = {
    "scratch/notes.ipynb": "unknown-assignment",  # a notebook of nothing in the course
    "zstranger_01_tensors.ipynb": "unknown-student",  # someone not on the roster
    "ghopper/Untitled.ipynb": "empty-file",
}
JUNK = [
    "__MACOSX/alovelace/._01_tensors.ipynb",
    "alovelace/.ipynb_checkpoints/01_tensors-checkpoint.ipynb",
    "README.txt",
]


# -- building ----------------------------------------------------------------------------------
def _wrong_answers() -> dict[str, tuple[str, str]]:
    """exercise id -> (misconception code, source) of the wrong answer the class hands in."""
    return {ex: (code, source) for ex, (code, source) in json.loads((EXAMPLE / "wrong.json").read_text()).items()}


def _solution_answers(assignment: str) -> dict[str, str]:
    """grade id -> the solution's answer source as a student would type it (no markers)."""
    nb = json.loads((SOURCES / f"{assignment}.ipynb").read_text())
    out = {}
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid.endswith("-answer"):
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            out[gid] = "\n".join(
                line for line in src.splitlines() if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")
            )
    return out


_CRASH = 'raise RuntimeError("stuck here, I will come back to this one")\n\n'
_LOOP = {  # an infinite loop students write: the counter never grows
    "nb01-ex6-answer": "def flatten(x):\n    flat = x.reshape(-1)\n    out = []\n    i = 0\n"
    "    while i < flat.numel():\n        out.append(flat[i])\n    return torch.stack(out)",
}


def _answer_source(sub: Sub, gid: str, release_src: str, solution: str, wrong: dict) -> str:
    k = int(gid.split("-")[1][2:])
    what = sub.answers.get(k, "solution")
    if what == "solution":
        return solution
    if what == "blank":
        return release_src
    if what == "crash":
        return _CRASH + solution
    if what == "loop":
        return _LOOP[gid]
    return wrong[gid.rsplit("-", 1)[0].replace("-", ".")][1].strip("\n")


def make_notebook(sub: Sub) -> dict:
    """The student's notebook as JSON: the release with this student's answers in it."""
    nb = json.loads((RELEASES / f"{sub.assignment}.ipynb").read_text())
    solutions = _solution_answers(sub.assignment)
    wrong = _wrong_answers()
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if gid in solutions:
            cell["source"] = _answer_source(sub, gid, cell["source"], solutions[gid], wrong)
    rng = random.Random(sub.file)
    form = sub.form
    if form.startswith("recreated:"):
        gid = f"nb{sub.assignment[:2]}-ex{form.split(':')[1]}-answer"
        cell = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)
        cell["metadata"], cell["id"] = {}, "%08x" % rng.getrandbits(32)
    if form.startswith("tampered:"):
        gid = f"nb{sub.assignment[:2]}-ex{form.split(':')[1]}-answer"
        cell = next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)
        cell["metadata"]["nbgrader"].update(grade=True, solution=False, locked=True, points=100)
    if form.startswith("colab"):
        nb = _as_colab(nb, Path(sub.file).name, rng, strip_nbgrader=form == "colab-stripped")
    return nb


def _as_colab(nb: dict, name: str, rng: random.Random, strip_nbgrader: bool) -> dict:
    """The notebook as Colab saves it (see COLAB_FORMAT.md): nbformat 4.0, no cell ids,
    Colab's own ids in cell metadata, source as lists of lines, a GitHub badge cell first."""

    def colab_id():
        return "".join(
            rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") for _ in range(12)
        )

    cells = [
        {
            "cell_type": "markdown",
            "metadata": {"id": "view-in-github", "colab_type": "text"},
            "source": [
                '<a href="https://colab.research.google.com/github/example/course/blob/main/'
                f'notebooks/{name}" target="_parent">Open In Colab</a>'
            ],
        }
    ]
    for cell in nb["cells"]:
        meta = {} if strip_nbgrader else {k: v for k, v in cell.get("metadata", {}).items() if k == "nbgrader"}
        meta["id"] = colab_id()
        new = {
            "cell_type": cell["cell_type"],
            "metadata": meta,
            "source": (cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])).splitlines(True),
        }
        if cell["cell_type"] == "code":
            meta["colab"] = {"base_uri": "https://localhost:8080/"}
            meta["outputId"] = "%08x-%04x-4%03x-a%03x-%012x" % (
                rng.getrandbits(32),
                rng.getrandbits(16),
                rng.getrandbits(12),
                rng.getrandbits(12),
                rng.getrandbits(48),
            )
            new["execution_count"] = None
            new["outputs"] = []
        cells.append(new)
    return {
        "cells": cells,
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {
            "colab": {"name": name, "provenance": [], "collapsed_sections": []},
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
            "accelerator": "GPU",
        },
    }


def _bytes(sub: Sub) -> bytes:
    text = json.dumps(make_notebook(sub), indent=1, ensure_ascii=False) + "\n"
    if sub.form == "corrupt":
        return text[: len(text) // 2].encode()
    if sub.form == "cp1252":
        nb = make_notebook(sub)
        nb["cells"].append(
            {
                "cell_type": "markdown",
                "metadata": {},
                "id": "note-to-self",
                "source": "Note: the CAFE wifi dropped twice, re-ran everything.",
            }
        )
        # everything else ASCII-escaped, as some tools write JSON; the note's own word in cp1252
        text = json.dumps(nb, indent=1, ensure_ascii=True) + "\n"
        return text.encode("ascii").replace(b"CAFE", "caf\u00e9".encode("cp1252"))
    return text.encode()


def _when(sub: Sub) -> datetime:
    return sub.when or ON_TIME[sub.assignment]


def write_roster(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:  # Excel writes a BOM
        w = csv.writer(fh)
        w.writerow(["Student ID", "First Name", "Last Name", "Email"])
        w.writerows(ROSTER)
    return path


def build(out_dir: str | Path) -> dict[str, Path]:
    """Write the class into ``out_dir``: ``submissions.zip`` (mixed layouts, as one download),
    ``roster.csv``; returns their paths. Entry times in the zip are the hand-in times."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    files: list[tuple[str, bytes, datetime]] = []
    inner: list[tuple[str, bytes, datetime]] = []
    for sub in SUBMISSIONS:
        if ".zip/" in sub.file:
            inner.append((sub.file, _bytes(sub), _when(sub)))
        else:
            files.append((sub.file, _bytes(sub), _when(sub)))
    for zip_name in sorted({f.split(".zip/")[0] for f, _, _ in inner}):
        buf = _zip_bytes([(f.split(".zip/")[1], b, w) for f, b, w in inner if f.startswith(zip_name + ".zip/")])
        files.append((zip_name + ".zip", buf, DOWNLOADED))
    stranger = Sub("zstranger", "01_tensors", "zstranger_01_tensors.ipynb")
    files.append(("zstranger_01_tensors.ipynb", _bytes(stranger), ON_TIME["01_tensors"]))
    notes = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# My notes"},
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": "print('hello')"},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    files.append(("scratch/notes.ipynb", json.dumps(notes).encode(), ON_TIME["01_tensors"]))
    files.append(("ghopper/Untitled.ipynb", b"", ON_TIME["01_tensors"]))
    files.append((JUNK[0], b"\x00\x05\x16\x07Mac OS X resource fork", DOWNLOADED))
    files.append((JUNK[1], _bytes(SUBMISSIONS[0]), ON_TIME["01_tensors"]))
    files.append((JUNK[2], b"Downloaded from the course LMS.\n", DOWNLOADED))
    zip_path = out_dir / "submissions.zip"
    zip_path.write_bytes(_zip_bytes(files))
    return {"zip": zip_path, "roster": write_roster(out_dir / "roster.csv")}


def _zip_bytes(files: list[tuple[str, bytes, datetime]]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data, when in files:
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def expected_scores() -> dict[tuple[str, str], Sub]:
    """(student, assignment) -> the submission that must be graded, with its expected scores."""
    return {(s.student, s.assignment): s for s in SUBMISSIONS if s.expected is not None}


def exercise_ids(assignment: str) -> list[str]:
    key = "nb" + assignment[:2]
    return [f"{key}-ex{k}" for k in range(1, len(POINTS[assignment]) + 1)]


def table() -> str:
    """The hand-written expectations as a text table (for the report and the demo)."""
    rows = []
    for s in SUBMISSIONS:
        score = "-" if s.expected is None else f"{sum(s.expected) - s.late_penalty:g}/{sum(POINTS[s.assignment])}"
        rows.append(f"{s.student:<12} {s.assignment:<12} {score:>6}  {s.status:<9} {s.mistakes}")
    return "\n".join(rows)


def setup_course(course_root: str | Path, class_dir: str | Path, assignments: tuple = ASSIGNMENTS) -> tuple:
    """The instructor's steps up to grading, on the example class, as the command line takes
    them: ``init`` (the course from the shipped solutions, with nbgrader's generate step), the
    late policy, the roster imported, the due dates set, the hand-in collected against the roster.

    Returns ``(NbGraderAPI, config, CollectReport)``; plain ``api.autograde(assignment, student)``
    or the grading engine can take it from there.
    """
    from datetime import timezone

    from nbgrader.apps import NbGraderAPI

    from autograder.collect import collect
    from autograder.course_dir import init
    from autograder.nbgrader_setup import configure_late_policy, make_config
    from autograder.roster import import_roster, roster_from_gradebook, set_due_date, set_late_policy

    course_root = Path(course_root)
    init(course_root, list(assignments), solutions=SOURCES)
    set_late_policy(course_root, LATE_POINTS_PER_HOUR)
    config = configure_late_policy(make_config(course_root), LATE_POINTS_PER_HOUR)
    api = NbGraderAPI(config=config)
    paths = build(class_dir)
    db_url = config.CourseDirectory.db_url
    import_roster(paths["roster"], db_url, course_root)
    for a in assignments:
        set_due_date(db_url, a, DUE[a], tz=timezone.utc)
    report = collect(
        paths["zip"], course_root, list(assignments), roster=roster_from_gradebook(db_url, course_root), tz=timezone.utc
    )
    return api, config, report
