"""The reference server as a managed target (impl `reference`), started as `python -m reference`.

Never imported (contract B/C): the suite must treat the reference like any other server. The launcher
writes the same Orthanc-format configuration as for real Orthanc (free loopback ports filled in, no
plugin), starts `sys.executable -m reference CONFIG --ready-file PATH --storage DIR` in its own process
group, waits for the ready file (written atomically once every listener answers), takes the ports from
it, then applies the same readiness checks as for Orthanc (`GET /system`, C-ECHO on every listener).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from conformance.launchers.config import build_config
from conformance.launchers.ports import bind_spec_ports
from conformance.launchers.process import ManagedProcess
from conformance.launchers.readiness import ReadinessError, spec_listeners, wait_ready
from conformance.launchers.running import LaunchError, RunningTarget, write_json_atomically
from conformance.launchers.spec import TargetSpec, check_spec

IMPLEMENTATION = "mtdicom-reference"
DEFAULT_DEADLINE_S = 60.0
_FILE_POLL_S = 0.05


def reference_command(config_path: Path, ready_file: Path, storage: Path) -> list[str]:
    return [sys.executable, "-m", "reference", str(config_path), "--ready-file", str(ready_file),
            "--storage", str(storage)]


def start_reference(spec: TargetSpec, workdir: Path, deadline_s: float = DEFAULT_DEADLINE_S) -> RunningTarget:
    check_spec(spec)
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    bound = bind_spec_ports(spec)
    storage = workdir / "storage"
    storage.mkdir(exist_ok=True)
    config = build_config(bound, storage, plugin_path=None)
    config_path = workdir / "reference.json"
    write_json_atomically(config_path, config)
    ready_file = workdir / "ready.json"
    ready_file.unlink(missing_ok=True)
    started = time.monotonic()
    process = ManagedProcess(reference_command(config_path, ready_file, storage), workdir / "reference.log",
                             cwd=workdir)
    try:
        ready = _wait_ready_file(ready_file, time.monotonic() + deadline_s, process)
        bound = bound.with_ports(int(ready["http_port"]), int(ready["dicom_port"]),
                                 [int(ready["tenants"][t.aet]) for t in bound.tenants])
        remaining = max(1.0, deadline_s - (time.monotonic() - started))
        system = wait_ready(f"http://127.0.0.1:{bound.http_port}",
                            spec_listeners(bound.main_aet, bound.dicom_port,
                                           {t.aet: t.port for t in bound.tenants}),
                            remaining, alive=process.alive)
        if system.get("HasLabels") is not True:
            raise LaunchError(f"GET /system says HasLabels={system.get('HasLabels')!r}")
        if system.get("Implementation") != IMPLEMENTATION:
            raise LaunchError(f"GET /system says Implementation={system.get('Implementation')!r}, "
                              f"expected {IMPLEMENTATION!r}: another server answers on that port?")
    except (ReadinessError, LaunchError, KeyError, ValueError, TypeError) as error:
        process.stop()
        reason = error if isinstance(error, LaunchError | ReadinessError) else repr(error)
        raise LaunchError(f"the reference server did not start: {reason}\n"
                          f"--- last lines of {process.log_path} ---\n{process.log_tail()}") from error
    return RunningTarget("reference", bound, config, system, workdir, process.log_path,
                         lambda: _stop(process), process.pid, time.monotonic() - started)


def _wait_ready_file(path: Path, give_up: float, process: ManagedProcess) -> dict[str, Any]:
    while True:
        reason = process.alive()
        if reason is not None:
            raise LaunchError(f"python -m reference {reason}")
        if path.exists():
            ready = json.loads(path.read_text())
            if not isinstance(ready, dict):
                raise LaunchError(f"{path} does not hold a JSON object")
            return ready
        if time.monotonic() >= give_up:
            raise LaunchError(f"no ready file {path} before the deadline")
        time.sleep(_FILE_POLL_S)  # polling for the ready file; bounded by the deadline above


def _stop(process: ManagedProcess) -> None:
    process.stop()
