"""The grading engine behind ``python -m autograder grade`` (docs/grading-engine.md).

One module per job:

- ``records``: the vocabulary: every record that crosses a process or module boundary,
  typed and validated, and every status as an enum.
- ``warmup``: what a zygote imports and warms for an assignment; starting it early.
- ``limits``: the sandbox limits and their defaults.
- ``protocol``: the record channel from a sandbox (framing, a reader that checks every record).
- ``integrity``: the tripwire snapshot of what student code must not patch.
- ``zygote``: a pre-imported interpreter that forks one sandbox per run.
- ``jail``: the Linux jail around a sandbox (namespaces, mounts, limits, the uid drop).
- ``sandbox``: what runs in the forked child: the cells, ``collect``, the records.
- ``worker``: one submission with a zygote: runs, replays around bad cells.
- ``pool``: zygotes driven from the driver's threads (on one machine, no Dask).
- ``notebook``: reads a submission and lines it up with the instructor's source
  (with ``autograder.cells``, the matcher ``collect`` uses too).
- ``needed``: which cells grading needs (the lesson's demonstrations are left out).
- ``judge``: the trusted side: the secret, the cases, ``decide``.
- ``grading``: the driver's grading of one notebook, as a list of named steps.
- ``journal``: the one owner of ``<course>/engine/results`` (entries, kept results, summary).
- ``fingerprints``: checker fingerprints for ``autograder regrade``.
- ``gradebook``: the one writer of nbgrader's gradebook and the autograded notebooks.
- ``scheduler``: the driver: lock, zygotes or Dask, progress.
- ``watch``: grading each hand-in as it lands.
"""

from autograder.engine.limits import Limits

__all__ = ["Limits"]
