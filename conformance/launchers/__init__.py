"""How a managed target is started: the reference server, real Orthanc (native or Docker).

    from conformance.launchers import start_target
    with start_target("orthanc", spec, workdir) as running:
        running.http_url, running.dicom_port, running.tenant_ports, running.version, running.config

`impl`: `reference` (python -m reference), `orthanc` (Debian trixie, 1.12.x), `orthanc-1.13` (Debian sid),
`orthanc-docker` (the same Debian package in a container; needs a Docker engine), `orthanc-postgresql`
(trixie's Orthanc with its PostgreSQL index plugin and a throw-away PostgreSQL server, both from Debian).
"""

from __future__ import annotations

from pathlib import Path

from conformance.launchers.running import LaunchError, RunningTarget
from conformance.launchers.spec import ModalitySpec, SpecError, TargetSpec, TenantSpec

IMPLS = ("reference", "orthanc", "orthanc-1.13", "orthanc-docker", "orthanc-postgresql")

__all__ = ["IMPLS", "LaunchError", "ModalitySpec", "RunningTarget", "SpecError", "TargetSpec", "TenantSpec",
           "start_target"]


def start_target(impl: str, spec: TargetSpec, workdir: Path | str, deadline_s: float | None = None,
                 verbose: bool = False) -> RunningTarget:
    """Start `impl` as described by `spec`, in `workdir`; return once every listener answers."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if impl == "reference":
        from conformance.launchers.reference import DEFAULT_DEADLINE_S, start_reference

        return start_reference(spec, workdir, deadline_s or DEFAULT_DEADLINE_S)
    if impl in ("orthanc", "orthanc-1.13", "orthanc-postgresql"):
        from conformance.launchers.orthanc_native import DEFAULT_DEADLINE_S as native_deadline
        from conformance.launchers.orthanc_native import start_orthanc

        return start_orthanc(impl, spec, workdir, deadline_s or native_deadline, verbose)
    if impl == "orthanc-docker":
        from conformance.launchers.orthanc_docker import DEFAULT_DEADLINE_S as docker_deadline
        from conformance.launchers.orthanc_docker import start_orthanc_docker

        return start_orthanc_docker(spec, workdir, deadline_s or docker_deadline)
    raise LaunchError(f"unknown impl {impl!r}; known: {', '.join(IMPLS)}")
