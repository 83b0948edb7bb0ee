"""The sandbox's namespaces, without an engine run: ``jail.isolate`` in a forked child.

As root, a sandbox gets its own network namespace (only its own loopback: no route out,
and the host's 127.0.0.1 is another namespace's), an empty /run (no local service's Unix
socket), and one private tmpfs of ``scratch_mb`` behind /tmp, /var/tmp, /dev/shm and its
working directory, which keeps its path and its files. Without the privilege for it, the
sandbox works as before and says that the defence is off. The same defences, seen from a
graded submission, are in ``tests/redteam`` (class 10).
"""

from __future__ import annotations

import encodings.idna  # noqa: F401 - the child runs as a uid that may not read the Python installation
import errno
import json
import os
import socket
import tempfile
import traceback
import uuid

import pytest

from autograder.engine import jail

UID = 62000 + 255  # worker.UID_BASE + the last slot: no zygote of these tests uses it


def _in_child(work: str, check, isolate=True, scratch_mb: int = 4) -> dict:
    """Fork; the child isolates itself (as a sandbox does), drops to ``UID``, runs ``check``; its dict back."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            out = {"defences": jail.isolate(work, scratch_mb) if isolate else None}
            os.chdir(work)
            os.setgroups([])
            os.setgid(UID)
            os.setuid(UID)
            out.update(check())
        except BaseException:
            out = {"error": traceback.format_exc()}
        finally:
            os.write(w, json.dumps(out).encode())
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    out = json.loads(data)
    assert "error" not in out, out["error"]
    return out


@pytest.fixture
def job():
    """A job folder as the worker makes it: /tmp/ag-job-*/work (0700, the sandbox's) holding the notebook."""
    job_dir = tempfile.mkdtemp(prefix="ag-job-test-", dir="/tmp")
    os.chmod(job_dir, 0o711)
    work = os.path.join(job_dir, "work")
    os.mkdir(work, 0o700)
    with open(os.path.join(work, "nb.ipynb"), "wb") as f:
        f.write(b"{}" * 3000)
    os.chown(os.path.join(work, "nb.ipynb"), UID, UID)
    os.chown(work, UID, UID)
    yield job_dir, work
    import shutil

    shutil.rmtree(job_dir, ignore_errors=True)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and the uid drop need a root grader")


def _carried(place: str) -> list[str]:
    """The folders below ``place`` that hold what the sandbox imports (a checkout or a venv there)."""
    return sorted(
        {
            os.path.relpath(n, place).split(os.sep)[0]
            for n in jail._needed_paths()
            if jail._under(n, os.path.realpath(place)) and n != os.path.realpath(place)
        }
    )


def _privileged() -> bool:
    return os.geteuid() == 0 and jail.probe()["mounts"]


def _seen_inside(port: int, unix_path: str, token: str) -> dict:
    """What a sandbox sees: its folders, the host's listeners and the outside, its scratch filled up."""
    out = {
        "tmp": sorted(os.listdir("/tmp")),
        "cwd": sorted(os.listdir(".")),
        "getcwd": os.getcwd(),
        "nb": open("nb.ipynb", "rb").read() == b"{}" * 3000,
        "run": sorted(os.listdir("/run")),
    }
    out.update(_reach(port, unix_path))
    with socket.socket() as srv:  # the namespace's own loopback works
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        socket.create_connection(srv.getsockname(), timeout=2).close()
    out.update(
        _fill_scratch(token),
        shm=sorted(os.listdir("/dev/shm"))[:2],
        modes=[oct(os.stat(p).st_mode & 0o7777) for p in ("/tmp", "/var/tmp", "/dev/shm")],
    )
    return out


def _reach(port: int, unix_path: str) -> dict:
    """How connecting to the host's TCP port, to the outside and to the host's Unix socket ends."""
    out = {}
    for name, target in (("host", ("127.0.0.1", port)), ("outside", ("1.1.1.1", 80))):
        try:
            socket.create_connection(target, timeout=2).close()
            out[name] = "connected"
        except OSError as e:
            out[name] = errno.errorcode.get(e.errno, str(e))
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(unix_path)
        out["unix"] = "connected"
    except OSError as e:
        out["unix"] = errno.errorcode.get(e.errno, str(e))
    return out


def _fill_scratch(token: str) -> dict:
    """Write 64 KiB at a time into /tmp, /var/tmp, /dev/shm and the work dir until it fails:
    how much was written and the error it ended with."""
    written, err = 0, None
    try:
        for n, where in enumerate(["/tmp", "/var/tmp", "/dev/shm", "."] * 8):
            with open(f"{where}/fill-{token}-{n}", "wb") as f:
                for _ in range(8):
                    f.write(b"x" * (1 << 16))
                    f.flush()
                    written += 1 << 16
    except OSError as e:
        err = errno.errorcode.get(e.errno)
    return {"written": written, "err": err}


@needs_root
def test_isolated_sandbox_has_private_bounded_scratch_and_no_network(job):
    if not _privileged():
        pytest.skip("no CAP_SYS_ADMIN here: the engine runs without namespaces (tested below)")
    job_dir, work = job
    token = uuid.uuid4().hex[:8]
    marker = f"/tmp/host-marker-{uuid.uuid4().hex}"
    with open(marker, "w") as f:
        f.write("host")
    os.chmod(marker, 0o644)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    unix_path = f"/run/redteam-{uuid.uuid4().hex[:8]}.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(unix_path)
    os.chmod(unix_path, 0o777)
    unix.listen(8)
    unix.setblocking(False)

    try:
        before = os.statvfs("/tmp")
        out = _in_child(work, lambda: _seen_inside(port, unix_path, token))
        after = os.statvfs("/tmp")
        conns = []
        for s in (listener, unix):
            try:
                conns.append(s.accept())
            except BlockingIOError:
                pass
        assert not conns, conns
    finally:
        listener.close()
        unix.close()
        os.unlink(unix_path)
        os.unlink(marker)
        on_host = [
            f"{d}/{n}" for d in ("/tmp", "/var/tmp", "/dev/shm") for n in os.listdir(d) if n.startswith(f"fill-{token}")
        ]
        for path in on_host:  # only where scratch failed: the test must not leave them behind
            os.unlink(path)
    assert out["defences"] == {"mounts": True, "hidden": True, "network": True, "sockets": True, "scratch": True}
    # not the host's marker, not other jobs; only the job and, for a checkout in /tmp, the course carried in
    assert out["tmp"] == sorted([os.path.basename(job_dir), *_carried("/tmp")]), out["tmp"]
    assert out["cwd"] == ["nb.ipynb"] and out["nb"] and out["getcwd"] == work
    assert out["run"] == []
    assert out["host"] in ("ECONNREFUSED", "ENETUNREACH") and out["outside"] == "ENETUNREACH", out
    assert out["unix"] == "ENOENT"
    # 4 MB for /tmp, /var/tmp, /dev/shm and the work dir together, then ENOSPC
    assert out["err"] == "ENOSPC" and 3 << 20 <= out["written"] <= 4 << 20, out
    assert out["modes"] == ["0o1777"] * 3
    # nothing of it on the host; the work dir as the worker left it
    assert not on_host, on_host
    assert sorted(os.listdir(work)) == ["nb.ipynb"]
    assert abs(after.f_bfree - before.f_bfree) * before.f_frsize < 2 << 20


@needs_root
def test_work_dir_outside_the_scratch_places_is_bounded_too(tmp_path):
    if not _privileged():
        pytest.skip("no CAP_SYS_ADMIN here")
    root = "/var/lib" if os.access("/var/lib", os.W_OK) else str(tmp_path)
    job_dir = tempfile.mkdtemp(prefix="ag-job-test-", dir=root)
    try:
        os.chmod(job_dir, 0o711)
        work = os.path.join(job_dir, "work")
        os.mkdir(work, 0o700)
        os.chown(work, UID, UID)
        if any(jail._under(os.path.realpath(work), os.path.realpath(p)) for p in jail.SCRATCH_DIRS):
            pytest.skip("no folder outside the scratch places to try")

        def check() -> dict:
            try:
                with open("big", "wb") as f:
                    for _ in range(64):
                        f.write(b"x" * (1 << 16))
                        f.flush()
                return {"err": None}
            except OSError as e:
                return {"err": errno.errorcode.get(e.errno), "listing": sorted(os.listdir("."))}

        out = _in_child(work, check, scratch_mb=1)
        assert out["defences"]["scratch"] and out["err"] == "ENOSPC" and out["listing"] == ["big"]
        assert os.listdir(work) == []  # the host's folder was never written
    finally:
        import shutil

        shutil.rmtree(job_dir, ignore_errors=True)


@needs_root
def test_a_checkout_in_a_scratch_place_is_carried_into_the_private_one(job, monkeypatch):
    """A checkout or a virtual environment in /var/tmp: the sandbox's /var/tmp is private and
    holds that folder alone, bound from the host's; what else the host keeps there is not seen."""
    if not _privileged():
        pytest.skip("no CAP_SYS_ADMIN here")
    job_dir, work = job
    token = uuid.uuid4().hex[:8]
    checkout, probe = f"/var/tmp/a-checkout-{token}", f"/var/tmp/redteam-probe-{token}"
    os.makedirs(f"{checkout}/lib")
    with open(f"{checkout}/lib/module.py", "w") as f:
        f.write("VALUE = 1\n")
    open(probe, "w").close()
    monkeypatch.setattr(jail, "_needed_paths", lambda: [f"{checkout}/lib"])
    try:
        out = _in_child(
            work,
            lambda: {
                "var_tmp": sorted(os.listdir("/var/tmp")),
                "tmp": sorted(os.listdir("/tmp")),
                "module": open(f"{checkout}/lib/module.py").read(),
            },
        )
    finally:
        import shutil

        shutil.rmtree(checkout)
        os.unlink(probe)
    assert out["defences"]["scratch"] is True and out["defences"]["network"]
    assert out["var_tmp"] == [os.path.basename(checkout)] and out["module"] == "VALUE = 1\n"
    assert out["tmp"] == [os.path.basename(job_dir)]


@needs_root
def test_two_checkouts_side_by_side_in_tmp_the_other_ones_solutions_stay_out(job, monkeypatch):
    """The grading checkout and another one in one shared folder under /tmp (/tmp/X/a and
    /tmp/X/b): the sandbox imports from a, so a (and only a) is carried into its private
    /tmp; b, with its solutions, is not there at all, and /tmp/X holds nothing else."""
    if not _privileged():
        pytest.skip("no CAP_SYS_ADMIN here")
    job_dir, work = job
    shared = f"/tmp/redteam-pair-{uuid.uuid4().hex[:8]}"
    for checkout in ("a", "b"):
        os.makedirs(f"{shared}/{checkout}/lib")
        os.makedirs(f"{shared}/{checkout}/solutions")
        with open(f"{shared}/{checkout}/lib/module.py", "w") as f:
            f.write("VALUE = 1\n")
        with open(f"{shared}/{checkout}/solutions/01_tensors.ipynb", "w") as f:
            f.write("the hidden tests of checkout " + checkout)
    monkeypatch.syspath_prepend(f"{shared}/a/lib")  # what the zygote imports from: checkout a
    monkeypatch.syspath_prepend(f"{shared}/a/missing.zip")  # sys.path may name what is not there

    def look() -> dict:
        def read(path):
            try:
                with open(path) as f:
                    return f.read()
            except OSError as exc:
                return errno.errorcode[exc.errno]

        return {
            "shared": sorted(os.listdir(shared)),
            "module": read(f"{shared}/a/lib/module.py"),
            "other": read(f"{shared}/b/solutions/01_tensors.ipynb"),
            "tmp": sorted(os.listdir("/tmp")),
        }

    try:
        out = _in_child(work, look)
    finally:
        import shutil

        shutil.rmtree(shared)
    assert out["defences"]["scratch"] is True
    assert out["module"] == "VALUE = 1\n" and out["other"] == "ENOENT", out
    assert out["shared"] == ["a"], out
    assert out["tmp"] == sorted([os.path.basename(job_dir), *_carried("/tmp")]), out  # the pair's folder among them


@needs_root
def test_a_scratch_place_that_is_itself_needed_stays_the_hosts(job, monkeypatch):
    """sys.path naming /var/tmp itself: that place is left alone (scratch reported off), the others are private."""
    if not _privileged():
        pytest.skip("no CAP_SYS_ADMIN here")
    job_dir, work = job
    monkeypatch.setattr(jail, "_needed_paths", lambda: ["/var/tmp"])
    probe = f"redteam-probe-{uuid.uuid4().hex[:8]}"
    open(f"/var/tmp/{probe}", "w").close()
    try:
        out = _in_child(
            work,
            lambda: {
                "var_tmp": probe in os.listdir("/var/tmp"),
                "tmp": sorted(os.listdir("/tmp")),
                "cwd": sorted(os.listdir(".")),
            },
        )
    finally:
        os.unlink(f"/var/tmp/{probe}")
    assert out["defences"]["scratch"] is False and out["defences"]["network"]
    assert out["var_tmp"] and out["tmp"] == [os.path.basename(job_dir)] and out["cwd"] == ["nb.ipynb"]


@needs_root
def test_without_the_privilege_the_sandbox_works_and_says_so(job, monkeypatch):
    """As in an unprivileged container: unshare fails; nothing is mounted, the work dir is the worker's."""
    job_dir, work = job

    class NoNamespaces:
        def __init__(self, real):
            self.real = real

        def unshare(self, flags):
            return -1

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(jail, "_LIBC", NoNamespaces(jail._libc()))

    def check() -> dict:
        with open("written-here", "w") as f:
            f.write("x")
        return {"tmp_has_job": os.path.basename(job_dir) in os.listdir("/tmp"), "cwd": sorted(os.listdir("."))}

    out = _in_child(work, check)
    assert out["defences"] == dict.fromkeys(jail.DEFENCES, False)
    assert out["tmp_has_job"] and out["cwd"] == ["nb.ipynb", "written-here"]
    assert sorted(os.listdir(work)) == ["nb.ipynb", "written-here"]


def test_probe_reports_every_defence():
    got = jail.probe()
    assert set(got) == set(jail.DEFENCES) and all(isinstance(v, bool) for v in got.values())
    if os.geteuid() != 0:
        assert not any(got.values())
