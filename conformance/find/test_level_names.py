"""FIND-4 (variant): QueryRetrieveLevel spellings.

``orthanc``: exactly PATIENT, STUDY, SERIES, INSTANCE; IMAGE and lower case get 0xC000. ``dicom``:
IMAGE (the standard's name) is the instance level. A missing level is 0xC000 in both. Whatever the
spelling, nothing hidden is revealed and the association gets a final status (ISO-2).
"""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.answers import client_for, find_problems, lbl5_options, one_per_constraint, status_problems
from conformance.dimse import DimseClient
from conformance.fixtures import RecordVariant
from conformance.model import Level, hiding_labels, showing_labels
from conformance.scenarios import Seeded, identifier, seeded
from conformance.status import Status, describe
from conformance.strategies import fixed_archive, split_labels
from conformance.targets import TargetInfo, TenantInfo


def _is_refusal(status: int | None) -> bool:
    return status is not None and 0xC000 <= status <= 0xCFFF


@pytest.mark.clause("FIND-4")
def test_level_names(
    tenants: tuple[TenantInfo, ...], target: TargetInfo, admin: AdminClient, record_variant: RecordVariant
) -> None:
    seen: set[str] = set()
    problems: list[str] = []
    for tenant in one_per_constraint(tenants):
        client = client_for(tenant, target)
        spec = fixed_archive(labels=split_labels(showing_labels(tenant), hiding_labels(tenant)))
        with seeded(admin, spec) as seed:
            problems += [
                f"{tenant.aet}: {p}" for p in _check_tenant(client, seed, tenant, target, admin, seen)
            ]
    if len(seen) == 1:
        record_variant("FIND-4", seen.pop())
    elif len(seen) > 1:
        problems.append(f"tenants disagree on the variant: {sorted(seen)}")
    assert not problems, "\n".join(problems)


def _check_tenant(
    client: DimseClient,
    seed: Seeded,
    tenant: TenantInfo,
    target: TargetInfo,
    admin: AdminClient,
    seen: set[str],
) -> list[str]:
    problems: list[str] = []
    keys = {"SOPInstanceUID": "", "PatientID": f"{seed.token}-*"}
    image = client.find(identifier("IMAGE", keys))
    lower = client.find(identifier("study", {"StudyInstanceUID": "", "PatientID": f"{seed.token}-*"}))
    missing = client.find(identifier(None, {"StudyInstanceUID": "", "PatientID": f"{seed.token}-*"}))
    for name, result in (("IMAGE", image), ("study", lower), ("no level", missing)):
        if result.final_status is None:
            problems += [f"{name}: {p}" for p in status_problems(result, True)]
        # Whatever the spelling, nothing hidden may be revealed.
        level = Level.INSTANCE if name == "IMAGE" else Level.STUDY
        leaks = find_problems(
            result,
            seed.archive,
            tenant,
            level,
            keys if name == "IMAGE" else {"StudyInstanceUID": "", "PatientID": f"{seed.token}-*"},
            lbl5_options(target),
            admin,
        )
        problems += [f"{name}: {p}" for p in leaks if "unexpected" in p or "not visible" in p]
    if not _is_refusal(missing.final_status):
        problems.append(f"no level: expected {describe(Status.UNABLE_TO_PROCESS)}, got {missing.describe()}")
    if _is_refusal(image.final_status) and _is_refusal(lower.final_status):
        seen.add("orthanc")
    elif image.final_status == Status.SUCCESS:
        found = find_problems(image, seed.archive, tenant, Level.INSTANCE, keys, lbl5_options(target), admin)
        if found:
            problems += [f"IMAGE accepted (dicom) but: {p}" for p in found]
        else:
            seen.add("dicom")
    elif image.final_status is not None:
        problems.append(
            f"IMAGE: neither refused (orthanc) nor answered (dicom): {image.describe()}; "
            f"study: {lower.describe()}"
        )
    return problems
