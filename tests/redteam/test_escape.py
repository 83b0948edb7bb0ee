"""Class 10: reaching out of the sandbox (the network, local services, the host's scratch space).

The attacks are in the catalogue (``attacks.py``) and graded in the red team's one engine
run; ``redteam_support.host_side`` opened, on the grader's host, a TCP listener on
127.0.0.1, a Unix socket in /run and a world-readable marker file in /tmp, and watched the
host's /tmp, /var/tmp and /dev/shm during grading. Here: what each attack printed (its
answer cell's outputs) and what the host saw. ``test_attacks.py`` checks, like every
attack's, that the attacked exercise earns zero and the honest ones keep their marks.
"""

from __future__ import annotations

import ast
import json
import os

import pytest

from engine_support import ASSIGNMENT
from redteam_support import FILL_MB


def _defended() -> bool:
    from autograder.engine import jail

    return os.geteuid() == 0 and all(jail.probe().values())


pytestmark = pytest.mark.skipif(
    not _defended(),
    reason="the sandbox gets its namespaces only from a root grader with CAP_SYS_ADMIN (docs/grader-defences.md)",
)
EXPECTED = {"nb90-ex1": 1.0, "nb90-ex2": 0.0, "nb90-ex3": 1.0}


def _printed(graded, student: str) -> list[str]:
    nb = json.loads((graded["root"] / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "nb90-ex2-answer")
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if isinstance(o.get("text"), str)).splitlines()


def _scores(graded, student: str) -> dict:
    return {g: v.score for g, v in graded["rows"][student].cells.items()}


def test_the_hosts_loopback_and_unix_sockets_are_out_of_reach(graded):
    host = graded["host"]
    lines = _printed(graded, "c10_host_loopback")
    net = [ln for ln in lines if ln.startswith("NET ")]
    assert len(net) == 2 and all(ln.startswith("NET failed") for ln in net), lines
    # refused by the sandbox's own loopback (nothing listens there), or no route (its loopback down)
    assert all(ln.endswith(("ConnectionRefusedError 111", "OSError 101")) for ln in net), net
    if host["unix"]:  # /run is an empty tmpfs in the sandbox
        assert "UNIX failed FileNotFoundError 2" in lines, lines
    assert host["connections"] == [], host["connections"]  # nothing ever reached the listeners
    assert _scores(graded, "c10_host_loopback") == EXPECTED


def test_no_name_resolves_and_no_address_outside_is_reachable(graded):
    lines = _printed(graded, "c10_outside_exec")
    assert [ln for ln in lines if ln.startswith("DNS failed")] and not [
        ln for ln in lines if ln.startswith("DNS resolved")
    ]
    net = [ln for ln in lines if ln.startswith("NET ")]
    assert len(net) == 3 and all(ln.startswith("NET failed") for ln in net), lines
    assert "NET failed 1.1.1.1 OSError 101" in lines, lines  # ENETUNREACH: no route at all
    assert _scores(graded, "c10_outside_exec") == EXPECTED


@pytest.mark.parametrize("student", ["c10_fill_tmp", "c10_fill_shm_importlib"])
def test_filling_scratch_stops_at_its_size_and_never_reaches_the_host(graded, student):
    from autograder.engine.limits import Limits

    lines = _printed(graded, student)
    fill = [ln for ln in lines if ln.startswith("FILL ")]
    assert len(fill) == 1 and fill[0].startswith("FILL stopped ENOSPC after "), lines
    written = int(fill[0].split()[4])
    # the sandbox's own tmpfs, shared with its work dir (os.write's last, short write counts as 1 MB)
    assert written <= Limits().scratch_mb + 1 < FILL_MB, fill
    host = graded["host"]
    assert host["fill_seen"] == [] and not [n for n in host["tmp_after"] if n.startswith("redteam-fill")]
    # the host's /tmp never lost the space (whatever else wrote there while grading: far less than one fill)
    assert host["free_before"] - host["free_min"] < (FILL_MB - 64) << 20, host
    assert _scores(graded, student) == EXPECTED  # the honest exercises ran after it, with the scratch full


def test_the_hosts_tmp_is_not_the_sandboxs(graded):
    host = graded["host"]
    lines = _printed(graded, "c10_host_tmp_pathlib")
    listing = next(ln for ln in lines if ln.startswith("TMP holds "))
    names = ast.literal_eval(listing[len("TMP holds ") :])
    assert os.path.basename(host["marker"]) not in names
    # the jobs' folder (0711: it cannot list the other jobs) and, for a checkout in /tmp, the course carried in
    from autograder.engine import jail
    from autograder.engine.worker import JOBS_DIR

    carried = {os.path.relpath(n, "/tmp").split(os.sep)[0] for n in jail._needed_paths() if jail._under(n, "/tmp")}
    assert os.path.basename(JOBS_DIR) in names and set(names) <= {os.path.basename(JOBS_DIR), *carried}, names
    assert "TMP denied FileNotFoundError" in lines, lines
    assert _scores(graded, "c10_host_tmp_pathlib") == EXPECTED
