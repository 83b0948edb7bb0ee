"""The canonical form of an answer: what copying changes is gone, what the code does is kept."""

from __future__ import annotations

import ast
import re

from autograder.analysis.normalise import canonical


def _abstract(text: str) -> str:
    """Names abstracted, as the fingerprinting library does."""
    return re.sub(
        r"\b[A-Za-z_]\w*\b", lambda m: m.group() if m.group() in ("def", "return", "for", "in", "with") else "V", text
    )


ORIGINAL = '''def step(params, lr):
    """Docstring from the stub."""
    params = list(params)
    grads = [p.grad for p in params]   # the gradients
    scale = -lr
    for p, g in zip(params, grads):
        p.add_(g, alpha=scale)
    return params
'''
COPY = """def step(ps, rate):
    # the sign for descent first
    factor = -rate
    plist = list(ps)
    gs = [q.grad for q in plist]

    for q, g in zip(plist, gs):
        q.add_(g, alpha=factor)
    return plist
"""


def test_renamed_and_reordered_copies_have_the_same_shape():
    a, b = canonical(ORIGINAL), canonical(COPY)
    assert _abstract(a.text) == _abstract(b.text)
    assert "Docstring" not in a.text and "#" not in a.text + b.text


def test_dependent_statements_keep_their_order():
    text = canonical("a = 1\nb = a + 1\nc = b * 2\n").text
    assert text.splitlines() == ["a = 1", "b = a + 1", "c = b * 2"]
    # x is read by the first and written by the second: they may not swap
    text = canonical("y = x + 1\nx = 2\n").text
    assert text.splitlines() == ["y = x + 1", "x = 2"]


def test_barriers_and_mutating_calls_stay_put():
    src = "a = f(x)\nloss.backward()\nb = g(x)\nw.add_(1)\nc = w * 2\nreturn_value = 3\n"
    lines = canonical(src).text.splitlines()
    assert lines.index("loss.backward()") == 1 and lines.index("b = g(x)") > 1
    assert lines.index("w.add_(1)") < lines.index("c = w * 2")  # add_ writes w, which c reads


def test_attribute_paths_are_independent_but_not_of_their_base():
    assert canonical("self.b = 2\nself.a = 1\n").text == canonical("self.a = 1\nself.b = 2\n").text
    lines = canonical("self.b = 2\nuse(self)\nself.a = 1\n").text.splitlines()
    assert lines == ["self.b = 2", "use(self)", "self.a = 1"]


def test_line_map_points_to_the_students_lines():
    form = canonical(COPY)
    for line_no, line in enumerate(form.text.splitlines(), start=1):
        lo, hi = form.lines[line_no]
        original = "\n".join(COPY.splitlines()[lo - 1 : hi])
        first = line.strip().split(" ")[0].split("(")[0]
        assert first.replace("(", "") in original, (line, original)
    start = form.text.index("factor")
    end = form.text.index("\n", start)
    assert form.original_lines(start, end) == {3}
    assert form.original_lines(start, start + 3) == set()  # a few characters do not mark a line
    assert form.original_lines(start - 4, start + 3) == set()


def test_code_the_parser_cannot_read_comes_back_as_is():
    form = canonical("def f(:\n    pass\n")
    assert not form.parsed and form.text == "def f(:\n    pass\n"
    assert form.original_lines(0, 3) == {1}


def test_notebook_magics_are_left_out():
    form = canonical("%timeit f(1)\n!ls\nx = 1\n")
    assert form.parsed and form.text == "x = 1" and form.lines[1] == (3, 3)


def test_the_canonical_text_is_python():
    for src in (ORIGINAL, COPY, "class A:\n    '''doc'''\n"):
        ast.parse(canonical(src).text)
