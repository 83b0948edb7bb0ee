"""The Colab path: a released notebook in a Python that has torch but not `course`.

Colab ships torch, numpy, pandas, matplotlib, scikit-learn, tqdm and ipykernel, and not
`course`. The first cell of every notebook must install `course` there and leave torch
(and everything else Colab ships) exactly as it was. Here a fresh virtual environment
plays Colab: it sees this environment's packages through a folder of links (a ``.pth``
line names it), minus the course's own distribution, so that torch is "preinstalled" in
seconds and ``import course`` fails. The bootstrap installs `course` from a wheel of this
repository named by ``COURSE_WHEEL``, with ``PIP_NO_INDEX=1``: nothing is downloaded. Next
to that wheel lies a (dummy) torch 99, so that a bootstrap that ever upgraded or reinstalled
torch would be caught: the torch line of ``pip freeze`` would change.

The preinstalled packages live outside the new environment, so pip could not remove or
change them even if it tried (it says "outside environment" and leaves them).
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.release import BOOTSTRAP_TAG
from course import __version__
from course.project import BRANCH, REPOSITORY, colab_url
from support import NOTEBOOKS, ROOT

NOTEBOOK = NOTEBOOKS / "00_start_here.ipynb"  # the cheapest release
#: What the repository's wheel is built from (a copy, so that the build leaves no build/ behind).
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT", "course", "autograder")
#: This environment's entries that are the course itself, not something Colab would have.
NOT_ON_COLAB = re.compile(r"^(course|autograder)$|^pytorch_course\b|^__editable__|\.pth$|\.egg-link$", re.I)
SETUP_LINE = re.compile(r"Python (\S+) \| torch (\S+) \| device (\S+).* \| course (\S+)")


def _run(args, env, cwd, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and done.returncode:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of this repository, built offline from a copy of its package files."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for name in PACKAGE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy(ROOT / name, src / name)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_CONFIG_FILE": os.devnull}
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", src, "-w", tmp / "dist"],
        env,
        tmp,
    )
    (built,) = (tmp / "dist").glob("pytorch_course-*.whl")
    _newer_torch(tmp / "dist")
    return built


def _newer_torch(folder: Path) -> None:
    """An empty torch 99.0 wheel that pip may take whenever it wants a torch (the trap)."""
    info = "torch-99.0.dist-info"
    with zipfile.ZipFile(folder / "torch-99.0-py3-none-any.whl", "w") as whl:
        whl.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: torch\nVersion: 99.0\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{info}/RECORD", f"{info}/METADATA,,\n{info}/WHEEL,,\n{info}/RECORD,,\n")


@pytest.fixture(scope="module")
def colab(tmp_path_factory, wheel):
    """A fresh venv with this environment's packages preinstalled and no `course`."""
    tmp = tmp_path_factory.mktemp("colab")
    preinstalled = tmp / "preinstalled"
    preinstalled.mkdir()
    for site in dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib")):
        for entry in Path(site).iterdir():
            if not NOT_ON_COLAB.search(entry.name) and not (preinstalled / entry.name).exists():
                (preinstalled / entry.name).symlink_to(entry)
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], dict(os.environ), tmp)  # pip is preinstalled
    python = venv / "bin" / "python"
    probe = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site_packages = Path(_run([python, "-c", probe], dict(os.environ), tmp).stdout.strip())
    # A plain path line: the folder joins sys.path, the .pth files of this environment stay unread.
    (site_packages / "_preinstalled.pth").write_text(f"{preinstalled}\n")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "CONDA"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        COURSE_WHEEL=str(wheel),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheel.parent),
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    work = tmp / "work"  # the notebook's folder: not the repository, so `course` is not on its path
    work.mkdir()
    kernels = tmp / "kernels"
    (kernels / "colab").mkdir(parents=True)
    (kernels / "colab" / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Colab-like",
                "language": "python",
            }
        )
    )
    return {"python": python, "site": site_packages, "env": env, "work": work, "kernels": kernels, "wheel": wheel}


def _freeze(colab) -> list[str]:
    return _run([colab["python"], "-m", "pip", "freeze"], colab["env"], colab["work"]).stdout.splitlines()


def _torch_line(freeze: list[str]) -> str:
    (line,) = [x for x in freeze if re.match(r"torch(==| @ )", x)]
    return line


def _snapshot(site: Path) -> dict[str, int]:
    """Every file of the venv's site-packages with its mtime (bytecode caches aside)."""
    return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in site.rglob("*") if "__pycache__" not in p.parts}


def _execute(nb, colab):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    km = AsyncKernelManager(
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(colab["kernels"])]), kernel_name="colab"
    )
    NotebookClient(
        nb, km=km, timeout=180, allow_errors=True, resources={"metadata": {"path": str(colab["work"])}}
    ).execute(env=colab["env"])
    return nb


def _release_problems(nb) -> list[str]:
    """Errors a blank release should not show (scripts/check_device.py decides), stderr included."""
    spec = importlib.util.spec_from_file_location("check_device", ROOT / "scripts" / "check_device.py")
    check_device = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_device)
    return check_device._problems(nb, release=True)


def _bootstrap_text(nb) -> str:
    cell = next(c for c in nb.cells if BOOTSTRAP_TAG in c.metadata.get("tags", []))
    assert all(o.output_type == "stream" for o in cell.outputs), cell.outputs
    return "".join(o.text for o in cell.outputs)


def _import_course(colab) -> subprocess.CompletedProcess:
    code = (
        "import course, importlib.metadata as m; d = m.distribution('pytorch-course'); "
        "print(course.__file__); print(course.__version__); print(d.read_text('direct_url.json'))"
    )
    return _run([colab["python"], "-c", code], colab["env"], colab["work"], check=False)


@pytest.mark.kernel
@pytest.mark.skipif(os.name == "nt", reason="venv/bin and symlinks: POSIX, like Colab")
def test_bootstrap_installs_course_offline_and_leaves_torch_alone(colab):
    before = _import_course(colab)
    assert before.returncode and "No module named 'course'" in before.stderr, before
    freeze_before = _freeze(colab)
    assert _torch_line(freeze_before) and not any(x.lower().startswith("pytorch-course") for x in freeze_before)

    nb = _execute(nbformat.read(NOTEBOOK, as_version=4), colab)
    assert not _release_problems(nb), "\n\n".join(_release_problems(nb))
    setup = SETUP_LINE.search(_bootstrap_text(nb))
    assert setup, _bootstrap_text(nb)
    import torch

    assert setup.group(1, 2, 4) == (platform.python_version(), torch.__version__, __version__)

    after = _import_course(colab)
    assert after.returncode == 0, after.stderr
    course_file, version, direct_url = after.stdout.split("\n", 2)
    assert Path(course_file).resolve().is_relative_to(colab["site"].resolve()), course_file
    assert version == __version__
    assert json.loads(direct_url)["url"] == colab["wheel"].as_uri(), "installed from the COURSE_WHEEL wheel"
    freeze_after = _freeze(colab)
    assert _torch_line(freeze_after) == _torch_line(freeze_before)
    added = set(freeze_after) - set(freeze_before)
    assert set(freeze_before) <= set(freeze_after) and len(added) == 1 and added.pop().startswith("pytorch-course"), (
        "the bootstrap installed or changed something besides the course"
    )

    # Run again (a new session): `course` is found, pip does not run, nothing changes.
    site_before = _snapshot(colab["site"])
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells = [c for c in nb.cells if BOOTSTRAP_TAG in c.metadata.get("tags", [])]
    text = _bootstrap_text(_execute(nb, colab))
    assert SETUP_LINE.fullmatch(text.strip()), f"the second run printed more than the setup line:\n{text}"
    assert _snapshot(colab["site"]) == site_before
    assert _freeze(colab) == freeze_after


BADGE_URL = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\((?P<url>[^)\s]+)\)")
COLAB_FORM = re.compile(
    r"https://colab\.research\.google\.com/github/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)"
    r"/blob/(?P<branch>[\w./-]+?)/(?P<path>notebooks/[\w.-]+\.ipynb)"
)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_colab_badge_opens_this_notebook_in_the_repository(path):
    cells = nbformat.read(path, as_version=4).cells
    urls = [m["url"] for c in cells if c.cell_type == "markdown" for m in BADGE_URL.finditer(c.source)]
    assert urls == [colab_url(f"notebooks/{path.name}")], f"{path.name}: one badge, for this notebook; got {urls}"
    form = COLAB_FORM.fullmatch(urls[0])
    assert form, urls[0]
    assert f"https://github.com/{form['owner']}/{form['repo']}" == REPOSITORY and form["branch"] == BRANCH
    assert form["path"] == f"notebooks/{path.name}" and (ROOT / form["path"]).is_file()
