"""The checker framework: result records, rendering, modes, the catalogue, plain-data values."""

from __future__ import annotations

import io
import warnings

import pytest
import torch

from course.checking import CheckResult, Exercise
from course.checking.exercise import REGISTRY, case_seed
from course.checking.judge import Failed
from course.checking.values import Opaque, TensorValue, decode, describe, encode
from course.misconceptions import CATALOGUE, lookup, match_error


def make_double(ex_id="t.double", points=2):
    """A test exercise: double a tensor (removed from the registry after use)."""
    REGISTRY.pop(ex_id, None)
    ex = Exercise(ex_id, title="Double", points=points, answers="double")

    @ex.cases
    def _(gen, hidden):
        n = 3 if not hidden else int(torch.randint(4, 9, (1,), generator=gen))
        return [{"x": torch.randn(n, generator=gen)} for _ in range(3)]

    @ex.run
    def _(case, double):
        return double(case["x"])

    @ex.judge
    def _(v, case, got):
        data = v.tensor(got, "double(x)", dtype=torch.float32, shape=tuple(case["x"].shape))
        if v.matches(data, case["x"] * 3):
            v.fail("wrong-values", "You tripled instead of doubled.", hint="Multiply by 2.")
        v.close(data, case["x"] * 2, "double(x)")

    REGISTRY.pop(ex_id)
    return ex


@pytest.fixture
def double_ex():
    return make_double()


# --- results and rendering --------------------------------------------------------


def test_pass_is_said_in_words_and_symbol(double_ex):
    r = double_ex.evaluate(lambda x: x * 2)
    assert r.passed and r.points == 2 and r.status == "passed"
    assert "Passed" in str(r) and "\u2714" in str(r)
    html = r._repr_html_()
    assert "Passed" in html and "\u2714" in html
    assert r.steps == ["type", "dtype", "shape", "values"]


def test_fail_names_the_mistake_and_hint(double_ex):
    r = double_ex.evaluate(lambda x: x * 3)
    assert not r.passed and r.points == 0
    text = str(r)
    assert "Not yet" in text and "\u2718" in text and "tripled" in text and "Multiply by 2" in text
    assert "\n" not in text  # one line in a terminal
    html = r._repr_html_()
    assert "Not yet" in html and "wrong-values" in html and "Hint" in html


def test_html_escapes_messages():
    r = CheckResult("t.x", "<b>x</b>", 0, 1, False, "a <script>alert(1)</script>", "wrong-values")
    html = r._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_cheapest_check_fails_first(double_ex):
    r = double_ex.evaluate(lambda x: (x * 2).double())
    assert r.code == "float64-not-float32" and r.steps == ["type"]
    r = double_ex.evaluate(lambda x: (x * 2).unsqueeze(0))
    assert r.code == "wrong-shape" and r.steps == ["type", "dtype"]


def test_broadcast_to_n_by_n_is_named(double_ex):
    r = double_ex.evaluate(lambda x: x.unsqueeze(1) + x)
    assert r.code == "broadcast-n-by-n"


def test_result_record_has_the_fields_a_grader_needs(double_ex):
    d = double_ex.evaluate(lambda x: x * 3).to_dict()
    for key in ("exercise", "points", "max_points", "passed", "message", "code", "hint"):
        assert key in d


# --- modes ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["autograde", "validate"])
def test_grade_raises_under_grading_and_returns_none_on_pass(double_ex, capsys, monkeypatch, mode):
    monkeypatch.setenv("NBGRADER_EXECUTION", mode)
    assert double_ex.grade(lambda x: x * 2) is None
    with pytest.raises(AssertionError, match="Not yet") as failed:
        double_ex.grade(lambda x: x + 1)
    assert "Passed" in capsys.readouterr().out
    shown = failed.value._render_traceback_()  # what IPython shows instead of the checker's frames
    assert shown[0].startswith("\u2718 Not yet: t.double") and "[wrong-values]" in "\n".join(shown)
    assert all(len(line) <= 68 for line in shown), shown


def test_grade_in_a_students_kernel_shows_the_box_and_goes_on(double_ex, capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert double_ex.grade(lambda x: x + 1) is None
    assert double_ex.grade(lambda x: x + 1, hidden=True) is None
    assert "Not yet" in capsys.readouterr().out


def test_check_never_raises(double_ex):
    def broken(x):
        raise ValueError("boom")

    r = double_ex.check(broken)
    assert r.code == "raised-error" and "boom" in r.message


def test_partial_credit_is_returned_as_points():
    REGISTRY.pop("t.partial", None)
    ex = Exercise("t.partial", title="Partial", points=4, answers="f")
    REGISTRY.pop("t.partial")
    ex.cases(lambda gen, hidden: [{"x": torch.zeros(1)}])
    ex.run(lambda case, f: f())

    @ex.judge
    def _(v, case, got):
        v.partial(v.number(got, "f()"), "Half way there.")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NBGRADER_EXECUTION", "autograde")
        assert ex.grade(lambda: 0.5) == 2.0
        assert ex.grade(lambda: 1.0) is None


def test_hidden_cases_come_from_the_secret(double_ex, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", "s1")
    a = double_ex.make_cases(hidden=True)
    assert all(torch.equal(x["x"], y["x"]) for x, y in zip(a, double_ex.make_cases(hidden=True), strict=True))
    monkeypatch.setenv("COURSE_SECRET", "s2")
    b = double_ex.make_cases(hidden=True)
    assert not all(x["x"].shape == y["x"].shape and torch.equal(x["x"], y["x"]) for x, y in zip(a, b, strict=True))
    assert case_seed("t.double", True, "s1") != case_seed("t.double", False)


def test_hidden_cases_without_secret_are_fresh_each_time(double_ex, monkeypatch):
    monkeypatch.delenv("COURSE_SECRET", raising=False)
    assert case_seed("t.double", True) != case_seed("t.double", True)


def test_hidden_failure_shows_no_expected_value(double_ex, monkeypatch):
    monkeypatch.setenv("COURSE_SECRET", "s1")
    r = double_ex.evaluate(lambda x: x + 1, hidden=True)
    assert not r.passed and r.hidden
    assert "expected" not in r.message and "got" not in r.message


def test_hard_coded_visible_answer_fails_hidden(double_ex, monkeypatch):
    visible = [c["x"] * 2 for c in double_ex.make_cases(hidden=False)]
    calls = iter(range(10**6))
    answer = lambda x: visible[next(calls) % len(visible)].clone()  # noqa: E731
    assert double_ex.evaluate(answer).passed
    monkeypatch.setenv("COURSE_SECRET", "s1")
    assert not double_ex.evaluate(answer, hidden=True).passed


def test_not_implemented_and_known_errors_are_named(double_ex):
    def stub(x):
        raise NotImplementedError()

    assert double_ex.evaluate(stub).code == "not-implemented"
    assert double_ex.evaluate(lambda x: x.expand(2, -1).t().view(-1)).code == "view-non-contiguous"
    assert double_ex.evaluate(lambda x: torch.arange(3).mean() * x).code == "mean-on-int"


def test_input_mutation_is_named(double_ex):
    def inplace(x):
        return x.mul_(2)

    assert double_ex.evaluate(inplace).code == "mutated-input"


def test_wrong_number_of_answers_is_a_clear_error(double_ex):
    with pytest.raises(TypeError, match="checks 1 object"):
        double_ex.evaluate(lambda x: x, lambda x: x)


def test_duplicate_exercise_ids_are_refused():
    REGISTRY.pop("t.dup", None)
    Exercise("t.dup", title="a", points=1, answers="f")
    try:
        with pytest.raises(ValueError, match="defined twice"):
            Exercise("t.dup", title="b", points=1, answers="f")
    finally:
        REGISTRY.pop("t.dup")


# --- exact types: spoofing is rejected -------------------------------------------


class SubTensor(torch.Tensor):
    pass


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __float__(self):
        return 0.0

    def __bool__(self):
        return True

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True


class LyingFloat(float):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize(
    "spoof",
    [
        lambda x: (x * 2).as_subclass(SubTensor),
        lambda x: AlwaysEqual(),
        lambda x: (x * 2).numpy(),
        lambda x: (x * 2).tolist(),
    ],
)
def test_look_alikes_do_not_pass(double_ex, spoof):
    r = double_ex.evaluate(spoof)
    assert not r.passed and r.code == "wrong-type"


def test_number_checks_reject_float_subclasses():
    from course.checking.judge import Judge

    v = Judge()
    assert v.number(2.5, "x") == 2.5
    with pytest.raises(Failed):
        v.number(describe(LyingFloat(1.0)), "x")
    with pytest.raises(Failed):
        v.number(True, "x")


@pytest.mark.parametrize(
    "value, code, words",
    [
        ((0.5, 0.25), None, None),
        ([0.5], "wrong-shape", "has 1 entries; expected 2 losses, one per epoch"),
        ("0.5 0.25", "wrong-type", "should be a list of losses"),
        ([0.5, describe(torch.tensor(0.25))], "wrong-type", "Use .item()"),
        ([0.5, describe(torch.tensor(0.25, requires_grad=True) * 2)], "loss-history-tensors", "attached to the graph"),
        ([0.5, True], "wrong-type", "one entry is a bool"),
    ],
)
def test_a_list_of_numbers_names_its_usual_wrong_forms(value, code, words):
    from course.checking.judge import Judge

    v = Judge()
    if code is None:
        assert v.numbers(value, "The losses", 2, "losses, one per epoch").tolist() == [0.5, 0.25]
        return
    with pytest.raises(Failed) as failed:
        v.numbers(value, "The losses", 2, "losses, one per epoch")
    assert failed.value.code == code
    assert words in failed.value.message + (failed.value.hint or "")


def test_unknown_misconception_code_is_a_checker_bug():
    with pytest.raises(KeyError):
        Failed("no-such-code", "x")


# --- the catalogue ----------------------------------------------------------------


def test_catalogue_entries_are_complete():
    assert len(CATALOGUE) >= 40
    for code, m in CATALOGUE.items():
        assert code == m.code and code == code.lower() and " " not in code
        assert m.title and m.why and m.fix
    with pytest.raises(KeyError, match="unknown misconception"):
        lookup("nope")


def _message_of(fn):
    try:
        fn()
    except Exception as exc:
        return str(exc)
    raise AssertionError("expected an error")


@pytest.mark.parametrize(
    "code,fn",
    [
        ("mean-on-int", lambda: torch.tensor([1, 2, 3]).mean()),
        ("view-non-contiguous", lambda: torch.randn(2, 3).t().view(6)),
        ("numpy-requires-grad", lambda: torch.ones(2, requires_grad=True).numpy()),
        ("numpy-on-gpu", lambda: torch.ones(2, device="meta").numpy()),  # the GPU's message, with "meta" for "cuda:0"
        ("backward-non-scalar", lambda: (torch.ones(2, requires_grad=True) * 2).backward()),
        ("detached-graph", lambda: torch.ones(2).sum().backward()),
        ("shape-mismatch-linear", lambda: torch.nn.Linear(3, 2)(torch.ones(4, 5))),
        ("float64-not-float32", lambda: torch.nn.Linear(3, 2)(torch.ones(4, 3, dtype=torch.float64))),
        (
            "ce-float-targets",
            lambda: torch.nn.functional.cross_entropy(torch.randn(4, 3), torch.tensor([0.0, 1, 2, 1])),
        ),
        ("device-mismatch", lambda: torch.ones(2) + torch.ones(2, device="meta")),
        ("saved-whole-model", lambda: torch.load(_saved(torch.nn.Linear(2, 1)))),
    ],
)
def test_real_pytorch_errors_are_named(code, fn):
    assert match_error(_message_of(fn)) == code


def _saved(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer


def test_real_pytorch_warnings_are_named():
    """Checkers read warnings too (v.warnings); the catalogue holds PyTorch's words for them."""
    optimizer = torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.step()  # before any optimizer.step()
    assert [match_error(str(w.message)) for w in caught] == ["scheduler-before-optimizer"]


# --- plain-data values --------------------------------------------------------------


def test_describe_keeps_tensor_facts_and_copies_data():
    x = torch.ones(2, 3, requires_grad=True)
    y = (x * 2).t()
    d = describe(y)
    assert isinstance(d, TensorValue)
    assert d.shape == (3, 2) and d.dtype == torch.float32 and d.requires_grad and not d.is_leaf
    assert d.grad_fn == "TBackward0" and not d.contiguous
    assert not d.data.requires_grad
    y.data.fill_(0)
    assert d.data.sum().item() == 12  # a copy, not a view


def test_describe_turns_unknown_objects_opaque():
    assert isinstance(describe(object()), Opaque)
    assert isinstance(describe(SubTensor(torch.ones(1))), Opaque)
    assert describe({"a": [1, 2.5, "s", None, (True,)]}) == {"a": [1, 2.5, "s", None, (True,)]}


def test_encode_decode_round_trip_without_pickle():
    value = describe(
        {
            "t": torch.arange(6.0).reshape(2, 3),
            "n": 3,
            "f": float("nan"),
            "tup": (torch.zeros(1, dtype=torch.int64), "x"),
            "dev": torch.device("cpu"),
            "meta": torch.ones(2, device="meta"),
        }
    )
    obj, tensors = encode(value)
    import json

    obj = json.loads(json.dumps(obj))
    back = decode(obj, tensors)
    assert torch.equal(back["t"].data, torch.arange(6.0).reshape(2, 3))
    assert back["n"] == 3 and back["f"] != back["f"]
    assert back["tup"][1] == "x" and back["meta"].data is None and back["meta"].device == "meta"
    with pytest.raises(TypeError):
        encode(object())
