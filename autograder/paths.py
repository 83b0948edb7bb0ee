"""Where things are in the repository."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "templates"


def assignment_of(notebook: Path) -> str:
    """Each notebook is its own nbgrader assignment, named after the file: 01_tensors."""
    return notebook.stem
