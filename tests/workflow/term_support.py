"""A messy class for the end-to-end term: a Canvas roster and a hand-in zip with the cases
real downloads have (LMS names, Colab's "Copy of", nested folders, an e-mail-named folder,
a duplicate, an empty file, a non-notebook, a stranger, macOS junk), with where each file
must land written by hand.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from workflow_support import cell_by_gid, colab_like, dumps, release_json, strip_nbgrader

ASSIGNMENT = "00_start_here"
DUE = "2026-01-12 12:00"
ON_TIME = datetime(2026, 1, 11, 18, 0)
LATE = datetime(2026, 1, 12, 14, 30)  # 2.5 h late: 3 started hours
SOLVED = "def ones_like_shape(x):\n    return torch.ones(x.shape, dtype=torch.float32)\n"

#: Canvas's gradebook export: "Last, First" names, Canvas's user ID, SIS ids, the two rows that are no students.
CANVAS = """Student,ID,SIS User ID,SIS Login ID,Section,Start here (5501)
    Points Possible,,,,,1
"Curie, Marie",20001,S2001,mcurie,Section A,
"Turing, Alan",20002,S2002,aturing,Section A,
"Lovelace, Ada",20003,S2003,alovelace,Section B,
"Hopper, Grace",20004,S2004,ghopper,Section B,
"Knuth, Donald",20005,S2005,dknuth,Section A,
"Noether, Emmy",20006,S2006,enoether,Section B,
"Johnson, Katherine",20007,S2007,kjohnson,Section A,
"Ritchie, Dennis",20008,S2008,dritchie,Section B,
"Liskov, Barbara",20009,S2009,bliskov,Section A,
"Allen, Frances",20010,S2010,fallen,Section B,
"Student, Test",29999,,,Section A,
"""
ROSTER_IDS = [
    "alovelace",
    "aturing",
    "bliskov",
    "dknuth",
    "dritchie",
    "enoether",
    "fallen",
    "ghopper",
    "kjohnson",
    "mcurie",
]


def _solved() -> dict:
    nb = release_json(ASSIGNMENT)
    cell_by_gid(nb, "nb00-ex1-answer")["source"] = SOLVED
    return nb


def _patched() -> dict:
    """Right answer, plus a patched comparison: the grader zeroes the exercise and flags it."""
    nb = release_json(ASSIGNMENT)
    cell_by_gid(nb, "nb00-ex1-answer")["source"] = SOLVED + "\ntorch.equal = lambda a, b: True\n"
    return nb


#: zip entry -> (bytes, entry time, where it must land: ("placed", student) | (reason, student or None) | ("ignored",))
def files() -> dict[str, tuple[bytes, datetime, tuple]]:
    blank = dumps(release_json(ASSIGNMENT))
    solved = dumps(_solved())
    # Alan: Colab lost the nbgrader metadata, he patched torch.equal, and he was late: three statuses
    alan = dumps(colab_like(strip_nbgrader(_patched())))
    return {
        # Canvas's download name: sortable name, user id, submission id, the file's own name
        "curiemarie_20001_777001_00_start_here.ipynb": (solved, ON_TIME, ("placed", "mcurie")),
        "turingalan_LATE_20002_777002_00_start_here-1.ipynb": (alan, LATE, ("placed", "aturing")),
        # Colab's "Copy of", in the student's folder, and the macOS junk next to it
        "alovelace/Copy of 00_start_here.ipynb": (dumps(colab_like(_solved())), ON_TIME, ("placed", "alovelace")),
        "__MACOSX/alovelace/._Copy of 00_start_here.ipynb": (b"\x00\x05\x16\x07Mac", ON_TIME, ("ignored",)),
        # nested folders below the student's
        "ghopper/week 1/final/00_start_here.ipynb": (blank, ON_TIME, ("placed", "ghopper")),
        # a folder named by the e-mail address whose name part is the login
        "dknuth@uni.example/00_start_here.ipynb": (solved, ON_TIME, ("placed", "dknuth")),
        # a duplicate: the older draft and the newer, finished notebook
        "enoether/00_start_here.ipynb": (blank, datetime(2026, 1, 10, 9, 0), ("duplicate", "enoether")),
        "enoether/Copy of 00_start_here (1).ipynb": (solved, ON_TIME, ("placed", "enoether")),
        # an empty file: no grade, and the page says why
        "kjohnson/00_start_here.ipynb": (b"", ON_TIME, ("empty-file", "kjohnson")),
        # not a notebook at all
        "dritchie/00_start_here.py": (SOLVED.encode(), ON_TIME, ("not-a-notebook-file", "dritchie")),
        "dritchie/README.txt": (b"my notes\n", ON_TIME, ("ignored",)),
        # Moodle's folder per submission
        "Barbara Liskov_4242_assignsubmission_file_/00_start_here.ipynb": (solved, ON_TIME, ("placed", "bliskov")),
        # someone who is not on the roster
        "mallory_00_start_here.ipynb": (solved, ON_TIME, ("unknown-student", None)),
    }
    # fallen (Frances Allen) hands in nothing at all


def write_class(folder) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "canvas.csv").write_text(CANVAS)
    spec = files()
    zip_path = folder / "handin.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, (data, when, _) in spec.items():
            z.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), data)
    zip_path.write_bytes(buf.getvalue())
    return {"roster": folder / "canvas.csv", "zip": zip_path, "spec": spec}
