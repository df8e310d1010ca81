"""ACL-3: the called AET check (``DicomCheckCalledAet``), off by default, rejecting when on.

For a managed target, a second small target (one tenant) is started with the option on; for an
external target, the option is read from its configuration and only the observable half is tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.dimse import DimseClient
from conformance.fixtures import DIMSE_TIMEOUT, managed_spec, start_managed
from conformance.scp import StorageSCP
from conformance.status import Status, expected_message
from conformance.targets import QUERY_AET, TargetInfo, TargetPlan, TenantInfo

WRONG_AET = "NOT_THIS_TENANT"


def _checks_called_aet(options: object) -> bool:
    return isinstance(options, dict) and options.get("DicomCheckCalledAet") is True


@pytest.fixture(scope="module")
def checking_tenant(target_plan: TargetPlan, target: TargetInfo, storage_scp: StorageSCP,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[TenantInfo]:
    """A tenant of a target configured with ``DicomCheckCalledAet: true``."""
    if target_plan.kind == "external":
        if not _checks_called_aet(dict(target.options)):
            pytest.skip("the external target does not set DicomCheckCalledAet: true")
        yield target.tenants[0]
        return
    tenant = replace(target_plan.tenants[0], aet="CHECKED")
    options = {**target_plan.options, "DicomCheckCalledAet": True}
    spec = managed_spec(target_plan, storage_scp, tenants=(tenant,), options=options)
    workdir = Path(tmp_path_factory.mktemp("called-aet-target"))
    with start_managed(target_plan.impl, spec, workdir) as running:
        yield replace(tenant, port=running.tenant_ports[tenant.aet])


@pytest.mark.clause("ACL-3", "CFG-7")
def test_any_called_aet_is_accepted_by_default(tenant: TenantInfo, target: TargetInfo) -> None:
    if _checks_called_aet(dict(target.options)):
        pytest.skip("this target sets DicomCheckCalledAet: true")
    result = DimseClient(tenant.host, tenant.port, WRONG_AET, QUERY_AET, DIMSE_TIMEOUT).echo()
    assert result.final_status == Status.SUCCESS, (
        f"C-ECHO to {tenant.aet}'s port called {WRONG_AET!r}: "
        f"{expected_message(Status.SUCCESS, result.final_status)} ({result.describe()})")


@pytest.mark.clause("ACL-3")
def test_wrong_called_aet_is_rejected_when_checked(checking_tenant: TenantInfo) -> None:
    t = checking_tenant
    result = DimseClient(t.host, t.port, WRONG_AET, QUERY_AET, DIMSE_TIMEOUT).echo()
    assert result.rejected, f"association called {WRONG_AET!r} with the check on: {result.describe()}"


@pytest.mark.clause("ACL-3")
def test_own_called_aet_is_accepted_when_checked(checking_tenant: TenantInfo) -> None:
    t = checking_tenant
    result = DimseClient(t.host, t.port, t.aet, QUERY_AET, DIMSE_TIMEOUT).echo()
    assert result.final_status == Status.SUCCESS, (
        f"C-ECHO called {t.aet!r} with the check on: {expected_message(Status.SUCCESS, result.final_status)}")
