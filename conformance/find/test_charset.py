"""FIND-7 (variant): a SpecificCharacterSet with a value in the query.

The archive's instances are written in ``ISO_IR 100``. ``orthanc<=1.12`` treats the query's value as
a filter (``ISO_IR 192`` then matches nothing, ``ISO_IR 100`` matches everything visible);
``orthanc>=1.13`` ignores it (both match everything visible). Anything else fails.
"""

from __future__ import annotations

import pytest

from conformance.admin import AdminClient
from conformance.answers import find_problems, lbl5_options, status_problems
from conformance.dimse import DimseClient
from conformance.fixtures import RecordVariant
from conformance.model import Level, expected_find, hiding_labels, showing_labels
from conformance.scenarios import dataset_value, identifier, seeded
from conformance.strategies import fixed_archive, split_labels
from conformance.targets import TargetInfo, TenantInfo


@pytest.mark.clause("FIND-7")
def test_specific_character_set_in_the_query(
    tenant: TenantInfo,
    target: TargetInfo,
    admin: AdminClient,
    dimse: DimseClient,
    record_variant: RecordVariant,
) -> None:
    spec = fixed_archive(studies=2, labels=split_labels(showing_labels(tenant), hiding_labels(tenant)))
    with seeded(admin, spec, {"specific_character_set": "ISO_IR 100"}) as seed:
        scope = {"StudyInstanceUID": "", "PatientID": f"{seed.token}-*"}
        options = lbl5_options(target)
        visible = expected_find(seed.archive, tenant, Level.STUDY, scope, options[0]).must
        counts: dict[str, set[str]] = {}
        problems: list[str] = []
        for charset in ("ISO_IR 192", "ISO_IR 100"):
            keys = {**scope, "SpecificCharacterSet": charset}
            result = dimse.find(identifier("STUDY", keys))
            problems += [f"{charset}: {p}" for p in status_problems(result, False)]
            # Isolation holds whatever the variant: only visible studies of this example.
            problems += [
                f"{charset}: {p}"
                for p in find_problems(result, seed.archive, tenant, Level.STUDY, keys, options, admin)
                if "missing" not in p
            ]
            counts[charset] = {dataset_value(ds, "StudyInstanceUID") or "" for ds in result.matches}
        assert not problems, "\n".join(problems)
        everything = {k.uid for k in visible}
        if not everything:
            pytest.fail(f"{tenant.aet}: the example left no study visible; cannot tell the variants apart")
        if counts["ISO_IR 192"] == set() and counts["ISO_IR 100"] == everything:
            record_variant("FIND-7", "orthanc<=1.12")
        elif counts["ISO_IR 192"] == everything and counts["ISO_IR 100"] == everything:
            record_variant("FIND-7", "orthanc>=1.13")
        else:
            pytest.fail(f"neither alternative: visible {sorted(everything)}, answers {counts}")
