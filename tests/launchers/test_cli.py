"""`python -m conformance.launchers`: provision, config, and run (until Ctrl-C)."""

from __future__ import annotations

import contextlib
import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.launchers.__main__ import main
from conformance.launchers.readiness import Listener, echo_status

CLI = [sys.executable, "-m", "conformance.launchers"]


def test_config_prints_the_generated_configuration(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["config", "reference", "--tenants", "A:a", "B:b,c:Any:Study", "--option", "DicomScpTimeout=7"]
    assert main(argv) == 0
    config = json.loads(capsys.readouterr().out)
    servers = config["MultitenantDicom"]["Servers"]
    assert [(s["AET"], s["Labels"], s["LabelsConstraint"]) for s in servers] == [
        ("A", ["a"], "All"), ("B", ["b", "c"], "Any")]
    assert servers[1]["LabelsStoreLevels"] == ["Study"] and config["DicomScpTimeout"] == 7
    assert len({config["HttpPort"], config["DicomPort"], *(s["Port"] for s in servers)}) == 4


def test_errors_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provision", "bookworm"]) == 2
    assert capsys.readouterr().err == "error: unknown suite 'bookworm'; known: trixie, sid\n"
    assert main(["config", "reference", "--tenants", "A:a", "--option", "HttpPort=1"]) == 2


def read_until(process: subprocess.Popen[str], marker: str, deadline_s: float) -> str:
    """Lines printed by `process` until one contains `marker` (a reader thread, a bounded wait)."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    seen = ""
    give_up = time.monotonic() + deadline_s
    while marker not in seen:
        remaining = give_up - time.monotonic()
        assert remaining > 0 and process.poll() is None, f"no {marker!r} in time; got:\n{seen}"
        with contextlib.suppress(queue.Empty):
            seen += lines.get(timeout=remaining)
    return seen


@pytest.mark.orthanc
def test_run_prints_where_orthanc_listens_and_stops_on_ctrl_c(
        tmp_path: Path, processes_mentioning: Callable[[str], list[int]]) -> None:
    argv = [*CLI, "run", "orthanc", "--workdir", str(tmp_path), "--tenants", "A:a", "B:b:Any", "C::None"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        printed = read_until(process, "Ctrl-C to stop.", 120)
        assert re.search(r"^orthanc 1\.12\.\d+ ready in [\d.]+ s", printed, re.MULTILINE)
        tenants = dict(re.findall(r"^  tenant +(\w+) 127\.0\.0\.1:(\d+)$", printed, re.MULTILINE))
        assert set(tenants) == {"A", "B", "C"}
        for aet, port in tenants.items():
            assert echo_status(Listener(aet, int(port))) == 0x0000, aet
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert processes_mentioning(str(tmp_path)) == []
