"""ManagedProcess: its own process group, stopped whole (children too), SIGKILL after the grace period."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conformance.launchers.process import REAPER, ManagedProcess

Scan = Callable[[str], list[int]]

PARENT_AND_CHILD = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', sys.argv[1]])\n"
    "print('up', flush=True)\n"
    "time.sleep(300)\n"
)
IGNORES_SIGTERM = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('up', flush=True)\n"
    "time.sleep(300)\n"
)


def wait_until(condition: Callable[[], bool], deadline_s: float = 30.0) -> None:
    give_up = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < give_up, "condition not met before the deadline"
        time.sleep(0.02)  # polling a condition, bounded by the deadline


def test_stop_ends_the_whole_group(tmp_path: Path, processes_mentioning: Scan) -> None:
    marker = str(tmp_path / "marker")
    process = ManagedProcess([sys.executable, "-c", PARENT_AND_CHILD, marker], tmp_path / "log.txt")
    assert process in REAPER.running()
    wait_until(lambda: len(processes_mentioning(marker)) == 2 and "up" in process.log_path.read_text())
    assert process.alive() is None
    assert process.stop() == -signal.SIGTERM
    assert processes_mentioning(marker) == []
    assert process not in REAPER.running()
    assert process.stop() == -signal.SIGTERM  # idempotent


def test_a_process_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    process = ManagedProcess([sys.executable, "-c", IGNORES_SIGTERM], tmp_path / "log.txt")
    wait_until(lambda: "up" in process.log_path.read_text())
    assert process.stop(grace_s=0.5) == -signal.SIGKILL


def test_alive_reports_how_it_ended_and_the_log_keeps_its_output(tmp_path: Path) -> None:
    process = ManagedProcess([sys.executable, "-c", "import sys; print('bye'); sys.exit(3)"],
                             tmp_path / "sub" / "log.txt")
    wait_until(lambda: process.alive() is not None)
    assert process.alive() == f"exited with code 3 (see {tmp_path / 'sub' / 'log.txt'})"
    assert process.log_tail() == "bye"
    process.stop()
