"""The grading engine behind ``python -m autograder grade`` (docs/grading-engine.md).

One module per job:

- ``limits``: the sandbox limits and their defaults.
- ``protocol``: the framed records a sandbox sends (JSON plus safetensors, never pickle).
- ``integrity``: the tripwire snapshot of what student code must not patch.
- ``zygote``: a pre-imported interpreter that forks one sandbox per run (and its client).
- ``sandbox``: what runs in the forked child: limits, privileges, the cells, ``collect``.
- ``worker``: one submission on a Dask worker: runs, replays around bad cells.
- ``notebook``: reads a submission and lines it up with the instructor's source.
- ``judge``: the trusted side: the secret, the cases, ``decide``, scores and flags.
- ``gradebook``: the one writer of nbgrader's gradebook and the autograded notebooks.
- ``scheduler``: the driver: lock, journal, Dask, progress.
- ``coursedir``: sets up nbgrader course directories (tests, benchmark).
"""

from autograder.engine.limits import Limits

__all__ = ["Limits"]
