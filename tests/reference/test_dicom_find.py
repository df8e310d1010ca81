"""C-FIND through every tenant at every level, both information models (FIND-1..6), over real sockets.

The archive is a 2x2x2x2 grid whose resources carry labels cycling through {a}, {b}, {a,b}, {} with a
different phase per level, so that every tenant sees a different, non-trivial subset at every level and
a resource's visibility never follows from its parent's (FIND-2). The expected answer is computed here,
independently of the reference's own visibility function.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydicom import Dataset

from reference.dicom.status import Status
from reference.rules.levels import LEVELS, Level
from reference.server import ReferenceServer

from .label_grid import KEYS, LABEL_CYCLE, expected_visible
from .label_grid import identifier as query


def seed_labelled(server: ReferenceServer, net: Any) -> dict[Level, dict[str, frozenset[str]]]:
    """Seed the grid and label it; level -> key value (PatientID or UID) -> its labels."""
    seeded = net.seed(server, net.grid())
    archive = server.archive
    assert archive is not None
    labelled: dict[Level, dict[str, frozenset[str]]] = {}
    for phase, level in enumerate(LEVELS):
        values: dict[str, str] = {}  # resource ID -> key value
        for item in seeded:
            values[item.ids[level]] = str(item.ds[KEYS[level]].value)
        labelled[level] = {}
        for index, (resource_id, key_value) in enumerate(sorted(values.items(), key=lambda kv: kv[1])):
            labels = LABEL_CYCLE[(index + phase) % len(LABEL_CYCLE)]
            for label in labels:
                archive.add_label(level, resource_id, label)
            labelled[level][key_value] = labels
    return labelled


@pytest.mark.parametrize("model", ["study", "patient"])
def test_every_tenant_finds_exactly_its_visible_set_at_every_level(srv: ReferenceServer, net: Any,
                                                                   model: str) -> None:
    labelled = seed_labelled(srv, net)
    for aet, (labels, constraint, _levels) in net.TENANTS.items():
        for level in LEVELS:
            result = net.client(srv, aet).find(query(level.dicom_name, **{KEYS[level]: ""}), model=model)
            assert result.final_status == Status.SUCCESS, f"{aet} {level}: {result.describe()}"
            got = sorted(str(answer[KEYS[level]].value) for answer in result.matches)
            want = sorted(value for value, own in labelled[level].items()
                          if expected_visible(own, frozenset(labels), constraint))
            assert got == want, f"{aet} at {level.dicom_name} ({model} root)"


def test_main_server_sees_everything(srv: ReferenceServer, net: Any) -> None:
    labelled = seed_labelled(srv, net)
    for level in LEVELS:
        result = net.client(srv, net.MAIN_AET).find(query(level.dicom_name, **{KEYS[level]: ""}))
        assert result.final_status == Status.SUCCESS, result.describe()
        assert sorted(str(a[KEYS[level]].value) for a in result.matches) == sorted(labelled[level])


def test_keys_never_widen_the_visible_set(srv: ReferenceServer, net: Any) -> None:
    labelled = seed_labelled(srv, net)
    hidden = [uid for uid, own in labelled[Level.STUDY].items() if "a" not in own]
    assert hidden, "the seeded archive must hide some study from TEN_A"
    result = net.client(srv, "TEN_A").find(query("STUDY", StudyInstanceUID="\\".join(hidden)))
    assert result.final_status == Status.SUCCESS and result.matches == [], result.describe()
    result = net.client(srv, "TEN_A").find(query("STUDY", PatientID="P*", StudyInstanceUID=""))
    got = {str(a.StudyInstanceUID) for a in result.matches}
    assert got == {uid for uid, own in labelled[Level.STUDY].items() if "a" in own}


def test_answer_content(srv: ReferenceServer, net: Any) -> None:
    seeded = net.seed(srv, [net.instance(1, 1, 1, 1)])
    archive = srv.archive
    assert archive is not None
    archive.add_label(Level.SERIES, seeded[0].ids[Level.SERIES], "a")
    identifier = query("SERIES", StudyInstanceUID=str(seeded[0].ds.StudyInstanceUID), SeriesInstanceUID="",
                       Modality="", SeriesDescription="", ModalitiesInStudy="")
    result = net.client(srv, "TEN_A").find(identifier)
    assert result.final_status == Status.SUCCESS and len(result.matches) == 1, result.describe()
    answer = result.matches[0]
    assert answer.RetrieveAETitle == "TEN_A"
    assert answer.SpecificCharacterSet == "ISO_IR 100"
    assert answer.QueryRetrieveLevel == "SERIES"
    assert answer.Modality == "CT"
    assert "StudyInstanceUID" not in answer  # FIND-6: no parent UID, even given as a filter
    assert "ModalitiesInStudy" not in answer


@pytest.mark.parametrize("identifier", [
    query(None, StudyInstanceUID=""),
    query("IMAGE", SOPInstanceUID=""),
    query("study", StudyInstanceUID=""),
    query("STUDY", StudyInstanceUID="1.2.826.*"),
], ids=["missing-level", "IMAGE", "lower-case", "uid-wildcard"])
@pytest.mark.parametrize("aet", ["TEN_EMPTY", "ORTHANC"])
def test_bad_requests_are_unable_to_process(srv: ReferenceServer, net: Any, identifier: Dataset,
                                            aet: str) -> None:
    net.seed(srv, [net.instance(1, 1, 1, 1)])
    result = net.client(srv, aet).find(identifier)
    assert result.final_status == Status.UNABLE_TO_PROCESS, result.describe()
    assert result.matches == []


def test_dicom_variant_accepts_image(dsrv: ReferenceServer, net: Any) -> None:
    net.seed(dsrv, [net.instance(1, 1, 1, 1)])
    result = net.client(dsrv, "TEN_EMPTY").find(query("IMAGE", SOPInstanceUID=""))
    assert result.final_status == Status.SUCCESS, result.describe()
    assert [str(a.SOPInstanceUID) for a in result.matches] == ["1.2.826.0.1.1.1.1.1"]
