"""FIND-6: what a tenant's C-FIND answer holds, and the response sequence.

One Pending (0xFF00) per match then Success; each answer holds the requested keys that are main
tags of the level (plus the patient's at STUDY) and have a stored value -- no empty ones, no parent
UIDs at SERIES/INSTANCE even when given as a filter, no computed keys -- plus QueryRetrieveLevel,
RetrieveAETitle (the tenant's AET) and SpecificCharacterSet. Expected content: ``expected_answer``.
"""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.answers import find_problems, lbl5_options
from conformance.dimse import DimseClient, DimseResult
from conformance.model import Archive, Level, ResourceKey, expected_answer, showing_labels
from conformance.scenarios import dataset_value, identifier, seeded
from conformance.status import Status, describe
from conformance.strategies import fixed_archive
from conformance.targets import TargetInfo, TenantInfo

REQUESTED: dict[Level, dict[str, str]] = {
    Level.PATIENT: {
        "PatientID": "{P}-P0",
        "PatientName": "",
        "PatientSex": "",
        "PatientBirthDate": "",
        "OtherPatientIDs": "",
        "StudyInstanceUID": "",
        "NumberOfPatientRelatedStudies": "",
    },
    Level.STUDY: {
        "StudyInstanceUID": "{U}.0.0",
        "PatientID": "",
        "PatientName": "",
        "StudyDate": "",
        "StudyTime": "",
        "StudyDescription": "",
        "AccessionNumber": "",
        "ReferringPhysicianName": "",
        "InstitutionName": "",
        "ModalitiesInStudy": "",
        "NumberOfStudyRelatedSeries": "",
        "NumberOfStudyRelatedInstances": "",
        "SOPClassesInStudy": "",
        "InstanceAvailability": "",
        "SeriesInstanceUID": "",
        "PatientAge": "",
    },
    Level.SERIES: {
        "SeriesInstanceUID": "",
        "StudyInstanceUID": "{U}.0.0",
        "PatientID": "",
        "Modality": "",
        "SeriesDescription": "",
        "SeriesNumber": "",
        "BodyPartExamined": "",
        "ProtocolName": "",
        "NumberOfSeriesRelatedInstances": "",
        "StudyDate": "",
    },
    Level.INSTANCE: {
        "SOPInstanceUID": "",
        "SeriesInstanceUID": "{U}.0.0.1",
        "StudyInstanceUID": "",
        "InstanceNumber": "",
        "SOPClassUID": "",
        "ImageComments": "",
        "NumberOfFrames": "",
        "PatientID": "",
    },
}


def _sequence_problems(result: DimseResult) -> list[str]:
    statuses = [r.status for r in result.responses]
    if not statuses or statuses[-1] != Status.SUCCESS:
        return [f"expected Pending... then {describe(Status.SUCCESS)}, got {result.describe()}"]
    if any(s != Status.PENDING for s in statuses[:-1]):
        return [f"every response before the last must be {describe(Status.PENDING)}: {result.describe()}"]
    if any(r.identifier is None for r in result.responses[:-1]):
        return ["a Pending response without an identifier"]
    return []


def _content_problems(
    result: DimseResult, archive: Archive, level: Level, keys: dict[str, str], tenant: TenantInfo
) -> list[str]:
    problems: list[str] = []
    for ds in result.matches:
        uid = dataset_value(ds, level.unique_key)
        key = ResourceKey(level, uid or "")
        if key not in archive:
            continue  # judged by find_problems
        got = {elem.keyword: dataset_value(ds, elem.keyword) or "" for elem in ds if elem.keyword}
        want = expected_answer(archive, key, keys, tenant.aet, level.wire_name)
        for kw in sorted(set(got) | set(want)):
            if got.get(kw) != want.get(kw):
                problems.append(
                    f"{key}: {kw} expected {want.get(kw, '<absent>')!r}, got {got.get(kw, '<absent>')!r}"
                )
    return problems


@pytest.mark.clause("FIND-6")
def test_answers_hold_exactly_the_stored_requested_keys(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    show = showing_labels(tenant)
    spec = fixed_archive(patients=1, studies=1, series=2, labels=lambda _l, _u: show)
    problems: list[str] = []
    with seeded(admin, spec) as seed:
        for level, template in REQUESTED.items():
            keys = {k: v.replace("{P}", seed.token).replace("{U}", seed.root) for k, v in template.items()}
            result = dimse.find(
                identifier(level.wire_name, keys), "patient" if level is Level.PATIENT else "study"
            )
            found = _sequence_problems(result)
            found += find_problems(result, seed.archive, tenant, level, keys, lbl5_options(target), admin)
            if not result.matches:
                found.append("no match to judge the content of")
            found += _content_problems(result, seed.archive, level, keys, tenant)
            problems += [f"{level.name}: {p}" for p in found]
    assert not problems, "\n".join(problems)
