"""CFG-7 ``MaximumPduLength`` (default 16384) applies to tenants: it is the maximum PDU length a
tenant announces in its A-ASSOCIATE-AC."""

from __future__ import annotations

import pytest
from pynetdicom import AE

from conformance.targets import QUERY_AET, TargetInfo, TenantInfo
from conformance.uids import VERIFICATION

ORTHANC_DEFAULT_MAXIMUM_PDU_LENGTH = 16384  # CFG-7


@pytest.mark.clause("CFG-7")
def test_tenant_announces_the_configured_maximum_pdu_length(tenant: TenantInfo, target: TargetInfo) -> None:
    configured = target.options.get("MaximumPduLength", ORTHANC_DEFAULT_MAXIMUM_PDU_LENGTH)
    ae = AE(ae_title=QUERY_AET)
    ae.add_requested_context(VERIFICATION)
    ae.acse_timeout = 10
    assoc = ae.associate(tenant.host, tenant.port, ae_title=tenant.aet)
    assert assoc.is_established, f"no association with {tenant.aet}"
    try:
        announced = assoc.acceptor.maximum_length
    finally:
        assoc.release()
    assert announced == configured, (
        f"{tenant.aet} announced a maximum PDU length of {announced}, not {configured}")
