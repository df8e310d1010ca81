"""FIND-1/FIND-2: a tenant's C-FIND returns exactly the visible matches, level by level.

Hypothesis draws a small archive with labels at every level and a few queries on it (exact,
listed, wildcard, range and case-changed keys, keys of other levels and of other resources); each
answer must be the model's expected set. Resources outside the example (unscoped queries on a
shared archive) are judged on admin ground truth. UID wildcards are left to ``test_matching``.
"""

from __future__ import annotations

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from conformance.admin import AdminClient
from conformance.answers import find_problems, lbl5_options
from conformance.dimse import DimseClient, Model
from conformance.model import (
    Level,
    ResourceKey,
    expected_store_labels,
    hiding_labels,
    relabel,
    showing_labels,
)
from conformance.model.tags import UNIQUE_KEYS
from conformance.scenarios import identifier, seeded
from conformance.strategies import archives, fixed_archive, queries, render_identifier, suite_settings
from conformance.targets import TargetInfo, TenantInfo


def label_pool(tenant: TenantInfo) -> tuple[str, ...]:
    """The tenant's labels (at most 3) plus one it does not name."""
    return (*sorted(tenant.labels)[:3], "zz") if tenant.labels else ("a", "zz")


def query_model(level: Level) -> Model:
    return "patient" if level is Level.PATIENT else "study"


@pytest.mark.clause("FIND-1", "FIND-2")
@suite_settings()
@given(data=st.data())
def test_find_answers_exactly_the_visible_matches(
    data: st.DataObject, tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    spec = data.draw(archives(label_pool(tenant)), label="archive")
    drawn = data.draw(st.lists(queries(spec), min_size=1, max_size=4), label="queries")
    options = lbl5_options(target)
    with seeded(admin, spec) as seed:
        problems: list[str] = []
        for q in drawn:
            keys = render_identifier(q, seed.token, seed.root)
            note(f"{q.level.name} {keys}")
            result = dimse.find(identifier(q.level.wire_name, keys), model=query_model(q.level))
            found = find_problems(result, seed.archive, tenant, q.level, keys, options, admin)
            problems += [f"{q.level.name} {keys}: {p}" for p in found]
        assert not problems, "\n".join(problems)


@pytest.mark.clause("FIND-2")
def test_labels_count_only_at_their_own_level(
    tenant: TenantInfo, target: TargetInfo, admin: AdminClient, dimse: DimseClient
) -> None:
    """Study 0 is visible but its series hidden; study 1 is hidden but its series visible."""
    show, hide = showing_labels(tenant), hiding_labels(tenant)
    hidden = hide if hide is not None else show

    def rule(level: Level, uid: str) -> frozenset[str]:
        in_study0 = ".0.0" in uid
        if level is Level.STUDY:
            return show if in_study0 else hidden
        if level in (Level.SERIES, Level.INSTANCE):
            return hidden if in_study0 else show
        return hidden

    spec = fixed_archive(studies=2, series=2, labels=rule)
    with seeded(admin, spec) as seed:
        problems: list[str] = []
        for level in Level:
            keys = {UNIQUE_KEYS[level]: "", "PatientID": f"{seed.token}-*"}
            result = dimse.find(identifier(level.wire_name, keys), model=query_model(level))
            found = find_problems(result, seed.archive, tenant, level, keys, lbl5_options(target), admin)
            problems += [f"{level.name}: {p}" for p in found]
        assert not problems, "\n".join(problems)


@pytest.mark.clause("FIND-2")
def test_default_store_levels_leave_patients_unlabelled(
    tenant: TenantInfo, admin: AdminClient, dimse: DimseClient, target: TargetInfo
) -> None:
    """Instances stored through the tenant: a PATIENT query sees the patient only if the store
    labelled patients (or the tenant's filter lets unlabelled patients through)."""
    spec = fixed_archive(studies=1, series=1)
    with seeded(admin, spec) as seed:
        # Re-store the example's instance through the tenant: the labels land per store level.
        ds = seed.datasets[0]
        stored = dimse.store(ds)
        assert stored.final_status == 0, f"C-STORE through {tenant.aet}: {stored.describe()}"
        archive = seed.archive
        for level, labels in expected_store_labels(tenant).items():
            archive = relabel(archive, ResourceKey(level, str(ds[UNIQUE_KEYS[level]].value)), add=labels)
        keys = {"PatientID": f"{seed.token}-*"}
        result = dimse.find(identifier("PATIENT", keys), model="patient")
        found = find_problems(result, archive, tenant, Level.PATIENT, keys, lbl5_options(target), admin)
        assert not found, "\n".join(found)
