"""The instructor side of the course: release, grading engine and reports on nbgrader.

Each step lives in its own module: ``release`` (solutions/ -> notebooks/),
``nbgrader_setup`` (the one nbgrader configuration). The CLI is ``python -m autograder``.
"""

import os as _os
import sys as _sys

# nbgrader shells out to `alembic` and `jupyter`, which live next to this interpreter;
# make them findable even when the virtual environment is not activated.
_bin = _os.path.dirname(_sys.executable)
if _bin not in _os.environ.get("PATH", "").split(_os.pathsep):
    _os.environ["PATH"] = _bin + _os.pathsep + _os.environ.get("PATH", "")
