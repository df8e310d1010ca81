"""Pure C-FIND matching (FIND-5): wildcards, ranges, lists, case rule, UIDs; identifier -> criteria."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from reference.rules.matching import (
    Criterion,
    MatchKind,
    QueryError,
    compile_criterion,
    compile_query,
    criteria_from_identifier,
    criteria_from_rest,
    element_text,
    matches_all,
    requested_tags,
)

PATIENT_NAME, PATIENT_ID, STUDY_DATE, STUDY_TIME, STUDY_UID, MODALITY = (
    0x00100010, 0x00100020, 0x00080020, 0x00080030, 0x0020000D, 0x00080060)


def match(tag: int, vr: str, query: str, stored: str | None, *, case_sensitive: bool = False) -> bool:
    return compile_criterion(Criterion(tag, vr, query), case_sensitive=case_sensitive).matches(stored)


@pytest.mark.parametrize(("query", "stored", "expected"), [
    ("DOE^JOHN", "DOE^JOHN", True),
    ("DOE*", "DOE^JOHN", True),
    ("*JOHN", "DOE^JOHN", True),
    ("D?E^JOHN", "DOE^JOHN", True),
    ("D?E", "DOE^JOHN", False),
    ("*", "anything", True),
    ("DOE", "DOE^JOHN", False),
    ("doe*", "DOE^JOHN", True),          # case-insensitive by default
    ("a.b*", "a.bc", True),              # regex characters are literal
    ("a.b*", "axbc", False),
    ("[ab]*", "[ab]x", True),
])
def test_wildcards_on_string_vrs(query: str, stored: str, expected: bool) -> None:
    assert match(PATIENT_NAME, "PN", query, stored) is expected


def test_pn_case_rule_can_differ_from_other_vrs() -> None:
    # Orthanc's main server: case-sensitive matching, except PN (CaseSensitivePN false).
    main_rule = {"case_sensitive": True, "case_sensitive_pn": False}
    pn = compile_criterion(Criterion(PATIENT_NAME, "PN", "doe*"), **main_rule)
    lo = compile_criterion(Criterion(PATIENT_ID, "LO", "p1"), **main_rule)
    assert pn.matches("DOE^JOHN")
    assert not lo.matches("P1")


def test_case_sensitive_parameter() -> None:
    assert match(PATIENT_ID, "LO", "p1", "P1")
    assert not match(PATIENT_ID, "LO", "p1", "P1", case_sensitive=True)
    assert not match(PATIENT_NAME, "PN", "doe*", "DOE^JOHN", case_sensitive=True)


@pytest.mark.parametrize(("query", "stored", "expected"), [
    ("20240101-20240131", "20240115", True),
    ("20240101-20240131", "20240101", True),    # inclusive
    ("20240101-20240131", "20240131", True),
    ("20240101-20240131", "20240201", False),
    ("20240101-", "20991231", True),
    ("20240101-", "20231231", False),
    ("-20240101", "19000101", True),
    ("-20240101", "20240102", False),
    ("20240115", "20240115", True),
    ("20240101-20240131", "", False),
    ("20240101-20240131", None, False),
])
def test_date_ranges(query: str, stored: str | None, expected: bool) -> None:
    assert match(STUDY_DATE, "DA", query, stored) is expected


def test_time_range() -> None:
    assert match(STUDY_TIME, "TM", "100000-110000", "101500")
    assert not match(STUDY_TIME, "TM", "100000-110000", "120000")


def test_dash_is_not_a_range_on_other_vrs() -> None:
    assert match(PATIENT_ID, "LO", "A-B", "a-b")
    assert not match(PATIENT_ID, "LO", "A-C", "B")


def test_lists() -> None:
    assert match(MODALITY, "CS", "CT\\MR", "MR")
    assert match(MODALITY, "CS", "CT\\MR", "ct")
    assert not match(MODALITY, "CS", "CT\\MR", "US")
    assert match(STUDY_UID, "UI", "1.2\\1.3", "1.3")
    assert not match(STUDY_UID, "UI", "1.2\\1.3", "1.2.3")


def test_uids_are_case_insensitive_by_default_and_exact() -> None:
    assert match(STUDY_UID, "UI", "1.2.3", "1.2.3")
    assert not match(STUDY_UID, "UI", "1.2", "1.2.3")
    assert match(STUDY_UID, "UI", "1.2.A", "1.2.a")


@pytest.mark.parametrize("query", ["*", "1.2.*", "1.2.?", "?"])
def test_wildcards_in_uid_keys_are_refused_never_widened(query: str) -> None:
    with pytest.raises(QueryError):
        compile_criterion(Criterion(STUDY_UID, "UI", query))


@pytest.mark.parametrize(("tag", "vr", "query"), [(STUDY_DATE, "DA", "2024*"), (0x00200013, "IS", "3*")])
def test_wildcards_on_non_string_vrs_are_refused(tag: int, vr: str, query: str) -> None:
    # Orthanc 1.12.7 /tools/find: 400 "Wildcards are not allowed on tag 0008,0020".
    with pytest.raises(QueryError):
        compile_criterion(Criterion(tag, vr, query))


def test_list_items_are_never_wildcards_not_even_in_uids() -> None:
    # Orthanc 1.12.7: PatientID "P*\\x" and StudyInstanceUID "1.2.3*\\x" match nothing, no error.
    assert not match(PATIENT_ID, "LO", "P*\\x", "P1")
    assert not match(STUDY_UID, "UI", "1.2.3*\\x", "1.2.3")


def test_lone_star_needs_a_value_and_values_are_not_trimmed() -> None:
    # Orthanc 1.12.7: InstitutionName "*" does not match a study without InstitutionName;
    # StudyDate "20240102 " (trailing space) matches nothing.
    assert not match(0x00080080, "LO", "*", None)
    assert match(0x00080080, "LO", "*", "")
    assert not match(STUDY_DATE, "DA", "20240102 ", "20240102")


def test_empty_query_is_universal_even_for_missing_values() -> None:
    matcher = compile_criterion(Criterion(PATIENT_ID, "LO", ""))
    assert matcher.kind is MatchKind.UNIVERSAL
    assert matcher.matches(None)


def test_missing_value_never_matches_a_real_key() -> None:
    assert not match(PATIENT_ID, "LO", "P*", None)
    assert not match(PATIENT_ID, "LO", "P1", None)


def test_compile_query_drops_universal_and_matches_all() -> None:
    matchers = compile_query([Criterion(PATIENT_ID, "LO", ""), Criterion(MODALITY, "CS", "CT"),
                              Criterion(PATIENT_NAME, "PN", "*")])
    assert [m.kind for m in matchers] == [MatchKind.EQUAL, MatchKind.WILDCARD]
    assert matches_all(matchers, {MODALITY: "CT", PATIENT_NAME: "X"})
    assert not matches_all(matchers, {MODALITY: "MR", PATIENT_NAME: "X"})
    assert not matches_all(matchers, {MODALITY: "CT"})


def test_criteria_from_identifier() -> None:
    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientID = "P*"
    ds.StudyInstanceUID = ""
    ds.StudyDate = "20240101-"
    ds.ModalitiesInStudy = ["CT", "MR"]
    criteria = criteria_from_identifier(ds)
    assert {(c.keyword, c.vr, c.value) for c in criteria} == {
        ("SpecificCharacterSet", "CS", "ISO_IR 100"), ("PatientID", "LO", "P*"),
        ("StudyDate", "DA", "20240101-"), ("ModalitiesInStudy", "CS", "CT\\MR")}
    without_charset = criteria_from_identifier(ds, charset_is_filter=False)
    assert "SpecificCharacterSet" not in {c.keyword for c in without_charset}
    assert set(requested_tags(ds)) == {0x00080052, 0x00080005, PATIENT_ID, STUDY_UID, STUDY_DATE, 0x00080061}


def test_undecodable_identifier_element_fails_the_query() -> None:
    from pydicom.dataelem import RawDataElement
    from pydicom.tag import Tag

    ds = Dataset()
    ds.QueryRetrieveLevel = "STUDY"
    # A US value whose length is not a multiple of 2 cannot be decoded.
    ds._dict[Tag(0x00540081)] = RawDataElement(Tag(0x00540081), "US", 3, b"\x01\x02\x03", 0, False, True)
    with pytest.raises(QueryError):
        criteria_from_identifier(ds)


def test_criteria_from_rest_accepts_keywords_and_hex_tags() -> None:
    criteria = criteria_from_rest({"PatientID": "P1", "0020,000d": "1.2.3"})
    assert [(c.tag, c.vr) for c in criteria] == [(PATIENT_ID, "LO"), (STUDY_UID, "UI")]
    with pytest.raises(QueryError):
        criteria_from_rest({"NoSuchKeyword": "x"})
    with pytest.raises(QueryError):
        criteria_from_rest({"PatientID": 3})


def test_element_text_shapes() -> None:
    ds = Dataset()
    ds.PatientName = "Doe^John"
    ds.ImagePositionPatient = ["0.0", "1.5", "-2"]
    ds.InstanceNumber = "7"
    ds.ReferringPhysicianName = ""
    assert element_text(ds, PATIENT_NAME) == "Doe^John"
    assert element_text(ds, 0x00200032) == "0.0\\1.5\\-2"
    assert element_text(ds, 0x00200013) == "7"
    assert element_text(ds, 0x00080090) == ""
    assert element_text(ds, PATIENT_ID) is None
