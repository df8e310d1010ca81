"""Real Orthanc in Docker (impl `orthanc-docker`): the same Debian package, run by `docker compose`.

Strategy: generate the same configuration as the native route, with container paths for the storage
and the plugin, write it to the work directory, and `docker compose up -d --build` the service of
`docker/orthanc/docker-compose.yml` under a unique project name with the config and storage mounted
(variables documented in docker/orthanc/README.md). The service uses host networking, so the free
loopback ports chosen here are the ones Orthanc listens on. Readiness is the same as for every target;
"alive" asks Docker whether the container still runs. Stopping saves `docker compose logs` to
`<workdir>/orthanc.log` and runs `docker compose down -v`; a `DockerService` is registered with the same
reaper as native processes (exit and SIGTERM cleanup).
Nothing here runs Docker at import time; `compose_invocation` is pure and unit-tested.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.launchers.config import build_config
from conformance.launchers.orthanc_tree import PLUGIN_RELPATH, SUITE_SERIES
from conformance.launchers.ports import bind_spec_ports
from conformance.launchers.process import DEFAULT_GRACE_S, REAPER
from conformance.launchers.readiness import ReadinessError, spec_listeners, wait_ready
from conformance.launchers.running import LaunchError, RunningTarget, write_json_atomically
from conformance.launchers.spec import TargetSpec, check_spec

DEFAULT_DEADLINE_S = 600.0  # the first run builds the image
CONTAINER_CONFIG = "/etc/orthanc-mtdicom/orthanc.json"
CONTAINER_STORAGE = "/var/lib/orthanc-mtdicom"
CONTAINER_PLUGIN = "/" + PLUGIN_RELPATH
SERVICE = "orthanc"


def compose_file() -> Path:
    """docker/orthanc/docker-compose.yml of this checkout (the project is installed editable)."""
    path = Path(__file__).resolve().parents[2] / "docker" / "orthanc" / "docker-compose.yml"
    if not path.exists():
        raise LaunchError(f"{path} not found: the Docker route needs the project's source checkout")
    return path


def compose_program() -> list[str]:
    """`docker compose` if the plugin is there, else `docker-compose`; LaunchError if neither works."""
    if shutil.which("docker") and _succeeds(["docker", "compose", "version"]):
        return ["docker", "compose"]
    if shutil.which("docker-compose") and _succeeds(["docker-compose", "version"]):
        return ["docker-compose"]
    raise LaunchError("neither `docker compose` (the Compose plugin) nor `docker-compose` is installed")


def require_engine() -> None:
    if shutil.which("docker") is None:
        raise LaunchError("impl orthanc-docker needs Docker: the `docker` command is not installed")
    info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                          text=True, check=False)
    if info.returncode != 0:
        reason = (info.stderr or info.stdout).strip().splitlines()
        raise LaunchError("impl orthanc-docker needs a running Docker engine: `docker info` failed: "
                          + (reason[-1] if reason else f"exit {info.returncode}"))


@dataclass(frozen=True)
class ComposeInvocation:
    """Everything needed to run `docker compose` for one target (pure data, tested without Docker)."""

    program: tuple[str, ...]
    project: str
    compose_file: Path
    env: dict[str, str]

    def argv(self, *args: str) -> list[str]:
        return [*self.program, "-p", self.project, "-f", str(self.compose_file), *args]


def compose_invocation(workdir: Path, suite: str, program: Sequence[str], compose: Path,
                       project: str | None = None) -> ComposeInvocation:
    env = {
        "MTDICOM_CONFIG": str(workdir / "orthanc.json"),
        "MTDICOM_STORAGE": str(workdir / "storage"),
        "ORTHANC_SUITE": suite,
        "MTDICOM_UID": str(os.getuid()),
        "MTDICOM_GID": str(os.getgid()),
    }
    return ComposeInvocation(tuple(program), project or f"mtdicom-{os.getpid()}-{secrets.token_hex(3)}",
                             compose, env)


def docker_config(spec: TargetSpec) -> tuple[TargetSpec, dict[str, Any]]:
    """Bind free ports and build the configuration with the container's storage and plugin paths."""
    bound = bind_spec_ports(spec)
    return bound, build_config(bound, CONTAINER_STORAGE, CONTAINER_PLUGIN)


class DockerService:
    """A started compose project; `stop` saves the logs and takes it down (idempotent)."""

    def __init__(self, invocation: ComposeInvocation, log_path: Path) -> None:
        self.invocation = invocation
        self.log_path = log_path
        self._stopped = False
        REAPER.register(self)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(self.invocation.argv(*args), capture_output=True, text=True, check=False,
                              env={**os.environ, **self.invocation.env})
        if check and done.returncode != 0:
            raise LaunchError(f"{' '.join(self.invocation.argv(*args))} failed (exit {done.returncode}):\n"
                              + "\n".join(done.stderr.splitlines()[-20:]))
        return done

    def alive(self) -> str | None:
        container = self.run("ps", "-q", SERVICE, check=False).stdout.strip()
        if not container:
            return "the container is gone"
        state = subprocess.run(["docker", "inspect", "--format", "{{.State.Status}}", container],
                               capture_output=True, text=True, check=False).stdout.strip()
        return None if state == "running" else f"the container is {state or 'unknown'}"

    def save_logs(self) -> None:
        logs = self.run("logs", "--no-color", SERVICE, check=False)
        self.log_path.write_text(logs.stdout + logs.stderr)

    def stop(self, grace_s: float = DEFAULT_GRACE_S) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            self.save_logs()
            self.run("down", "-v", "--timeout", str(int(grace_s)), check=False)
        finally:
            REAPER.unregister(self)


def start_orthanc_docker(spec: TargetSpec, workdir: Path, deadline_s: float = DEFAULT_DEADLINE_S,
                         suite: str | None = None) -> RunningTarget:
    suite = suite or os.environ.get("ORTHANC_SUITE", "trixie")
    if suite not in SUITE_SERIES:
        raise LaunchError(f"unknown suite {suite!r} for orthanc-docker; known: {', '.join(SUITE_SERIES)}")
    check_spec(spec)
    require_engine()
    workdir = workdir.resolve()
    (workdir / "storage").mkdir(parents=True, exist_ok=True)
    bound, config = docker_config(spec)
    write_json_atomically(workdir / "orthanc.json", config)
    service = DockerService(compose_invocation(workdir, suite, compose_program(), compose_file()),
                            workdir / "orthanc.log")
    started = time.monotonic()
    try:
        service.run("up", "-d", "--build")
        system = wait_ready(f"http://127.0.0.1:{bound.http_port}",
                            spec_listeners(bound.main_aet, bound.dicom_port,
                                           {t.aet: t.port for t in bound.tenants}),
                            deadline_s, alive=service.alive)
        if system.get("HasLabels") is not True:
            raise LaunchError(f"GET /system says HasLabels={system.get('HasLabels')!r}")
        if not str(system.get("Version")).startswith(SUITE_SERIES[suite] + "."):
            raise LaunchError(f"the {suite} image runs Orthanc {system.get('Version')}, "
                              f"not the expected {SUITE_SERIES[suite]}.x")
    except (ReadinessError, LaunchError) as error:
        service.stop()
        tail = "\n".join(service.log_path.read_text(errors="replace").splitlines()[-40:]) \
            if service.log_path.exists() else "(no log)"
        message = f"Orthanc in Docker did not start: {error}\n--- container log ---\n{tail}"
        raise LaunchError(message) from error
    return RunningTarget("orthanc-docker", bound, config, system, workdir, service.log_path,
                         service.stop, None, time.monotonic() - started)


def _succeeds(argv: list[str]) -> bool:
    return subprocess.run(argv, capture_output=True, check=False).returncode == 0
