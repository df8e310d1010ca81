"""ISO-2: malformed association requests on a raw socket.

Each case sends bytes to a tenant and then, while that connection is still open, runs a C-ECHO on a
second association (the server must keep serving others), waits for the server's reaction to the
hostile bytes (a PDU or a close within DicomScpTimeout, never silence), and finally checks that the
tenant and the main server still answer C-ECHO (it did not crash). One tenant: the behaviour is the
listener's, not the label filter's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from conformance.answers import client_for, hang_bound
from conformance.dimse import DimseClient
from conformance.iso.pdus import RawConnection, associate_rq, with_length
from conformance.status import Status
from conformance.targets import QUERY_AET, TargetInfo, TenantInfo

Payload = Callable[[bytes], bytes]  # the tenant's AET -> bytes to send

CASES: dict[str, Payload] = {
    "garbage": lambda _aet: bytes(range(7, 250, 3)) * 2,
    "unknown-pdu-type": lambda aet: b"\x09" + associate_rq(aet, QUERY_AET.encode())[1:],
    "truncated-rq": lambda aet: associate_rq(aet, QUERY_AET.encode())[:40],
    "overflowing-rq": lambda aet: with_length(
        rq := associate_rq(aet, QUERY_AET.encode()), len(rq) - 6 + 4096
    ),
    "huge-length": lambda aet: with_length(associate_rq(aet, QUERY_AET.encode()), 0xFFFFFFF0),
    "short-length": lambda aet: with_length(associate_rq(aet, QUERY_AET.encode()), 20),
    "blank-called-aet": lambda _aet: associate_rq(b"", QUERY_AET.encode()),
    "nul-called-aet": lambda _aet: associate_rq(b"\x00" * 16, QUERY_AET.encode()),
    "blank-calling-aet": lambda aet: associate_rq(aet, b""),
    "nul-calling-aet": lambda aet: associate_rq(aet, b"\x00" * 16),
}


def still_serving(target: TargetInfo, tenant: TenantInfo) -> list[str]:
    """C-ECHO the tenant and the main server: both must answer Success (nothing crashed)."""
    problems: list[str] = []
    clients = [("tenant", client_for(tenant, target))]
    if target.main_port is not None and target.main_aet is not None:
        clients.append(
            (
                "main server",
                DimseClient(
                    target.host, target.main_port, target.main_aet, QUERY_AET, timeout=hang_bound(target)
                ),
            )
        )
    for name, client in clients:
        echo = client.echo()
        if echo.final_status != Status.SUCCESS:
            problems.append(f"the {name} no longer answers C-ECHO: {echo.describe()}")
    return problems


@pytest.mark.clause("ISO-2")
@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_association_request(
    case: str, tenants: tuple[TenantInfo, ...], target: TargetInfo
) -> None:
    tenant = tenants[0]
    payload = CASES[case](tenant.aet.encode())
    problems: list[str] = []
    with RawConnection(tenant.host, tenant.port) as hostile:
        started = time.monotonic()
        hostile.send(payload)
        echo = client_for(tenant, target).echo()
        if echo.final_status != Status.SUCCESS:
            problems.append(f"while the hostile connection was open, C-ECHO got {echo.describe()}")
        reaction = hostile.reaction(hang_bound(target), started)
        if reaction.hung:
            problems.append(
                f"{case}: {reaction.describe()}; DicomScpTimeout is {hang_bound(target) - 3:.0f} s"
            )
    problems += still_serving(target, tenant)
    assert not problems, "\n".join(problems)
