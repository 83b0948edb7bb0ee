"""The code stays valid for Python 3.10 to 3.13, checked statically.

Colab's runtime is Python 3.12 (3.13 next), a student's own Jupyter may be 3.10, and CI
and `make` run 3.11: only 3.11 is installed here, so these checks read the code instead
of running it on each version.

In scope, at Python 3.10 (``requires-python``): what runs on students' and instructors'
machines, i.e. ``course/``, ``autograder/``, ``scripts/``, ``benchmarks/`` and the code
cells of every notebook in ``solutions/`` and ``notebooks/`` (as IPython compiles them,
``%pip`` and ``!cmd`` turned into ``get_ipython()`` calls). The bootstrap template
``autograder/templates/bootstrap.py`` is a notebook cell, not a module: it is checked
rendered, as a cell. ``tests/`` is held to 3.11 instead: it runs on CI's 3.11 only and
uses ``tomllib``; it must still not break on 3.12/3.13 (removed modules, warnings).

The checks, each shown able to fail by ``test_*_can_fail`` on a small sample:

- vermin: the minimum version each file needs from its syntax, modules, functions and
  arguments must be at most 3.10 (3.11 for tests/);
- ruff, with the rules of ``[tool.ruff]`` in pyproject.toml: syntax newer than the
  target version (``except*``, PEP 695 ...), undefined names, and APIs removed in or
  deprecated by 3.12/3.13 (``datetime.utcnow``, positional ``re.sub`` count ...); and,
  over the code, the tests and ``solutions/`` (not over the generated ``notebooks/``,
  held to the version rules only), the rules that keep the code clean: pyflakes,
  bugbear and mccabe's complexity bound;
- ``ast.parse(feature_version=...)``: the oldest grammar parses it (vermin skips a file
  it cannot parse without failing, so this also backs it up);
- ``compile()`` with warnings as errors: nothing warns at compile time (an invalid
  escape such as ``"\\d"`` is a SyntaxWarning from 3.12 on; a warning printed by a
  notebook cell makes nbgrader score that test cell zero);
- no import of a module removed in 3.12 or 3.13 (PEP 594 and PEP 632), and no use of
  a few stdlib functions removed in 3.12/3.13 or warning there.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from support import ROOT

OLDEST = (3, 10)  # requires-python
NEWEST = (3, 13)  # the newest Python the code is kept valid for
TESTS_OLDEST = (3, 11)  # tests/ run on CI's 3.11 only (tomllib)

RUNTIME_DIRS = ("course", "autograder", "scripts", "benchmarks")
NOTEBOOK_DIRS = ("solutions", "notebooks")
TEMPLATE = ROOT / "autograder" / "templates" / "bootstrap.py"

#: Modules removed in 3.12 (PEP 632 distutils, imp, asynchat, asyncore, smtpd) and in
#: 3.13 (PEP 594's dead batteries, lib2to3).
REMOVED_MODULES = {
    "distutils",
    "imp",
    "asynchat",
    "asyncore",
    "smtpd",
    "aifc",
    "audioop",
    "cgi",
    "cgitb",
    "chunk",
    "crypt",
    "imghdr",
    "mailcap",
    "msilib",
    "nis",
    "nntplib",
    "ossaudiodev",
    "pipes",
    "sndhdr",
    "spwd",
    "sunau",
    "telnetlib",
    "uu",
    "xdrlib",
    "lib2to3",
}

#: Standard-library names removed in 3.12/3.13, or that warn there, which ruff's rules
#: (pyproject.toml) do not cover.
REMOVED_OR_WARNING_APIS = {
    ("configparser", "SafeConfigParser"): "removed in 3.12",
    ("importlib", "find_loader"): "removed in 3.12",
    ("pkgutil", "ImpImporter"): "removed in 3.12",
    ("pkgutil", "ImpLoader"): "removed in 3.12",
    ("ssl", "wrap_socket"): "removed in 3.12",
    ("ssl", "match_hostname"): "removed in 3.12",
    ("sqlite3", "enable_shared_cache"): "removed in 3.12",
    ("sqlite3", "OptimizedUnicode"): "removed in 3.12",
    ("locale", "format"): "removed in 3.12",
    ("configparser", "LegacyInterpolation"): "removed in 3.13",
    ("locale", "resetlocale"): "removed in 3.13",
    ("unittest", "makeSuite"): "removed in 3.13",
    ("unittest", "findTestCases"): "removed in 3.13",
    ("unittest", "getTestCaseNames"): "removed in 3.13",
    ("typing", "io"): "removed in 3.13",
    ("typing", "re"): "removed in 3.13",
    ("pkgutil", "find_loader"): "a DeprecationWarning from 3.12 on",
    ("pkgutil", "get_loader"): "a DeprecationWarning from 3.12 on",
    ("locale", "getdefaultlocale"): "a DeprecationWarning from 3.11 on",
    ("ast", "Num"): "a DeprecationWarning from 3.12 on",
    ("ast", "Str"): "a DeprecationWarning from 3.12 on",
    ("ast", "Bytes"): "a DeprecationWarning from 3.12 on",
    ("ast", "NameConstant"): "a DeprecationWarning from 3.12 on",
    ("ast", "Ellipsis"): "a DeprecationWarning from 3.12 on",
}
#: Keyword arguments that warn from 3.12 on.
WARNING_KEYWORDS = {("shutil", "rmtree", "onerror"): "a DeprecationWarning from 3.12 on (use onexc)"}

VERMIN_OPTIONS = [
    "--no-config-file",
    "--violations",
    "--format",
    "parsable",
    "--no-tips",
    # annotations are evaluated in notebook cells (no `from __future__ import annotations`)
    "--eval-annotations",
    # torch's `tensor.long()` looks to vermin like Python 2's `long` (py3 "!3"): a false
    # finding which, in vermin's default format, also hides that file's real 3.11+ ones
    "--exclude",
    "long",
]


@dataclass(frozen=True)
class Unit:
    """One piece of code to check: a file, or one code cell of a notebook."""

    name: str
    source: str
    oldest: tuple[int, int]
    cell: bool = False


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _py_files(*dirs: str) -> list[Path]:
    files = []
    for d in dirs:
        for path in sorted((ROOT / d).rglob("*.py")):
            skipped = {"__pycache__", ".ipynb_checkpoints"} & set(path.relative_to(ROOT).parts)
            if not skipped and path != TEMPLATE:
                files.append(path)
    return files


RUNTIME_FILES = _py_files(*RUNTIME_DIRS)
TEST_FILES = _py_files("tests")
NOTEBOOK_FILES = sorted(p for d in NOTEBOOK_DIRS for p in (ROOT / d).glob("*.ipynb"))


def as_kernel_compiles(source: str) -> str:
    """A cell's source as IPython compiles it: magics and shell escapes become calls."""
    return TransformerManager().transform_cell(source)


class _Placeholder(dict):
    def __missing__(self, key):
        return f"<{key}>"


def _cells(path: Path) -> list[Unit]:
    nb = json.loads(path.read_text())
    units = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            src = cell["source"]
            src = "".join(src) if isinstance(src, list) else src
            units.append(Unit(f"{_rel(path)}, cell {i}", as_kernel_compiles(src), OLDEST, cell=True))
    return units


@cache
def units() -> tuple[Unit, ...]:
    found = [Unit(_rel(p), p.read_text(), OLDEST) for p in RUNTIME_FILES]
    found += [Unit(_rel(p), p.read_text(), TESTS_OLDEST) for p in TEST_FILES]
    for path in NOTEBOOK_FILES:
        found += _cells(path)
    template = TEMPLATE.read_text().format_map(_Placeholder())
    found.append(Unit(f"{_rel(TEMPLATE)} (rendered)", as_kernel_compiles(template), OLDEST, cell=True))
    return tuple(found)


def test_scope_is_not_empty():
    """Guards every check below against passing on nothing."""
    assert {p.parent.name for p in NOTEBOOK_FILES} == set(NOTEBOOK_DIRS)
    assert len(NOTEBOOK_FILES) >= 20 and len(RUNTIME_FILES) >= 40 and len(TEST_FILES) >= 20
    assert {Path(u.name).parts[0] for u in units()} >= {*RUNTIME_DIRS, *NOTEBOOK_DIRS, "tests"}
    assert sum(u.cell for u in units()) > 300


def test_declared_versions_agree_with_these_checks():
    """requires-python, the classifiers and ruff's target are the versions checked here."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project, ruff = pyproject["project"], pyproject["tool"]["ruff"]
    assert project["requires-python"] == ">={}.{}".format(*OLDEST)
    declared = {
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert declared == {f"3.{minor}" for minor in range(OLDEST[1], NEWEST[1] + 1)}
    assert ruff["target-version"] == "py{}{}".format(*OLDEST)
    assert ruff["per-file-target-version"] == {"tests/**": "py{}{}".format(*TESTS_OLDEST)}


# ---------------------------------------------------------------- vermin


def _vermin(paths: list[Path], oldest: tuple[int, int]) -> tuple[int, list[str], str]:
    """Run vermin; return its exit code, its findings (`path:line:col:py2:py3:feature`,
    one for each line of code that needs a newer Python) and all it printed."""
    cmd = [
        sys.executable,
        "-c",
        "import sys, vermin; sys.exit(vermin.main())",
        *VERMIN_OPTIONS,
        "-t={}.{}-".format(*oldest),
        *map(str, paths),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    findings = [line for line in run.stdout.splitlines() if re.match(r"[^:]+:\d+:", line)]
    assert not run.stderr.strip(), run.stderr
    return run.returncode, findings, run.stdout


def _notebooks_as_files(folder: Path) -> tuple[list[Path], dict[tuple[str, int], str]]:
    """Each notebook's cells, as the kernel compiles them, in one .py file; and where
    each line of those files comes from."""
    files, origin = [], {}
    for path in NOTEBOOK_FILES:
        out = folder / f"{path.parent.name}__{path.stem}.py"
        lines = []
        for unit in _cells(path):
            for n, line in enumerate(unit.source.splitlines(), start=1):
                lines.append(line)
                origin[(str(out), len(lines))] = f"{unit.name}, line {n}"
            lines.append("")
        out.write_text("\n".join(lines) + "\n")
        files.append(out)
    template = folder / "bootstrap_rendered.py"
    template.write_text(units()[-1].source)
    return [*files, template], origin


def _explain(findings: list[str], origin: dict[tuple[str, int], str]) -> list[str]:
    explained = []
    for finding in findings:
        path, line, *_ = finding.split(":")
        where = origin.get((path, int(line))) if line.isdigit() else None
        explained.append(f"{where}: {finding}" if where else finding)
    return explained


def test_vermin_runtime_code_and_notebooks_need_at_most_3_10(tmp_path):
    notebook_files, origin = _notebooks_as_files(tmp_path)
    code, findings, out = _vermin([*RUNTIME_FILES, *notebook_files], OLDEST)
    assert not findings and code == 0, "\n".join(_explain(findings, origin)) or out


def test_vermin_tests_need_at_most_3_11():
    code, findings, out = _vermin(TEST_FILES, TESTS_OLDEST)
    assert not findings and code == 0, out


def test_vermin_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import itertools\nimport tomllib\n"
        "labels = torch.ones(3).long()\n"  # not a finding (--exclude long), hides nothing
        "try:\n    pass\nexcept* ValueError:\n    pass\n"
        "pairs = itertools.batched(range(4), 2)\n"
    )
    code, findings, out = _vermin([sample], OLDEST)
    assert code == 1, out
    assert {f.split(":", 5)[-1] for f in findings} == {"'tomllib' module", "`except*`", "'itertools.batched' member"}, (
        findings
    )


# ---------------------------------------------------------------- ruff

#: The rule families that keep the code clean (pyproject.toml selects them with the version
#: rules); generated notebooks are held to the other rules only.
CLEAN_CODE_RULES = ("F", "B", "C90")
SOLUTION_NOTEBOOKS = [p for p in NOTEBOOK_FILES if p.parent.name == "solutions"]
RELEASED_NOTEBOOKS = [p for p in NOTEBOOK_FILES if p.parent.name == "notebooks"]


def _ruff_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]


def version_rules() -> list[str]:
    return [r for r in _ruff_config()["lint"]["select"] if r not in CLEAN_CODE_RULES]


def _ruff(paths: list[Path], *options: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--no-cache",
        "--config",
        str(ROOT / "pyproject.toml"),
        "--output-format",
        "concise",
        *options,
        *(_rel(p) if p.is_relative_to(ROOT) else str(p) for p in paths),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_ruff_selects_the_clean_code_rules():
    lint = _ruff_config()["lint"]
    assert set(CLEAN_CODE_RULES) <= set(lint["select"]), lint["select"]
    assert lint["mccabe"]["max-complexity"] <= 10
    assert {"E9", "F82", "DTZ003", "B034"} <= set(version_rules())
    assert len(SOLUTION_NOTEBOOKS) == len(RELEASED_NOTEBOOKS) >= 10


def test_ruff_passes():
    """Every rule over the code, the tests and the solution notebooks (ruff reads .ipynb
    itself, magics included); files named on the command line are linted even where
    pyproject.toml excludes them from a plain `ruff check`."""
    run = _ruff([*RUNTIME_FILES, *TEST_FILES, *SOLUTION_NOTEBOOKS])
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_code_is_formatted():
    """One layout (``ruff format``, 120 columns): a change shows what it changes, not its
    author's spacing. Run ``ruff format`` before committing."""
    cmd = [
        sys.executable,
        "-m",
        "ruff",
        "format",
        "--check",
        "--no-cache",
        "--config",
        str(ROOT / "pyproject.toml"),
        *(_rel(p) for p in [*RUNTIME_FILES, *TEST_FILES]),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_version_rules_pass_on_the_released_notebooks():
    """The student release is generated from solutions/ (answers cut out, the bootstrap cell
    added): what students run must keep to the versions, not to the clean-code rules."""
    run = _ruff(RELEASED_NOTEBOOKS, "--select", ",".join(version_rules()))
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_can_fail(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime\nimport os\nimport re\n"
        "try:\n    pass\nexcept* ValueError:\n    pass\n"
        "def first[T](xs: list[T]) -> T:\n    return xs[0]\n"
        "stamp = datetime.datetime.utcnow()\n"
        "once = re.sub('a', 'b', 'aaa', 1)\n"
        "digits = '\\d+'\n"
        "print(undefined_name)\n"
        "def remember(x, seen=[]):\n    seen.append(x)\n    return seen\n"
        "later = []\nfor k in range(3):\n    later.append(lambda: k)\n"
        "pairs = list(zip([1, 2], [3]))\n"
        "def branchy(x):\n" + "".join(f"    if x == {k}:\n        return {k}\n" for k in range(10)) + "    return -1\n"
    )
    notebook = tmp_path / "sample.ipynb"
    cells = ["%pip install -q something\n!ls\nimport datetime\nimport os", "stamp = datetime.datetime.utcnow()"]
    notebook.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {"language_info": {"name": "python"}},
                "cells": [
                    {
                        "cell_type": "code",
                        "id": f"c{i}",
                        "metadata": {},
                        "execution_count": None,
                        "outputs": [],
                        "source": src,
                    }
                    for i, src in enumerate(cells)
                ],
            }
        )
    )
    run = _ruff([sample, notebook])
    assert run.returncode == 1
    out = run.stdout
    assert "except*` on Python 3.10" in out and "type parameter lists on Python 3.10" in out, out
    for code in (
        "DTZ003",
        "B034",
        "W605",
        "F821",  # the version rules
        "F401",
        "B006",
        "B023",
        "B905",
        "C901",
    ):  # the clean-code rules
        assert re.search(rf"sample\.py:\d+:\d+: {code}", out), (code, out)
    assert re.search(r"sample\.ipynb:cell 2:\d+:\d+: DTZ003", out), out
    assert re.search(r"sample\.ipynb:cell 1:\d+:\d+: F401 .*`os`", out), out
    assert "sample.ipynb:cell 1:1:" not in out, out  # the magics are not syntax errors

    released = _ruff([notebook], "--select", ",".join(version_rules())).stdout
    assert re.search(r"sample\.ipynb:cell 2:\d+:\d+: DTZ003", released), released
    assert "F401" not in released, released


# ---------------------------------------------------------------- the interpreter's own checks


def _parse(source: str, **kwargs) -> ast.AST:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # compile_warnings reports them
        return ast.parse(source, **kwargs)


def grammar_problems(unit: Unit) -> list[str]:
    try:
        _parse(unit.source, feature_version=unit.oldest)
    except SyntaxError as exc:
        return [f"{unit.name}:{exc.lineno}: not Python {unit.oldest[0]}.{unit.oldest[1]}: {exc.msg}"]
    return []


def compile_warnings(unit: Unit) -> list[str]:
    """What compiling would print: invalid escapes (SyntaxWarning from 3.12 on, a
    DeprecationWarning before), `is` with a literal, an always-true assert ..."""
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if unit.cell else 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            compile(unit.source, unit.name, "exec", flags=flags, dont_inherit=True)
        except (SyntaxError, Warning) as exc:
            return [f"{unit.name}:{getattr(exc, 'lineno', '?')}: {type(exc).__name__}: {exc}"]
    return []


@cache
def _tree(unit: Unit) -> ast.AST | None:
    try:
        return _parse(unit.source)
    except SyntaxError:
        return None  # grammar_problems reports it


def removed_module_imports(unit: Unit) -> list[str]:
    problems = []
    for node in ast.walk(_tree(unit) or ast.Module(body=[], type_ignores=[])):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and ast.unparse(node.func) in ("importlib.import_module", "__import__")
        ):
            names = [node.args[0].value]
        else:
            continue
        for name in names:
            if name.split(".")[0] in REMOVED_MODULES:
                problems.append(f"{unit.name}:{node.lineno}: imports {name}, removed in 3.12/3.13")
    return problems


def removed_or_warning_apis(unit: Unit) -> list[str]:
    tree = _tree(unit)
    if tree is None:
        return []
    names = _ImportedNames(tree)
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                why = REMOVED_OR_WARNING_APIS.get((node.module, alias.name))
                if why:
                    problems.append(f"{unit.name}:{node.lineno}: {node.module}.{alias.name}: {why}")
        elif isinstance(node, ast.Attribute):
            target = names.resolve(node)
            if target in REMOVED_OR_WARNING_APIS:
                problems.append(f"{unit.name}:{node.lineno}: {'.'.join(target)}: {REMOVED_OR_WARNING_APIS[target]}")
        if isinstance(node, ast.Call):
            problems += _warning_keywords(unit, node, names.resolve(node.func))
    return problems


class _ImportedNames:
    """Which module (``import m``, ``import m as n``) or module member (``from m import x``)
    each local name of a unit stands for."""

    def __init__(self, tree: ast.AST):
        self.modules: dict[str, str] = {}  # local name -> module
        self.imported: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]  # `import a.b` binds `a`
                    self.modules[local] = alias.name if alias.asname else local
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = (node.module, alias.name)

    def resolve(self, expr) -> tuple[str, str] | None:
        """(module, name) that ``m.name`` or an imported ``name`` refers to; None otherwise."""
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in self.modules:
            return self.modules[expr.value.id], expr.attr
        if isinstance(expr, ast.Name):
            return self.imported.get(expr.id)
        return None


def _warning_keywords(unit: Unit, call: ast.Call, target: tuple[str, str] | None) -> list[str]:
    problems = []
    for kw in call.keywords:
        why = target and WARNING_KEYWORDS.get((*target, kw.arg))
        if why:
            problems.append(f"{unit.name}:{call.lineno}: {'.'.join(target)}({kw.arg}=): {why}")
    return problems


CHECKS = {
    "grammar": grammar_problems,
    "compile warnings": compile_warnings,
    "removed modules": removed_module_imports,
    "removed or warning APIs": removed_or_warning_apis,
}


@pytest.mark.parametrize("check", CHECKS)
def test_code_in_scope_passes(check):
    problems = [p for unit in units() for p in CHECKS[check](unit)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "check, source, expected",
    [
        ("grammar", "try:\n    pass\nexcept* ValueError:\n    pass\n", 1),
        ("grammar", "match command:\n    case [x, *rest]:\n        pass\n", 0),  # 3.10 is fine
        ("compile warnings", "pattern = '\\d+'\n", 1),
        ("compile warnings", "same = 1 is 1\n", 1),
        (
            "removed modules",
            "import imp\nfrom distutils.util import strtobool\nimport telnetlib as t\n"
            "import importlib\nimportlib.import_module('cgi')\nimport lib2to3.pytree\n",
            5,
        ),
        (
            "removed or warning APIs",
            "import ast, shutil\nimport unittest as ut\nfrom locale import resetlocale\n"
            "from shutil import rmtree\nast.Num(1)\nut.makeSuite(object)\n"
            "shutil.rmtree('x', onerror=print)\nrmtree('x', onerror=print)\n",
            5,
        ),
    ],
)
def test_check_can_fail(check, source, expected):
    problems = CHECKS[check](Unit("sample.py", source, OLDEST))
    assert len(problems) == expected, problems
