"""CFG-7 ``DicomScpTimeout`` applies to tenants: an idle association is closed by the tenant.

The suite's side waits with a much longer network timeout, so only the tenant can end the
association; the wait is bounded (twice the configured timeout plus a margin) and ends as soon as the
association does. One tenant is enough: the option is read once for every tenant.
"""

from __future__ import annotations

import pytest
from pynetdicom import AE

from conformance.targets import QUERY_AET, TargetInfo
from conformance.uids import VERIFICATION

ORTHANC_DEFAULT_SCP_TIMEOUT = 30  # CFG-7


@pytest.mark.clause("CFG-7")
def test_idle_association_is_closed_by_the_tenant(target: TargetInfo) -> None:
    tenant = target.tenants[0]
    configured = target.options.get("DicomScpTimeout", ORTHANC_DEFAULT_SCP_TIMEOUT)
    scp_timeout = float(configured) if isinstance(configured, (int, float)) else ORTHANC_DEFAULT_SCP_TIMEOUT
    ae = AE(ae_title=QUERY_AET)
    ae.add_requested_context(VERIFICATION)
    ae.acse_timeout = 10
    ae.network_timeout = scp_timeout * 10  # our side never gives up first
    assoc = ae.associate(tenant.host, tenant.port, ae_title=tenant.aet)
    assert assoc.is_established, f"no association with {tenant.aet}"
    try:
        assoc.join(timeout=scp_timeout * 2 + 10)  # returns as soon as the association ends
        assert not assoc.is_alive(), (
            f"{tenant.aet} kept an idle association open past twice DicomScpTimeout ({scp_timeout} s)")
    finally:
        if assoc.is_alive():
            assoc.abort()
