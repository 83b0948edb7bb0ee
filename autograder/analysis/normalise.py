"""A student's answer cell in a canonical form, before fingerprinting for similarity.

What copying changes and a fingerprint should not see is undone in two steps. This
module does the one no similarity library does for Python cells: it puts *independent
statements* in one canonical order (a copier swaps two assignments that do not depend on
each other), drops docstrings (the release's) and comments, and writes every statement
the same way (``ast.unparse``). Names, string literals and the remaining whitespace are
left to the fingerprinting library (copydetect's tokenizer turns names into ``V``,
strings into ``S``), so the canonical order must not depend on names: statements are
ordered by their text *with names and strings abstracted*.

Two statements are independent when neither writes a name or attribute path that the
other reads or writes; anything that leaves the block (``return``, ``raise``, ``break``,
``yield``...), a bare call statement (``loss.backward()`` changes state no name shows)
and every compound statement (``for``, ``if``, ``with``...) is a barrier that keeps its
place. Method calls that change their object by convention (PyTorch's trailing ``_``,
``append``, ``step``...) count as writes to it.

The canonical text keeps a map back to the student's own lines, so that matching regions
found in it can be marked in the cell as the student wrote it.
"""

from __future__ import annotations

import ast
import heapq
import re
from dataclasses import dataclass, field

#: method names that change the object they are called on (besides PyTorch's ``x.add_``)
MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "update",
        "add",
        "discard",
        "setdefault",
        "sort",
        "reverse",
        "backward",
        "step",
        "zero_grad",
        "register_buffer",
        "register_parameter",
        "register_forward_hook",
        "load_state_dict",
        "manual_seed",
    }
)
_BARRIERS = (
    ast.Return,
    ast.Raise,
    ast.Break,
    ast.Continue,
    ast.Global,
    ast.Nonlocal,
    ast.Delete,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.If,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Assert,
)
_MAGIC = re.compile(r"^[ \t]*[%!]")


@dataclass
class Canonical:
    """An answer in canonical form: its text, and for each of its lines (1-based) the
    student's lines it came from (worked out when first asked: only listed pairs need it)."""

    text: str
    parsed: bool = True  #: False: not Python the parser reads (the text is the student's, as is)
    tree: ast.AST | None = field(default=None, repr=False, compare=False)  #: the student's, reordered
    _lines: dict[int, tuple[int, int]] | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> dict[int, tuple[int, int]]:
        if self._lines is None:
            self._lines = {}
            if self.parsed and self.tree is not None:
                try:
                    self._lines = _line_map(self.tree, ast.parse(self.text))
                except (SyntaxError, ValueError, RecursionError):  # pragma: no cover - unparse round-trips
                    pass
        return self._lines

    def original_lines(self, start: int, end: int) -> set[int]:
        """The student's lines behind the canonical text's characters ``[start, end)``."""
        return self.marked_lines([(start, end)])

    def marked_lines(self, spans: list[tuple[int, int]], share: float = 0.5) -> set[int]:
        """The student's lines behind the canonical lines of which the character spans cover
        at least ``share`` of the non-blank characters (a span's stray bracket or space at
        the edge of a line does not mark it)."""
        covered = [False] * len(self.text)
        for start, end in spans:
            for i in range(max(start, 0), min(end, len(self.text))):
                covered[i] = True
        out: set[int] = set()
        pos = 0
        for n, line in enumerate(self.text.split("\n"), start=1):
            chars = [pos + i for i, c in enumerate(line) if not c.isspace()]
            pos += len(line) + 1
            if chars and sum(covered[i] for i in chars) >= share * len(chars):
                lo, hi = self.lines.get(n, (n, n)) if self.parsed else (n, n)
                out.update(range(lo, hi + 1))
        return out


def canonical(source: str) -> Canonical:
    """The canonical form of a cell's source (never raises: unparsable code comes back as is)."""
    cleaned = "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())
    try:
        tree = ast.parse(cleaned)
        _strip_docstrings(tree)
        _reorder(tree)
        text = ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError):
        return Canonical(source, parsed=False)
    return Canonical(text, tree=tree)


# --- statement order -----------------------------------------------------------------------------


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                node.body = body[1:] or [ast.copy_location(ast.Pass(), body[0])]


def _path(node: ast.AST) -> str | None:
    """``a``, ``self.w`` or ``opt.param_groups`` for a name or attribute chain; None otherwise."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id] + parts[::-1])
    return None


def _base(node: ast.AST) -> str | None:
    """The path a subscript or attribute target changes (``a[i] = ...`` changes ``a``)."""
    while isinstance(node, (ast.Subscript, ast.Starred)):
        node = node.value
    return _path(node)


class _Effects:
    """What one statement reads and writes, as name/attribute paths, gathered node by node."""

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        self.chain: set[int] = set()  # the name/attribute nodes of assignment targets: written, not read

    def target(self, t: ast.AST) -> None:
        if isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                self.target(e)
            return
        p = _base(t)
        if p:
            self.writes.add(p)
        while isinstance(t, (ast.Subscript, ast.Starred, ast.Attribute)):
            self.chain.add(id(t))
            t = t.value
        self.chain.add(id(t))

    def binding(self, node: ast.AST) -> None:
        """What the node assigns, defines, imports or changes in place (``x.add_(...)``)."""
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            self.assignment(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.writes.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.writes.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.NamedExpr):
            self.target(node.target)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            if name.endswith("_") and not name.startswith("_") or name in MUTATORS:
                p = _path(node.func.value)
                if p:
                    self.writes.add(p)

    def assignment(self, node: ast.Assign | ast.AugAssign | ast.AnnAssign) -> None:
        for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
            self.target(t)
        if isinstance(node, ast.AugAssign):  # ``a += 1`` reads a too
            p = _base(node.target)
            if p:
                self.reads.add(p)

    def load(self, node: ast.AST) -> None:
        """A name or attribute path read, unless it is part of a target or of a longer path
        read already (the walk meets ``a.b.c`` before ``a.b`` and ``a``)."""
        if (
            isinstance(node, (ast.Name, ast.Attribute))
            and isinstance(getattr(node, "ctx", None), ast.Load)
            and id(node) not in self.chain
        ):
            p = _path(node)
            if p:
                self.reads.add(p)
                inner = node
                while isinstance(inner, ast.Attribute):
                    inner = inner.value
                    self.chain.add(id(inner))


def _effects(stmt: ast.stmt) -> tuple[set[str], set[str]]:
    """(reads, writes) of a statement as name/attribute paths."""
    found = _Effects()
    for node in ast.walk(stmt):
        found.binding(node)
    for node in ast.walk(stmt):  # the targets are known now: what is left is read
        found.load(node)
    return found.reads, found.writes


def _overlap(a: set[str], b: set[str]) -> bool:
    """Whether two sets of paths touch: equal, or one inside the other (``self`` and ``self.w``)."""
    for x in a:
        for y in b:
            if x == y or y.startswith(x + ".") or x.startswith(y + "."):
                return True
    return False


def _barrier(stmt: ast.stmt) -> bool:
    if isinstance(stmt, _BARRIERS):
        return True
    if isinstance(stmt, ast.Expr):  # a bare call or yield: its effect is not in any name
        return not isinstance(stmt.value, ast.Constant)
    return any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for n in ast.walk(stmt))


_NAMES = re.compile(r"(?:id|attr|arg)='[^']*'|value='(?:[^'\\]|\\.)*'|value=\"(?:[^\"\\]|\\.)*\"")


def _shape(stmt: ast.stmt) -> str:
    """The statement's structure with names, attributes and strings abstracted: the sort
    key, the same for a statement and its renamed copy."""
    return _NAMES.sub("_", ast.dump(stmt, annotate_fields=True, include_attributes=False))


def _reorder_block(body: list[ast.stmt]) -> list[ast.stmt]:
    """Independent statements of one block in canonical order (a topological order of their
    dependencies, ties broken by shape, then by the student's order). A barrier depends on
    everything before it and everything after depends on it, so it never moves."""
    if len(body) < 2:
        return body
    barrier = [_barrier(s) for s in body]
    shapes = ["" if b else _shape(s) for s, b in zip(body, barrier, strict=True)]
    return [body[i] for i in _topological(_predecessors(body, barrier), shapes)]


def _predecessors(body: list[ast.stmt], barrier: list[bool]) -> list[set[int]]:
    """For each statement, the earlier ones it must stay after: a barrier, or one whose
    writes it reads or writes, or whose reads it writes."""
    effects = [None if b else _effects(s) for s, b in zip(body, barrier, strict=True)]
    preds: list[set[int]] = [set() for _ in body]
    for j in range(len(body)):
        for i in range(j):
            if barrier[i] or barrier[j]:
                preds[j].add(i)
                continue
            (ri, wi), (rj, wj) = effects[i], effects[j]
            if _overlap(wi, rj | wj) or _overlap(ri, wj):
                preds[j].add(i)
    return preds


def _topological(preds: list[set[int]], keys: list[str]) -> list[int]:
    """The indices in dependency order, the smallest (key, index) first among the ready ones."""
    waiting = [len(p) for p in preds]
    succs: list[list[int]] = [[] for _ in preds]
    for j, ps in enumerate(preds):
        for i in ps:
            succs[i].append(j)
    ready = [(keys[i], i) for i in range(len(preds)) if not waiting[i]]
    heapq.heapify(ready)
    order = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(i)
        for j in succs[i]:
            waiting[j] -= 1
            if not waiting[j]:
                heapq.heappush(ready, (keys[j], j))
    return order


def _reorder(node: ast.AST) -> None:
    """Every block of statements, innermost first."""
    for name in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(node, name, None)
        if isinstance(block, list) and block and isinstance(block[0], (ast.stmt, ast.excepthandler)):
            for child in block:
                _reorder(child)
            if isinstance(block[0], ast.stmt):
                setattr(node, name, _reorder_block(block))
    if isinstance(node, ast.Match):
        for case in node.cases:
            _reorder(case)


# --- back to the student's lines ----------------------------------------------------------------


def _line_map(original: ast.AST, canonical_tree: ast.AST) -> dict[int, tuple[int, int]]:
    """Canonical line -> (first, last) line of the student's statement it came from.

    ``ast.unparse`` then ``ast.parse`` gives a tree of the same shape, so walking both in
    the same order pairs each canonical statement with the student's node (which kept its
    line numbers through the reordering). The innermost statement wins; a compound
    statement's own lines (``for ...:``) map to its first line."""
    out: dict[int, tuple[int, int]] = {}
    # not strict, as before: trees of another shape pair up as far as they go (a statement
    # of another type among the pairs gives up below), they are no error
    pairs = [
        (a, b)
        for a, b in zip(ast.walk(original), ast.walk(canonical_tree), strict=False)
        if isinstance(a, ast.stmt) and isinstance(b, ast.stmt)
    ]
    if any(type(a) is not type(b) for a, b in pairs):
        return out
    for a, b in sorted(pairs, key=lambda p: (p[1].end_lineno or p[1].lineno) - p[1].lineno, reverse=True):
        compound = any(
            isinstance(getattr(a, f, None), list) and getattr(a, f) and isinstance(getattr(a, f)[0], ast.stmt)
            for f in ("body", "orelse", "finalbody", "handlers")
        )
        span = (a.lineno, a.lineno) if compound else (a.lineno, a.end_lineno or a.lineno)
        for line in range(b.lineno, (b.end_lineno or b.lineno) + 1):
            out[line] = span  # narrower statements come later and overwrite
    return out
