"""The student release: ``solutions/NN_name.ipynb`` -> ``notebooks/NN_name.ipynb``.

A pipeline of small steps, each doing one thing:

1. ``sync_generated_cells``: the Colab badge and the bootstrap cell come from the
   templates in ``autograder/templates`` (never pasted by hand) and are written into
   the source too, so that solutions run exactly like the release;
   ``sync_file_links``: links to the repository's own files (the cheat sheet of
   mistakes) point at the repository ``course/project.py`` names (a fork's, after
   ``release --repository``).
2. ``clear_outputs``: sources are kept without outputs.
3. ``nbgrader_generate``: nbgrader's own ``generate_assignment`` removes solutions and
   hidden tests, locks cells and records checksums.

Running it twice changes nothing; ``tests/test_release.py`` fails when notebooks/ is stale.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.paths import NOTEBOOKS, ROOT, SOLUTIONS, TEMPLATES, assignment_of
from course import __version__
from course.project import colab_url, file_url, pinned_requirement

BOOTSTRAP_TAG = "bootstrap"
BADGE_TAG = "colab-badge"
NB_VERSION = 4


def bootstrap_source(version: str = __version__) -> str:
    text = (TEMPLATES / "bootstrap.py").read_text()
    return text.format(version=version, requirement=pinned_requirement(version)).rstrip("\n")


def badge_source(notebook_name: str, version: str = __version__) -> str:
    text = (TEMPLATES / "badge.md").read_text()
    return text.format(colab_url=colab_url(f"notebooks/{notebook_name}"), version=version).rstrip("\n")


def _tagged(nb, tag):
    return [i for i, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", [])]


def sync_generated_cells(nb, notebook_name: str) -> None:
    """Put the badge right after the title cell and the bootstrap as the first code cell."""
    for tag in (BADGE_TAG, BOOTSTRAP_TAG):
        for i in reversed(_tagged(nb, tag)):
            del nb.cells[i]
    badge = nbformat.v4.new_markdown_cell(badge_source(notebook_name))
    badge.metadata = {"tags": [BADGE_TAG], "editable": False, "deletable": False}
    boot = nbformat.v4.new_code_cell(bootstrap_source())
    boot.metadata = {
        "tags": [BOOTSTRAP_TAG],
        "editable": False,
        "deletable": False,
        "nbgrader": {
            "grade": False,
            "solution": False,
            "locked": True,
            "task": False,
            "grade_id": "bootstrap",
            "schema_version": 3,
        },
    }
    title_at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells.insert(title_at, badge)
    first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
    nb.cells.insert(first_code, boot)
    for cell in (badge, boot):  # stable ids, so that regenerating changes nothing
        cell.id = cell.metadata["tags"][0]


#: A link to a file on GitHub: https://github.com/OWNER/NAME/blob/BRANCH/PATH (PATH up to a space, a
#: bracket, a quote, an anchor or a closing punctuation mark).
_FILE_LINK = re.compile(
    r"https://github\.com/[\w.-]+/[\w.-]+/blob/[\w./-]+?/(?P<path>[\w./-]+?)(?=[.,;:!?]?(?:[\s)\]\"'#]|$))"
)


def sync_file_links(nb, root: Path = ROOT) -> None:
    """Point links to a file this repository holds at this repository (``course/project.py``)."""

    def repoint(m: re.Match) -> str:
        return file_url(m["path"]) if (root / m["path"]).is_file() else m[0]

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _FILE_LINK.sub(repoint, cell.source)


def clear_outputs(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}


def normalise_source(path: Path) -> bool:
    """Apply steps 1-2 to a solution notebook in place; True when the file changed."""
    before = path.read_text()
    nb = nbformat.reads(before, as_version=NB_VERSION)
    sync_generated_cells(nb, path.name)
    sync_file_links(nb)
    clear_outputs(nb)
    after = nbformat.writes(nb) + "\n"
    if after != before:
        path.write_text(after)
        return True
    return False


def nbgrader_generate(sources: list[Path], out_dir: Path) -> list[Path]:
    """Run nbgrader's generate_assignment on each source; write the releases to out_dir."""
    from nbgrader.apps import NbGraderAPI

    from autograder.nbgrader_setup import make_config

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        root = Path(tmp)
        api = NbGraderAPI(config=make_config(root))
        for src in sources:
            assignment = assignment_of(src)
            (root / "source" / assignment).mkdir(parents=True)
            shutil.copy(src, root / "source" / assignment / src.name)
            result = api.generate_assignment(assignment)
            if not result["success"]:
                raise RuntimeError(
                    f"nbgrader could not release {src.name}:\n{result.get('error') or result.get('log')}"
                )
            released = root / "release" / assignment / src.name
            nb = nbformat.read(released, as_version=NB_VERSION)
            text = nbformat.writes(nb) + "\n"
            target = out_dir / src.name
            if not target.exists() or target.read_text() != text:
                target.write_text(text)
            written.append(target)
    return written


def release(
    names: list[str] | None = None, out_dir: Path = NOTEBOOKS, solutions_dir: Path = SOLUTIONS, normalise: bool = True
) -> list[Path]:
    """Release the given notebooks (file stems or names; all when None)."""
    sources = sorted(solutions_dir.glob("*.ipynb"))
    if names:
        wanted = {Path(n).stem for n in names}
        sources = [s for s in sources if s.stem in wanted]
        missing = wanted - {s.stem for s in sources}
        if missing:
            raise FileNotFoundError(f"no solution notebook named {', '.join(sorted(missing))} in {solutions_dir}")
    if normalise:
        for src in sources:
            normalise_source(src)
    return nbgrader_generate(sources, out_dir)
