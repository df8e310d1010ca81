"""FIND-3: Patient Root and Study Root C-FIND give the same answers (STUDY, SERIES, INSTANCE)."""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.answers import find_problems, lbl5_options
from conformance.dimse import DimseClient, DimseResult
from conformance.model import Level, hiding_labels, showing_labels
from conformance.scenarios import dataset_value, identifier, seeded
from conformance.strategies import fixed_archive, split_labels
from conformance.targets import TargetInfo, TenantInfo


def _answers(result: DimseResult) -> tuple[int | None, list[tuple[tuple[str, str], ...]]]:
    """The final status and every answer as sorted (keyword, value) pairs, sorted."""
    answers = sorted(
        tuple(sorted((e.keyword, dataset_value(ds, e.keyword) or "") for e in ds if e.keyword))
        for ds in result.matches
    )
    return result.final_status, answers


@pytest.mark.clause("FIND-3")
def test_patient_root_and_study_root_agree(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    spec = fixed_archive(
        studies=2, series=2, labels=split_labels(showing_labels(tenant), hiding_labels(tenant))
    )
    problems: list[str] = []
    with seeded(admin, spec) as seed:
        for level in (Level.STUDY, Level.SERIES, Level.INSTANCE):
            keys = {level.unique_key: "", "PatientID": f"{seed.token}-*", "StudyDate": "", "Modality": ""}
            ident = identifier(level.wire_name, keys)
            by_study, by_patient = dimse.find(ident, "study"), dimse.find(ident, "patient")
            if _answers(by_study) != _answers(by_patient):
                problems.append(
                    f"{level.name}: Study Root {by_study.describe()} {_answers(by_study)[1]} != "
                    f"Patient Root {by_patient.describe()} {_answers(by_patient)[1]}"
                )
            for name, result in (("Study Root", by_study), ("Patient Root", by_patient)):
                found = find_problems(result, seed.archive, tenant, level, keys, lbl5_options(target), admin)
                problems += [f"{level.name} {name}: {p}" for p in found]
    assert not problems, "\n".join(problems)
