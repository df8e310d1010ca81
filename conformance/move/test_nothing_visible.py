"""MOVE-7: nothing visible, nothing matching, or an empty key: Success and no association to the SCP."""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.dimse import DimseClient
from conformance.model import Level, hiding_labels, showing_labels
from conformance.moves import run_move
from conformance.scenarios import seeded
from conformance.scp import StorageSCP
from conformance.status import Status, describe
from conformance.strategies import fixed_archive
from conformance.targets import TargetInfo, TenantInfo


@pytest.mark.clause("MOVE-7")
def test_empty_selection_succeeds_without_association(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient, storage_scp: StorageSCP
) -> None:
    hide = hiding_labels(tenant)
    show = showing_labels(tenant)
    with seeded(admin, fixed_archive(studies=1, series=1, labels=lambda _l, _u: hide or show)) as seed:
        cases: list[tuple[str, Level, dict[str, str]]] = [
            ("no match", Level.STUDY, {"StudyInstanceUID": f"{seed.root}.9.9"}),
            ("empty key", Level.SERIES, {"SeriesInstanceUID": ""}),
        ]
        if hide is not None:
            cases.append(("hidden", Level.STUDY, {"StudyInstanceUID": f"{seed.root}.0.0"}))
            cases.append(("hidden", Level.PATIENT, {"PatientID": f"{seed.token}-P0"}))
        problems: list[str] = []
        claimed = target.variants_claimed.get("MOVE-5")
        for name, level, keys in cases:
            outcome = run_move(dimse, storage_scp, level, keys)
            storage_scp.wait_for(lambda s: s.connections > 0, timeout=0.5)  # a late connection still counts
            final = outcome.result.final
            if final is None or final.status != Status.SUCCESS:
                problems.append(
                    f"{name} {keys}: expected {describe(Status.SUCCESS)}, got {outcome.result.describe()}"
                )
            elif claimed != "dicom" and final.suboperations.completed != 1:
                problems.append(f"{name} {keys}: expected Completed=1, got {final.suboperations}")
            if storage_scp.connections or outcome.received:
                problems.append(
                    f"{name} {keys}: {storage_scp.connections} connection(s) to the SCP, "
                    f"{len(outcome.received)} instance(s)"
                )
        assert not problems, "\n".join(problems)
