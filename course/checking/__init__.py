"""The checker framework: how every exercise of the course is checked.

The exercise contract (see also CONTRIBUTING.md and docs/grading-engine.md):

1. An exercise (``course.checks.nbNN.exK``, an :class:`Exercise`) names the objects the
   student writes (``answers``: usually functions or classes, so that they can be
   called on inputs the student never saw) and defines three small functions:

   - ``cases(gen, hidden)``: the inputs, as tensors and plain numbers, drawn from a
     ``torch.Generator``. Visible cases come from a public seed; hidden cases from the
     secret ``COURSE_SECRET`` (or fresh randomness when there is none).
   - ``run(case, *answers)``: calls the student's objects on one case and returns what
     they produced. The framework turns it into plain data (:mod:`course.checking.values`):
     exact ``torch.Tensor`` objects become tensor records; subclasses and look-alikes
     become opaque records that no check accepts.
   - ``judge(v, case, got)``: decides from that data alone, cheapest first (type,
     dtype, shape, device, graph, values with stated tolerances), failing with a
     misconception code from :mod:`course.misconceptions`.

2. Because ``judge`` sees only data, it can run in another process than the student's
   code: the grading engine runs ``run`` in a sandbox and ``judge`` in a trusted
   process. In a notebook both run in the kernel:

   - ``exK.check(answer)`` after the answer cell: renders a pass/fail box, never raises.
   - ``exK.grade(answer)`` / ``exK.grade(answer, hidden=True)`` in the graded test cell:
     renders the box. In a student's kernel that is all, so Run All reaches the last
     cell; under nbgrader's autograde and validate (``NBGRADER_EXECUTION`` set) it also
     raises an ``AssertionError`` on failure, whose traceback is the report alone, so
     that plain ``nbgrader autograde`` scores it (partial credit is returned as points).
"""

from course.checking.exercise import Exercise
from course.checking.judge import Failed, Judge
from course.checking.result import CheckResult

__all__ = ["CheckResult", "Exercise", "Failed", "Judge"]
