"""The package's dependency lists agree: pyproject.toml, environment.yml, constraints.txt."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from support import ROOT

STUDENT_RUNTIME = {"torch", "numpy", "pandas", "scikit-learn", "matplotlib", "tqdm"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!\[;@]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _environment_pip() -> list[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    reqs = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if stripped.startswith("- "):
            reqs.append(stripped[2:])
    return reqs


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            pins[_name(line)] = line
    return pins


def test_student_runtime_is_only_what_colab_has_and_loose():
    deps = _pyproject()["dependencies"]
    assert {_name(d) for d in deps} == STUDENT_RUNTIME
    torch = next(d for d in deps if _name(d) == "torch")
    assert "==" not in torch and ">=" in torch, "keep torch loose so Colab keeps its own build"


def test_environment_yml_names_the_same_packages():
    project = _pyproject()
    declared = {_name(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(d) for d in extra}
    env = {_name(r) for r in _environment_pip() if not r.startswith("-e")}
    assert env == declared, f"only in environment.yml: {env - declared}; only in pyproject: {declared - env}"


def test_torch_is_pinned_to_the_cpu_build_in_the_setup_path():
    pins = _constraints()
    assert pins["torch"] == "torch==2.13.0"
    env_torch = next(r for r in _environment_pip() if _name(r) == "torch")
    assert env_torch == "torch==2.13.0"


def test_every_declared_package_is_pinned_in_constraints():
    project = _pyproject()
    declared = {_name(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        declared |= {_name(d) for d in extra}
    pins = _constraints()
    assert declared <= set(pins), f"missing pins: {declared - set(pins)}"


def test_shipped_data_is_package_data():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["course"]
    files = {p.relative_to(ROOT / "course").as_posix() for p in (ROOT / "course" / "data" / "files").iterdir()}
    matched = {f for f in files if any(Path(f).match(g) for g in globs)}
    assert files and matched == files


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make demo" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
