"""The reference server's command line (contract B): ready file, listener lines, signals, exit codes."""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reference.dicom.status import Status

STARTUP_DEADLINE = 60.0


def wait_ready(ready: Path, process: subprocess.Popen[str], lines: int) -> tuple[dict[str, Any], list[str]]:
    """Read the ``lines`` listener lines the server prints once every listener answers (it writes the
    ready file just before), within a deadline; fails if the server exits first."""
    assert process.stdout is not None
    descriptor = process.stdout.fileno()  # raw reads: a buffered readline would hide lines from select
    buffer = b""
    end = time.monotonic() + STARTUP_DEADLINE
    with selectors.DefaultSelector() as selector:
        selector.register(descriptor, selectors.EVENT_READ)
        while buffer.count(b"\n") < lines:
            remaining = end - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                pytest.fail(f"no ready lines within {STARTUP_DEADLINE} s (got {buffer!r})")
            chunk = os.read(descriptor, 4096)
            if not chunk:
                err = process.stderr.read() if process.stderr else ""
                pytest.fail(f"the server exited ({process.wait()}) before it was ready: {err}")
            buffer += chunk
    received = buffer.decode().splitlines()
    content: dict[str, Any] = json.loads(ready.read_text())
    return content, received


def start_cli(config: dict[str, Any], tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], Path]:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    ready = tmp_path / "ready.json"
    command = [sys.executable, "-m", "reference", str(config_path), "--ready-file", str(ready),
               "--storage", str(tmp_path / "storage"), *extra]
    process = subprocess.Popen(command,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, ready


def port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_ready_file_listeners_and_clean_exit(tmp_path: Path, net: Any, signum: int) -> None:
    config = net.make_config(1, tenants={"HELLO": (["hello"], "All", None), "WORLD": ([], "Any", None)})
    process, ready_path = start_cli(config, tmp_path)
    try:
        ready, lines = wait_ready(ready_path, process, 4)  # REST, main, two tenants
        assert set(ready) == {"pid", "http_port", "dicom_aet", "dicom_port", "tenants"}
        assert ready["pid"] == process.pid and ready["dicom_aet"] == "ORTHANC"
        assert set(ready["tenants"]) == {"HELLO", "WORLD"}
        import requests

        system = requests.get(f"http://127.0.0.1:{ready['http_port']}/system", timeout=10).json()
        assert system["DicomPort"] == ready["dicom_port"]
        from conformance.dimse import DimseClient

        for aet, port in ready["tenants"].items():
            assert DimseClient("127.0.0.1", port, aet).echo().final_status == Status.SUCCESS
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out == ""  # nothing after the listener lines
    assert any(f"HELLO dicom://127.0.0.1:{ready['tenants']['HELLO']}" in line for line in lines)
    ports = [ready["http_port"], ready["dicom_port"], *ready["tenants"].values()]
    assert all(port_is_closed(port) for port in ports)


@pytest.mark.parametrize("mutation, json_path", [
    (lambda c: c["MultitenantDicom"]["Servers"].append({"AET": "X", "Port": 0, "Labels": ["no space"]}),
     "MultitenantDicom.Servers[6].Labels[0]"),
    (lambda c: c["MultitenantDicom"]["Servers"][1].__setitem__("LabelsConstraint", "all"),
     "MultitenantDicom.Servers[1].LabelsConstraint"),
    (lambda c: c["MultitenantDicom"].__setitem__("Servers", {"AET": "X"}), "MultitenantDicom.Servers"),
], ids=["invalid-label", "constraint-case", "servers-not-array"])
def test_bad_config_exits_2_naming_the_path(tmp_path: Path, net: Any, mutation: Any, json_path: str) -> None:
    config = net.make_config(1)
    mutation(config)
    process, ready_path = start_cli(config, tmp_path)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert json_path in err, err
    assert out == "" and not ready_path.exists()


def test_port_in_use_exits_1_and_leaves_nothing_listening(tmp_path: Path, net: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        config = net.make_config(1, tenants={"HELLO": (["hello"], "All", None)})
        config["MultitenantDicom"]["Servers"][0]["Port"] = port
        process, ready_path = start_cli(config, tmp_path)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    assert "MultitenantDicom.Servers[0]" in err and "HELLO" in err
    assert not ready_path.exists()


def test_pid_in_ready_file_is_the_server(tmp_path: Path, net: Any) -> None:
    process, ready_path = start_cli(net.make_config(1, tenants={}), tmp_path, "--log-level", "WARNING")
    try:
        ready, _lines = wait_ready(ready_path, process, 2)
        os.kill(ready["pid"], signal.SIGTERM)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
