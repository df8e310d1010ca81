"""STORE-2 and STORE-3: a tenant's C-STORE puts its labels at exactly its store levels, as a union.

STORE-3 uses hypothesis: labels already on the instance's resources (any valid labels, any levels)
must all survive a store through the tenant, which adds its own at its store levels.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.dimse import DimseClient
from conformance.fixtures import DIMSE_TIMEOUT
from conformance.seeding import ArchiveBuilder
from conformance.status import Status, expected_message
from conformance.targets import LEVELS, QUERY_AET, TargetInfo, TenantInfo, labels_what_it_stores

LABEL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
labels_strategy = st.text(LABEL_ALPHABET, min_size=1, max_size=64)
#: Labels already present on each level before the store.
prior_labels = st.fixed_dictionaries({level: st.frozensets(labels_strategy, max_size=3) for level in LEVELS})


def expected_after_store(tenant: TenantInfo, before: dict[str, set[str]]) -> dict[str, set[str]]:
    """STORE-2/3: the tenant's labels are added at its store levels; nothing is removed."""
    added = set(tenant.labels)
    return {level: set(before.get(level, set())) | (added if level in tenant.store_levels else set())
            for level in LEVELS}


@pytest.mark.clause("STORE-2")
def test_store_labels_exactly_the_store_levels(dimse: DimseClient, tenant: TenantInfo,
                                               archive_builder: ArchiveBuilder) -> None:
    ds = archive_builder.dataset()
    result = dimse.store(ds)
    assert result.final_status == Status.SUCCESS, expected_message(Status.SUCCESS, result.final_status)
    labels = archive_builder.labels_by_level(str(ds.SOPInstanceUID))
    assert labels == expected_after_store(tenant, {}), (
        f"{tenant.aet} (labels {tenant.labels}, store levels {tenant.store_levels}) left labels {labels}")


@pytest.mark.tenant_filter.with_args(labels_what_it_stores)
@pytest.mark.clause("STORE-3")
@given(before=prior_labels)
def test_store_of_existing_instance_adds_labels_as_union(
        dimse: DimseClient, tenant: TenantInfo, archive_builder: ArchiveBuilder,
        before: dict[str, frozenset[str]]) -> None:
    seeded = archive_builder.upload(archive_builder.spec(patient=archive_builder.next_index()),
                                    labels=before)
    result = dimse.store(seeded.dataset)
    assert result.final_status == Status.SUCCESS, (
        f"re-storing an existing instance: {expected_message(Status.SUCCESS, result.final_status)}")
    labels = archive_builder.labels_by_level(seeded.sop_uid)
    expected = expected_after_store(tenant, {level: set(values) for level, values in before.items()})
    assert labels == expected, f"labels before {dict(before)}, after {labels}, expected {expected}"


@pytest.mark.clause("STORE-3")
def test_same_instance_through_two_tenants_carries_both_label_sets(
        target: TargetInfo, archive_builder: ArchiveBuilder) -> None:
    storing = [t for t in target.tenants if t.labels and "Study" in t.store_levels]
    if len(storing) < 2:
        pytest.skip("the target has fewer than two tenants that label studies")
    first, second = storing[0], storing[-1]
    ds = archive_builder.dataset()
    for tenant in (first, second):
        result = DimseClient(tenant.host, tenant.port, tenant.aet, QUERY_AET, DIMSE_TIMEOUT).store(ds)
        assert result.final_status == Status.SUCCESS, (
            f"C-STORE through {tenant.aet}: {expected_message(Status.SUCCESS, result.final_status)}")
    labels = archive_builder.labels_by_level(str(ds.SOPInstanceUID))
    assert labels["Study"] == set(first.labels) | set(second.labels), (
        f"study labels after storing through {first.aet} then {second.aet}: {labels['Study']}")
