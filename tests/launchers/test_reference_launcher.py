"""The reference server started as a subprocess through the same launcher contract (impl `reference`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from conformance.launchers import LaunchError, start_target
from conformance.launchers.readiness import Listener, echo_status
from conformance.launchers.spec import TargetSpec, TenantSpec

Scan = Callable[[str], list[int]]


def test_reference_starts_answers_and_stops(tmp_path: Path, processes_mentioning: Scan) -> None:
    spec = TargetSpec(tenants=[TenantSpec("A", ("a",)), TenantSpec("B", ("b",), "Any"),
                               TenantSpec("C", ("c",), "None")])
    with start_target("reference", spec, tmp_path) as running:
        system = requests.get(f"{running.http_url}/system", timeout=10).json()
        assert system["Implementation"] == "mtdicom-reference" and system["HasLabels"] is True
        assert system["DicomPort"] == running.dicom_port and running.version == system["Version"]
        assert running.config["HttpPort"] == int(running.http_url.rsplit(":", 1)[1])
        for aet, port in running.tenant_ports.items():
            assert echo_status(Listener(aet, port)) == 0x0000, aet
        assert (tmp_path / "ready.json").is_file()
        assert processes_mentioning(str(tmp_path))
    assert processes_mentioning(str(tmp_path)) == []
    assert echo_status(Listener("A", running.tenant_ports["A"]), timeout_s=1) is None


def test_a_configuration_the_reference_refuses_is_reported_with_its_message(tmp_path: Path) -> None:
    spec = TargetSpec(tenants=[TenantSpec("A", ("not a label!",))])  # CFG-4: the server refuses it
    with pytest.raises(LaunchError, match=r"reference server did not start[\s\S]*Labels"):
        start_target("reference", spec, tmp_path)
