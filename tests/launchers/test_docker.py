"""The Docker route without a Docker engine: generated config and commands, the compose file, a clear
error when Docker is missing, and the launcher's whole flow against a stand-in `docker` (fake_docker.py).
Building and running the real image needs an engine; there is none on the CI runner."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.launchers import LaunchError, start_target
from conformance.launchers.orthanc_docker import (
    CONTAINER_CONFIG,
    CONTAINER_STORAGE,
    compose_file,
    compose_invocation,
    docker_config,
)
from conformance.launchers.orthanc_tree import provision
from conformance.launchers.readiness import Listener, echo_status
from conformance.launchers.spec import TargetSpec, TenantSpec

DOCKER_DIR = Path(__file__).resolve().parents[2] / "docker" / "orthanc"


def test_config_uses_container_paths_and_loopback_ports() -> None:
    bound, config = docker_config(TargetSpec(tenants=[TenantSpec("A", ("a",)), TenantSpec("B", ("b",))]))
    assert bound.fully_bound
    assert config["StorageDirectory"] == config["IndexDirectory"] == CONTAINER_STORAGE
    assert config["Plugins"] == ["/usr/share/orthanc/plugins/libMultitenantDicom.so"]
    assert config["RemoteAccessAllowed"] is False  # host networking: requests come from loopback
    assert [s["Port"] for s in config["MultitenantDicom"]["Servers"]] == [t.port for t in bound.tenants]


def test_compose_invocation(tmp_path: Path) -> None:
    inv = compose_invocation(tmp_path, "sid", ["docker", "compose"], compose_file(), project="mtdicom-x")
    assert inv.argv("up", "-d", "--build") == ["docker", "compose", "-p", "mtdicom-x", "-f",
                                               str(DOCKER_DIR / "docker-compose.yml"), "up", "-d", "--build"]
    assert inv.env == {"MTDICOM_CONFIG": str(tmp_path / "orthanc.json"),
                       "MTDICOM_STORAGE": str(tmp_path / "storage"), "ORTHANC_SUITE": "sid",
                       "MTDICOM_UID": str(os.getuid()), "MTDICOM_GID": str(os.getgid())}
    generated = compose_invocation(tmp_path, "trixie", ["docker-compose"], compose_file()).project
    assert re.fullmatch(r"mtdicom-\d+-[0-9a-f]{6}", generated)  # a valid, unique compose project name


def test_compose_file_mounts_what_the_launcher_writes() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML parses the compose file")  # a dev tool, not a dep
    service = yaml.safe_load((DOCKER_DIR / "docker-compose.yml").read_text())["services"]["orthanc"]
    assert service["network_mode"] == "host"
    assert service["build"]["args"] == {"SUITE": "${ORTHANC_SUITE:-trixie}"}
    targets = [volume.split(":")[-2] if volume.endswith(":ro") else volume.split(":")[-1]
               for volume in service["volumes"]]
    assert targets == [CONTAINER_CONFIG, CONTAINER_STORAGE]
    assert service["command"] == [CONTAINER_CONFIG]
    text = (DOCKER_DIR / "docker-compose.yml").read_text()
    for var in ("MTDICOM_CONFIG", "MTDICOM_STORAGE", "ORTHANC_SUITE", "MTDICOM_UID", "MTDICOM_GID"):
        assert f"${{{var}" in text, var


def test_dockerfile_installs_the_debian_package_of_the_suite() -> None:
    dockerfile = (DOCKER_DIR / "Dockerfile").read_text()
    assert re.search(r"^ARG SUITE=trixie\nFROM debian:\$\{SUITE\}$", dockerfile, re.MULTILINE)
    assert "apt-get install -y --no-install-recommends orthanc" in dockerfile
    assert f'CMD ["{CONTAINER_CONFIG}"]' in dockerfile


def test_without_docker_the_error_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `docker` command at all
    with pytest.raises(LaunchError, match="needs Docker: the `docker` command is not installed"):
        start_target("orthanc-docker", TargetSpec(tenants=[TenantSpec("A", ("a",))]), tmp_path / "w")


def test_unknown_suite_is_refused(tmp_path: Path) -> None:
    from conformance.launchers.orthanc_docker import start_orthanc_docker

    with pytest.raises(LaunchError, match="unknown suite 'bookworm'"):
        start_orthanc_docker(TargetSpec(), tmp_path, suite="bookworm")


def test_without_an_engine_the_error_quotes_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "docker"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\n"
                    "echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    with pytest.raises(LaunchError, match=r"needs a running Docker engine: `docker info` failed: "
                                          r"Cannot connect to the Docker daemon"):
        start_target("orthanc-docker", TargetSpec(tenants=[TenantSpec("A", ("a",))]), tmp_path / "w")


@pytest.mark.orthanc
def test_the_whole_docker_flow_against_a_fake_engine(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        processes_mentioning: Callable[[str], list[int]]) -> None:
    """orthanc_docker.py's commands, readiness, version check, logs and `down`, with a `docker` stand-in
    (fake_docker.py) that runs the native trixie Orthanc as the "container"."""
    provision("trixie")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).with_name('fake_docker.py')} \"$@\"\n")
    fake.chmod(0o755)
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_DOCKER_CALLS", str(calls))
    monkeypatch.setenv("ORTHANC_SUITE", "trixie")
    workdir = tmp_path / "w"
    spec = TargetSpec(tenants=[TenantSpec("A", ("a",)), TenantSpec("B", ("b",), "Any"),
                               TenantSpec("C", ("c",), "None")])
    with start_target("orthanc-docker", spec, workdir) as running:
        assert running.impl == "orthanc-docker" and running.version.startswith("1.12.")
        for aet, port in running.tenant_ports.items():
            assert echo_status(Listener(aet, port)) == 0x0000, aet
        assert processes_mentioning(str(workdir))
    assert processes_mentioning(str(workdir)) == []
    commands = [json.loads(line) for line in calls.read_text().splitlines()]
    compose = [c[5] for c in commands if c[:1] == ["compose"] and len(c) > 5]
    assert compose[0] == "up" and compose[-2:] == ["logs", "down"] and "ps" in compose
    assert commands[-1][6:] == ["-v", "--timeout", "10"]
    assert "Orthanc has started" in running.log_path.read_text()
