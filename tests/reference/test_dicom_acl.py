"""Access control of the listeners (ACL-1..4), each case on a server started with its own options."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset

from reference.config import ModalityConfig
from reference.dicom.status import Status
from reference.server import ReferenceServer

ServerFactory = Callable[..., ReferenceServer]
GET = "1.2.840.10008.5.1.4.1.2.1.3"           # Patient Root Q/R GET (PS3.4 C.6)
WORKLIST = "1.2.840.10008.5.1.4.31"            # Modality Worklist FIND (PS3.4 K.6)
COMMITMENT = "1.2.840.10008.1.20.1"            # Storage Commitment Push Model (PS3.4 J.3)
VERIFICATION = "1.2.840.10008.1.1"
STUDY_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
STUDY_MOVE = "1.2.840.10008.5.1.4.1.2.2.2"
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


@pytest.fixture
def start_server(tmp_path: Path, net: Any) -> Iterator[ServerFactory]:
    started: list[ReferenceServer] = []

    def factory(modalities: dict[str, Any] | None = None, **options: Any) -> ReferenceServer:
        config = net.make_config(1, tenants={"TEN": (["t"], "All", None)}, **options)
        if modalities is not None:
            config["DicomModalities"].update(modalities)
        server = ReferenceServer(config, tmp_path / f"archive{len(started)}")
        started.append(server)
        server.start()
        return server

    yield factory
    for server in started:
        server.stop()


def study_query() -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.StudyInstanceUID = ""
    return ds


def test_echo_and_store_from_anyone_find_and_move_only_from_modalities(start_server: ServerFactory,
                                                                        net: Any) -> None:
    server = start_server()
    stranger = net.client(server, "TEN", calling="STRANGER")
    assert stranger.echo().final_status == Status.SUCCESS
    assert stranger.store(net.instance(1, 1, 1, 1)).final_status == Status.SUCCESS
    for result in (stranger.find(study_query()), stranger.move(study_query(), net.DEST_AET)):
        assert result.aborted and result.responses == [], result.describe()  # ACL-2: no status at all
    known = net.client(server, "TEN", calling=net.SUITE_AET)
    assert known.find(study_query()).final_status == Status.SUCCESS


def test_allow_flags_of_the_modality(start_server: ServerFactory, net: Any) -> None:
    server = start_server({"nofind": {"AET": "NOFIND", "Host": net.HOST, "Port": 1, "AllowFind": False}})
    nofind = net.client(server, "TEN", calling="NOFIND")
    assert nofind.find(study_query()).aborted
    assert nofind.move(study_query(), net.DEST_AET).final_status == Status.SUCCESS


def test_always_allow_find_and_move(start_server: ServerFactory, net: Any) -> None:
    server = start_server(DicomAlwaysAllowFind=True, DicomAlwaysAllowMove=True)
    stranger = net.client(server, "TEN", calling="STRANGER")
    assert stranger.find(study_query()).final_status == Status.SUCCESS
    assert stranger.move(study_query(), net.DEST_AET).final_status == Status.SUCCESS


def test_modalities_are_read_live(start_server: ServerFactory, net: Any) -> None:
    server = start_server()
    latecomer = net.client(server, "TEN", calling="LATECOMER")
    assert latecomer.find(study_query()).aborted
    server.registry.put(ModalityConfig(name="late", aet="LATECOMER", host=net.HOST, port=1))
    assert latecomer.find(study_query()).final_status == Status.SUCCESS


@pytest.mark.parametrize("strict, allowed", [(False, True), (True, False)], ids=["loose", "strict"])
def test_strict_aet_comparison(start_server: ServerFactory, net: Any, strict: bool, allowed: bool) -> None:
    server = start_server(StrictAetComparison=strict)
    result = net.client(server, "TEN", calling=net.SUITE_AET.lower()).find(study_query())
    assert (result.final_status == Status.SUCCESS) is allowed, result.describe()
    assert result.aborted is not allowed


def test_check_called_aet(start_server: ServerFactory, net: Any) -> None:
    server = start_server(DicomCheckCalledAet=True)
    port = server.tenant_ports["TEN"]
    from conformance.dimse import DimseClient

    assert DimseClient(net.HOST, port, "SOMEONE").echo().rejected
    assert DimseClient(net.HOST, port, "ten").echo().final_status == Status.SUCCESS  # not strict
    lenient = start_server()
    assert DimseClient(net.HOST, lenient.tenant_ports["TEN"], "SOMEONE").echo().final_status == Status.SUCCESS


def test_nothing_always_allowed_rejects_unknown_callers(start_server: ServerFactory, net: Any) -> None:
    server = start_server(DicomAlwaysAllowEcho=False, DicomAlwaysAllowStore=False)
    assert net.client(server, "TEN", calling="STRANGER").echo().rejected
    assert net.client(server, "TEN", calling=net.SUITE_AET).echo().final_status == Status.SUCCESS


def test_check_modality_host(start_server: ServerFactory, net: Any) -> None:
    server = start_server({"faraway": {"AET": "FARAWAY", "Host": "127.0.0.2", "Port": 1}},
                          DicomAlwaysAllowEcho=False, DicomAlwaysAllowStore=False,
                          DicomCheckModalityHost=True)
    assert net.client(server, "TEN", calling="FARAWAY").echo().rejected
    assert net.client(server, "TEN", calling=net.SUITE_AET).echo().final_status == Status.SUCCESS


def test_negotiated_contexts(start_server: ServerFactory, net: Any) -> None:
    server = start_server()
    for aet in ("TEN", net.MAIN_AET):
        result = net.client(server, aet).negotiate([VERIFICATION, STUDY_FIND, STUDY_MOVE, CT_STORAGE, GET,
                                                    WORKLIST, COMMITMENT])
        assert result.associated, result.describe()
        assert set(result.accepted_contexts) == {VERIFICATION, STUDY_FIND, STUDY_MOVE, CT_STORAGE}
