"""MOVE-1/MOVE-2: a tenant's C-MOVE sends every instance of each visible selected resource, whatever
the instances' own labels, and nothing of a hidden one (hypothesis archives and move keys)."""

from __future__ import annotations

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from conformance.admin import AdminClient
from conformance.answers import lbl5_options
from conformance.dimse import DimseClient
from conformance.moves import expectations_for, move_problems, run_move
from conformance.scenarios import seeded
from conformance.scp import StorageSCP
from conformance.strategies import archives, move_queries, render_identifier, suite_settings
from conformance.targets import TargetInfo, TenantInfo


def label_pool(tenant: TenantInfo) -> tuple[str, ...]:
    return (*sorted(tenant.labels)[:3], "zz") if tenant.labels else ("a", "zz")


@pytest.mark.clause("MOVE-1", "MOVE-2")
@suite_settings()
@given(data=st.data())
def test_move_sends_exactly_the_visible_selection(
    data: st.DataObject,
    tenant: TenantInfo,
    target: TargetInfo,
    admin: AdminClient,
    dimse: DimseClient,
    storage_scp: StorageSCP,
) -> None:
    spec = data.draw(archives(label_pool(tenant)), label="archive")
    drawn = data.draw(st.lists(move_queries(spec), min_size=1, max_size=3), label="moves")
    options = lbl5_options(target)
    with seeded(admin, spec) as seed:
        problems: list[str] = []
        for q in drawn:
            keys = render_identifier(q, seed.token, seed.root)
            note(f"{q.level.name} {keys}")
            expectations = expectations_for(seed.archive, tenant, q.level, keys, options)
            outcome = run_move(
                dimse,
                storage_scp,
                q.level,
                keys,
                must=frozenset.intersection(*(e.must for e in expectations)),
            )
            problems += [f"{q.level.name} {keys}: {p}" for p in move_problems(outcome, expectations)]
        assert not problems, "\n".join(problems)
