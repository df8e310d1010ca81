"""ACL-4: which presentation contexts a tenant accepts (Verification, FIND, MOVE, storage) and which
it rejects (C-GET, Modality Worklist, Storage Commitment)."""

from __future__ import annotations

import pytest

from conformance.dimse import DimseClient
from conformance.targets import TargetInfo, TenantInfo
from conformance.uids import (
    CT_IMAGE_STORAGE,
    MODALITY_WORKLIST_FIND,
    MR_IMAGE_STORAGE,
    PATIENT_ROOT_FIND,
    PATIENT_ROOT_GET,
    PATIENT_ROOT_MOVE,
    STORAGE_COMMITMENT_PUSH,
    STUDY_ROOT_FIND,
    STUDY_ROOT_GET,
    STUDY_ROOT_MOVE,
    VERIFICATION,
)

SUPPORTED = {"Verification": VERIFICATION, "Patient Root FIND": PATIENT_ROOT_FIND,
             "Study Root FIND": STUDY_ROOT_FIND, "Patient Root MOVE": PATIENT_ROOT_MOVE,
             "Study Root MOVE": STUDY_ROOT_MOVE, "CT Image Storage": CT_IMAGE_STORAGE,
             "MR Image Storage": MR_IMAGE_STORAGE}
UNSUPPORTED = {"Patient Root GET": PATIENT_ROOT_GET, "Study Root GET": STUDY_ROOT_GET,
               "Modality Worklist FIND": MODALITY_WORKLIST_FIND,
               "Storage Commitment Push": STORAGE_COMMITMENT_PUSH}


@pytest.mark.clause("ACL-4")
def test_tenant_accepts_echo_find_move_and_storage_contexts(dimse: DimseClient, tenant: TenantInfo) -> None:
    result = dimse.negotiate(list(SUPPORTED.values()))
    assert result.associated, f"association with {tenant.aet}: {result.describe()}"
    refused = sorted(name for name, uid in SUPPORTED.items() if uid not in result.accepted_contexts)
    assert not refused, f"{tenant.aet} rejected the presentation contexts {refused}"


@pytest.mark.clause("ACL-4")
@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_tenant_rejects_get_worklist_and_commitment_contexts(dimse: DimseClient, tenant: TenantInfo,
                                                             name: str) -> None:
    result = dimse.negotiate([VERIFICATION, UNSUPPORTED[name]])
    assert result.associated, f"association with {tenant.aet}: {result.describe()}"
    assert UNSUPPORTED[name] not in result.accepted_contexts, f"{tenant.aet} accepted a {name} context"


UNKNOWN_SOP_CLASS = "1.2.826.0.1.3680043.10.1078.9.9"  # a private UID no server knows as a storage class


@pytest.mark.clause("ACL-4", "CFG-7")
def test_unknown_sop_class_is_rejected_by_default(dimse: DimseClient, tenant: TenantInfo,
                                                  target: TargetInfo) -> None:
    if target.options.get("UnknownSopClassAccepted") is True:
        pytest.skip("the target's configuration sets UnknownSopClassAccepted: true")
    result = dimse.negotiate([VERIFICATION, UNKNOWN_SOP_CLASS])
    assert result.associated, f"association with {tenant.aet}: {result.describe()}"
    assert UNKNOWN_SOP_CLASS not in result.accepted_contexts, (
        f"{tenant.aet} accepted an unknown SOP class with UnknownSopClassAccepted false (CFG-7 default)")
