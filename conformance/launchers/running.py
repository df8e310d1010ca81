"""The handle on a started target that the suite uses (contract C), whatever launched it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from conformance.launchers.spec import TargetSpec


class LaunchError(RuntimeError):
    """A managed target could not be started; the message carries the reason and the server's log tail."""


def write_json_atomically(path: Path, data: Any) -> None:
    """Write `data` as JSON so that a reader sees the whole file or none of it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)


class RunningTarget:
    """A started target: where it listens, what it runs, and `stop()` (also on leaving a `with`)."""

    def __init__(self, impl: str, spec: TargetSpec, config: dict[str, Any], system: dict[str, Any],
                 workdir: Path, log_path: Path, stop: Callable[[], None], pid: int | None = None,
                 startup_seconds: float = 0.0) -> None:
        self.impl = impl
        self.spec = spec  # fully bound: every port filled in
        self.config = config
        self.system = system
        self.workdir = workdir
        self.log_path = log_path
        self.pid = pid
        self.startup_seconds = startup_seconds
        self._stop = stop
        self._stopped = False

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.spec.http_port}"

    @property
    def dicom_aet(self) -> str:
        return self.spec.main_aet

    @property
    def dicom_port(self) -> int:
        return self.spec.dicom_port

    @property
    def tenant_ports(self) -> dict[str, int]:
        return {tenant.aet: tenant.port for tenant in self.spec.tenants}

    @property
    def version(self) -> str:
        return str(self.system.get("Version", ""))

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._stop()

    def __enter__(self) -> RunningTarget:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return (f"RunningTarget({self.impl} {self.version} at {self.http_url}, DICOM {self.dicom_aet}:"
                f"{self.dicom_port}, tenants {self.tenant_ports})")
