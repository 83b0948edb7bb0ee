"""An instructor's private folder outside the repository: extra hidden tests in a private
copy of a solution notebook, and extra checkers, read by `release` and `grade`."""

from __future__ import annotations

import json
import subprocess
import sys

from support import SOLUTIONS


def test_release_reads_a_private_solutions_folder_and_keeps_its_hidden_tests_out(tmp_path):
    private = tmp_path / "private" / "solutions"
    private.mkdir(parents=True)
    nb = json.loads((SOLUTIONS / "00_start_here.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "nb00-ex1":
            cell["source"] = "".join(cell["source"]).replace(
                "### END HIDDEN TESTS",
                "assert ones_like_shape(torch.zeros(7, 1)).sum() == 7  # instructor-only\n### END HIDDEN TESTS",
            )
    (private / "00_start_here.ipynb").write_text(json.dumps(nb, indent=1))
    out = tmp_path / "release"
    run = subprocess.run(
        [sys.executable, "-m", "autograder", "release", "--solutions", str(private), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    released = (out / "00_start_here.ipynb").read_text()
    assert "instructor-only" not in released and "hidden=True" not in released
    assert "instructor-only" in (private / "00_start_here.ipynb").read_text()  # the private source keeps them
