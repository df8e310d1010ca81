"""ECHO-1: every tenant answers C-ECHO with Success, to pynetdicom and to DCMTK's echoscu."""

from __future__ import annotations

import subprocess

import pytest

from conformance.dcmtk import dcmtk_tool
from conformance.dimse import DimseClient
from conformance.status import Status, expected_message
from conformance.targets import QUERY_AET, TenantInfo


@pytest.mark.clause("ECHO-1")
def test_tenant_answers_echo_with_success(dimse: DimseClient, tenant: TenantInfo) -> None:
    result = dimse.echo()
    assert result.associated, f"C-ECHO to {tenant.aet}: {result.describe()}"
    assert result.final_status == Status.SUCCESS, expected_message(Status.SUCCESS, result.final_status)
    assert len(result.responses) == 1, f"one C-ECHO-RSP expected, got {result.describe()}"


@pytest.mark.dcmtk
@pytest.mark.clause("ECHO-1")
def test_tenant_answers_dcmtk_echoscu(tenant: TenantInfo) -> None:
    echoscu = dcmtk_tool("echoscu")
    if echoscu is None:
        pytest.skip("DCMTK's echoscu is not on PATH")
    command = [echoscu, "-aet", QUERY_AET, "-aec", tenant.aet, "-to", "10", "-ta", "10", "-td", "10",
               tenant.host, str(tenant.port)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 0, f"echoscu exited {run.returncode}: {run.stderr.strip() or run.stdout.strip()}"
