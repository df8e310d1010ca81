"""FIND-5: matching semantics of a tenant's C-FIND, one family of rules per test.

Each test seeds a small archive visible to the tenant at every level and runs a table of queries;
every answer must be exactly the model's (``conformance.model.matching``). Queries are scoped to the
example's patients by a ``{P}-*`` PatientID. Keys whose answer the spec leaves open (UID keys with
``*``, keys of lower levels) are checked for what the spec does fix: never widen, never reveal a
hidden resource, and answer at all (a hang is an ISO-2 failure).
"""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.answers import client_for, find_problems, lbl5_options, one_per_constraint
from conformance.dimse import DimseClient
from conformance.model import Level, TenantLike, hiding_labels, showing_labels
from conformance.scenarios import Seeded, identifier, seeded
from conformance.strategies import fixed_archive, render
from conformance.targets import TargetInfo, TenantInfo

Case = tuple[Level, dict[str, str]]

WILDCARDS: list[Case] = [
    (Level.PATIENT, {"PatientName": "doe*"}),
    (Level.PATIENT, {"PatientName": "D?E^*"}),
    (Level.PATIENT, {"PatientName": "*ANNA"}),
    (Level.PATIENT, {"PatientID": "{P}-P?"}),
    (Level.STUDY, {"StudyDescription": "chest*"}),
    (Level.STUDY, {"AccessionNumber": "{P}A?1"}),
    (Level.SERIES, {"Modality": "C?"}),
    (Level.SERIES, {"SeriesDescription": "*XIA*"}),
    (Level.INSTANCE, {"PatientName": "smith*"}),
]
RANGES: list[Case] = [
    (Level.STUDY, {"StudyDate": "20150101-20200615"}),
    (Level.STUDY, {"StudyDate": "20200101-"}),
    (Level.STUDY, {"StudyDate": "-20150101"}),
    (Level.STUDY, {"StudyDate": "20160101-20190101"}),
    (Level.SERIES, {"StudyDate": "20200615"}),
]
LISTS: list[Case] = [
    (Level.PATIENT, {"PatientID": "{P}-P0\\{P}-P1"}),
    (Level.STUDY, {"StudyInstanceUID": "{U}.0.0\\{U}.1.1"}),
    (Level.STUDY, {"AccessionNumber": "{P}A01\\{P}A10\\nothing"}),
    (Level.SERIES, {"Modality": "MR\\OT"}),
    (Level.INSTANCE, {"SOPInstanceUID": "{U}.0.0.0.0\\{U}.1.0.1.0"}),
]
CASE_CHANGES: list[Case] = [
    (Level.PATIENT, {"PatientID": "{p}-p1"}),
    (Level.PATIENT, {"PatientName": "smith^anna"}),
    (Level.STUDY, {"AccessionNumber": "{p}a00"}),
    (Level.STUDY, {"StudyDescription": "brain mri"}),
    (Level.SERIES, {"Modality": "mr"}),
    (Level.SERIES, {"SeriesDescription": "CORONAL"}),
]
PARENT_KEYS: list[Case] = [
    (Level.STUDY, {"PatientName": "Doe^Jane"}),
    (Level.SERIES, {"StudyInstanceUID": "{U}.1.0"}),
    (Level.INSTANCE, {"SeriesInstanceUID": "{U}.0.1.1"}),
    (Level.INSTANCE, {"StudyInstanceUID": "{U}.0.0", "Modality": "MR"}),
]


def _fill(value: str, seed: Seeded) -> str:
    lowered = value.replace("{p}", seed.token.lower())
    return render(lowered, seed.token, seed.root)


def _run(
    cases: list[Case],
    tenant: TenantLike,
    target: TargetInfo,
    admin: AdminClient,
    dimse: DimseClient,
    hide: bool = False,
) -> list[str]:
    """Seed 2 patients x 2 studies x 2 series, visible everywhere (or half hidden), run ``cases``."""
    show, hidden = showing_labels(tenant), hiding_labels(tenant)

    def rule(level: Level, uid: str) -> frozenset[str]:
        if hide and hidden is not None and uid.endswith(".1"):
            return hidden
        return show

    problems: list[str] = []
    with seeded(admin, fixed_archive(patients=2, studies=2, series=2, labels=rule)) as seed:
        for level, raw in cases:
            keys = {level.unique_key: "", "PatientID": f"{seed.token}-*"}
            keys.update({k: _fill(v, seed) for k, v in raw.items()})
            result = dimse.find(
                identifier(level.wire_name, keys), "patient" if level is Level.PATIENT else "study"
            )
            found = find_problems(result, seed.archive, tenant, level, keys, lbl5_options(target), admin)
            problems += [f"{level.name} {keys}: {p}" for p in found]
    return problems


@pytest.mark.clause("FIND-5")
def test_wildcards_on_string_vrs(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    problems = _run(WILDCARDS, tenant, target, admin, dimse)
    assert not problems, "\n".join(problems)


@pytest.mark.clause("FIND-5")
def test_date_ranges_are_inclusive(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    problems = _run(RANGES, tenant, target, admin, dimse)
    assert not problems, "\n".join(problems)


@pytest.mark.clause("FIND-5")
def test_lists_select_several(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    problems = _run(LISTS, tenant, target, admin, dimse, hide=True)
    assert not problems, "\n".join(problems)


@pytest.mark.clause("FIND-5")
def test_matching_is_case_insensitive(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    problems = _run(CASE_CHANGES, tenant, target, admin, dimse)
    assert not problems, "\n".join(problems)


@pytest.mark.clause("FIND-5", "FIND-1")
def test_keys_of_upper_levels_filter(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    problems = _run(PARENT_KEYS, tenant, target, admin, dimse, hide=True)
    assert not problems, "\n".join(problems)


UID_WILDCARDS: list[Case] = [
    (Level.STUDY, {"StudyInstanceUID": "{U}.0.*"}),
    (Level.INSTANCE, {"StudyInstanceUID": "{U}.?.0"}),
]


@pytest.mark.clause("FIND-5", "ISO-2")
def test_uid_wildcards_never_widen(
    tenants: tuple[TenantInfo, ...], target: TargetInfo, admin: AdminClient
) -> None:
    """``*``/``?`` in a UID key: 0xC000 or at most the literal match -- and an answer, not a hang.

    One tenant per constraint (each hang costs DicomScpTimeout on Orthanc 1.12.7)."""
    problems: list[str] = []
    for tenant in one_per_constraint(tenants):
        problems += [
            f"{tenant.aet}: {p}"
            for p in _run(UID_WILDCARDS, tenant, target, admin, client_for(tenant, target), hide=True)
        ]
    assert not problems, "\n".join(problems)


LOWER_LEVEL_KEYS: list[Case] = [
    (Level.PATIENT, {"StudyInstanceUID": "{U}.0.1"}),
    (Level.STUDY, {"SeriesInstanceUID": "{U}.0.0.1"}),
    (Level.STUDY, {"ModalitiesInStudy": "MR"}),
    (Level.SERIES, {"SOPInstanceUID": "{U}.1.1.0.0"}),
    (Level.STUDY, {"SOPInstanceUID": "{U}.0.1.1.0"}),
    (Level.PATIENT, {"SeriesInstanceUID": "{U}.1.0.1"}),
]


@pytest.mark.clause("FIND-1", "ISO-2")
def test_keys_of_lower_levels_reveal_nothing(
    tenants: tuple[TenantInfo, ...], target: TargetInfo, admin: AdminClient
) -> None:
    """Keys of lower levels: whatever they select, only visible resources, and a final status."""
    problems: list[str] = []
    for tenant in one_per_constraint(tenants):
        problems += [
            f"{tenant.aet}: {p}"
            for p in _run(LOWER_LEVEL_KEYS, tenant, target, admin, client_for(tenant, target), hide=True)
        ]
    assert not problems, "\n".join(problems)
