"""Publishing the course to students: where it lives, the tag it pins, the bundle they get.

- :func:`set_repository` points ``course/project.py`` (the one place that holds the
  repository's address) at an instructor's fork; ``release --repository URL`` calls it
  and releases every notebook again, so the badges and bootstrap cells follow.
- :func:`tag_status` and :func:`make_tag`: the notebooks install ``course`` from the git
  tag ``v<version>``. ``release --tag`` creates that tag at ``HEAD`` when it is missing
  and the tree is committed, or checks that the existing tag holds this version of the
  package. Nothing is pushed: the command says what to push.
- :func:`student_bundle`: what students get instead of a clone of the repository (whose
  ``solutions/`` holds every answer): the released notebooks, a wheel of ``course`` and a
  README, no solutions and no tests.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import UsageError
from autograder.paths import NOTEBOOKS, ROOT, TEMPLATES

#: What the course's wheel is built from.
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT", "course", "autograder")
BUNDLE_MARK = ".course-student-bundle"
_GITHUB = re.compile(r"https://github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9._-]+?)(?:\.git)?/?")
_BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


# -- where the course lives ------------------------------------------------------------------------
def check_repository(url: str) -> str:
    """``https://github.com/OWNER/NAME`` (``.git`` and a trailing slash dropped), or a UsageError."""
    m = _GITHUB.fullmatch(url.strip())
    if not m:
        raise UsageError(
            f"{url!r} is not a GitHub repository address",
            "give it as https://github.com/OWNER/NAME (Colab opens notebooks from GitHub)",
        )
    return f"https://github.com/{m.group(1)}/{m.group(2)}"


def branch() -> str:
    from course import project

    return project.BRANCH


def set_repository(url: str, new_branch: str | None = None, project_file: Path | None = None) -> Path:
    """Write the repository (and branch) into ``course/project.py`` and reload it."""
    project_file = project_file or ROOT / "course" / "project.py"
    url = check_repository(url)
    if new_branch is not None and (not _BRANCH.fullmatch(new_branch) or ".." in new_branch):
        raise UsageError(f"{new_branch!r} is not a branch name", "give a git branch name such as main")
    text = project_file.read_text()
    text, n = re.subn(r'^REPOSITORY = ".*"$', f'REPOSITORY = "{url}"', text, flags=re.M)
    if new_branch is not None:
        text, k = re.subn(r'^BRANCH = ".*"$', f'BRANCH = "{new_branch}"', text, flags=re.M)
        n = min(n, k)
    if n != 1:
        raise UsageError(
            f"{project_file} has no single REPOSITORY/BRANCH line to change",
            "restore it from git (`git checkout course/project.py`)",
        )
    project_file.write_text(text)
    import course.project

    importlib.reload(course.project)
    return project_file


# -- the tag the notebooks pin ---------------------------------------------------------------------
def _git(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)


@dataclass
class TagStatus:
    tag: str
    version: str
    git: bool  # is the repository a git checkout at all
    commit: str | None = None  # the tag's commit, when it exists
    version_at_tag: str | None = None
    package_changed: bool = False  # course/ or pyproject.toml differ between the tag and the tree

    @property
    def exists(self) -> bool:
        return self.commit is not None

    def line(self) -> str:
        if not self.git:
            return f"the notebooks pin {self.tag}; this is not a git checkout, so the tag was not checked"
        if not self.exists:
            return (
                f"the notebooks pin {self.tag}, a tag this repository does not have: students' installs fail "
                f"until it exists; commit, then `python -m autograder release --tag` (and push the tag)"
            )
        if self.version_at_tag != self.version:
            return (
                f"the tag {self.tag} ({self.commit[:10]}) holds course {self.version_at_tag}, not {self.version}: "
                "move or delete the tag"
            )
        if self.package_changed:
            return (
                f"the notebooks pin {self.tag} ({self.commit[:10]}), whose course package is older than this "
                f"tree's: students get that one; release the changes as a new version (course.__version__) "
                "and tag it"
            )
        return f"the notebooks pin {self.tag} ({self.commit[:10]}), which holds this course package"


def tag_status(root: Path = ROOT) -> TagStatus:
    from course import __version__
    from course.project import tag

    status = TagStatus(tag(__version__), __version__, git=False)
    try:
        inside = _git("rev-parse", "--is-inside-work-tree", root=root)
    except (OSError, subprocess.SubprocessError):
        return status
    status.git = inside.returncode == 0 and inside.stdout.strip() == "true"
    if not status.git:
        return status
    found = _git("rev-parse", "-q", "--verify", f"refs/tags/{status.tag}^{{commit}}", root=root)
    if found.returncode != 0:
        return status
    status.commit = found.stdout.strip()
    init = _git("show", f"{status.tag}:course/__init__.py", root=root).stdout
    m = re.search(r'^__version__ = "([^"]+)"', init, re.M)
    status.version_at_tag = m.group(1) if m else None
    diff = _git("diff", "--quiet", status.tag, "--", "course", "pyproject.toml", root=root)
    status.package_changed = diff.returncode != 0
    return status


def make_tag(root: Path = ROOT) -> str:
    """Create the tag the notebooks pin at HEAD (a committed tree only), or check the one there."""
    status = tag_status(root)
    if not status.git:
        raise UsageError(f"{root} is not a git checkout", "tag the release in the course's git repository")
    if status.exists:
        if status.version_at_tag != status.version or status.package_changed:
            raise UsageError(status.line(), "bump __version__ in course/__init__.py, release, commit, then tag")
        return (
            f"{status.line()}: nothing to do (push it if the public repository lacks it: git push origin {status.tag})"
        )
    dirty = _git("status", "--porcelain", "--untracked-files=no", root=root).stdout.strip()
    if dirty:
        raise UsageError(
            f"the tree has uncommitted changes ({dirty.splitlines()[0].strip()} ...)",
            "commit them (the released notebooks too), then run `release --tag` again",
        )
    from course import __version__

    made = _git("tag", "-a", status.tag, "-m", f"course {__version__}", root=root)
    if made.returncode != 0:
        raise UsageError(f"git could not create {status.tag}: {made.stderr.strip()}", "see git's message")
    commit = _git("rev-parse", "--short", "HEAD", root=root).stdout.strip()
    return (
        f"created the tag {status.tag} at {commit} (here only): push it with `git push origin {status.tag}` "
        "so that the notebooks' install works"
    )


# -- the student bundle ---------------------------------------------------------------------------
def build_wheel(dest: Path, root: Path = ROOT) -> Path:
    """A wheel of the course package, built offline from a copy of its files (no build/ left behind)."""
    with tempfile.TemporaryDirectory(prefix="course-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in PACKAGE_FILES:
            if (root / name).is_dir():
                shutil.copytree(root / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy(root / name, src / name)
        env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--no-build-isolation",
                str(src),
                "-w",
                str(Path(tmp) / "dist"),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise UsageError(
                f"pip could not build the course wheel: {done.stderr.strip().splitlines()[-1:]}",
                "install setuptools into this environment (`pip install setuptools`)",
            )
        (wheel,) = (Path(tmp) / "dist").glob("*.whl")
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(wheel, dest / wheel.name))


def check_bundle_target(dest: Path) -> None:
    """A new or empty folder, or an earlier bundle (which is replaced); else a UsageError."""
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is a file", "give a folder for the student bundle")
    if dest.exists() and any(dest.iterdir()) and not (dest / BUNDLE_MARK).exists():
        raise UsageError(f"{dest} is not empty", "give a new or empty folder (an earlier bundle there is replaced)")


def student_bundle(dest: Path, notebooks: Path = NOTEBOOKS) -> Path:
    """Write the students' folder: released notebooks, the course wheel, a README; nothing else."""
    from course import __version__
    from course.project import REPOSITORY, pinned_requirement

    dest = Path(dest)
    check_bundle_target(dest)
    released = sorted(notebooks.glob("*.ipynb"))
    if not released:
        raise UsageError(f"no released notebook in {notebooks}", "run `python -m autograder release` first")
    for nb in released:
        text = nb.read_text()
        if "BEGIN SOLUTION" in text or "BEGIN HIDDEN TESTS" in text:
            raise UsageError(f"{nb} holds solutions or hidden tests", "give the released notebooks, not the sources")
    with tempfile.TemporaryDirectory(prefix="student-bundle-") as tmp:
        stage = Path(tmp) / "bundle"
        (stage / "notebooks").mkdir(parents=True)
        for nb in released:
            shutil.copy(nb, stage / "notebooks" / nb.name)
        wheel = build_wheel(stage)
        for name in ("LICENSE", "LICENSE-CONTENT"):
            shutil.copy(ROOT / name, stage / name)
        text = (TEMPLATES / "student_readme.md").read_text()
        (stage / "README.md").write_text(
            text.format(
                version=__version__,
                wheel=wheel.name,
                repository=REPOSITORY,
                requirement=pinned_requirement(__version__),
            )
        )
        (stage / BUNDLE_MARK).write_text(f"course {__version__}\n")
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(stage, dest)
    return dest
