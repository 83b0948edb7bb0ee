"""The one kind of error a user's input causes: it says what is wrong and what to do.

Every command checks its inputs (files, dates, the course folder, assignment names)
before it changes anything and raises :class:`UsageError` for a bad one;
``python -m autograder`` prints it as one line and exits with status 2, never a traceback.
"""

from __future__ import annotations


class UsageError(Exception):
    """A bad input: ``what`` is wrong, ``todo`` is what the user can do about it."""

    def __init__(self, what: str, todo: str = ""):
        self.what, self.todo = what, todo
        super().__init__(f"{what}: {todo}" if todo else what)
