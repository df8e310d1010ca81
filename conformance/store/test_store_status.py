"""STORE-5: C-STORE statuses for requests whose dataset lacks, or contradicts, the command's UIDs.

The requests are crafted with pynetdicom's primitives (``DimseClient.store`` with UID overrides): the
C-STORE-RQ names one SOP Class/Instance UID, the dataset carries another or none.
"""

from __future__ import annotations

import pytest

from conformance.dimse import DimseClient
from conformance.seeding import ArchiveBuilder
from conformance.status import Status, expected_message
from conformance.targets import TenantInfo
from conformance.uids import MR_IMAGE_STORAGE


@pytest.mark.clause("STORE-5")
def test_well_formed_store_succeeds(dimse: DimseClient, archive_builder: ArchiveBuilder) -> None:
    result = dimse.store(archive_builder.dataset())
    assert result.final_status == Status.SUCCESS, expected_message(Status.SUCCESS, result.final_status)


@pytest.mark.clause("STORE-5")
def test_dataset_without_sop_uids_is_refused_with_c000(dimse: DimseClient, tenant: TenantInfo,
                                                       archive_builder: ArchiveBuilder) -> None:
    ds = archive_builder.dataset()
    sop_class, sop_instance = str(ds.SOPClassUID), str(ds.SOPInstanceUID)
    del ds.SOPClassUID
    del ds.SOPInstanceUID
    result = dimse.store(ds, sop_class_uid=sop_class, sop_instance_uid=sop_instance)
    assert result.final_status == Status.UNABLE_TO_PROCESS, (
        f"C-STORE through {tenant.aet} of a dataset without SOP Class/Instance UID: "
        f"{expected_message(Status.UNABLE_TO_PROCESS, result.final_status)} ({result.describe()})")


@pytest.mark.clause("STORE-5")
def test_dataset_whose_instance_uid_differs_from_the_request_is_refused_with_a900(
        dimse: DimseClient, tenant: TenantInfo, archive_builder: ArchiveBuilder, uid_prefix: str) -> None:
    ds = archive_builder.dataset()
    result = dimse.store(ds, sop_class_uid=str(ds.SOPClassUID), sop_instance_uid=f"{uid_prefix}.999")
    assert result.final_status == Status.DATASET_DOES_NOT_MATCH_SOP_CLASS, (
        f"C-STORE through {tenant.aet} with a mismatched SOP Instance UID: "
        f"{expected_message(Status.DATASET_DOES_NOT_MATCH_SOP_CLASS, result.final_status)}")


@pytest.mark.clause("STORE-5")
def test_dataset_whose_class_uid_differs_from_the_request_is_refused_with_a900(
        dimse: DimseClient, tenant: TenantInfo, archive_builder: ArchiveBuilder) -> None:
    ds = archive_builder.dataset(modality="CT")
    result = dimse.store(ds, sop_class_uid=MR_IMAGE_STORAGE, sop_instance_uid=str(ds.SOPInstanceUID))
    assert result.final_status == Status.DATASET_DOES_NOT_MATCH_SOP_CLASS, (
        f"C-STORE through {tenant.aet} with a mismatched SOP Class UID: "
        f"{expected_message(Status.DATASET_DOES_NOT_MATCH_SOP_CLASS, result.final_status)}")
