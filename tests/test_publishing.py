"""Publishing the course: the tag the notebooks pin exists, a fork points the course at
itself with one command, and students get a bundle without solutions or tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.errors import UsageError
from autograder.publish import check_repository, make_tag, tag_status
from course import __version__
from course.project import pinned_requirement, tag
from support import ROOT

IDENTITY = {
    "GIT_AUTHOR_NAME": "Course",
    "GIT_AUTHOR_EMAIL": "course@example.org",
    "GIT_COMMITTER_NAME": "Course",
    "GIT_COMMITTER_EMAIL": "course@example.org",
}


def test_the_tag_the_notebooks_pin_exists():
    """Every badge and bootstrap cell installs ``course`` from this tag: it must be there."""
    status = tag_status(ROOT)
    if not status.git:
        pytest.skip("not a git checkout (an sdist or a copy): no tags to check")
    if not status.exists and not _git(ROOT, "tag", "--list", "v*"):
        pytest.skip("this clone carries no tags (git clone --no-tags, or a shallow clone): fetch them to check")
    assert f"@{tag(__version__)}" in pinned_requirement(__version__)
    assert status.exists, status.line()
    assert status.version_at_tag == __version__, status.line()


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_release_tag_creates_the_tag_only_on_a_committed_tree_and_checks_it(tmp_path, monkeypatch):
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    repo = tmp_path / "repo"
    (repo / "course").mkdir(parents=True)
    (repo / "course" / "__init__.py").write_text(f'__version__ = "{__version__}"\n')
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    _git(repo, "init", "-q")
    assert not tag_status(repo).exists and "does not have" in tag_status(repo).line()
    with pytest.raises(UsageError, match="uncommitted"):  # nothing committed yet: nothing to tag
        _git(repo, "add", "-A")
        make_tag(repo)
    _git(repo, "commit", "-q", "-m", "release")
    made = make_tag(repo)
    assert "created the tag" in made and f"git push origin {tag(__version__)}" in made
    status = tag_status(repo)
    assert status.exists and status.version_at_tag == __version__ and not status.package_changed
    assert _git(repo, "rev-parse", f"{tag(__version__)}^{{commit}}") == _git(repo, "rev-parse", "HEAD")
    assert "nothing to do" in make_tag(repo)  # run again: checks, changes nothing
    (repo / "course" / "checks.py").write_text("# a changed checker\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "change the package")
    assert tag_status(repo).package_changed and "older than" in tag_status(repo).line()
    with pytest.raises(UsageError, match="bump __version__"):  # the tag holds another package: say so
        make_tag(repo)


def test_repository_addresses():
    assert check_repository("https://github.com/someone/fork.git/") == "https://github.com/someone/fork"
    for bad in ("github.com/someone/fork", "https://gitlab.com/a/b", "https://github.com/only-owner"):
        with pytest.raises(UsageError):
            check_repository(bad)


@pytest.fixture(scope="module")
def fork(tmp_path_factory):
    """A copy of the repository's package files, as an instructor's fork would have them."""
    root = tmp_path_factory.mktemp("fork") / "fork"
    for name in ("autograder", "course", "docs"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT"):
        shutil.copy(ROOT / name, root / name)
    (root / "solutions").mkdir()
    shutil.copy(ROOT / "solutions" / "00_start_here.ipynb", root / "solutions")
    (root / "notebooks").mkdir()
    return root


def _cli(root: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *map(str, args)], cwd=root, capture_output=True, text=True, timeout=900
    )


def test_a_fork_points_the_course_at_itself_and_hands_out_a_bundle_without_answers(fork, tmp_path):
    ours = (ROOT / "course" / "project.py").read_text()
    bundle = tmp_path / "bundle"
    done = _cli(
        fork,
        "release",
        "--repository",
        "https://github.com/someone/fork.git",
        "--branch",
        "spring",
        "--student-bundle",
        bundle,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # one command repoints the course: course/project.py, then every badge and bootstrap cell
    project = (fork / "course" / "project.py").read_text()
    assert 'REPOSITORY = "https://github.com/someone/fork"' in project and 'BRANCH = "spring"' in project
    cells = json.loads((fork / "notebooks" / "00_start_here.ipynb").read_text())["cells"]
    text = "".join("".join(c["source"]) for c in cells)
    assert "colab.research.google.com/github/someone/fork/blob/spring/notebooks/00_start_here.ipynb" in text
    assert f"pytorch-course @ git+https://github.com/someone/fork@v{__version__}" in text
    assert "github.com/someone/fork/blob/spring/docs/mistakes.md" in text  # the cheat sheet's link too
    assert "pytorch-course/pytorch-course" not in text
    assert (ROOT / "course" / "project.py").read_text() == ours  # the repository's own is untouched
    # the students' bundle: released notebooks, the course wheel, a README; no answers, no tests
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    (wheel,) = [n for n in names if n.endswith(".whl")]
    assert {"README.md", "notebooks/00_start_here.ipynb", "LICENSE", "LICENSE-CONTENT"} <= names
    assert not any(n.startswith(("solutions/", "tests/")) for n in names)
    assert "someone/fork" in (bundle / "notebooks" / "00_start_here.ipynb").read_text()
    for path in bundle.rglob("*.ipynb"):
        assert "BEGIN SOLUTION" not in path.read_text() and "BEGIN HIDDEN TESTS" not in path.read_text()
    with zipfile.ZipFile(bundle / wheel) as whl:
        inside = whl.namelist()
    assert "course/__init__.py" in inside and "course/checks/nb01.py" in inside
    assert not any(n.startswith(("solutions/", "tests/", "notebooks/")) for n in inside)
    readme = (bundle / "README.md").read_text()
    assert f"pip install {wheel}" in readme and "solutions/" in readme and "not meant for you" in readme
    assert "https://github.com/someone/fork" in readme
