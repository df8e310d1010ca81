"""Orthanc 1.12 with its PostgreSQL index (impl `orthanc-postgresql`): Debian's orthanc-postgresql plugin
and a throw-away PostgreSQL server from the same tree. Labels must work through the SQL index too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from conformance.launchers import start_target
from conformance.launchers.readiness import Listener, echo_status
from conformance.launchers.spec import TargetSpec, TenantSpec

pytestmark = pytest.mark.orthanc

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "dicom" / "samples"


def test_orthanc_on_postgresql_starts_labels_and_is_torn_down(
        tmp_path: Path, processes_mentioning: Callable[[str], list[int]]) -> None:
    spec = TargetSpec(tenants=[TenantSpec("A", ("a",)), TenantSpec("B", ("b",), "Any"),
                               TenantSpec("C", ("c",), "None")])
    with start_target("orthanc-postgresql", spec, tmp_path) as running:
        database_home = (tmp_path / "postgres").resolve()
        assert running.version.startswith("1.12.")
        assert "OrthancPostgreSQLIndex" in running.system["DatabaseBackendPlugin"]
        for aet, port in running.tenant_ports.items():
            assert echo_status(Listener(aet, port)) == 0x0000, aet
        assert processes_mentioning(str(database_home))  # PostgreSQL runs from there
        sample = sorted(SAMPLES.glob("*.dcm"))[0].read_bytes()
        stored = requests.post(f"{running.http_url}/instances", data=sample, timeout=30).json()
        study = stored["ParentStudy"]
        assert requests.put(f"{running.http_url}/studies/{study}/labels/a", timeout=10).status_code == 200
        found = requests.post(f"{running.http_url}/tools/find", timeout=10,
                              json={"Level": "Study", "Query": {}, "Labels": ["a"]}).json()
        assert found == [study]
        query = {"Level": "Study", "Query": {}, "Labels": ["a"], "LabelsConstraint": "None"}
        none = requests.post(f"{running.http_url}/tools/find", timeout=10, json=query)
        assert none.json() == []
    assert processes_mentioning(str(tmp_path)) == []
    assert processes_mentioning(str(database_home)) == []
