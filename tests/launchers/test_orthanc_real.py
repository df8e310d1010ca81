"""Real Orthanc 1.12 (Debian trixie) and 1.13 (Debian sid), provisioned and started by the launchers.

These FAIL (never skip) when a tree cannot be provisioned: CI runs them.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from conformance.launchers import LaunchError, start_target
from conformance.launchers.orthanc_tree import provision
from conformance.launchers.readiness import Listener, echo_status
from conformance.launchers.spec import ModalitySpec, TargetSpec, TenantSpec

pytestmark = pytest.mark.orthanc

IMPLS = [("orthanc", "trixie", "1.12."), ("orthanc-1.13", "sid", "1.13.")]


def four_tenants() -> TargetSpec:
    return TargetSpec(
        tenants=[
            TenantSpec("TENANT_A", ("a",), "All"),
            TenantSpec("TENANT_B", ("b", "c"), "Any", ("Study", "Series", "Instance")),
            TenantSpec("TENANT_N", ("a",), "None"),
            TenantSpec("TENANT_P", ("p",), "All", ("Patient",)),
        ],
        modalities={"SUITE": ModalitySpec("SUITESCP", "127.0.0.1", 11112)},
        options={"DicomScpTimeout": 10},
    )


@pytest.mark.parametrize(("impl", "suite", "series"), IMPLS)
def test_second_provisioning_reuses_the_cached_tree(impl: str, suite: str, series: str,
                                                    record_property: Callable[[str, object], None]) -> None:
    first = provision(suite)
    second = provision(suite)
    assert not second.built and second.tree == first.tree
    assert first.tree.manifest.upstream_version.startswith(series)
    assert first.tree.plugin_path.is_file()
    record_property("provision_first_s", round(first.seconds, 3))
    record_property("provision_first_built", first.built)
    record_property("provision_warm_s", round(second.seconds, 4))


@pytest.mark.parametrize(("impl", "suite", "series"), IMPLS)
def test_orthanc_starts_with_tenants_answers_and_is_torn_down(
        impl: str, suite: str, series: str, tmp_path: Path, record_property: Callable[[str, object], None],
        processes_mentioning: Callable[[str], list[int]]) -> None:
    with start_target(impl, four_tenants(), tmp_path) as running:
        record_property("startup_s", round(running.startup_seconds, 3))
        assert running.version.startswith(series)
        system = requests.get(f"{running.http_url}/system", timeout=10).json()
        assert system["Version"] == running.version and system["HasLabels"] is True
        assert system["DicomAet"] == "ORTHANC" and system["DicomPort"] == running.dicom_port
        plugins = requests.get(f"{running.http_url}/plugins", timeout=10).json()
        assert "multitenant-dicom" in plugins
        assert set(running.tenant_ports) == {"TENANT_A", "TENANT_B", "TENANT_N", "TENANT_P"}
        for aet, port in running.tenant_ports.items():
            assert echo_status(Listener(aet, port)) == 0x0000, aet
        assert echo_status(Listener("ORTHANC", running.dicom_port)) == 0x0000
        assert running.config["MultitenantDicom"]["Servers"][3]["LabelsStoreLevels"] == ["Patient"]
        assert running.log_path.is_file() and running.pid is not None
        assert running.pid in processes_mentioning(str(tmp_path))
    assert processes_mentioning(str(tmp_path)) == []
    for aet, port in running.tenant_ports.items():
        assert echo_status(Listener(aet, port), timeout_s=1) is None, f"{aet} still answers after stop"


def test_a_failed_start_raises_with_the_log_tail(
        tmp_path: Path, processes_mentioning: Callable[[str], list[int]]) -> None:
    # An option of the wrong type: the plugin refuses it and Orthanc exits at start-up.
    spec = TargetSpec(tenants=[TenantSpec("T", ("t",))], options={"DicomScpTimeout": "not a number"})
    with pytest.raises(LaunchError, match=r"did not start: .*ready: exited[\s\S]*last lines of"):
        start_target("orthanc", spec, tmp_path, deadline_s=60)
    assert processes_mentioning(str(tmp_path)) == []


def test_a_tenant_port_already_taken_fails_fast_with_orthancs_own_words(
        tmp_path: Path, processes_mentioning: Callable[[str], list[int]]) -> None:
    """Orthanc keeps running when a tenant cannot bind (CFG-3); the launcher reads that in the log."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        spec = TargetSpec(tenants=[TenantSpec("A", ("a",), port=taken), TenantSpec("B", ("b",))])
        with pytest.raises(LaunchError, match=rf"cannot become ready: .*already in use.*port = {taken}"):
            start_target("orthanc", spec, tmp_path, deadline_s=300)
    assert processes_mentioning(str(tmp_path)) == []
