"""The harness's DIMSE client and storage SCP against small local pynetdicom peers.

The client must never hang: a peer that never answers is reported ``timed_out``; one that aborts is
``aborted`` (at once, not after the timeout); one that refuses the association is ``rejected``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydicom.dataset import Dataset
from pynetdicom import AE, evt

from conformance.dimse import DimseClient
from conformance.scp import StorageSCP
from conformance.status import Status
from conformance.uids import STUDY_ROOT_FIND, VERIFICATION
from fixtures.dicom.builder import InstanceSpec, make_instance

TIMEOUT = 1.5


def _query() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = ""
    return ds


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def _find_scp(handler: Any) -> Iterator[int]:
    ae = AE("PEER")
    ae.add_supported_context(STUDY_ROOT_FIND)
    ae.add_supported_context(VERIFICATION)
    server = ae.start_server(("127.0.0.1", 0), block=False, evt_handlers=[(evt.EVT_C_FIND, handler)])
    assert server is not None
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()


@pytest.fixture
def answering_peer() -> Iterator[int]:
    def handler(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        for uid in ("1.2.3", "1.2.4"):
            answer = Dataset()
            answer.StudyInstanceUID = uid
            yield 0xFF00, answer
        yield 0x0000, None

    yield from _find_scp(handler)


@pytest.fixture
def silent_peer(release: threading.Event) -> Iterator[int]:
    def handler(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        release.wait(30)  # holds the response until the test is over
        yield 0x0000, None

    yield from _find_scp(handler)


@pytest.fixture
def aborting_peer() -> Iterator[int]:
    def handler(event: Any) -> Iterator[tuple[int, Dataset | None]]:
        event.assoc.abort()
        yield from ()

    yield from _find_scp(handler)


def test_every_response_is_returned(answering_peer: int) -> None:
    result = DimseClient("127.0.0.1", answering_peer, "PEER", timeout=TIMEOUT).find(_query())
    assert [r.status for r in result.responses] == [Status.PENDING, Status.PENDING, Status.SUCCESS]
    assert [str(m.StudyInstanceUID) for m in result.matches] == ["1.2.3", "1.2.4"]
    assert result.final_status == Status.SUCCESS and not result.timed_out and not result.aborted


def test_silent_peer_is_reported_timed_out(silent_peer: int) -> None:
    started = time.monotonic()
    result = DimseClient("127.0.0.1", silent_peer, "PEER", timeout=TIMEOUT).find(_query())
    assert result.timed_out and result.final_status is None, result.describe()
    assert time.monotonic() - started < 30, "the client waited for the peer instead of its own timeout"


def test_aborting_peer_is_reported_aborted(aborting_peer: int) -> None:
    result = DimseClient("127.0.0.1", aborting_peer, "PEER", timeout=10).find(_query())
    assert result.associated and result.aborted and not result.timed_out, result.describe()
    assert result.final_status is None


def test_peer_that_never_answers_the_association_request_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        result = DimseClient("127.0.0.1", listener.getsockname()[1], "PEER", timeout=TIMEOUT).echo()
    finally:
        listener.close()
    assert not result.associated and result.timed_out, result.describe()


def test_closed_port_is_not_connected() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    result = DimseClient("127.0.0.1", port, "PEER", timeout=TIMEOUT).echo()
    assert not result.associated and not result.rejected, result.describe()


def _instance(sop_uid: str) -> Dataset:
    spec = InstanceSpec(patient_id="P", study_uid="1.2.9", series_uid="1.2.9.1", sop_uid=sop_uid)
    return make_instance(spec)


def test_storage_scp_records_store_and_rejects_wrong_called_aet() -> None:
    ds = _instance("1.2.9.1.1")
    with StorageSCP("DEST", require_called_aet=True) as scp:
        wrong = DimseClient(scp.host, scp.port, "OTHER", "SENDER", TIMEOUT).store(ds)
        right = DimseClient(scp.host, scp.port, "DEST", "SENDER", TIMEOUT).store(ds)
        assert wrong.rejected and right.final_status == Status.SUCCESS
        assert scp.wait_for(lambda s: len(s.received()) == 1, timeout=5)
        (received,) = scp.received()
        seen = (received.sop_instance_uid, received.calling_aet, received.called_aet)
        assert seen == ("1.2.9.1.1", "SENDER", "DEST")
        assert [(a.called_aet, a.accepted) for a in scp.associations()] == [("OTHER", False), ("DEST", True)]


def test_crafted_store_sends_the_command_uids_given() -> None:
    ds = _instance("1.2.9.1.2")
    with StorageSCP() as scp:
        client = DimseClient(scp.host, scp.port, "ANY", "SENDER", TIMEOUT)
        result = client.store(ds, sop_instance_uid="1.2.9.9")
        assert result.final_status == Status.SUCCESS, result.describe()
        assert [r.sop_instance_uid for r in scp.received()] == ["1.2.9.9"]
