"""MOVE-4, MOVE-5, MOVE-6 (variants): unknown destination, response shape, sub-association AETs."""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.answers import client_for
from conformance.dimse import DimseClient
from conformance.fixtures import RecordVariant
from conformance.model import Level, showing_labels
from conformance.moves import run_move
from conformance.scenarios import seeded
from conformance.scp import StorageSCP
from conformance.status import Status, describe
from conformance.strategies import fixed_archive
from conformance.targets import TargetInfo, TenantInfo


@pytest.mark.clause("MOVE-4")
def test_unknown_destination(
    tenant: TenantInfo,
    target: TargetInfo,
    admin: AdminClient,
    record_variant: RecordVariant,
    storage_scp: StorageSCP,
) -> None:
    client = client_for(tenant, target)
    show = showing_labels(tenant)
    with seeded(admin, fixed_archive(studies=1, series=1, labels=lambda _l, _u: show)) as seed:
        keys = {"StudyInstanceUID": f"{seed.root}.0.0"}
        outcome = run_move(client, storage_scp, Level.STUDY, keys, destination="NOSUCHDEST")
    status = outcome.result.final_status
    assert not outcome.received, (
        f"instances reached the suite's SCP for an unknown destination: {outcome.received}"
    )
    if status == Status.UNABLE_TO_PROCESS:
        record_variant("MOVE-4", "orthanc")
    elif status == Status.MOVE_DESTINATION_UNKNOWN:
        record_variant("MOVE-4", "dicom")
    else:
        pytest.fail(
            f"expected {describe(Status.UNABLE_TO_PROCESS)} (orthanc) or "
            f"{describe(Status.MOVE_DESTINATION_UNKNOWN)} (dicom), got {outcome.result.describe()}"
        )


@pytest.mark.clause("MOVE-5")
def test_response_shape(
    tenant: TenantInfo,
    admin: AdminClient,
    dimse: DimseClient,
    record_variant: RecordVariant,
    storage_scp: StorageSCP,
) -> None:
    """A series of 3 visible instances: one final status counting 1, or one sub-operation per instance."""
    show = showing_labels(tenant)
    with seeded(admin, fixed_archive(studies=1, series=1, instances=3, labels=lambda _l, _u: show)) as seed:
        sops = frozenset(str(ds.SOPInstanceUID) for ds in seed.datasets)
        outcome = run_move(
            dimse, storage_scp, Level.SERIES, {"SeriesInstanceUID": f"{seed.root}.0.0.0"}, must=sops
        )
    result = outcome.result
    assert result.final_status == Status.SUCCESS, (
        f"expected {describe(Status.SUCCESS)}, got {result.describe()}"
    )
    assert outcome.received == sops, f"expected {sorted(sops)} to arrive, got {sorted(outcome.received)}"
    final = result.responses[-1].suboperations
    pendings = [r for r in result.responses[:-1] if r.status in (Status.PENDING, Status.PENDING_WARNING)]
    if not pendings and final.completed == 1 and not final.failed:
        record_variant("MOVE-5", "orthanc")
    elif pendings and final.completed == len(sops) and not final.failed:
        record_variant("MOVE-5", "dicom")
    else:
        pytest.fail(
            f"neither alternative: {len(pendings)} Pending, final counts {final}, {len(sops)} instances"
        )


@pytest.mark.clause("MOVE-6")
def test_suboperation_association_aets(
    tenant: TenantInfo,
    target: TargetInfo,
    admin: AdminClient,
    dimse: DimseClient,
    record_variant: RecordVariant,
    storage_scp: StorageSCP,
) -> None:
    show = showing_labels(tenant)
    with seeded(admin, fixed_archive(studies=1, series=1, labels=lambda _l, _u: show)) as seed:
        sop = str(seed.datasets[0].SOPInstanceUID)
        outcome = run_move(dimse, storage_scp, Level.INSTANCE, {"SOPInstanceUID": sop}, must=frozenset({sop}))
    assert outcome.result.final_status == Status.SUCCESS, outcome.result.describe()
    accepted = [a for a in outcome.associations if a.accepted]
    assert accepted, f"no sub-association reached the SCP ({outcome.result.describe()})"
    called = {a.called_aet for a in accepted}
    calling = {a.calling_aet for a in accepted}
    if called == {tenant.aet} and (target.main_aet is None or calling == {target.main_aet}):
        record_variant("MOVE-6", "orthanc")
    elif called == {storage_scp.aet}:
        record_variant("MOVE-6", "dicom")
    else:
        pytest.fail(
            f"sub-association called {called} calling {calling}: neither the tenant's AET "
            f"{tenant.aet} from {target.main_aet} (orthanc) nor the destination's {storage_scp.aet} (dicom)"
        )
