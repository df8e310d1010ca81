"""The model's expected answers: FIND-1/2 per-level isolation, MOVE-1/2/3/7, STORE-2, FIND-6."""

from __future__ import annotations

from conformance.model import (
    Archive,
    Level,
    ResourceKey,
    Tenant,
    delete,
    expected_answer,
    expected_find,
    expected_move,
    expected_store_labels,
    orthanc_id,
    relabel,
    store,
)

ALL_A = Tenant("ALL_A", ("a",), "All")
NONE_A = Tenant("NONE_A", ("a",), "None")


def _values(p: str, st: str, se: str, sop: str, **extra: str) -> dict[str, str]:
    return {
        "PatientID": p,
        "StudyInstanceUID": st,
        "SeriesInstanceUID": se,
        "SOPInstanceUID": sop,
        "PatientName": "DOE^JOHN",
        "StudyDate": "20200615",
        "Modality": "CT",
        **extra,
    }


def _archive() -> Archive:
    a = Archive()
    a = store(a, _values("P1", "1.1", "1.1.1", "1.1.1.1"))
    a = store(a, _values("P1", "1.1", "1.1.1", "1.1.1.2"))
    a = store(a, _values("P1", "1.1", "1.1.2", "1.1.2.1", Modality="MR"))
    a = store(a, _values("P2", "2.1", "2.1.1", "2.1.1.1", StudyDate="20150101"))
    return a


def k(level: Level, uid: str) -> ResourceKey:
    return ResourceKey(level, uid)


def test_labelled_study_does_not_make_its_series_visible() -> None:  # FIND-2
    a = relabel(_archive(), k(Level.STUDY, "1.1"), add=["a"])
    assert expected_find(a, ALL_A, Level.STUDY, {"StudyInstanceUID": ""}).must == {k(Level.STUDY, "1.1")}
    assert expected_find(a, ALL_A, Level.SERIES, {"SeriesInstanceUID": ""}).may == frozenset()
    assert expected_find(a, ALL_A, Level.PATIENT, {"PatientID": ""}).may == frozenset()


def test_labelled_series_does_not_make_its_study_visible() -> None:  # FIND-2
    a = relabel(_archive(), k(Level.SERIES, "1.1.2"), add=["a"])
    assert expected_find(a, ALL_A, Level.STUDY, {}).may == frozenset()
    assert expected_find(a, ALL_A, Level.SERIES, {}).must == {k(Level.SERIES, "1.1.2")}


def test_none_tenant_sees_unlabelled_and_matches_parent_keys() -> None:  # FIND-1, FIND-5
    a = relabel(_archive(), k(Level.SERIES, "1.1.2"), add=["a"])
    exp = expected_find(a, NONE_A, Level.SERIES, {"StudyInstanceUID": "1.1"})
    assert exp.exact and exp.must == {k(Level.SERIES, "1.1.1")}
    exp = expected_find(a, NONE_A, Level.STUDY, {"PatientID": "p*", "StudyDate": "-20191231"})
    assert exp.must == {k(Level.STUDY, "2.1")}


def test_keys_of_lower_levels_only_bound_the_answer() -> None:  # FIND-1
    a = _archive()
    exp = expected_find(a, NONE_A, Level.STUDY, {"SeriesInstanceUID": "1.1.2"})
    assert exp.must == frozenset()
    assert exp.may == {k(Level.STUDY, "1.1"), k(Level.STUDY, "2.1")}


def test_uid_wildcard_never_widens() -> None:  # FIND-5
    exp = expected_find(_archive(), NONE_A, Level.STUDY, {"StudyInstanceUID": "1.*"})
    assert exp.failure_allowed and exp.may == frozenset()
    assert exp.problems({k(Level.STUDY, "1.1")}) == ["unexpected ['STUDY:1.1']"]


def test_move_sends_every_instance_of_a_visible_resource() -> None:  # MOVE-1, MOVE-2
    a = relabel(_archive(), k(Level.SERIES, "1.1.1"), add=["a"])
    a = relabel(a, k(Level.INSTANCE, "1.1.1.2"), add=["a"])
    exp = expected_move(a, NONE_A, Level.SERIES, {"SeriesInstanceUID": "1.1.1\\1.1.2"})
    assert exp.must == {"1.1.2.1"}  # 1.1.1 is hidden by its own label
    exp = expected_move(a, ALL_A, Level.SERIES, {"SeriesInstanceUID": "1.1.1"})
    assert exp.must == {"1.1.1.1", "1.1.1.2"}  # whatever the instances' labels


def test_move_without_level_uses_first_level_that_selects_something() -> None:  # MOVE-3
    a = _archive()
    ident = {"SOPInstanceUID": "9.9", "SeriesInstanceUID": "1.1.2", "PatientID": "P2"}
    assert expected_move(a, NONE_A, None, ident).must == {"1.1.2.1"}
    assert expected_move(a, NONE_A, None, {"AccessionNumber": "", "PatientID": "p2"}).must == {"2.1.1.1"}
    assert expected_move(a, NONE_A, None, {}).may == frozenset()  # MOVE-7


def test_store_labels_default_levels() -> None:  # STORE-2
    got = expected_store_labels(Tenant("T", ("a", "b"), "None"))
    assert got[Level.PATIENT] == frozenset()
    assert got[Level.INSTANCE] == {"a", "b"}
    got = expected_store_labels(Tenant("T", ("s",), "All", ("Patients", "image")))
    assert got == {
        Level.PATIENT: {"s"},
        Level.STUDY: frozenset(),
        Level.SERIES: frozenset(),
        Level.INSTANCE: {"s"},
    }


def test_store_is_a_union_and_delete_cascades() -> None:  # STORE-3, LBL-6
    a = store(Archive(), _values("P1", "1.1", "1.1.1", "1.1.1.1"), {Level.STUDY: ["a"]})
    a = store(a, _values("P1", "1.1", "1.1.1", "1.1.1.1"), {Level.STUDY: ["b"]})
    assert a.get(k(Level.STUDY, "1.1")).labels == {"a", "b"}
    a = store(a, _values("P1", "1.2", "1.2.1", "1.2.1.1"))
    a = delete(a, k(Level.SERIES, "1.1.1"))
    assert k(Level.STUDY, "1.1") not in a and k(Level.PATIENT, "P1") in a
    a = delete(a, k(Level.INSTANCE, "1.2.1.1"))
    assert a.resources == {}


def test_answer_content() -> None:  # FIND-6
    a = _archive()
    ident = {
        "StudyInstanceUID": "",
        "PatientName": "",
        "StudyDescription": "",
        "ModalitiesInStudy": "",
        "QueryRetrieveLevel": "STUDY",
    }
    assert expected_answer(a, k(Level.STUDY, "1.1"), ident, "T", "STUDY") == {
        "StudyInstanceUID": "1.1",
        "PatientName": "DOE^JOHN",
        "QueryRetrieveLevel": "STUDY",
        "RetrieveAETitle": "T",
        "SpecificCharacterSet": "ISO_IR 100",
    }
    ident = {"SeriesInstanceUID": "", "StudyInstanceUID": "1.1", "Modality": "", "PatientID": ""}
    got = expected_answer(a, k(Level.SERIES, "1.1.2"), ident, "T", "SERIES")
    assert got == {
        "SeriesInstanceUID": "1.1.2",
        "Modality": "MR",
        "QueryRetrieveLevel": "SERIES",
        "RetrieveAETitle": "T",
        "SpecificCharacterSet": "ISO_IR 100",
    }


def test_orthanc_ids_are_sha1_of_the_chain() -> None:  # SPEC section 9
    a = _archive()
    assert a.orthanc_id(k(Level.PATIENT, "P1")) == orthanc_id("P1")
    assert a.orthanc_id(k(Level.SERIES, "1.1.2")) == orthanc_id("P1", "1.1", "1.1.2")
    assert len(orthanc_id("x").split("-")) == 5
