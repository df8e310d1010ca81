"""Starting a managed implementation with a hand-written configuration, to see whether it refuses it.

Strategy: a valid configuration is built the way the launchers build one (free loopback ports, one
tenant), a test corrupts one key, and :func:`try_start` runs the implementation's own command on it
in a fresh process group. The outcome is decided by a real answer, never by a sleep: either the
process exits (refused: its exit code and output are kept) or ``GET /system`` answers (started: it
is stopped at once). Both real Orthanc and the reference check the tenants before serving HTTP, so an
HTTP answer means the configuration was accepted. The deadline only bounds a server that does neither.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from conformance.launchers.config import build_config
from conformance.launchers.ports import free_ports
from conformance.launchers.spec import TargetSpec, TenantSpec

STARTABLE_IMPLS = ("reference", "orthanc", "orthanc-1.13")
_NATIVE_SUITES = {"orthanc": "trixie", "orthanc-1.13": "sid"}


@dataclass(frozen=True)
class StartOutcome:
    """What the implementation did with the configuration."""

    started: bool  # it served GET /system
    exit_code: int | None  # None while it ran (it was then stopped by us)
    output: str

    def describe(self) -> str:
        tail = "\n".join(self.output.strip().splitlines()[-6:])
        return ("it started (GET /system answered)" if self.started
                else f"it exited with code {self.exit_code}") + f"; last output:\n{tail}"


@dataclass(frozen=True)
class Launch:
    """How to run one implementation on a configuration file."""

    argv_prefix: tuple[str, ...]
    argv_suffix: tuple[str, ...]
    env: dict[str, str] | None
    plugin_path: str | None


def launch_for(impl: str, workdir: Path) -> Launch:
    """The command of a managed implementation (``reference`` or a native Orthanc tree)."""
    if impl == "reference":
        from conformance.launchers.reference import reference_command

        argv = reference_command(Path("CONFIG"), workdir / "ready.json", workdir / "storage")
        index = argv.index("CONFIG")
        return Launch(tuple(argv[:index]), tuple(argv[index + 1:]), None, None)
    if impl in _NATIVE_SUITES:
        from conformance.launchers.orthanc_tree import provision

        tree = provision(_NATIVE_SUITES[impl]).tree
        argv = tree.command(Path("CONFIG"))
        index = argv.index("CONFIG")
        return Launch(tuple(argv[:index]), tuple(argv[index + 1:]), tree.environment(), str(tree.plugin_path))
    raise ValueError(f"cannot start {impl!r} with a raw configuration (known: {', '.join(STARTABLE_IMPLS)})")


def valid_config(launch: Launch, workdir: Path) -> dict[str, Any]:
    """A configuration that starts: main server, REST, one tenant ``CFGTEST`` with label ``c``."""
    http, dicom, tenant_port = free_ports(3)
    spec = TargetSpec(main_aet="ORTHANC", tenants=(TenantSpec("CFGTEST", ("c",), "All", None, tenant_port),),
                      http_port=http, dicom_port=dicom)
    storage = workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    return build_config(spec, storage, launch.plugin_path)


def try_start(launch: Launch, config: dict[str, Any], workdir: Path,
              deadline_s: float = 60.0) -> StartOutcome:
    """Run the implementation on ``config`` until it exits or answers ``GET /system``."""
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(config, indent=2))
    log_path = workdir / "output.log"
    url = f"http://127.0.0.1:{config['HttpPort']}/system"
    with log_path.open("wb") as log:
        process = subprocess.Popen([*launch.argv_prefix, str(config_path), *launch.argv_suffix],
                                   stdout=log, stderr=subprocess.STDOUT, env=launch.env,
                                   start_new_session=True, cwd=workdir)
        started = False
        exit_code: int | None = None
        try:
            give_up = time.monotonic() + deadline_s
            while time.monotonic() < give_up:
                try:
                    exit_code = process.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    pass
                with contextlib.suppress(requests.RequestException):
                    if requests.get(url, timeout=2).status_code == 200:
                        started = True
                        break
        finally:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=20)
    return StartOutcome(started, exit_code, log_path.read_text(errors="replace"))
