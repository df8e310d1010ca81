"""What a tenant's C-FIND answer holds (FIND-6)."""

from __future__ import annotations

from reference.rules.answers import answer_values, build_find_answer, charset_of
from reference.rules.levels import Level

PATIENT_ID, PATIENT_NAME, STUDY_UID, SERIES_UID, MODALITY, MODALITIES_IN_STUDY, NUM_INSTANCES = (
    0x00100020, 0x00100010, 0x0020000D, 0x0020000E, 0x00080060, 0x00080061, 0x00201208)
STUDY_TAGS = {"StudyInstanceUID": "1.2.3", "StudyDate": "20240115", "ReferringPhysicianName": ""}
PATIENT_TAGS = {"PatientID": "P1", "PatientName": "DOE^JOHN"}


def test_study_answer_holds_requested_main_tags_and_patient_tags() -> None:
    requested = [0x00080052, PATIENT_ID, STUDY_UID, 0x00080020, MODALITIES_IN_STUDY, NUM_INSTANCES,
                 0x00081030]
    ds = build_find_answer(Level.STUDY, requested, STUDY_TAGS, patient_tags=PATIENT_TAGS,
                           retrieve_aet="HELLO")
    assert ds.PatientID == "P1"
    assert ds.StudyInstanceUID == "1.2.3"
    assert ds.StudyDate == "20240115"
    assert "PatientName" not in ds                     # not requested
    assert "ModalitiesInStudy" not in ds               # computed: never returned
    assert "NumberOfStudyRelatedInstances" not in ds
    assert "StudyDescription" not in ds                # requested but no stored value: omitted
    assert ds.QueryRetrieveLevel == "STUDY"
    assert ds.RetrieveAETitle == "HELLO"
    assert ds.SpecificCharacterSet == "ISO_IR 100"


def test_stored_empty_value_is_returned_empty() -> None:
    ds = build_find_answer(Level.STUDY, [0x00080090], STUDY_TAGS, retrieve_aet="A")
    assert "ReferringPhysicianName" in ds and ds.ReferringPhysicianName == ""


def test_series_answer_carries_no_parent_uid_even_when_given_as_filter() -> None:
    values = answer_values(Level.SERIES, [STUDY_UID, SERIES_UID, MODALITY, PATIENT_ID],
                           {"SeriesInstanceUID": "1.2.3.4", "Modality": "CT"}, PATIENT_TAGS)
    assert values == {SERIES_UID: ("UI", "1.2.3.4"), MODALITY: ("CS", "CT")}


def test_patient_tags_only_at_study_level() -> None:
    assert answer_values(Level.SERIES, [PATIENT_NAME], {}, PATIENT_TAGS) == {}
    assert answer_values(Level.STUDY, [PATIENT_NAME], {}, PATIENT_TAGS) == {PATIENT_NAME: ("PN", "DOE^JOHN")}


def test_numeric_main_tag_is_encoded_with_its_vr() -> None:
    ds = build_find_answer(Level.SERIES, [0x00540081], {"NumberOfSlices": "12"}, retrieve_aet="A",
                           level_text="SERIES")
    assert ds.NumberOfSlices == 12


def test_level_text_and_charset() -> None:
    ds = build_find_answer(Level.INSTANCE, [], {}, retrieve_aet="T", charset=charset_of("Utf8"),
                           level_text="IMAGE")
    assert ds.QueryRetrieveLevel == "IMAGE"
    assert ds.SpecificCharacterSet == "ISO_IR 192"
    assert charset_of("Latin1") == "ISO_IR 100"


def test_answers_match_a_real_orthanc_tenant() -> None:
    # Orthanc 1.12.7 + MultitenantDicom, tenant HELLO, findscu -S with these keys, against the study
    # and series whose stored main tags are below (GET /studies/{id} and /series/{id} of that Orthanc).
    study_tags = {"AccessionNumber": "ACC1", "ReferringPhysicianName": "", "StudyDate": "20240102",
                  "StudyDescription": "desc", "StudyID": "S1", "StudyInstanceUID": "1.2.3",
                  "StudyTime": "101010"}
    patient_tags = {"PatientBirthDate": "19700101", "PatientID": "P1", "PatientName": "Doe^John",
                    "PatientSex": "M"}
    requested = [0x00080005, 0x00080020, 0x00080052, 0x00080061, 0x00080080, 0x00080090, 0x00081030,
                 0x00100010, 0x00100020, 0x0020000D, 0x00201208]
    study = build_find_answer(Level.STUDY, requested, study_tags, patient_tags=patient_tags,
                              retrieve_aet="HELLO")
    observed_study = [("SpecificCharacterSet", "ISO_IR 100"), ("StudyDate", "20240102"),
                      ("QueryRetrieveLevel", "STUDY"), ("RetrieveAETitle", "HELLO"),
                      ("ReferringPhysicianName", ""), ("StudyDescription", "desc"),
                      ("PatientName", "Doe^John"), ("PatientID", "P1"), ("StudyInstanceUID", "1.2.3")]
    assert [(e.keyword, str(e.value)) for e in study] == observed_study

    series_tags = {"Modality": "CT", "SeriesDescription": "sdesc", "SeriesInstanceUID": "1.2.3.4",
                   "SeriesNumber": "1"}
    requested = [0x00080052, 0x0020000D, 0x0020000E, 0x00080060, 0x00100020, 0x00200011]
    series = build_find_answer(Level.SERIES, requested, series_tags, retrieve_aet="HELLO")
    observed_series = [("SpecificCharacterSet", "ISO_IR 100"), ("QueryRetrieveLevel", "SERIES"),
                       ("RetrieveAETitle", "HELLO"), ("Modality", "CT"), ("SeriesInstanceUID", "1.2.3.4"),
                       ("SeriesNumber", "1")]
    assert [(e.keyword, str(e.value)) for e in series] == observed_series
