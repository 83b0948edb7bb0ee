"""The record channel from a sandbox to its worker: framing, and a reader that checks every record.

A record is ``MAGIC``, two lengths, a JSON header and a blob that only ``safetensors``
reads; nothing here ever unpickles. The channel is a FIFO that the student's code can
find in ``/proc/self/fd`` and write to, so :class:`Channel` treats it as untrusted data:

- framing: bounded lengths, read incrementally (a frame is never parsed before it is whole);
- schema: each header is decoded by ``records.decode_sandbox_record`` (types, ranges,
  sizes, nesting depth);
- order: ``hello`` first, then for each planned step in order ``start`` and its
  ``done-step`` (a test step's blob with it), ``end`` after the last; ``tampered``,
  ``broken`` and ``crash`` only while a step runs (``crash`` also before the first).

The first record that breaks any of this stops the channel with the reason
(:attr:`Channel.violation`) and the cell that was running when it came
(:attr:`Channel.blame`); nothing it reads can raise.
"""

from __future__ import annotations

import os
import struct
from typing import Any

from autograder.engine import records
from autograder.engine.records import (
    Broken,
    ChannelError,
    Crash,
    DoneStep,
    End,
    Hello,
    SandboxRecord,
    Start,
    StepKind,
    Tampered,
)

MAGIC = b"AGR1"
_HEAD = struct.Struct(">4sQQ")
MAX_HEADER = 64 << 20


def frame(header: Any, blob: bytes = b"") -> bytes:
    """A record on the wire: ``header`` is a record of ``autograder.engine.records``."""
    body = records.encode(header)
    return _HEAD.pack(MAGIC, len(body), len(blob)) + body + blob


def write_record(fd: int, header: Any, blob: bytes = b"") -> None:
    write_frame(fd, frame(header, blob))


def write_frame(fd: int, frame_bytes: bytes) -> None:
    data = memoryview(frame_bytes)
    while data:
        n = os.write(fd, data)
        data = data[n:]


class Channel:
    """Incremental, validating reader of one sandbox run's records (see the module docstring)."""

    def __init__(self, steps: list[tuple[int, StepKind]], max_blob: int):
        self.expected = list(steps)  #: (cell, kind) still to come, in order
        self.max_blob = max_blob
        self.buffer = bytearray()
        self.records: list[tuple[SandboxRecord, bytes]] = []
        self.running: list[int | None] = []  #: per record, the cell that was running when it came
        self.hello: Hello | None = None
        self.current: int | None = None  #: the cell running (started, not done)
        self.done = False  #: ``end`` or ``crash`` came: nothing more may
        self.violation: str | None = None
        self.blame: int | None = None  #: the cell running when the violation came
        self._frame_cell: int | None = None  #: the cell running when the pending frame began

    def feed(self, data: bytes) -> list[tuple[SandboxRecord, bytes]]:
        """Take bytes; the new whole records back (none once the channel is stopped)."""
        if self.violation is not None:
            return []
        if not self.buffer:
            self._frame_cell = self.current
        self.buffer += data
        out = []
        while self.violation is None:
            item = self._next_frame()
            if item is None:
                break
            try:
                record = records.decode_sandbox_record(item[0])
                self._follow(record, item[1])
            except ChannelError as exc:
                self._stop(str(exc))
                break
            self.records.append((record, item[1]))
            self.running.append(self.current)
            out.append((record, item[1]))
            self._frame_cell = self.current
        return out

    def half_frame(self) -> int | None | bool:
        """False when no frame is half read; else the cell that was running when it began (or None)."""
        return self._frame_cell if self.buffer else False

    def close(self) -> None:
        """Every writer is gone: a frame left half written is a violation."""
        if self.violation is None and self.buffer:
            self.blame = self._frame_cell
            self.violation = "a record was cut off"
            self.buffer.clear()

    # -- framing ---------------------------------------------------------------------
    def _next_frame(self) -> tuple[bytes, bytes] | None:
        if len(self.buffer) < _HEAD.size:
            return None
        magic, n_head, n_blob = _HEAD.unpack_from(self.buffer)
        if magic != MAGIC or n_head > MAX_HEADER or n_blob > self.max_blob:
            self._stop("bytes that are not a record of the grader's")
            return None
        end = _HEAD.size + n_head + n_blob
        if len(self.buffer) < end:
            return None
        header = bytes(self.buffer[_HEAD.size : _HEAD.size + n_head])
        blob = bytes(self.buffer[_HEAD.size + n_head : end])
        del self.buffer[:end]
        return header, blob

    # -- order -----------------------------------------------------------------------
    def _follow(self, record: SandboxRecord, blob: bytes) -> None:
        """Advance the expected order by one record; ChannelError when it does not fit."""
        if self.done:
            raise ChannelError(f"a {_name(record)} record after the run's end")
        if self.hello is None and not isinstance(record, (Hello, Crash)):
            raise ChannelError(f"a {_name(record)} record before the sandbox said hello")
        if isinstance(record, Hello):
            self._hello(record)
        elif isinstance(record, Start):
            self._start(record.cell)
        elif isinstance(record, DoneStep):
            self._finish(record, blob)
        elif isinstance(record, Tampered):
            if self.current is None:
                raise ChannelError("a tampered record while no cell was running")
        elif isinstance(record, Broken):
            self._broken(record.cell)
        elif isinstance(record, End):
            self._end()
        else:  # a crash: the sandbox's own last word
            self.done = True

    def _hello(self, record: Hello) -> None:
        if self.hello is not None:
            raise ChannelError("a second hello")
        self.hello = record

    def _broken(self, cell: int) -> None:
        if cell != self.current:
            raise ChannelError(f"a broken record for cell {cell}, which is not running")
        self.done = True

    def _end(self) -> None:
        if self.current is not None or self.expected:
            raise ChannelError("an end record before the last step was done")
        self.done = True

    def _start(self, cell: int) -> None:
        if self.current is not None:
            raise ChannelError(f"cell {cell} started while cell {self.current} was running")
        if not self.expected or self.expected[0][0] != cell:
            want = f"cell {self.expected[0][0]}" if self.expected else "no more cells"
            raise ChannelError(f"a start record for cell {cell} where {want} comes next")
        self.current = cell

    def _finish(self, record: DoneStep, blob: bytes) -> None:
        if record.cell != self.current:
            raise ChannelError(f"a done-step record for cell {record.cell}, which is not running")
        cell, kind = self.expected.pop(0)
        if record.kind != kind:
            raise ChannelError(f"a done-step record of kind {record.kind} for a {kind} step")
        if blob and kind != StepKind.TEST:
            raise ChannelError("tensors sent with a code cell")
        if kind == StepKind.CODE and (record.collected is not None or record.collect_error is not None):
            raise ChannelError("collected results sent for a code cell")
        self.current = None

    def _stop(self, reason: str) -> None:
        self.violation = reason
        self.blame = self.current if self.current is not None else self._frame_cell
        self.buffer.clear()


def _name(record: SandboxRecord) -> str:
    return {
        Hello: "hello",
        Start: "start",
        DoneStep: "done-step",
        Tampered: "tampered",
        Broken: "broken",
        Crash: "crash",
        End: "end",
    }[type(record)]
