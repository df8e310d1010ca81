"""C-MOVE through every tenant at every level, both variants (MOVE-1..7), to a real storage SCP."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pydicom import Dataset

from conformance.scp import StorageSCP
from reference.config import ModalityConfig
from reference.dicom.status import Status
from reference.rules.levels import LEVELS, Level
from reference.server import ReferenceServer

from .label_grid import KEYS, LABEL_CYCLE, expected_visible
from .label_grid import identifier as move_query


def seed_labelled(server: ReferenceServer, net: Any) -> tuple[dict[Level, dict[str, frozenset[str]]],
                                                               dict[Level, dict[str, set[str]]]]:
    """level -> key -> labels, and level -> key -> SOP UIDs of the instances under it."""
    seeded = net.seed(server, net.grid())
    archive = server.archive
    assert archive is not None
    labels: dict[Level, dict[str, frozenset[str]]] = {}
    under: dict[Level, dict[str, set[str]]] = {}
    for phase, level in enumerate(LEVELS):
        ids: dict[str, str] = {}
        under[level] = {}
        for item in seeded:
            key = str(item.ds[KEYS[level]].value)
            ids[key] = item.ids[level]
            under[level].setdefault(key, set()).add(item.sop_uid)
        labels[level] = {}
        for index, key in enumerate(sorted(ids)):
            own = LABEL_CYCLE[(index + phase + 1) % len(LABEL_CYCLE)]
            for label in own:
                archive.add_label(level, ids[key], label)
            labels[level][key] = own
    return labels, under


def test_every_tenant_moves_exactly_its_visible_instances(srv: ReferenceServer, net: Any,
                                                          dest_scp: StorageSCP) -> None:
    labels, under = seed_labelled(srv, net)
    for aet, (own, constraint, _levels) in net.TENANTS.items():
        for level in LEVELS:
            dest_scp.clear()
            keys = sorted(labels[level])
            result = net.client(srv, aet).move(move_query(level.dicom_name, **{KEYS[level]: "\\".join(keys)}),
                                               net.DEST_AET)
            want = set().union(*(under[level][k] for k in keys
                                 if expected_visible(labels[level][k], frozenset(own), constraint)))
            assert dest_scp.received_uids() == want, f"{aet} at {level.dicom_name}"
            # MOVE-5 orthanc: one final status counting ONE sub-operation, no Pending.
            assert [r.status for r in result.responses] == [Status.SUCCESS], f"{aet}: {result.describe()}"
            counts = result.responses[0].suboperations
            assert (counts.completed, counts.failed) == (1, 0)
            # MOVE-6 orthanc: called AET = the tenant, calling AET = the main DicomAet.
            assert {(r.calling_aet, r.called_aet) for r in dest_scp.received()} <= {("ORTHANC", aet)}


def test_nothing_visible_is_success_without_association(srv: ReferenceServer, net: Any,
                                                        dest_scp: StorageSCP) -> None:
    seeded = net.seed(srv, [net.instance(1, 1, 1, 1)])
    for identifier in (move_query("STUDY", StudyInstanceUID=str(seeded[0].ds.StudyInstanceUID)),
                       move_query("STUDY", StudyInstanceUID="1.2.3.404"), move_query("STUDY", PatientID="")):
        result = net.client(srv, "TEN_A").move(identifier, net.DEST_AET)
        assert [r.status for r in result.responses] == [Status.SUCCESS], result.describe()
        assert result.responses[0].suboperations.completed == 1  # MOVE-7
    assert dest_scp.connections == 0


def test_level_is_deduced_when_absent(srv: ReferenceServer, net: Any, dest_scp: StorageSCP) -> None:
    seeded = net.seed(srv, [net.instance(1, 1, 1, 1), net.instance(1, 1, 1, 2)])
    result = net.client(srv, "TEN_EMPTY").move(
        move_query(None, StudyInstanceUID=str(seeded[0].ds.StudyInstanceUID),
                   SOPInstanceUID=seeded[1].sop_uid), net.DEST_AET)
    assert result.final_status == Status.SUCCESS, result.describe()
    assert dest_scp.received_uids() == {seeded[1].sop_uid}  # INSTANCE wins over STUDY


def test_accession_number_and_wildcards(srv: ReferenceServer, net: Any, dest_scp: StorageSCP) -> None:
    seeded = net.seed(srv, [net.instance(1, 1, 1, 1), net.instance(2, 1, 1, 1)])
    result = net.client(srv, "TEN_EMPTY").move(move_query("STUDY", AccessionNumber="acc1*"), net.DEST_AET)
    assert result.final_status == Status.SUCCESS, result.describe()
    assert dest_scp.received_uids() == {seeded[0].sop_uid}


def test_unknown_destination_orthanc_variant(srv: ReferenceServer, net: Any, dest_scp: StorageSCP) -> None:
    net.seed(srv, [net.instance(1, 1, 1, 1)])
    result = net.client(srv, "TEN_EMPTY").move(move_query("PATIENT", PatientID="P1"), "NOBODY")
    assert result.final_status == Status.UNABLE_TO_PROCESS, result.describe()
    main = net.client(srv, net.MAIN_AET).move(move_query("PATIENT", PatientID="P1"), "NOBODY")
    assert main.final_status == Status.UNABLE_TO_PROCESS, main.describe()  # as Orthanc 1.12.7's main server
    assert dest_scp.connections == 0


@pytest.mark.parametrize("identifier", [move_query("IMAGE", SOPInstanceUID="1.2.826.0.1.1.1.1.1"),
                                        move_query("study", StudyInstanceUID="1.2.826.0.1.1.1")],
                         ids=["IMAGE", "lower-case"])
def test_bad_level_orthanc_variant(srv: ReferenceServer, net: Any, identifier: Dataset) -> None:
    net.seed(srv, [net.instance(1, 1, 1, 1)])
    result = net.client(srv, "TEN_EMPTY").move(identifier, net.DEST_AET)
    assert result.final_status == Status.UNABLE_TO_PROCESS, result.describe()


def test_main_server_move_matching_nothing_is_refused(srv: ReferenceServer, net: Any) -> None:
    identifier = move_query("STUDY", StudyInstanceUID="1.2.3.404")
    result = net.client(srv, net.MAIN_AET).move(identifier, net.DEST_AET)
    assert result.final_status == Status.UNABLE_TO_PROCESS, result.describe()


def test_main_server_sends_everything_per_instance(srv: ReferenceServer, net: Any,
                                                   dest_scp: StorageSCP) -> None:
    seeded = net.seed(srv, [net.instance(1, 1, 1, n) for n in (1, 2, 3)])
    result = net.client(srv, net.MAIN_AET).move(move_query("PATIENT", PatientID="P1"), net.DEST_AET)
    assert result.final_status == Status.SUCCESS, result.describe()
    assert result.final is not None and result.final.suboperations.completed == 3
    assert dest_scp.received_uids() == {item.sop_uid for item in seeded}
    assert {(r.calling_aet, r.called_aet) for r in dest_scp.received()} == {("ORTHANC", net.DEST_AET)}


def test_dicom_variant_counts_instances_and_calls_the_destination(dsrv: ReferenceServer, net: Any,
                                                                  dest_scp: StorageSCP) -> None:
    seeded = net.seed(dsrv, [net.instance(1, 1, 1, n) for n in (1, 2, 3)])
    result = net.client(dsrv, "TEN_EMPTY").move(move_query("SERIES", SeriesInstanceUID=str(
        seeded[0].ds.SeriesInstanceUID)), net.DEST_AET)
    statuses = [r.status for r in result.responses]
    assert statuses == [Status.PENDING, Status.PENDING, Status.SUCCESS], result.describe()
    assert result.final is not None and result.final.suboperations.completed == 3
    assert dest_scp.received_uids() == {item.sop_uid for item in seeded}
    assert {(r.calling_aet, r.called_aet) for r in dest_scp.received()} == {("TEN_EMPTY", net.DEST_AET)}
    unknown = net.client(dsrv, "TEN_EMPTY").move(move_query("PATIENT", PatientID="P1"), "NOBODY")
    assert unknown.final_status == Status.MOVE_DESTINATION_UNKNOWN, unknown.describe()
    nothing = net.client(dsrv, "TEN_A").move(move_query("PATIENT", PatientID="P1"), net.DEST_AET)
    assert nothing.final_status == Status.SUCCESS, nothing.describe()


def test_destination_down_gets_a_status_at_once(srv: ReferenceServer, net: Any) -> None:
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind((net.HOST, 0))
        dead_port = int(probe.getsockname()[1])
    srv.registry.put(ModalityConfig(name="dead", aet="DEAD", host=net.HOST, port=dead_port))
    try:
        net.seed(srv, [net.instance(1, 1, 1, 1)])
        result = net.client(srv, "TEN_EMPTY").move(move_query("PATIENT", PatientID="P1"), "DEAD")
        assert result.final_status == Status.OUT_OF_RESOURCES_SUBOPERATIONS, result.describe()
        assert result.final is not None and result.final.suboperations.failed == 1
    finally:
        srv.registry.remove("dead")
