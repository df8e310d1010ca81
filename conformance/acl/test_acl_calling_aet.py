"""ACL-1 and ACL-2: who may echo and store (anyone) and who may query and retrieve (known modalities).

A refused C-FIND/C-MOVE gets no DIMSE status: the association is dropped at once (not left to hang).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydicom.dataset import Dataset

from conformance.admin import AdminClient
from conformance.dimse import DimseClient, DimseResult
from conformance.fixtures import DIMSE_TIMEOUT
from conformance.seeding import ArchiveBuilder
from conformance.status import Status, expected_message
from conformance.targets import QUERY_AET, SCP_AET, TargetInfo, TenantInfo

UNKNOWN_AET = "INTRUDER"  # listed nowhere in DicomModalities
NO_FIND_AET = "NOFINDMOVE"  # registered through REST with AllowFind/AllowMove false


def _client(tenant: TenantInfo, calling_aet: str) -> DimseClient:
    return DimseClient(tenant.host, tenant.port, tenant.aet, calling_aet, DIMSE_TIMEOUT)


def _study_query() -> Dataset:
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""
    return query


def _always_allowed(target: TargetInfo, service: str) -> bool:
    """``DicomAlwaysAllow{Find,Move}`` of the target's configuration (false by default, CFG-7)."""
    return target.options.get(f"DicomAlwaysAllow{service}") is True


def _assert_refused_unless_always_allowed(result: DimseResult, what: str, target: TargetInfo,
                                          service: str) -> None:
    if _always_allowed(target, service):
        assert result.final_status is not None and not result.aborted, (
            f"{what} with DicomAlwaysAllow{service} true: expected an answer, got {result.describe()}")
    else:
        _assert_dropped(result, what)


def _assert_dropped(result: DimseResult, what: str) -> None:
    assert result.associated, f"{what}: the association itself was refused ({result.describe()})"
    assert result.final_status is None, f"{what}: expected a dropped association, got {result.describe()}"
    assert not result.timed_out, f"{what}: the association was left hanging instead of being dropped"


@pytest.mark.clause("ACL-1")
def test_unknown_calling_aet_may_echo(tenant: TenantInfo) -> None:
    result = _client(tenant, UNKNOWN_AET).echo()
    assert result.final_status == Status.SUCCESS, (
        f"C-ECHO from {UNKNOWN_AET}: {expected_message(Status.SUCCESS, result.final_status)}")


@pytest.mark.clause("ACL-1")
def test_unknown_calling_aet_may_store(tenant: TenantInfo, archive_builder: ArchiveBuilder) -> None:
    ds = archive_builder.dataset()
    result = _client(tenant, UNKNOWN_AET).store(ds)
    assert result.final_status == Status.SUCCESS, (
        f"C-STORE from {UNKNOWN_AET}: {expected_message(Status.SUCCESS, result.final_status)}")
    assert archive_builder.locate(str(ds.SOPInstanceUID)) is not None, "the instance is not in the archive"


@pytest.mark.clause("ACL-2")
def test_known_calling_aet_may_find(tenant: TenantInfo) -> None:
    result = _client(tenant, QUERY_AET).find(_study_query())
    assert result.final_status == Status.SUCCESS, (
        f"C-FIND from the listed {QUERY_AET}: {expected_message(Status.SUCCESS, result.final_status)}")


@pytest.mark.clause("ACL-2", "CFG-7")
def test_calling_aet_matches_modalities_case_insensitively_by_default(tenant: TenantInfo) -> None:
    result = _client(tenant, QUERY_AET.lower()).find(_study_query())
    assert result.final_status == Status.SUCCESS, (
        f"C-FIND from {QUERY_AET.lower()!r} (StrictAetComparison false): {result.describe()}")


@pytest.mark.clause("ACL-2")
def test_unknown_calling_aet_find_drops_association(tenant: TenantInfo, target: TargetInfo) -> None:
    result = _client(tenant, UNKNOWN_AET).find(_study_query())
    _assert_refused_unless_always_allowed(result, f"C-FIND from {UNKNOWN_AET}", target, "Find")


@pytest.mark.clause("ACL-2")
def test_unknown_calling_aet_move_drops_association(tenant: TenantInfo, target: TargetInfo) -> None:
    result = _client(tenant, UNKNOWN_AET).move(_study_query(), SCP_AET)
    _assert_refused_unless_always_allowed(result, f"C-MOVE from {UNKNOWN_AET}", target, "Move")


@pytest.fixture
def no_find_modality(admin: AdminClient) -> Iterator[str]:
    """A modality registered live with AllowFind and AllowMove false (CFG-7: read live)."""
    admin.put_modality(NO_FIND_AET, NO_FIND_AET, "127.0.0.1", 104, AllowFind=False, AllowMove=False)
    yield NO_FIND_AET
    admin.delete_modality(NO_FIND_AET)


@pytest.mark.clause("ACL-2", "CFG-7")
def test_modality_with_allow_find_false_is_refused(tenant: TenantInfo, target: TargetInfo,
                                                  no_find_modality: str) -> None:
    result = _client(tenant, no_find_modality).find(_study_query())
    _assert_refused_unless_always_allowed(result, f"C-FIND from {no_find_modality} (AllowFind false)", target,
                                          "Find")


@pytest.mark.clause("ACL-2", "CFG-7")
def test_modality_with_allow_move_false_is_refused(tenant: TenantInfo, target: TargetInfo,
                                                  no_find_modality: str) -> None:
    result = _client(tenant, no_find_modality).move(_study_query(), SCP_AET)
    _assert_refused_unless_always_allowed(result, f"C-MOVE from {no_find_modality} (AllowMove false)", target,
                                          "Move")
