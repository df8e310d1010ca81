"""STORE-1 and STORE-4: what a tenant stores lands in the shared archive; the main server labels nothing."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from conformance.dimse import DimseClient
from conformance.seeding import ArchiveBuilder
from conformance.status import Status, expected_message
from conformance.targets import LEVELS, TenantInfo


@pytest.mark.clause("STORE-1")
def test_instance_stored_through_tenant_is_in_shared_archive(
        dimse: DimseClient, main_dimse: DimseClient, tenant: TenantInfo,
        archive_builder: ArchiveBuilder) -> None:
    ds = archive_builder.dataset()
    result = dimse.store(ds)
    assert result.final_status == Status.SUCCESS, (
        f"C-STORE through {tenant.aet}: {expected_message(Status.SUCCESS, result.final_status)}")
    assert archive_builder.locate(str(ds.SOPInstanceUID)) is not None, "REST does not see the stored instance"
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ds.StudyInstanceUID
    found = main_dimse.find(query)
    assert found.final_status == Status.SUCCESS, f"C-FIND on the main server: {found.describe()}"
    uids = [str(answer.get("StudyInstanceUID", "")) for answer in found.matches]
    assert uids == [str(ds.StudyInstanceUID)], f"the main server's C-FIND answered {uids}"


@pytest.mark.clause("STORE-4")
def test_store_through_main_server_applies_no_label(main_dimse: DimseClient,
                                                   archive_builder: ArchiveBuilder) -> None:
    ds = archive_builder.dataset()
    result = main_dimse.store(ds)
    assert result.final_status == Status.SUCCESS, expected_message(Status.SUCCESS, result.final_status)
    labels = archive_builder.labels_by_level(str(ds.SOPInstanceUID))
    assert labels == {level: set() for level in LEVELS}, f"labels after a main-server store: {labels}"
