"""A RuleBasedStateMachine that drives a target and the model side by side (ISO-1).

Strategy: the machine owns a corner of the shared archive -- every PatientID starts with its token,
every UID with its root -- and mirrors it in an immutable ``Archive``. Rules change the archive
through every path the spec names (C-STORE through a tenant or the main server, REST upload, label,
unlabel, delete) and update the model with the same pure functions the other tests use
(``store``/``relabel``/``delete``, ``expected_store_labels``); query rules run C-FIND and C-MOVE
through a tenant and compare each answer with the model's expectation, scoped to the machine's
patients by a ``{token}-*`` PatientID. Resources are named by small indices, so failing runs
shrink to short, readable step lists. ``teardown`` deletes every patient the machine created.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from pydicom.dataset import Dataset

from conformance.admin import AdminClient
from conformance.answers import find_problems
from conformance.dimse import DimseClient
from conformance.model import (
    Archive,
    Level,
    ResourceKey,
    delete,
    expected_store_labels,
    orthanc_id,
    relabel,
    store,
)
from conformance.model.tags import UNIQUE_KEYS
from conformance.moves import expectations_for, move_problems, run_move
from conformance.scenarios import dataset_values, fresh_names, identifier
from conformance.scp import StorageSCP
from conformance.strategies import MODALITIES, PATIENT_NAMES, STUDY_DATES, STUDY_DESCRIPTIONS
from conformance.targets import TargetInfo, TenantInfo
from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance

INDEX = st.integers(0, 1)


@dataclass(frozen=True)
class Context:
    """What the machine talks to; built by the test from the suite's fixtures."""

    target: TargetInfo
    admin: AdminClient
    tenants: tuple[TenantInfo, ...]
    clients: tuple[DimseClient, ...]  # one per tenant, same order
    main: DimseClient | None
    scp: StorageSCP
    label_pool: tuple[str, ...]
    lbl5: tuple[str, ...]


class ArchiveMachine(RuleBasedStateMachine):
    context: Context  # set by ``machine_class``

    def __init__(self) -> None:
        super().__init__()
        self.token, self.root = fresh_names()
        self.archive = Archive()
        self.patients: set[str] = set()

    # -- naming ---------------------------------------------------------------------------------------
    def _dataset(self, p: int, s: int, r: int, i: int) -> Dataset:
        study, series = f"{self.root}.{p}.{s}", f"{self.root}.{p}.{s}.{r}"
        return make_instance(
            InstanceSpec(
                patient_id=f"{self.token}-P{p}",
                patient_name=PATIENT_NAMES[p],
                study_uid=study,
                accession_number=f"{self.token}A{p}{s}",
                study_date=STUDY_DATES[s],
                study_description=STUDY_DESCRIPTIONS[s],
                series_uid=series,
                modality=MODALITIES[r],
                series_number=r + 1,
                sop_uid=f"{series}.{i}",
                instance_number=i + 1,
                referring_physician_name=None,
            )
        )

    def _existing(self, level: Level) -> list[ResourceKey]:
        return sorted(r.key for r in self.archive.at(level))

    # -- changes ----------------------------------------------------------------------------------------
    @rule(p=INDEX, s=INDEX, r=INDEX, i=st.integers(0, 2), via=st.integers(0, 20))
    def store_instance(self, p: int, s: int, r: int, i: int, via: int) -> None:
        """C-STORE through a tenant (most often), the main server, or REST upload."""
        ds = self._dataset(p, s, r, i)
        values = dataset_values(ds)
        ctx = self.context
        if via < len(ctx.tenants) * 2:
            k = via % len(ctx.tenants)
            tenant = ctx.tenants[k]
            note(f"C-STORE {values['SOPInstanceUID']} through {tenant.aet}")
            result = ctx.clients[k].store(ds)
            assert result.final_status == 0, f"C-STORE through {tenant.aet}: {result.describe()}"
            added = {lvl: labels for lvl, labels in expected_store_labels(tenant).items() if labels}
            self.archive = store(self.archive, values, added)
        elif via % 2 == 0 and ctx.main is not None:
            note(f"C-STORE {values['SOPInstanceUID']} through the main server")
            result = ctx.main.store(ds)
            assert result.final_status == 0, f"C-STORE through the main server: {result.describe()}"
            self.archive = store(self.archive, values)
        else:
            note(f"REST upload {values['SOPInstanceUID']}")
            ctx.admin.upload(instance_bytes(ds))
            self.archive = store(self.archive, values)
        self.patients.add(values["PatientID"])

    @precondition(lambda self: bool(self.archive.resources))
    @rule(
        level=st.sampled_from(tuple(Level)),
        n=st.integers(0, 15),
        label_index=st.integers(0, 9),
        add=st.booleans(),
    )
    def change_label(self, level: Level, n: int, label_index: int, add: bool) -> None:
        keys = self._existing(level)
        if not keys:
            return
        key = keys[n % len(keys)]
        label = self.context.label_pool[label_index % len(self.context.label_pool)]
        admin_id = orthanc_id(*self.archive.chain(key))
        note(f"{'PUT' if add else 'DELETE'} label {label} on {key}")
        if add:
            self.context.admin.add_label(level.rest_name, admin_id, label)
            self.archive = relabel(self.archive, key, add=[label])
        else:
            self.context.admin.remove_label(level.rest_name, admin_id, label)
            self.archive = relabel(self.archive, key, remove=[label])

    @precondition(lambda self: bool(self.archive.resources))
    @rule(level=st.sampled_from((Level.STUDY, Level.SERIES, Level.INSTANCE)), n=st.integers(0, 15))
    def delete_resource(self, level: Level, n: int) -> None:
        keys = self._existing(level)
        if not keys:
            return
        key = keys[n % len(keys)]
        note(f"DELETE {key}")
        self.context.admin.delete(level.rest_name, orthanc_id(*self.archive.chain(key)))
        self.archive = delete(self.archive, key)

    # -- observations -----------------------------------------------------------------------------------
    @rule(
        t=st.integers(0, 63), level=st.sampled_from(tuple(Level)), n=st.integers(0, 15), exact=st.booleans()
    )
    def find(self, t: int, level: Level, n: int, exact: bool) -> None:
        ctx = self.context
        k = t % len(ctx.tenants)
        keys = {UNIQUE_KEYS[level]: "", "PatientID": f"{self.token}-*"}
        existing = self._existing(level)
        if exact and existing:
            keys[UNIQUE_KEYS[level]] = existing[n % len(existing)].uid
        note(f"C-FIND {level.name} {keys} through {ctx.tenants[k].aet}")
        result = ctx.clients[k].find(
            identifier(level.wire_name, keys), "patient" if level is Level.PATIENT else "study"
        )
        problems = find_problems(result, self.archive, ctx.tenants[k], level, keys, ctx.lbl5, ctx.admin)
        assert not problems, f"C-FIND through {ctx.tenants[k].aet}: " + "\n".join(problems)

    @precondition(lambda self: bool(self.archive.resources))
    @rule(t=st.integers(0, 63), level=st.sampled_from(tuple(Level)), n=st.integers(0, 15))
    def move(self, t: int, level: Level, n: int) -> None:
        ctx = self.context
        k = t % len(ctx.tenants)
        existing = self._existing(level)
        if not existing:
            return
        keys = {UNIQUE_KEYS[level]: existing[n % len(existing)].uid}
        expectations = expectations_for(self.archive, ctx.tenants[k], level, keys, ctx.lbl5)
        note(f"C-MOVE {level.name} {keys} through {ctx.tenants[k].aet}")
        outcome = run_move(
            ctx.clients[k], ctx.scp, level, keys, must=frozenset.intersection(*(e.must for e in expectations))
        )
        problems = move_problems(outcome, expectations)
        assert not problems, f"C-MOVE through {ctx.tenants[k].aet}: " + "\n".join(problems)

    @invariant()
    def model_is_consistent(self) -> None:
        for res in self.archive.resources.values():
            assert res.parent is None or res.parent in self.archive, f"orphan {res.key} in the model"

    def teardown(self) -> None:
        for pid in sorted(self.patients):
            self.context.admin.request("DELETE", f"patients/{orthanc_id(pid)}")


def machine_class(context: Context) -> type[ArchiveMachine]:
    """A subclass bound to ``context`` (hypothesis instantiates machines without arguments)."""
    return type("BoundArchiveMachine", (ArchiveMachine,), {"context": context})
