"""ISO-2 for the reference server: hostile or idle peers never hang an association past DicomScpTimeout,
never block other associations, and never take a listener down."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pynetdicom import AE
from pynetdicom.dimse_primitives import C_FIND

from reference.dicom.status import Status
from reference.server import ReferenceServer

SCP_TIMEOUT = 2  # DicomScpTimeout of the server under test, seconds
CLOSE_DEADLINE = 30.0  # far above SCP_TIMEOUT: a bound on the wait, not a timing assertion
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"


@pytest.fixture
def quick_server(tmp_path: Path, net: Any) -> Iterator[ReferenceServer]:
    config = net.make_config(1, tenants={"TEN": ([], "All", None)}, DicomScpTimeout=SCP_TIMEOUT,
                             DicomAlwaysAllowFind=True)
    with ReferenceServer(config, tmp_path / "archive") as server:
        yield server


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=CLOSE_DEADLINE)
    return sock


def closed_by_peer(sock: socket.socket) -> bool:
    """Read until the server closes the connection (True) or the deadline passes (False)."""
    end = time.monotonic() + CLOSE_DEADLINE
    try:
        while time.monotonic() < end:
            if sock.recv(65536) == b"":
                return True
    except ConnectionError:
        return True
    except TimeoutError:
        return False
    return False


def echo_ok(server: ReferenceServer, net: Any, aet: str = "TEN") -> bool:
    return bool(net.client(server, aet).echo().final_status == Status.SUCCESS)


def test_idle_connections_do_not_block_others(quick_server: ReferenceServer, net: Any) -> None:
    idle = [connect(quick_server.tenant_ports["TEN"]) for _ in range(12)]
    try:
        assert echo_ok(quick_server, net)
    finally:
        for sock in idle:
            sock.close()


def test_idle_connection_is_closed_after_the_scp_timeout(quick_server: ReferenceServer) -> None:
    with connect(quick_server.tenant_ports["TEN"]) as sock:
        assert closed_by_peer(sock)


@pytest.mark.parametrize("payload", [
    b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    struct.pack(">BBI", 0x01, 0x00, 1000) + b"\x00\x01" + b"\x00" * 8,   # truncated A-ASSOCIATE-RQ
    struct.pack(">BBI", 0x01, 0x00, 0xFFFFFFF0) + b"\x00" * 64,          # overflowing length
    struct.pack(">BBI", 0x04, 0x00, 4) + b"\x00" * 4,                    # P-DATA before association
], ids=["http", "truncated-rq", "overflowing-rq", "pdata-first"])
def test_garbage_is_dropped_and_the_listener_survives(quick_server: ReferenceServer, net: Any,
                                                      payload: bytes) -> None:
    with connect(quick_server.tenant_ports["TEN"]) as sock:
        sock.sendall(payload)
        assert closed_by_peer(sock)
    assert echo_ok(quick_server, net)


def _item(item_type: int, value: bytes) -> bytes:
    return struct.pack(">BBH", item_type, 0, len(value)) + value


def associate_rq(called: bytes, calling: bytes) -> bytes:
    """A minimal A-ASSOCIATE-RQ PDU (PS3.8 9.3.2) proposing Verification, with raw 16-byte AETs."""
    context = struct.pack(">BBBB", 1, 0, 0, 0) + _item(0x30, b"1.2.840.10008.1.1") + _item(
        0x40, b"1.2.840.10008.1.2")
    body = (struct.pack(">HH", 1, 0) + called.ljust(16)[:16] + calling.ljust(16)[:16] + b"\x00" * 32
            + _item(0x10, b"1.2.840.10008.3.1.1.1") + _item(0x20, context)
            + _item(0x50, _item(0x51, struct.pack(">I", 16384))))
    return struct.pack(">BBI", 0x01, 0, len(body)) + body


@pytest.mark.parametrize("calling", [b" " * 16, b"\x00" * 16], ids=["spaces", "nul"])
def test_empty_or_nul_calling_aet_gets_an_answer(quick_server: ReferenceServer, net: Any,
                                                 calling: bytes) -> None:
    with connect(quick_server.tenant_ports["TEN"]) as sock:
        sock.sendall(associate_rq(b"TEN", calling))
        first = sock.recv(1)
        assert first in (b"", b"\x02", b"\x03", b"\x07"), first  # closed, AC, RJ or A-ABORT
        assert closed_by_peer(sock) if first != b"\x02" else True
    assert echo_ok(quick_server, net)


def nested_sequences(depth: int) -> bytes:
    """An implicit-VR identifier whose first element nests ``depth`` sequences (undefined lengths)."""
    sequence = struct.pack("<HHI", 0x0040, 0x0275, 0xFFFFFFFF)  # RequestAttributesSequence
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    item_end = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    sequence_end = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    level = struct.pack("<HHI", 0x0008, 0x0052, 6) + b"STUDY "
    return (sequence + item) * depth + (item_end + sequence_end) * depth + level


def test_deeply_nested_identifier_gets_a_status(quick_server: ReferenceServer, net: Any) -> None:
    ae = AE(ae_title="HOSTILE")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = CLOSE_DEADLINE
    ae.add_requested_context(STUDY_ROOT_FIND, ["1.2.840.10008.1.2"])
    assoc = ae.associate("127.0.0.1", quick_server.tenant_ports["TEN"], ae_title="TEN")
    assert assoc.is_established
    try:
        request = C_FIND()
        request.MessageID = 1
        request.AffectedSOPClassUID = STUDY_ROOT_FIND
        request.Priority = 2
        request.Identifier = BytesIO(nested_sequences(20000))
        context_id = int(assoc.accepted_contexts[0].context_id or 1)
        reactor: Any = assoc  # pause our own reactor as pynetdicom's send_c_find does
        reactor._reactor_checkpoint.clear()
        while not reactor._is_paused:
            time.sleep(0.0001)  # our own reactor thread pauses at once; not a wait for the server
        try:
            assoc.dimse.send_msg(request, context_id)
            _, response = assoc.dimse.get_msg(block=True)
        finally:
            reactor._reactor_checkpoint.set()
        assert response is None or response.Status == Status.UNABLE_TO_PROCESS
    finally:
        if assoc.is_established:
            assoc.release()
    assert echo_ok(quick_server, net)


def test_uid_wildcard_move_answers_at_once(quick_server: ReferenceServer, net: Any) -> None:
    from pydicom import Dataset

    net.seed(quick_server, [net.instance(1, 1, 1, 1)])
    identifier = Dataset()
    identifier.QueryRetrieveLevel = "STUDY"
    identifier.StudyInstanceUID = "1.2.*"
    result = net.client(quick_server, "TEN").move(identifier, net.DEST_AET)
    assert result.final_status == Status.UNABLE_TO_PROCESS, result.describe()
