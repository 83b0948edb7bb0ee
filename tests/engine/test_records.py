"""The engine's records in-process: the channel's checks, the journal's formats (no sandbox)."""

from __future__ import annotations

import json

import pytest

from autograder.engine import protocol
from autograder.engine.journal import FORMAT, OLD_FORMAT, Journal
from autograder.engine.limits import Limits
from autograder.engine.records import (
    BadCell,
    DoneStep,
    End,
    Fault,
    Hello,
    Output,
    Row,
    RowStatus,
    RunResult,
    Start,
    StepKind,
    Verdict,
    VerdictStatus,
)
from course.checking.result import CheckResult

STEPS = [(0, StepKind.CODE), (1, StepKind.TEST)]


def _frame(header: bytes, blob: bytes = b"") -> bytes:
    return protocol.MAGIC + protocol._HEAD.pack(protocol.MAGIC, len(header), len(blob))[4:] + header + blob


def _honest() -> list[bytes]:
    return [
        protocol.frame(Hello(1, 0.0, {})),
        protocol.frame(Start(0)),
        protocol.frame(DoneStep(0, StepKind.CODE, [Output("stream", name="stdout", text="hi\n")], 0.1, [])),
        protocol.frame(Start(1)),
        protocol.frame(DoneStep(1, StepKind.TEST, [], 0.1, []), b"tensors"),
        protocol.frame(End()),
    ]


def test_an_honest_run_reads_whole_even_byte_by_byte():
    channel = protocol.Channel(STEPS, 1 << 20)
    for byte in b"".join(_honest()):
        channel.feed(bytes([byte]))
    channel.close()
    assert channel.violation is None and channel.done
    assert [type(r).__name__ for r, _ in channel.records] == ["Hello", "Start", "DoneStep", "Start", "DoneStep", "End"]
    assert channel.records[4][1] == b"tensors"


@pytest.mark.parametrize(
    "bad,why",
    [
        (_frame(b"[" * 200000 + b"]" * 200000), "not the grader's"),
        (
            _frame(b'{"t":"done-step","cell":[1],"kind":"code","outputs":[],"seconds":0,"changed":[]}'),
            "not the grader's",
        ),
        (_frame(b'{"t":"done-step","cell":99999,"kind":"code","outputs":[],"seconds":0,"changed":[]}'), "not running"),
        (_frame(b'{"t":"start","cell":NaN}'), "not the grader's"),
        (_frame(b'{"t":"end"}'), "before the last step"),
        (_frame(b'{"t":"start","cell":1}'), "started while"),
        (b"NOPE" + b"\0" * 16, "not a record"),
        (
            _frame(
                b'{"t":"done-step","cell":0,"kind":"code","outputs":[{"output_type":"stream"}],"seconds":0,'
                b'"changed":[]}'
            ),
            "without its fields",
        ),
    ],
)
def test_what_breaks_the_channel_is_named_and_blamed_on_the_running_cell(bad, why):
    channel = protocol.Channel(STEPS, 1 << 20)
    honest = _honest()
    channel.feed(b"".join(honest[:2]) + bad + b"".join(honest[2:]))
    assert why in (channel.violation or ""), channel.violation
    assert channel.blame == 0
    assert channel.feed(b"".join(honest)) == []  # stopped: nothing more is read


def test_a_half_frame_is_cut_off():
    channel = protocol.Channel(STEPS, 1 << 20)
    channel.feed(b"".join(_honest()[:2]) + _frame(b'{"t":"end"}')[:-3])
    assert channel.half_frame() == 0
    channel.close()
    assert channel.violation == "a record was cut off" and channel.blame == 0


def _row() -> Row:
    result = CheckResult("nb90.ex2", "Fixture 2", 0.0, 1.0, False, "square(x) has wrong values.", "wrong-values")
    verdict = Verdict(
        "nb90-ex2", "nb90.ex2", "Fixture 2", 0.0, 1.0, VerdictStatus.FAILED, result.message, result=result
    )
    return Row("s", "nb", RowStatus.GRADED, 0.0, 1.0, {"nb90-ex2": verdict})


def test_a_journal_entry_round_trips_with_the_checkers_result_as_data(tmp_path):
    journal = Journal(tmp_path, "nb")
    journal.write("s", journal.new_entry("k", [_row()], {}, Limits()))
    entry = journal.read("s")
    assert entry is not None and entry.format == FORMAT and entry.key == "k"
    verdict = entry.rows()[0].cells["nb90-ex2"]
    assert verdict.result == _row().cells["nb90-ex2"].result and verdict.code == "wrong-values"
    assert verdict.hint  # the catalogue's fix, read from the code, not from text


@pytest.mark.parametrize(
    "data,problem",
    [
        (
            json.dumps(
                {
                    "key": "k",
                    "recorded": True,
                    "notebooks": {
                        "nb": {
                            "row": {
                                "cells": {"g": {"message": "\u2718 Not yet: nb90.ex2 Fixture 2 [0/1 points] | wrong"}}
                            }
                        }
                    },
                }
            ),
            OLD_FORMAT,
        ),
        ('{"format": 2, "key": 3}', "cannot be read"),
        ("not json", "cannot be read"),
    ],
)
def test_an_old_or_broken_journal_entry_is_never_trusted(tmp_path, data, problem):
    journal = Journal(tmp_path, "nb")
    journal.path("s").parent.mkdir(parents=True)
    journal.path("s").write_text(data)
    assert journal.read("s") is None and problem in journal.problems["s"]
    assert journal.entries() == {}


def test_kept_results_round_trip(tmp_path):
    journal = Journal(tmp_path, "nb")
    result = RunResult(
        steps={1: DoneStep(1, StepKind.TEST, [], 0.1, [])},
        blobs={1: b"abc"},
        bad={-1: BadCell(Fault.CHANNEL, "sent records the grader cannot accept")},
    )
    assert journal.keep("s", "nb", result)
    back = journal.kept("s", "nb")
    assert back is not None and back.blobs == {1: b"abc"} and back.bad == result.bad and back.steps == result.steps
