"""Real Orthanc from a provisioned Debian tree, run as a native subprocess.

Impls: `orthanc` (trixie), `orthanc-1.13` (sid), `orthanc-postgresql` (trixie with the PostgreSQL index
plugin and a throw-away PostgreSQL server, see postgres.py, started first and stopped last).

Start: provision (or reuse) the suite's tree, choose free loopback ports, write the configuration and
run the tree's Orthanc through the tree's own loader (no root, no chroot) in its own process group,
logging to `<workdir>/orthanc.log`. Ready when `GET /system` and a C-ECHO to every listener answer;
then `HasLabels` must be true and the version must be the tree's (and the suite's series). If a
freshly chosen port was taken by someone else in between (the log says so), start again on new ports.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.launchers.config import build_config
from conformance.launchers.orthanc_tree import SUITE_SERIES, OrthancTree, provision
from conformance.launchers.ports import bind_spec_ports
from conformance.launchers.process import ManagedProcess
from conformance.launchers.readiness import ReadinessError, spec_listeners, wait_ready
from conformance.launchers.running import LaunchError, RunningTarget, write_json_atomically
from conformance.launchers.spec import TargetSpec, check_spec

if TYPE_CHECKING:
    from conformance.launchers.postgres import PostgresServer

# impl -> kind of Debian tree (orthanc_tree.split_kind)
IMPL_SUITES = {"orthanc": "trixie", "orthanc-1.13": "sid", "orthanc-postgresql": "trixie+postgresql"}
DEFAULT_DEADLINE_S = 90.0
_PORT_RETRIES = 2


def start_orthanc(impl: str, spec: TargetSpec, workdir: Path, deadline_s: float = DEFAULT_DEADLINE_S,
                  verbose: bool = False) -> RunningTarget:
    if impl not in IMPL_SUITES:
        raise LaunchError(f"unknown native Orthanc impl {impl!r}; known: {', '.join(IMPL_SUITES)}")
    check_spec(spec)
    tree = provision(IMPL_SUITES[impl]).tree
    workdir = workdir.resolve()
    database = None
    if tree.manifest.flavour == "postgresql":
        from conformance.launchers.postgres import PostgresServer

        database = PostgresServer(tree, workdir, deadline_s)
    chose_every_port = not any(spec.ports().values())
    try:
        for attempt in range(_PORT_RETRIES + 1):
            try:
                return _start_once(impl, tree, spec, workdir, deadline_s, verbose, database)
            except _PortTaken:
                if attempt == _PORT_RETRIES or not chose_every_port:
                    raise
    except BaseException:
        if database is not None:
            database.stop()
        raise
    raise AssertionError("unreachable")


class _PortTaken(LaunchError):
    pass


def write_orthanc_config(tree: OrthancTree, spec: TargetSpec, workdir: Path,
                         database: PostgresServer | None = None) -> tuple[TargetSpec, dict[str, Any], Path]:
    """Bind the ports, build the configuration and write it to `<workdir>/orthanc.json`."""
    bound = bind_spec_ports(spec)
    storage = workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    config = build_config(bound, storage, tree.plugin_path)
    if database is not None:
        config["Plugins"].append(str(database.index_plugin()))
        config["PostgreSQL"] = database.config_section()
    config_path = workdir / "orthanc.json"
    write_json_atomically(config_path, config)
    return bound, config, config_path


def _start_once(impl: str, tree: OrthancTree, spec: TargetSpec, workdir: Path, deadline_s: float,
                verbose: bool, database: PostgresServer | None) -> RunningTarget:
    bound, config, config_path = write_orthanc_config(tree, spec, workdir, database)
    started = time.monotonic()
    process = ManagedProcess(tree.command(config_path, verbose), workdir / "orthanc.log",
                             env=tree.environment(), cwd=workdir)
    running = RunningTarget(impl, bound, config, {}, workdir, process.log_path,
                            lambda: _stop(process, database), process.pid)
    try:
        system = wait_ready(running.http_url, spec_listeners(bound.main_aet, bound.dicom_port,
                                                             running.tenant_ports),
                            deadline_s, alive=lambda: process.alive() or port_in_use(process.log_path))
        check_system(system, tree, tree.manifest.suite)
        if database is not None and "PostgreSQLIndex" not in str(system.get("DatabaseBackendPlugin")):
            backend = system.get("DatabaseBackendPlugin")
            raise LaunchError(f"Orthanc does not use the PostgreSQL index: DatabaseBackendPlugin={backend!r}")
    except (ReadinessError, LaunchError) as error:
        process.stop()
        tail = process.log_tail()
        kind = _PortTaken if "already in use" in tail.lower() else LaunchError
        raise kind(f"Orthanc {tree.manifest.upstream_version} ({impl}) did not start: {error}\n"
                   f"--- last lines of {process.log_path} ---\n{tail}") from error
    running.system = system
    running.startup_seconds = time.monotonic() - started
    return running


def port_in_use(log_path: Path) -> str | None:
    """The log line saying a listener could not bind, if any: a tenant that cannot bind does not stop
    Orthanc (CFG-3), so without this the wait would last until the deadline."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return None
    return next((line.strip() for line in text.splitlines() if "already in use" in line), None)


def check_system(system: dict[str, Any], tree: OrthancTree, suite: str) -> None:
    """The server that answered is the Orthanc of this tree, with labels."""
    if system.get("HasLabels") is not True:
        raise LaunchError(f"GET /system says HasLabels={system.get('HasLabels')!r}; labels are required")
    version = str(system.get("Version"))
    if version != tree.manifest.upstream_version:
        raise LaunchError(f"GET /system says Version {version}, the tree has {tree.manifest.package_version}")
    series = SUITE_SERIES[suite]
    if not version.startswith(series + "."):
        raise LaunchError(f"Debian {suite} now ships Orthanc {version}, not the expected {series}.x")


def _stop(process: ManagedProcess, database: PostgresServer | None = None) -> None:
    try:
        process.stop()
    finally:
        if database is not None:
            database.stop()
