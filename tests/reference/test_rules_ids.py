"""Orthanc resource IDs (SPEC section 9), checked against values observed on Orthanc 1.12.7.

Observed by uploading, with POST /instances to Orthanc 1.12.7 (Debian trixie), instances with
PatientID/StudyInstanceUID/SeriesInstanceUID/SOPInstanceUID as below.
"""

from __future__ import annotations

from reference.rules.ids import looks_like_id, orthanc_id, resource_id_chain


def test_ids_match_real_orthanc() -> None:
    assert resource_id_chain("P1", "1.2.3", "1.2.3.4", "1.2.3.4.5") == (
        "bdaf1eca-33d4619e-80e8ca68-9a1b74a4-febbbb29",
        "ce42f924-f6020bea-aa810144-6941b6f0-88331094",
        "626a5deb-273fd2f8-0801eb57-046b8592-d6992882",
        "7ec54ea4-03b563b4-f9817b30-214c8311-b67e0f83",
    )


def test_same_study_uid_under_another_patient_id_is_another_study() -> None:
    # Orthanc 1.12.7: PatientID "p1" with the same study/series/SOP UIDs as above.
    assert resource_id_chain("p1", "1.2.3", "1.2.3.4", "1.2.3.4.6") == (
        "b78f5766-11ec06f9-6af3ca65-4c22172a-5d746c40",
        "2917e5dd-c705ca33-b4284906-1828e25a-d2bad663",
        "a0561e70-164e9dea-8b731db2-97010ecd-f70b9776",
        "295735ff-7fb707b0-0922bfe3-5d9b1eda-85b2afc4",
    )


def test_non_ascii_patient_id_is_hashed_as_utf8() -> None:
    # Orthanc 1.12.7: PatientID "Éé" stored with SpecificCharacterSet ISO_IR 100.
    assert orthanc_id("Éé") == "27d1c20e-4fc0b0a3-98c724d3-486cc867-ff2a5ebc"


def test_id_shape() -> None:
    assert looks_like_id(orthanc_id("x"))
    assert not looks_like_id("bdaf1eca33d4619e80e8ca689a1b74a4febbbb29")
    assert not looks_like_id("BDAF1ECA-33D4619E-80E8CA68-9A1B74A4-FEBBBB29")
