"""ISO-1: isolation holds at every answer while the archive changes concurrently.

A stable part of the archive is half visible to the tenant; a churning part (its own patient) is
stored through the main server, labelled, unlabelled and deleted by writer threads, always with
label sets that keep it hidden from the tenant (All/Any tenants only, so an unlabelled resource is
hidden too). Reader threads run C-FIND at every level and a C-MOVE of hidden studies meanwhile:
each answer must be exactly the stable visible part, and nothing may be sent. Loops are bounded in
count and in time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import partial

import pytest

from conformance.admin import AdminClient
from conformance.answers import client_for, find_problems, lbl5_options, one_per_constraint
from conformance.dimse import DimseClient
from conformance.model import (
    Level,
    ResourceKey,
    TenantLike,
    hiding_labels,
    orthanc_id,
    showing_labels,
    visible,
)
from conformance.moves import run_move
from conformance.scenarios import Seeded, identifier, seeded
from conformance.scp import StorageSCP
from conformance.status import Status
from conformance.strategies import fixed_archive, split_labels
from conformance.targets import QUERY_AET, TargetInfo, TenantInfo
from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance

WRITES = 12  # instances each writer stores (and labels, unlabels, deletes)
DEADLINE = 90.0  # seconds for the whole test, whatever the target does


def never_visible_labels(tenant: TenantLike) -> list[frozenset[str]]:
    """Label sets a churning resource may carry without ever becoming visible (All/Any tenants)."""
    own = sorted(tenant.labels)
    sets = [frozenset({"zz"}), frozenset({"yy", "zz"})]
    if tenant.constraint == "All" and len(own) > 1:
        sets += [frozenset(own[:-1]), frozenset({own[0], "zz"})]
    return sets


class Churn:
    """Writers and readers sharing a problem list and a stop flag."""

    def __init__(self, deadline: float) -> None:
        self.problems: list[str] = []
        self.lock = threading.Lock()
        self.writers_done = threading.Event()
        self.deadline = deadline
        self.counts: dict[str, int] = {}

    def report(self, problem: str) -> None:
        with self.lock:
            self.problems.append(problem)

    def count(self, name: str) -> None:
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def active(self) -> bool:
        return not self.writers_done.is_set() and time.monotonic() < self.deadline

    def guarded(self, name: str, body: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except Exception as exc:  # a thread's failure is the test's failure
                self.report(f"{name}: {type(exc).__name__}: {exc}")

        return run


def _writer(
    churn: Churn, n: int, seed: Seeded, tenant: TenantInfo, target: TargetInfo, admin: AdminClient
) -> None:
    assert target.main_port is not None and target.main_aet is not None
    main = DimseClient(target.host, target.main_port, target.main_aet, QUERY_AET)
    label_sets = never_visible_labels(tenant)
    previous: str | None = None
    for i in range(WRITES):
        if time.monotonic() > churn.deadline:
            return
        pid, study = f"{seed.token}-P9", f"{seed.root}.9.{n}"
        series, sop = f"{study}.0", f"{study}.0.{i}"
        ds = make_instance(
            InstanceSpec(
                patient_id=pid, study_uid=study, series_uid=series, sop_uid=sop, referring_physician_name=None
            )
        )
        if i % 2 == 0:
            result = main.store(ds)
            if result.final_status != Status.SUCCESS:
                churn.report(f"writer {n}: C-STORE through the main server: {result.describe()}")
                continue
        else:
            admin.upload(instance_bytes(ds))
        chain = {
            Level.STUDY: (pid, study),
            Level.SERIES: (pid, study, series),
            Level.INSTANCE: (pid, study, series, sop),
        }
        for level, ids in chain.items():
            for label in sorted(label_sets[(i + level) % len(label_sets)]):
                admin.add_label(level.rest_name, orthanc_id(*ids), label)
        admin.remove_label("Study", orthanc_id(pid, study), "zz")
        if previous is not None:
            admin.request("DELETE", f"instances/{previous}")
        previous = orthanc_id(pid, study, series, sop)
        churn.count("writes")


def _reader(churn: Churn, seed: Seeded, tenant: TenantInfo, target: TargetInfo, admin: AdminClient) -> None:
    client = client_for(tenant, target)
    levels = (Level.STUDY, Level.SERIES, Level.INSTANCE, Level.PATIENT)
    i = 0
    while churn.active() or i < len(levels):
        level = levels[i % len(levels)]
        keys = {level.unique_key: "", "PatientID": f"{seed.token}-*"}
        result = client.find(
            identifier(level.wire_name, keys), "patient" if level is Level.PATIENT else "study"
        )
        for p in find_problems(result, seed.archive, tenant, level, keys, lbl5_options(target), admin):
            churn.report(f"C-FIND {level.name} during churn: {p}")
        churn.count("finds")
        i += 1


def _mover(churn: Churn, seed: Seeded, tenant: TenantInfo, target: TargetInfo, scp: StorageSCP) -> None:
    client = client_for(tenant, target)
    hidden = [
        k.uid
        for k in sorted(seed.archive.resources)
        if k.level is Level.STUDY
        and k not in {ResourceKey(Level.STUDY, u) for u in _visible_studies(seed, tenant)}
    ]
    churning = [f"{seed.root}.9.{n}" for n in range(2)]
    keys = {"StudyInstanceUID": "\\".join(hidden + churning)}
    while churn.active():
        outcome = run_move(client, scp, Level.STUDY, keys)
        if outcome.result.final_status is None:
            churn.report(f"C-MOVE of hidden studies: no final status ({outcome.result.describe()})")
        if outcome.received:
            churn.report(f"C-MOVE of hidden studies sent {sorted(outcome.received)}")
        churn.count("moves")


def _visible_studies(seed: Seeded, tenant: TenantInfo) -> list[str]:
    return [r.key.uid for r in seed.archive.at(Level.STUDY) if visible(r.labels, tenant)]


@pytest.mark.clause("ISO-1", "FIND-1", "MOVE-1")
def test_isolation_during_concurrent_changes(
    tenants: tuple[TenantInfo, ...], target: TargetInfo, admin: AdminClient, storage_scp: StorageSCP
) -> None:
    if target.main_port is None:
        pytest.skip("the target did not declare its main DICOM server")
    chosen = [t for t in one_per_constraint(tenants) if t.constraint in ("All", "Any") and t.labels]
    if not chosen:
        pytest.skip("no tenant with labels and an All/Any constraint")
    tenant = chosen[0]
    spec = fixed_archive(
        studies=2, series=2, labels=split_labels(showing_labels(tenant), hiding_labels(tenant))
    )
    with seeded(admin, spec) as seed:
        churn = Churn(time.monotonic() + DEADLINE)
        try:
            writers = [
                threading.Thread(
                    target=churn.guarded(
                        f"writer {n}", partial(_writer, churn, n, seed, tenant, target, admin)
                    )
                )
                for n in range(2)
            ]
            readers = [
                threading.Thread(
                    target=churn.guarded(f"reader {n}", lambda: _reader(churn, seed, tenant, target, admin))
                )
                for n in range(2)
            ]
            readers.append(
                threading.Thread(
                    target=churn.guarded("mover", lambda: _mover(churn, seed, tenant, target, storage_scp))
                )
            )
            for thread in writers + readers:
                thread.start()
            for thread in writers:
                thread.join(DEADLINE)
            churn.writers_done.set()
            for thread in readers:
                thread.join(DEADLINE)
            stuck = [t.name for t in writers + readers if t.is_alive()]
        finally:
            churn.writers_done.set()
            admin.request("DELETE", f"patients/{orthanc_id(seed.token + '-P9')}")
    assert not stuck, f"threads still running after {DEADLINE} s: {stuck}"
    assert churn.counts.get("finds", 0) >= 4, f"too few queries ran during the churn: {churn.counts}"
    assert not churn.problems, f"{churn.counts}\n" + "\n".join(churn.problems[:30])
