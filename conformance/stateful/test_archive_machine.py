"""ISO-1: random interleavings of store / label / unlabel / delete and C-FIND / C-MOVE through every
tenant; every answer must match the model of the archive at that moment."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from conformance.admin import AdminClient
from conformance.answers import client_for, lbl5_options
from conformance.dimse import DimseClient
from conformance.scp import StorageSCP
from conformance.stateful.machine import Context, machine_class
from conformance.strategies import suite_settings
from conformance.targets import QUERY_AET, TargetInfo, TenantInfo

QUICK_STEPS, THOROUGH_STEPS = 25, 60  # steps per run; the profile also decides how many runs


def steps() -> int:
    return THOROUGH_STEPS if getattr(settings, "_current_profile", None) == "thorough" else QUICK_STEPS


@pytest.mark.clause("ISO-1", "FIND-1", "MOVE-1")
def test_archive_machine(
    tenants: tuple[TenantInfo, ...], target: TargetInfo, admin: AdminClient, storage_scp: StorageSCP
) -> None:
    main = None
    if target.main_port is not None and target.main_aet is not None:
        main = DimseClient(target.host, target.main_port, target.main_aet, QUERY_AET)
    pool = tuple(sorted({label for t in tenants for label in t.labels} | {"zz"}))
    context = Context(
        target=target,
        admin=admin,
        tenants=tenants,
        clients=tuple(client_for(t, target) for t in tenants),
        main=main,
        scp=storage_scp,
        label_pool=pool,
        lbl5=lbl5_options(target),
    )
    run_state_machine_as_test(  # type: ignore[no-untyped-call, unused-ignore]
        machine_class(context), settings=settings(suite_settings(), stateful_step_count=steps())
    )
