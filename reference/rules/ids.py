"""Orthanc resource IDs (SPEC section 9).

An ID is the SHA-1 of the identifier chain joined with `|` (patient ID; patient ID|study UID; ...|series
UID; ...|SOP instance UID), as 40 lower-case hex digits cut into five dash-separated groups of eight.
Checked against Orthanc 1.12.7: PatientID "P1", study "1.2.3", series "1.2.3.4", SOP "1.2.3.4.5" gives
patient bdaf1eca-33d4619e-80e8ca68-9a1b74a4-febbbb29 (see tests/reference/test_rules_ids.py).
"""

from __future__ import annotations

import hashlib
import re

_ID = re.compile(r"[0-9a-f]{8}(-[0-9a-f]{8}){4}")


def orthanc_id(*chain: str) -> str:
    """The ID of the resource identified by `chain` (from the patient ID down)."""
    digest = hashlib.sha1("|".join(chain).encode("utf-8")).hexdigest()
    return "-".join(digest[i:i + 8] for i in range(0, 40, 8))


def resource_id_chain(patient_id: str, study_uid: str, series_uid: str,
                      sop_uid: str) -> tuple[str, str, str, str]:
    """The patient, study, series and instance IDs of one instance."""
    return (orthanc_id(patient_id), orthanc_id(patient_id, study_uid),
            orthanc_id(patient_id, study_uid, series_uid),
            orthanc_id(patient_id, study_uid, series_uid, sop_uid))


def looks_like_id(text: str) -> bool:
    """Whether `text` has the shape of an Orthanc resource ID."""
    return _ID.fullmatch(text) is not None
