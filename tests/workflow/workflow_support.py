"""Helpers for the workflow tests: notebooks in the shapes students hand in, and plain
nbgrader autograde on a course directory (the reference the engine must agree with)."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

from autograder.paths import NOTEBOOKS


def release_json(assignment: str = "01_tensors") -> dict:
    return json.loads((NOTEBOOKS / f"{assignment}.ipynb").read_text())


def cell_by_gid(nb: dict, gid: str) -> dict:
    return next(c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)


def dumps(nb: dict) -> bytes:
    return (json.dumps(nb, indent=1) + "\n").encode()


def make_zip(path: Path, files: dict[str, bytes], when: datetime = datetime(2026, 1, 11, 18, 0)) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=when.timetuple()[:6]), data)
    path.write_bytes(buf.getvalue())
    return path


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def autograde(api, config, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Plain ``nbgrader autograde`` per (student, assignment) already under submitted/;
    returns scores per grade id, the late penalty and the test cells' output text."""
    from nbgrader.api import Gradebook

    from nbgrader_batch import output_text

    for student, assignment in pairs:
        result = api.autograde(assignment, student)
        assert result["success"], result.get("error") or result.get("log")
    out = {}
    root = Path(config.CourseDirectory.root)
    with Gradebook(config.CourseDirectory.db_url) as gb:
        for student, assignment in pairs:
            sub = gb.find_submission_notebook(assignment, assignment, student)
            nb = json.loads((root / "autograded" / student / assignment / f"{assignment}.ipynb").read_text())
            outputs = {
                c["metadata"]["nbgrader"]["grade_id"]: output_text(c)
                for c in nb["cells"]
                if c.get("metadata", {}).get("nbgrader", {}).get("grade")
            }
            out[(student, assignment)] = {
                "scores": {g.name: g.score for g in sub.grades},
                "late_penalty": sub.late_submission_penalty or 0.0,
                "outputs": outputs,
            }
    return out


def colab_like(nb: dict) -> dict:
    """As Colab saves it: nbformat 4.0, no ids, sources as lists, Colab's metadata."""
    nb = json.loads(json.dumps(nb))
    for i, c in enumerate(nb["cells"]):
        c.pop("id", None)
        c["metadata"]["id"] = f"Colab{i:07d}"
        c["source"] = c["source"].splitlines(True) if isinstance(c["source"], str) else c["source"]
    nb["nbformat_minor"] = 0
    nb["metadata"] = {
        "colab": {"name": "Copy of 01_tensors.ipynb", "provenance": []},
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
        "language_info": {"name": "python"},
    }
    return nb


def strip_nbgrader(nb: dict) -> dict:
    nb = copy.deepcopy(nb)
    for c in nb["cells"]:
        for key in ("nbgrader", "editable", "deletable", "tags"):
            c.get("metadata", {}).pop(key, None)
    return nb


# -- the command line, as an instructor runs it ----------------------------------------------------
def cli(*args, cwd, timeout: float = 900):
    """``python -m autograder ARGS`` in a subprocess (its own interpreter, as a user runs it)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every file under ``root``: relative path -> (size, sha256); to prove that nothing changed."""
    import hashlib

    root = Path(root)
    if not root.exists():
        return {}
    if root.is_file():
        return {root.name: (root.stat().st_size, hashlib.sha256(root.read_bytes()).hexdigest())}
    return {
        str(p.relative_to(root)): (p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
