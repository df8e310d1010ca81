"""C-ECHO and C-STORE through the main server and every tenant (ECHO-1, STORE-1..5), over real sockets."""

from __future__ import annotations

from typing import Any

import pytest
from pydicom import Dataset

from reference.dicom.status import Status
from reference.rules.levels import LEVELS, Level
from reference.server import ReferenceServer

STORE_LEVELS_DEFAULT = {Level.STUDY, Level.SERIES, Level.INSTANCE}


def _labels(server: ReferenceServer, level: Level, resource_id: str) -> set[str]:
    assert server.archive is not None
    return set(server.archive.labels(level, resource_id))


def test_every_listener_answers_echo(srv: ReferenceServer, net: Any) -> None:
    for aet in [net.MAIN_AET, *net.TENANTS]:
        result = net.client(srv, aet, calling="ANYONE").echo()
        assert result.final_status == Status.SUCCESS, f"{aet}: {result.describe()}"


@pytest.mark.parametrize("aet", ["TEN_A", "TEN_AB_ALL", "TEN_AB_ANY", "TEN_NOT_A", "TEN_EMPTY", "TEN_B_PS"])
def test_store_labels_exactly_the_store_levels(srv: ReferenceServer, net: Any, aet: str) -> None:
    labels, _constraint, levels = net.TENANTS[aet]
    store_levels = STORE_LEVELS_DEFAULT if levels is None else {Level(name) for name in levels}
    ds = net.instance(1, 1, 1, 1)
    result = net.client(srv, aet, calling="ANY_SCU").store(ds)
    assert result.final_status == Status.SUCCESS, result.describe()
    ids = net.ids_of(ds)
    for level in LEVELS:
        expected = set(labels) if level in store_levels else set()
        assert _labels(srv, level, ids[level]) == expected, f"{aet} at {level}"


def test_store_through_main_server_applies_no_label(srv: ReferenceServer, net: Any) -> None:
    ds = net.instance(1, 1, 1, 1)
    assert net.client(srv, net.MAIN_AET).store(ds).final_status == Status.SUCCESS
    ids = net.ids_of(ds)
    assert srv.archive is not None
    assert srv.archive.get(Level.INSTANCE, ids[Level.INSTANCE]) is not None  # STORE-1
    assert all(_labels(srv, level, ids[level]) == set() for level in LEVELS)


def test_restore_through_another_tenant_unions_labels(srv: ReferenceServer, net: Any) -> None:
    ds = net.instance(2, 1, 1, 1)
    assert net.client(srv, "TEN_A").store(ds).final_status == Status.SUCCESS
    again = net.client(srv, "TEN_B_PS").store(ds)
    assert again.final_status == Status.SUCCESS, again.describe()  # STORE-3: Success, not a warning
    ids = net.ids_of(ds)
    assert _labels(srv, Level.PATIENT, ids[Level.PATIENT]) == {"b"}
    assert _labels(srv, Level.STUDY, ids[Level.STUDY]) == {"a"}
    assert _labels(srv, Level.SERIES, ids[Level.SERIES]) == {"a", "b"}
    assert _labels(srv, Level.INSTANCE, ids[Level.INSTANCE]) == {"a"}


def test_store_without_sop_uids_is_unable_to_process(srv: ReferenceServer, net: Any) -> None:
    ds = net.instance(3, 1, 1, 1)
    del ds.SOPInstanceUID
    result = net.client(srv, "TEN_A").store(ds, sop_class_uid=str(ds.SOPClassUID),
                                            sop_instance_uid="1.2.826.0.1.3.1.1.1")
    assert result.final_status == Status.UNABLE_TO_PROCESS, result.describe()
    assert srv.archive is not None and srv.archive.list_ids(Level.INSTANCE) == []


def test_store_whose_uids_differ_from_the_command_is_refused(srv: ReferenceServer, net: Any) -> None:
    ds: Dataset = net.instance(3, 1, 1, 2)
    result = net.client(srv, "TEN_A").store(ds, sop_class_uid=str(ds.SOPClassUID),
                                            sop_instance_uid="1.2.826.0.1.99")
    assert result.final_status == Status.DATASET_DOES_NOT_MATCH_SOP_CLASS, result.describe()
    assert srv.archive is not None and srv.archive.list_ids(Level.INSTANCE) == []


PRIVATE_SOP_CLASS = "1.2.826.0.1.3680043.9.7433.1.99"


@pytest.mark.parametrize("accepted", [False, True], ids=["default", "UnknownSopClassAccepted"])
def test_unknown_sop_class_only_when_accepted(tmp_path: Any, net: Any, accepted: bool) -> None:
    config = net.make_config(1, tenants={"TEN": (["t"], "All", None)}, UnknownSopClassAccepted=accepted)
    with ReferenceServer(config, tmp_path / "archive") as server:
        negotiated = net.client(server, "TEN").negotiate([PRIVATE_SOP_CLASS])
        assert (PRIVATE_SOP_CLASS in negotiated.accepted_contexts) is accepted, negotiated.describe()
        if accepted:
            ds = net.instance(1, 1, 1, 1)
            ds.SOPClassUID = PRIVATE_SOP_CLASS
            ds.file_meta.MediaStorageSOPClassUID = PRIVATE_SOP_CLASS
            result = net.client(server, "TEN").store(ds)
            assert result.final_status == Status.SUCCESS, result.describe()
            ids = net.ids_of(ds)
            assert _labels(server, Level.INSTANCE, ids[Level.INSTANCE]) == {"t"}
