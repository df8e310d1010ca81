"""MOVE-3: which keys select at each level, lists and wildcards, case, and the order used without a level.

The archive (2 patients x 2 studies x 2 series, one instance each) is visible to the tenant at every
level except resources whose UID ends in ``.1`` (hidden when the tenant can hide anything).
"""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.answers import lbl5_options
from conformance.dimse import DimseClient
from conformance.model import Level, hiding_labels, showing_labels
from conformance.moves import expectations_for, move_problems, run_move
from conformance.scenarios import Seeded, seeded
from conformance.scp import StorageSCP
from conformance.strategies import fixed_archive, split_labels
from conformance.targets import TargetInfo, TenantInfo

Case = tuple[Level | None, dict[str, str]]

BY_LEVEL: list[Case] = [
    (Level.PATIENT, {"PatientID": "{P}-P0"}),
    (Level.PATIENT, {"PatientID": "{p}-p1"}),  # case-insensitive
    (Level.PATIENT, {"PatientID": "{P}-P*"}),  # wildcard
    (Level.STUDY, {"StudyInstanceUID": "{U}.0.0"}),
    (Level.STUDY, {"StudyInstanceUID": "{U}.0.0\\{U}.1.0\\{U}.1.1"}),  # list, one hidden
    (Level.STUDY, {"AccessionNumber": "{P}A10"}),  # accession number when the UID is absent
    (Level.STUDY, {"AccessionNumber": "{p}a0*"}),  # ... with a wildcard, any case
    (Level.STUDY, {"StudyInstanceUID": "{U}.1.0", "AccessionNumber": "{P}A00"}),  # the UID wins
    (Level.SERIES, {"SeriesInstanceUID": "{U}.0.0.0\\{U}.1.1.0"}),
    (Level.SERIES, {"SeriesInstanceUID": "{U}.0.1.0", "StudyInstanceUID": "{U}.1.0"}),  # only the level's key
    (Level.INSTANCE, {"SOPInstanceUID": "{U}.0.0.0.0\\{U}.1.0.0.0"}),
]
WITHOUT_LEVEL: list[Case] = [
    (None, {"SOPInstanceUID": "{U}.1.0.0.0", "SeriesInstanceUID": "{U}.0.0.0"}),  # INSTANCE first
    (None, {"SOPInstanceUID": "9.9.9", "SeriesInstanceUID": "{U}.0.0.0", "PatientID": "{P}-P1"}),
    (None, {"StudyInstanceUID": "{U}.1.0", "PatientID": "{P}-P0"}),
    (None, {"AccessionNumber": "{P}A01", "PatientID": "{P}-P1"}),
    (None, {"PatientID": "{P}-P1"}),
]


def _fill(value: str, seed: Seeded) -> str:
    return value.replace("{p}", seed.token.lower()).replace("{P}", seed.token).replace("{U}", seed.root)


def _run(
    cases: list[Case],
    tenant: TenantInfo,
    target: TargetInfo,
    admin: AdminClient,
    dimse: DimseClient,
    scp: StorageSCP,
) -> list[str]:
    spec = fixed_archive(
        patients=2, studies=2, series=2, labels=split_labels(showing_labels(tenant), hiding_labels(tenant))
    )
    problems: list[str] = []
    with seeded(admin, spec) as seed:
        for level, raw in cases:
            keys = {k: _fill(v, seed) for k, v in raw.items()}
            expectations = expectations_for(seed.archive, tenant, level, keys, lbl5_options(target))
            outcome = run_move(
                dimse, scp, level, keys, must=frozenset.intersection(*(e.must for e in expectations))
            )
            name = level.name if level else "no level"
            problems += [f"{name} {keys}: {p}" for p in move_problems(outcome, expectations)]
    return problems


@pytest.mark.clause("MOVE-3", "MOVE-1")
def test_move_keys_by_level(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient, storage_scp: StorageSCP
) -> None:
    problems = _run(BY_LEVEL, tenant, target, admin, dimse, storage_scp)
    assert not problems, "\n".join(problems)


@pytest.mark.clause("MOVE-3", "MOVE-1")
def test_move_without_level_uses_the_first_level_that_selects(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient, storage_scp: StorageSCP
) -> None:
    problems = _run(WITHOUT_LEVEL, tenant, target, admin, dimse, storage_scp)
    assert not problems, "\n".join(problems)
