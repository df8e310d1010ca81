"""An interrupted pytest run leaves no Orthanc process behind (SIGINT, SIGTERM, even SIGKILL).

A child pytest starts real Orthanc through `start_target` and blocks; the parent waits for it to say
Orthanc is ready, signals the child, and then checks that no process mentions the work directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.orthanc

CHILD_TEST = '''
import os, threading
from pathlib import Path
from conformance.launchers import start_target
from conformance.launchers.spec import TargetSpec, TenantSpec

def test_hold_orthanc_until_interrupted():
    workdir = Path(os.environ["MTDICOM_TEST_WORKDIR"])
    spec = TargetSpec(tenants=[TenantSpec("A", ("a",)), TenantSpec("B", ("b",)), TenantSpec("C", ("c",))])
    with start_target(os.environ["MTDICOM_TEST_IMPL"], spec, workdir / "target") as running:
        (workdir / "ready.partial").write_text(str(running.pid))
        (workdir / "ready.partial").rename(workdir / "ready")
        threading.Event().wait(300)
'''


def wait_for(condition_met: object, deadline_s: float, what: str) -> None:
    give_up = time.monotonic() + deadline_s
    while not callable(condition_met) or not condition_met():
        if time.monotonic() > give_up:
            raise AssertionError(f"gave up after {deadline_s} s waiting for {what}")
        time.sleep(0.05)  # polling a condition, bounded by the deadline


@pytest.mark.parametrize(("impl", "signum"), [
    ("orthanc", signal.SIGINT), ("orthanc", signal.SIGTERM), ("orthanc", signal.SIGKILL),
    ("orthanc-postgresql", signal.SIGTERM), ("orthanc-postgresql", signal.SIGKILL),
], ids=lambda value: value.name if isinstance(value, signal.Signals) else value)
def test_interrupted_pytest_leaves_no_orthanc(impl: str, signum: signal.Signals, tmp_path: Path,
        processes_mentioning: Callable[[str], list[int]]) -> None:
    (tmp_path / "test_child.py").write_text(CHILD_TEST)
    env = {**os.environ, "MTDICOM_TEST_WORKDIR": str(tmp_path), "MTDICOM_TEST_IMPL": impl}
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_child.py"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: (tmp_path / "ready").exists() or child.poll() is not None, 120,
                 "Orthanc in the child")
        assert child.poll() is None, child.communicate()[0].decode(errors="replace")
        orthanc_pid = int((tmp_path / "ready").read_text())
        assert orthanc_pid in processes_mentioning(str(tmp_path))
        # PostgreSQL, when there is one, may run from a directory linked from the work directory.
        places = [str(tmp_path), str((tmp_path / "target" / "postgres").resolve())]
        if impl == "orthanc-postgresql":
            assert processes_mentioning(places[1]), "no PostgreSQL process found"
        child.send_signal(signum)
        output = child.communicate(timeout=60)[0].decode(errors="replace")
        # SIGKILL gives the child no chance: the kernel's parent-death signal stops the servers by itself.
        wait_for(lambda: not any(processes_mentioning(place) for place in places), 30,
                 f"the servers to go after {signum.name}")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert [pid for place in places for pid in processes_mentioning(place)] == [], output
    if impl == "orthanc-postgresql":
        if signum == signal.SIGKILL:  # nobody was left to remove PostgreSQL's directory
            shutil.rmtree(places[1], ignore_errors=True)
        else:
            assert not Path(places[1]).exists(), "PostgreSQL's directory was not removed"
    if signum == signal.SIGINT:
        assert "KeyboardInterrupt" in output
    else:
        assert child.returncode == -signum
