"""Which cells grading needs; the others are not run under grading.

A lesson notebook re-runs its own demonstrations (training runs, comparisons, plots)
that no graded answer depends on; under grading they cost time and nothing else. A
code cell is left out only when all of these hold:

- it is the instructor's cell exactly as released (a student's own cell, or an
  instructor's cell the student edited, always runs; so do the answer cells);
- no cell that runs uses a name it binds, transitively from the answer cells and the
  names the checkers are called with (``uses`` and ``binds`` come from
  :mod:`symtable`, Python's own scope analysis: a function's locals are not uses, the
  globals it reads are);
- it changes no object that a cell that runs can reach: no attribute or item
  assignment, in-place operator, method call, iteration or hand-over to a function whose
  object is such a name or one whose value it may share (``y = x.view(...)``), and no
  call of one of the notebook's functions whose body does so. A library's function is
  taken not to change its arguments, unless its name says it does (``fill_``,
  ``shuffle``, ``out=``); a function of the notebook handed to it may be called;
- it does nothing that cannot be followed by name: ``global``, star imports, magics
  and shell commands, ``exec``/``eval``/``setattr``/``globals()``/``open``, writing files
  or starting programs, changing a library's state (``torch.set_default_dtype``,
  ``warnings.filterwarnings`` outside ``catch_warnings``, ``sys.path.append``,
  ``plt.rcParams[...] =``), or code that does not parse. A file written into a temporary
  folder the cell makes and removes itself (``with tempfile.TemporaryDirectory() as tmp:``,
  the path built from ``tmp``), or into a buffer in memory it makes (``io.BytesIO()``), is
  no file a later cell can read; ``remove``, ``rename``
  and ``dump`` write files only when a library's (``os.remove``: ``handle.remove()`` is a
  method of the notebook's own object).

Not followed, on purpose: the global random stream. A left-out cell that draws random
numbers (or seeds) changes what later unseeded draws return; no checker relies on a
random stream (``course.env.seed``: streams differ across versions and devices anyway),
and every notebook's solution, blank release and named wrong answers get the same
scores with and without the leaving out (``tests/engine/test_needed.py``). Module
imports are not a reason to run a cell either: the zygote has imported every module the
course's notebooks import before any sandbox starts.

The instructor may also tag a cell ``demonstration`` (Jupyter's cell tags, read from the
course's source notebook, never from the submission): such a cell is left out whatever it
does, unless a cell that runs uses a name it binds; then it runs (a student's answer may
use a helper the lesson defined in a demonstration). The tag says "whatever this cell
changes, nothing graded depends on it".
"""

from __future__ import annotations

import ast
import functools
import re
import symtable
from dataclasses import dataclass, field

#: The cell tag that marks an instructor's demonstration (see the module docstring).
DEMONSTRATION_TAG = "demonstration"

#: Builtins that neither change nor use up (iterate) their arguments.
_PURE_BUILTINS = frozenset(
    {
        "print",
        "len",
        "isinstance",
        "issubclass",
        "type",
        "repr",
        "str",
        "int",
        "float",
        "bool",
        "complex",
        "hash",
        "id",
        "format",
        "hasattr",
        "getattr",
        "callable",
        "round",
        "abs",
        "divmod",
        "pow",
        "chr",
        "ord",
        "bin",
        "hex",
        "oct",
        "range",
        "slice",
        "display",
    }
)
#: Builtins whose only effect on their arguments is iterating them (which uses up an iterator,
#: but changes no list, dict or tuple).
_ITERATING_BUILTINS = frozenset(
    {
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "sorted",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "enumerate",
        "zip",
        "reversed",
        "map",
        "filter",
        "iter",
    }
)
#: Calls that reach past names: a cell that makes one always runs.
_OPAQUE_CALLS = frozenset(
    {
        "exec",
        "eval",
        "compile",
        "globals",
        "locals",
        "vars",
        "setattr",
        "delattr",
        "__import__",
        "get_ipython",
        "breakpoint",
        "input",
        "open",
    }
)
#: Calls that write files, start programs or change the process, by the called name.
_IO_CALLS = frozenset(
    {
        "save",
        "savez",
        "savez_compressed",
        "savetxt",
        "tofile",
        "to_csv",
        "to_parquet",
        "to_pickle",
        "to_json",
        "to_excel",
        "to_hdf",
        "to_feather",
        "savefig",
        "write_text",
        "write_bytes",
        "mkdir",
        "makedirs",
        "unlink",
        "rmdir",
        "rmtree",
        "copyfile",
        "copytree",
        "system",
        "popen",
        "Popen",
        "urlretrieve",
        "chdir",
        "putenv",
        "unsetenv",
        "setrecursionlimit",
        "setdefaulttimeout",
        "open",
    }
)
#: ... only when called on a library (``os.remove``, ``json.dump``): on the notebook's own objects
#: (``handle.remove()``, ``items.remove(x)``) they are methods that change that object.
_LIBRARY_IO_CALLS = frozenset({"remove", "rename", "replace", "dump"})
#: A temporary folder a ``with`` block makes and removes: files written into it are gone after it.
_TEMPORARY_DIRS = frozenset({"TemporaryDirectory"})
#: A file in memory: what is written into it is the object's, no file's.
_MEMORY_FILES = frozenset({"BytesIO", "StringIO"})
#: Called on a library (an imported name), these change the library's or the process's state.
_SWITCH_CALLS = frozenset(
    {
        "use",
        "rc",
        "rcdefaults",
        "filterwarnings",
        "simplefilter",
        "resetwarnings",
        "setup",
        "seterr",
        "enable",
        "disable",
        "register",
        "import_module",
        "reload",
        "append",
        "extend",
        "insert",
        "pop",
        "remove",
        "clear",
        "update",
        "setdefault",
        "sort",
        "reverse",
        "add",
        "discard",
        "popitem",
    }
)
_SWITCH_PREFIXES = ("set_", "_set", "use_", "enable_", "disable_")
_WARNING_FILTERS = frozenset({"filterwarnings", "simplefilter", "resetwarnings"})
#: Library functions that change their arguments (besides names ending in ``_`` and ``out=``).
_MUTATING_LIBRARY = frozenset(
    {
        "shuffle",
        "heappush",
        "heappop",
        "heapify",
        "heapreplace",
        "heappushpop",
        "insort",
        "insort_left",
        "insort_right",
        "copyto",
        "put",
        "place",
        "putmask",
        "fill_diagonal",
        "backward",
    }
)
#: Called on a library, these return values that cannot change (``torch.device``, ``course.setup()``).
_IMMUTABLE_CALLS = frozenset({"device", "setup", "dtype"})
_IMMUTABLE_BUILTINS = frozenset(
    {
        "int",
        "float",
        "str",
        "bool",
        "complex",
        "len",
        "round",
        "abs",
        "repr",
        "hash",
        "format",
        "chr",
        "ord",
        "bin",
        "hex",
        "oct",
        "id",
        "frozenset",
        "tuple",
    }
)
_IMMUTABLE_ATTRS = frozenset({"shape", "ndim", "dtype", "device", "is_cuda", "requires_grad"})
_IMMUTABLE_METHODS = frozenset({"item", "numel", "dim", "size", "nelement", "element_size", "stride", "is_contiguous"})
#: Receivers that are new objects (``(a + b).sum()``): calling a method on them changes nothing else.
_FRESH = (
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Constant,
    ast.JoinedStr,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)

_MAGIC_LINE = re.compile(r"^(\s*)(%|!)")
_MAGIC_ASSIGN = re.compile(r"^(\s*[\w\s,]+?)=\s*[%!]")
_HELP = re.compile(r"^\s*[\w.]+\?\??\s*$|^\s*\?")


@dataclass(frozen=True)
class Call:
    """One call site: ``root.….name(args)``, ``name(args)`` (root None), or an iteration (name None)."""

    root: str | None
    name: str | None
    args: frozenset[str]  #: names in its arguments
    out: frozenset[str] = frozenset()  #: names passed as ``out=``


@dataclass(frozen=True)
class Facts:
    """What one cell's code does with names (a cell's source, analysed once)."""

    binds: frozenset[str] = frozenset()
    uses: frozenset[str] = frozenset()
    mutates: frozenset[str] = frozenset()  #: names whose objects it assigns into (``x.a =``, ``x[i] +=``)
    calls: tuple[Call, ...] = ()
    body_mutates: frozenset[str] = frozenset()  #: the same two, when a function or class it defines is used
    body_calls: tuple[Call, ...] = ()
    callables: frozenset[str] = frozenset()  #: names it binds by ``def`` or ``class`` only
    library: frozenset[str] = frozenset()  #: names it binds by ``import`` only
    imports: tuple[tuple[str, str], ...] = ()  #: library name -> what it imports (``"course.checks:nb09"``)
    containers: frozenset[str] = frozenset()  #: names it binds to lists, dicts, sets or tuples it builds
    constants: frozenset[str] = frozenset()  #: ... written out of values that cannot change
    immutable: tuple[tuple[str, str], ...] = ()  #: names bound to values that cannot change: (name, "")
    #: always, (name, root) when ``root`` is a library (``device = course.setup()``)
    derived: tuple[tuple[str, frozenset[str]], ...] = ()  #: name -> names its value may share
    unsafe: str | None = None  #: why it must run whatever else holds
    body_uses: frozenset[str] = frozenset()  #: globals its functions and classes read when they run
    top_uses: frozenset[str] = frozenset()  #: globals it reads while it runs (not in its functions' bodies)
    #: names it rebinds whatever happens (a plain statement at the top, not inside `if`, `for`, `try`...),
    #: with the names the new value may share
    definite: tuple[tuple[str, frozenset[str]], ...] = ()


@functools.lru_cache(maxsize=8192)
def facts(source: str) -> Facts:
    """The :class:`Facts` of a code cell's source (cached: most cells are the same for every student)."""
    code, why = _python(source)
    try:
        tree = ast.parse(code)
        table = symtable.symtable(code, "<cell>", "exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Facts(unsafe=why or "it does not parse as Python")
    w = _Walker(_globals(table))
    try:
        w.visit(tree)
    except RecursionError:
        return Facts(unsafe="it nests too deeply to follow")
    top = table.get_symbols()
    binds = {s.get_name() for s in top if s.is_assigned() or s.is_imported()} | _walrus_binds(table)
    body_uses = _nested_uses(table)
    top_uses = {s.get_name() for s in top if s.is_referenced()} | _immediate_uses(table)
    uses = top_uses | body_uses
    immutable = {n: c for n, c in w.immutable.items() if n not in w.mutable_binds}
    return Facts(
        frozenset(binds),
        frozenset(uses),
        frozenset(w.mutates),
        tuple(w.calls),
        frozenset(w.body_mutates),
        tuple(w.body_calls),
        frozenset(w.callables - w.other_binds),
        frozenset(w.library - w.other_binds - w.callables),
        tuple(sorted(w.imports.items())),
        frozenset(w.containers - w.other_binds_not_containers),
        frozenset(w.constants - w.other_binds_not_constants),
        tuple(sorted(immutable.items())),
        tuple(sorted((k, frozenset(v)) for k, v in w.derived.items())),
        why or w.unsafe,
        frozenset(body_uses),
        frozenset(top_uses),
        _definite(tree),
    )


def _definite(tree: ast.Module) -> tuple[tuple[str, frozenset[str]], ...]:
    """Names a cell rebinds whatever happens: plain statements at its top (not in `if`, `for`,
    `try`, `with`), each with what the new value may share (empty: a new object)."""
    out: dict[str, set[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = (
                set().union(*(_stored(t) for t in targets))
                if all(isinstance(t, (ast.Name, ast.Tuple, ast.List)) for t in targets)
                else set()
            )
            for n in names:
                out[n] = _shares(stmt.value)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[stmt.name] = set()
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for a in stmt.names:
                if a.name != "*":
                    out[a.asname or a.name.split(".")[0]] = set()
    return tuple(sorted((k, frozenset(v)) for k, v in out.items()))


def _python(source: str) -> tuple[str, str | None]:
    """The cell as plain Python (IPython's magics and shell commands blanked), and why it is
    not plain Python (such a cell always runs; the names it binds are still found)."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join(["pass"] + lines[1:]), "it uses a cell magic"
    why, out = None, []
    for line in lines:
        magic, assign = _MAGIC_LINE.match(line), _MAGIC_ASSIGN.match(line)
        if assign:
            why = "it uses IPython magics or shell commands"
            out.append(f"{assign.group(1)}= None")
        elif magic or _HELP.match(line):
            why = "it uses IPython magics or shell commands"
            indent = magic.group(1) if magic else ""
            rest = line.strip()[1:].split(None, 1)[1:] if magic and magic.group(2) == "%" else []
            out.append(indent + (rest[0] if rest and _parses(rest[0]) else "pass"))  # `%time x = f()` binds x
        else:
            out.append(line)
    return "\n".join(out), why


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError):
        return False


def _tables(table: symtable.SymbolTable):
    stack = list(table.get_children())
    while stack:
        t = stack.pop()
        yield t
        stack.extend(t.get_children())


def _globals(table: symtable.SymbolTable) -> frozenset[str]:
    """Names that are the notebook's (global) in some scope of the cell."""
    names = {s.get_name() for s in table.get_symbols()}
    for t in _tables(table):
        names |= {s.get_name() for s in t.get_symbols() if s.is_global()}
    return frozenset(names)


def _nested_uses(table: symtable.SymbolTable) -> set[str]:
    """Globals read inside the cell's functions, classes and comprehensions (read when they run)."""
    return {s.get_name() for t in _tables(table) for s in t.get_symbols() if s.is_global() and s.is_referenced()}


def _immediate_uses(table: symtable.SymbolTable) -> set[str]:
    """Globals read while the cell runs by its class bodies and comprehensions (not by functions,
    which read when they are called)."""
    out: set[str] = set()
    stack = [t for t in table.get_children() if t.get_type() == "class" or t.get_name() in _COMPREHENSIONS]
    while stack:
        t = stack.pop()
        out |= {s.get_name() for s in t.get_symbols() if s.is_global() and s.is_referenced()}
        stack.extend(c for c in t.get_children() if c.get_type() == "class" or c.get_name() in _COMPREHENSIONS)
    return out


_COMPREHENSIONS = frozenset({"listcomp", "setcomp", "dictcomp", "genexpr"})


def _walrus_binds(table: symtable.SymbolTable) -> set[str]:
    """``(x := ...)`` inside a comprehension at the top binds ``x`` in the notebook."""
    out: set[str] = set()
    stack = [t for t in table.get_children() if t.get_name().endswith(("comp", "genexpr"))]
    while stack:
        t = stack.pop()
        out |= {s.get_name() for s in t.get_symbols() if s.is_assigned() and s.is_declared_global()}
        stack.extend(c for c in t.get_children() if c.get_name().endswith(("comp", "genexpr")))
    return out


def _root(node: ast.AST) -> ast.AST:
    """What an attribute, item or call chain starts from (``a`` in ``a.b[0].c()``)."""
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return node


def _loaded(node: ast.AST | None) -> set[str]:
    if node is None:
        return set()
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _stored(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


_COPYING = frozenset({"list", "tuple", "set", "frozenset", "dict", "sorted"})
_DISPLAYS = (ast.List, ast.Tuple, ast.Set, ast.Dict)


def _shares(node: ast.AST | None) -> set[str]:
    """Names whose objects the value of ``node`` may share: ``"x"`` itself, or ``"~x"`` only the
    elements of x (a copy made by ``list(x)``, ``sorted(x)``, a comprehension over x...)."""
    if node is None:
        return set()
    if isinstance(node, ast.Name):
        return {node.id}
    if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred, ast.NamedExpr)):
        return _shares(node.value)
    if isinstance(node, (ast.Constant, ast.JoinedStr, ast.Compare)):
        return set()
    if isinstance(node, ast.Call):
        args = [*node.args, *(k.value for k in node.keywords)]
        if isinstance(node.func, ast.Name) and node.func.id in _COPYING:
            return {"~" + n.lstrip("~") for a in args for n in _shares(a)}
        return _shares(node.func) | {n for a in args for n in _shares(a)}
    if isinstance(node, (ast.BinOp, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return {"~" + n for n in _loaded(node)}  # a new container (or tensor) of what it was made from
    if isinstance(node, _DISPLAYS):
        return {n for e in ast.iter_child_nodes(node) for n in _shares(e)}
    if isinstance(node, ast.IfExp):
        return _shares(node.body) | _shares(node.orelse)
    return _loaded(node)


def _constant_display(node: ast.AST | None) -> bool:
    """A list, tuple, set or dict written out of values that cannot change (``["age", "fnlwgt"]``)."""
    return isinstance(node, _DISPLAYS) and all(
        _immutable_value(e) == "" for e in ast.iter_child_nodes(node) if not isinstance(e, ast.expr_context)
    )


def _immutable_value(node: ast.AST | None) -> str | None:
    """ "" when the value of ``node`` cannot change once bound (a number, a string, a shape), the
    root name when that holds if the root is a library (``course.setup()``), else None."""
    if isinstance(node, (ast.Constant, ast.JoinedStr, ast.Compare)):
        return ""  # a comparison: a bool, or a new tensor nobody else holds
    if isinstance(node, ast.Tuple):
        return "" if all(_immutable_value(e) == "" for e in node.elts) else None
    if isinstance(node, ast.UnaryOp):
        return _immutable_value(node.operand)
    if isinstance(node, ast.BinOp):
        return "" if _immutable_value(node.left) == "" and _immutable_value(node.right) == "" else None
    if isinstance(node, ast.Attribute):
        return "" if node.attr in _IMMUTABLE_ATTRS else None
    if isinstance(node, ast.Subscript):
        return "" if isinstance(node.value, ast.Attribute) and node.value.attr in _IMMUTABLE_ATTRS else None
    if isinstance(node, ast.Call):
        return _immutable_call(node.func)
    return None


def _immutable_call(func: ast.expr) -> str | None:
    """:func:`_immutable_value` of a call: a builtin that makes a new value (``len``), a method
    that returns one (``.item()``), or a library call whose result only its root can change."""
    if isinstance(func, ast.Name):
        return "" if func.id in _IMMUTABLE_BUILTINS else None
    if isinstance(func, ast.Attribute):
        root = _root(func)
        if func.attr in _IMMUTABLE_METHODS:
            return ""
        if func.attr in _IMMUTABLE_CALLS and isinstance(root, ast.Name):
            return root.id
    return None


class _Walker(ast.NodeVisitor):
    """One pass over a cell: what it changes and calls, what it binds and how, and what makes
    it unsafe to leave out."""

    def __init__(self, notebook_names: frozenset[str]):
        self.globals = notebook_names
        self.depth = 0  #: > 0 inside a function or class body (runs when it is used)
        self.mutates: set[str] = set()
        self.calls: list[Call] = []
        self.body_mutates: set[str] = set()
        self.body_calls: list[Call] = []
        self.callables: set[str] = set()
        self.library: set[str] = set()
        self.imports: dict[str, str] = {}
        self.other_binds: set[str] = set()
        self.immutable: dict[str, str] = {}
        self.mutable_binds: set[str] = set()
        self.containers: set[str] = set()
        self.other_binds_not_containers: set[str] = set()
        self.constants: set[str] = set()
        self.other_binds_not_constants: set[str] = set()
        self.derived: dict[str, set[str]] = {}
        self.unsafe: str | None = None
        self.scoped: ast.AST | None = None  #: the context expression of a `with` being visited
        self.temporary: set[str] = set()  #: names of temporary folders whose `with` block is being visited
        self.catching = False  #: inside `with warnings.catch_warnings():`

    # -- what it does ------------------------------------------------------------------
    def _mutate(self, names) -> None:
        (self.body_mutates if self.depth else self.mutates).update(n for n in names if n in self.globals)

    def _call(self, root: str | None, name: str | None, args, out=()) -> None:
        if root is not None and root not in self.globals:
            root, name = None, None  # a method of a local object: only its arguments matter
        (self.body_calls if self.depth else self.calls).append(
            Call(
                root,
                name,
                frozenset(n for n in args if n in self.globals),
                frozenset(n for n in out if n in self.globals),
            )
        )

    def _refuse(self, why: str) -> None:
        self.unsafe = self.unsafe or why

    def _derive(self, targets, value: ast.AST | None) -> None:
        """``targets`` may share what ``value`` holds (a loop's target: an element of it, changed through it)."""
        if not self.depth and value is not None:
            for t in targets:
                self.derived.setdefault(t, set()).update(_shares(value))

    def _bind(self, targets, value: ast.AST | None) -> None:
        if self.depth:
            return
        self.other_binds |= set(targets)
        how = _immutable_value(value)
        built = isinstance(value, (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.SetComp, ast.DictComp))
        for t in targets:
            if how is None:
                self.mutable_binds.add(t)
            else:
                self.immutable[t] = how
            if built or how is not None:
                self.containers.add(t)
            else:
                self.other_binds_not_containers.add(t)
            if how is not None or _constant_display(value):
                self.constants.add(t)
            else:
                self.other_binds_not_constants.add(t)

    # -- statements --------------------------------------------------------------------
    def visit_Global(self, node: ast.Global) -> None:
        self._refuse("it uses `global`")

    def visit_Import(self, node: ast.Import) -> None:
        if not self.depth:
            for a in node.names:
                name = a.asname or a.name.split(".")[0]
                self.library.add(name)
                self.imports[name] = a.name if a.asname else name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if any(a.name == "*" for a in node.names):
            self._refuse("it imports `*`")
        elif not self.depth:
            for a in node.names:
                self.library.add(a.asname or a.name)
                self.imports[a.asname or a.name] = f"{'.' * node.level}{node.module or ''}:{a.name}"

    def _function(self, node) -> None:
        if not self.depth and not isinstance(node, ast.Lambda):
            self.callables.add(node.name)
        for d in getattr(node, "decorator_list", []):
            self.visit(d)
        self.visit(node.args)
        self.depth += 1
        for stmt in node.body if isinstance(node.body, list) else [node.body]:
            self.visit(stmt)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not self.depth:
            self.callables.add(node.name)
        for d in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(d)
        self.depth += 1  # its body and its methods: counted as what using the class does
        for stmt in node.body:
            self.visit(stmt)
        self.depth -= 1

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target, node.value)
        if (
            isinstance(node.value, ast.Call)
            and getattr(node.value.func, "attr", getattr(node.value.func, "id", "")) in _MEMORY_FILES
        ):
            self.temporary |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._target(node.target, node.value)
            self.visit(node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._target(node.target, node.value)
        self.visit(node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._mutate({node.target.id})  # `x += y` changes a tensor or a list in place
            self._derive({node.target.id}, node.value)
            self._bind({node.target.id}, None)
        else:
            self._store_into(node.target, node.value)
        self.visit(node.value)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._bind({target.id}, None)
            else:
                self._store_into(target, None)

    def _target(self, target: ast.AST, value: ast.AST | None) -> None:
        """An assignment target: names bound (and what their value may share), or an object changed."""
        if isinstance(target, ast.Name):
            self._derive({target.id}, value)
            self._bind({target.id}, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._target(elt, value)
        elif isinstance(target, ast.Starred):
            self._target(target.value, value)
        else:
            self._store_into(target, value)

    def _store_into(self, target: ast.AST, value: ast.AST | None) -> None:
        """``x.a = v``, ``x[i] += v``, ``del x[i]``: the object ``x`` holds changes (and may now share v)."""
        node = target
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
            node = node.value
        if isinstance(node, ast.Name):
            self._mutate({node.id})
            if value is not None and not self.depth:
                self.derived.setdefault(node.id, set()).update(_shares(value))
        elif not isinstance(node, _FRESH):  # f(x).a = v: what f returned changes, and it may be x
            self._call(None, None, _loaded(node))
        self.visit(target)

    def visit_For(self, node) -> None:
        targets = _stored(node.target)
        self._derive(targets, node.iter)
        self._bind(targets, None)
        self._iterate(node.iter)
        self.visit(node.iter)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._iterate(node.iter)
        self.visit(node.iter)
        for cond in node.ifs:
            self.visit(cond)

    def _iterate(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):  # iterating a generator or a loader uses it up
            self._call(None, None, {node.id})

    def visit_With(self, node) -> None:
        catching, temporary = self.catching, set(self.temporary)
        for item in node.items:
            expr = item.context_expr
            if isinstance(expr, ast.Name):
                self._call(None, None, {expr.id})
            if item.optional_vars is not None:
                targets = _stored(item.optional_vars)
                self._derive(targets, expr)
                self._bind(targets, None)
            self.scoped = expr  # `with torch.set_grad_enabled(False):` is undone at the end of the block
            self.visit(expr)
            self.scoped = None
            if (
                isinstance(expr, ast.Call)
                and isinstance(expr.func, (ast.Name, ast.Attribute))
                and getattr(expr.func, "attr", getattr(expr.func, "id", "")) == "catch_warnings"
            ):
                self.catching = True  # filters set inside are undone at the end of the block
            if (
                isinstance(expr, ast.Call)
                and getattr(expr.func, "attr", getattr(expr.func, "id", "")) in _TEMPORARY_DIRS
                and isinstance(item.optional_vars, ast.Name)
            ):
                self.temporary.add(item.optional_vars.id)  # removed with what is in it at the end of the block
        for stmt in node.body:
            self.visit(stmt)
        self.catching, self.temporary = catching, temporary

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self._bind({node.name}, None)
        self.generic_visit(node)

    # -- calls -------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        args = _loaded(ast.Tuple([*node.args, *(k.value for k in node.keywords)], ast.Load()))
        out = _loaded(ast.Tuple([k.value for k in node.keywords if k.arg == "out"], ast.Load()))
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in _OPAQUE_CALLS:
                self._refuse(f"it calls `{func.id}`")
            if func.id not in _PURE_BUILTINS:
                self._call(None, func.id, args | {func.id}, out)
        elif isinstance(func, ast.Attribute):
            temporary = bool(args & self.temporary)  # a file in a temporary folder or in memory of this cell's
            if func.attr in _IO_CALLS and not temporary:
                self._refuse(f"it calls `{func.attr}` (files, programs or the process)")
            if temporary and func.attr in _IO_CALLS | _LIBRARY_IO_CALLS:
                self._mutate(args & self.temporary)  # what is written there: a later cell may read the buffer
            root = _root(func)
            scoped = (
                node is self.scoped
                or (self.catching and func.attr in _WARNING_FILTERS)
                or (temporary and func.attr in _LIBRARY_IO_CALLS)
            )
            if isinstance(root, ast.Name):
                self._call(root.id, "" if scoped else func.attr, args, out)
            elif not isinstance(root, _FRESH):
                self._call(None, None, args | _loaded(root), out)
            else:
                self._call(None, None, args, out)
        else:
            self._call(None, None, args | _loaded(func), out)
        self.generic_visit(node)


# --- the notebook ------------------------------------------------------------------------------


@dataclass
class CodeStep:
    """One code step of a plan, as this module sees it."""

    cell: int
    source: str
    candidate: bool  #: the instructor's cell, as released (may be left out)
    demonstration: bool = False  #: tagged ``demonstration`` in the course's source


@dataclass
class Decision:
    """What is left out, and why each candidate that runs runs."""

    skipped: dict[int, str] = field(default_factory=dict)
    kept: dict[int, str] = field(default_factory=dict)


@dataclass
class TestStep:
    """A test position of a plan: the checker runs the names it is given."""

    cell: int
    answers: tuple[str, ...]


def decide(steps: list[CodeStep], tests: list[TestStep]) -> Decision:
    """Which candidate code steps grading does not need (``tests``: the test positions).

    A candidate matters only to what runs after it: it is needed when a step that runs later
    reads a name it binds, or a name whose object it may change, unless a cell that runs in
    between rebinds that name to a new object (``model = nn.Linear(4, 3)`` in a student's cell
    makes an earlier demonstration's ``model`` irrelevant). So the steps are decided from the
    last to the first: what runs after a step is known when it is decided.
    """
    info = {s.cell: facts(s.source) for s in steps}
    kinds = _Kinds(info.values())
    needed: dict[int, str] = {}
    for s in steps:
        why = None if s.candidate else "a student's cell"
        if why is None and not s.demonstration:
            why = info[s.cell].unsafe or kinds.unsafe(info[s.cell])
        if why:
            needed[s.cell] = why
    imported = {n for c in needed for n in info[c].library}  #: imported by cells that run anyway
    readers = {t.cell: kinds.reads(set(t.answers)) for t in tests}
    for cell in needed:
        readers[cell] = kinds.reads(set(info[cell].top_uses))
    skipped = {}
    for s in sorted((s for s in steps if s.cell not in needed), key=lambda s: -s.cell):
        why = _why_needed(s, info, kinds, needed, readers, imported)
        if why:
            needed[s.cell] = why
            readers[s.cell] = kinds.reads(set(info[s.cell].top_uses))
        else:
            skipped[s.cell] = "no graded answer depends on it"
    candidates = {s.cell for s in steps if s.candidate}
    return Decision(dict(sorted(skipped.items())), {c: why for c, why in needed.items() if c in candidates})


def _why_needed(
    s: CodeStep,
    info: dict[int, Facts],
    kinds: "_Kinds",
    needed: dict[int, str],
    readers: dict[int, set[str]],
    imported: set[str],
) -> str | None:
    """Why a step that runs after ``s`` depends on it (None: none does)."""
    f = info[s.cell]
    effects = set() if s.demonstration else kinds.effects(f)
    same = kinds.same_import & imported  #: importing it again gives the same module
    killed: set[str] = set()  #: rebound to new objects by cells that run between s and the reader
    for q in sorted(c for c in readers if c > s.cell):
        read = readers[q] - killed
        rebinds = (f.binds & read) - same
        if rebinds:
            return f"it binds {_some(rebinds)}, which a cell that runs after it uses"
        changed = kinds.closure(effects - killed, killed) & kinds.closure(read, killed)
        if changed:
            return f"it may change {_some(changed)}, which a cell that runs after it uses"
        if q in needed and q in info:
            killed |= kinds.fresh(info[q])  # after its own reads (checked above)
    return None


def _some(names) -> str:
    names = sorted(names)
    return ", ".join(f"`{n}`" for n in names[:3]) + (" ..." if len(names) > 3 else "")


class _Kinds:
    """What every name of the notebook is, over all its cells: a library (imported), a function
    or class of the notebook, a value that cannot change, or an object; and which names its
    value may share."""

    def __init__(self, all_facts):
        all_facts = list(all_facts)
        bound: dict[str, set[str]] = {}
        conditions: dict[str, set[str]] = {}
        targets: dict[str, set[str]] = {}
        self.derived: dict[str, set[str]] = {}
        self.body: dict[str, list[Facts]] = {}
        for f in all_facts:
            immutable = dict(f.immutable)
            for n in f.binds:
                kind = (
                    "library"
                    if n in f.library
                    else "callable"
                    if n in f.callables
                    else "immutable"
                    if n in immutable
                    else "object"
                )
                bound.setdefault(n, set()).add(kind)
                if immutable.get(n):
                    conditions.setdefault(n, set()).add(immutable[n])
            for n, target in f.imports:
                targets.setdefault(n, set()).add(target)
            for n, src in f.derived:
                self.derived.setdefault(n, set()).update(src)
            for n in f.callables:
                self.body.setdefault(n, []).append(f)
        self.bound = set(bound)
        self.library = {n for n, k in bound.items() if k == {"library"}}
        self.callables = {n for n, k in bound.items() if k == {"callable"}}
        self.immutable = {
            n for n, k in bound.items() if k == {"immutable"} and conditions.get(n, set()) <= self.library
        }
        #: bound only to lists, dicts, sets or tuples (or a library's objects): iterating them uses nothing up
        self.containers = {
            n
            for n, k in bound.items()
            if k <= {"immutable", "object", "library"}
            and all(n in f.containers or n in f.library for f in all_facts if n in f.binds)
        }
        #: ... whose elements cannot change either: a copy of one shares nothing that can change
        self.constants = {
            n
            for n, k in bound.items()
            if k <= {"immutable", "object", "library"}
            and all(n in f.constants or n in f.library for f in all_facts if n in f.binds)
        }
        #: imported everywhere from one place: importing it again changes nothing
        self.same_import = {n for n in self.library if len(targets.get(n, ())) == 1}

    def _plain(self, names) -> set[str]:
        """Names whose object can change: bound in the notebook, not a library, not immutable."""
        return {n for n in names if n in self.bound and n not in self.library and n not in self.immutable}

    def _reached(self, f: Facts) -> list[tuple[str, Facts]]:
        """(function, facts of a cell defining it) for the notebook's functions and classes that
        running ``f`` may call, directly, through a library or through another function."""
        seen: set[str] = set()
        todo = [n for c in f.calls for n in self._callees(c)]
        out = []
        while todo:
            n = todo.pop()
            if n in seen:
                continue
            seen.add(n)
            for body in self.body.get(n, ()):
                out.append((n, body))
                todo.extend(m for c in body.body_calls for m in self._callees(c))
        return out

    def _callees(self, c: Call) -> set[str]:
        """The notebook's functions and classes a call may run: the one called, the one whose
        method is called, those handed over as arguments (a name bound by ``def`` anywhere)."""
        names = set(c.args) | ({c.name} if c.name and c.root is None else set()) | ({c.root} if c.root else set())
        return names & set(self.body)

    def unsafe(self, f: Facts) -> str | None:
        """Why running ``f`` changes a library's state (so it must run), or None."""
        for who, mutates, calls in [("it", f.mutates, f.calls)] + [
            (f"calling `{n}`", b.body_mutates, b.body_calls) for n, b in self._reached(f)
        ]:
            for root in sorted(mutates & self.library):
                return f"{who} assigns into the library object `{root}`"
            for c in calls:
                if (
                    c.root in self.library
                    and c.name
                    and (c.name in _SWITCH_CALLS or c.name.startswith(_SWITCH_PREFIXES))
                ):
                    return f"{who} changes a library's state (`{c.root}.….{c.name}(...)`)"
                if c.root in self.library and c.name in _LIBRARY_IO_CALLS:
                    return f"{who} calls `{c.root}.….{c.name}(...)` (files, programs or the process)"
        return None

    def _changed_by(self, mutates, calls) -> set[str]:
        out = set(mutates)
        for c in calls:
            library_call = (c.root in self.library) or (c.root is None and c.name in self.library)
            if c.root is not None and not library_call:
                out.add(c.root)  # a method of one of the notebook's objects may change it
            if c.root is None and c.name in _ITERATING_BUILTINS and c.name not in self.bound:
                out |= {a for a in c.args if a not in self.containers and a != c.name}  # list(gen) uses gen up
            elif not library_call:
                out |= c.args  # a function of the notebook, or an object called, may change its arguments
            elif c.name and ((c.name.endswith("_") and not c.name.endswith("__")) or c.name in _MUTATING_LIBRARY):
                out |= c.args
            out |= c.out
        return {n for n in out if n not in self.callables}

    def effects(self, f: Facts) -> set[str]:
        """Names whose objects running the cell may change (calls of the notebook's functions followed)."""
        out = self._changed_by(f.mutates, f.calls)
        for _n, body in self._reached(f):
            out |= self._changed_by(body.body_mutates, body.body_calls)
        return self._plain(out)

    def closure(self, names, skip=frozenset()) -> set[str]:
        """``names`` and every name their values may share (``y = x.view(...)``: y and x; ``y = list(x)``:
        y and x's elements, nothing when they cannot change). A function shares nothing by being
        one; names in ``skip`` were rebound to new objects."""
        out: set[str] = set()
        todo = list(self._plain(names) - set(skip))
        while todo:
            n = todo.pop()
            if n not in out:
                out.add(n)
                shared = self.derived.get(n, ())
                more = {m for m in shared if not m.startswith("~")}
                more |= {m[1:] for m in shared if m.startswith("~")} - self.constants
                todo.extend(self._plain(more) - self.callables - set(skip))
        return out

    def reads(self, names: set[str]) -> set[str]:
        """What a step that uses ``names`` may read when it runs: those, and what the notebook's
        functions and classes they are or hold (``OPS = {"a": f}``) read when they are called."""
        out = set(names)
        seen: set[str] = set()
        while True:
            held = self._holds(out) & set(self.body)
            todo = held - seen
            if not todo:
                return out
            seen |= todo
            for n in todo:
                for body in self.body.get(n, ()):
                    out |= body.body_uses

    def _holds(self, names: set[str]) -> set[str]:
        """``names`` and every name their values may hold or share, functions included."""
        out: set[str] = set()
        todo = [n for n in names if n in self.bound]
        while todo:
            n = todo.pop()
            if n not in out:
                out.add(n)
                todo.extend(m.lstrip("~") for m in self.derived.get(n, ()) if m.lstrip("~") in self.bound)
        return out

    def fresh(self, f: Facts) -> set[str]:
        """Names ``f`` rebinds, whatever happens, to objects that share nothing of the notebook's."""
        return {n for n, shared in f.definite if not self._plain({m.lstrip("~") for m in shared}) - self.callables}
