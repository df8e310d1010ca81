"""Stateful check of the archive against a plain dict model (STYLE lesson 9): random sequences of
stores (with labels), label changes, deletes, finds and restarts must leave both in the same state."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance
from reference.archive.archive import Archive
from reference.rules.ids import orthanc_id
from reference.rules.labels import Constraint
from reference.rules.levels import LEVELS, Level

# A small universe so that sequences collide: 2 patients x 2 studies x 2 series x 2 instances.
CHAINS = [(f"P{p}", f"1.{p}.{s}", f"1.{p}.{s}.{e}", f"1.{p}.{s}.{e}.{i}")
          for p in range(2) for s in range(2) for e in range(2) for i in range(2)]
RAW = {chain: instance_bytes(make_instance(InstanceSpec(patient_id=chain[0], study_uid=chain[1],
                                                        series_uid=chain[2], sop_uid=chain[3])))
       for chain in CHAINS}
LABELS = ["a", "b", "c"]


def model_visible(resource: set[str], tenant: frozenset[str], constraint: Constraint) -> bool:
    """Section 0, restated independently of reference.rules.labels (LBL-5 default: no filter)."""
    if not tenant:
        return True
    if constraint is Constraint.ALL:
        return all(label in resource for label in tenant)
    hits = [label for label in tenant if label in resource]
    return bool(hits) if constraint is Constraint.ANY else not hits
label_sets = st.frozensets(st.sampled_from(LABELS), max_size=2)


class ArchiveAgainstModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="archive-model-"))
        self.archive = Archive(self.folder)
        # model: resource key (tuple prefix of a chain) -> labels; instances present = 4-tuples
        self.labels: dict[tuple[str, ...], set[str]] = {}

    def teardown(self) -> None:
        self.archive.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _level(key: tuple[str, ...]) -> Level:
        return LEVELS[len(key) - 1]

    def _present(self, key: tuple[str, ...]) -> bool:
        return key in self.labels

    def _resource_id(self, key: tuple[str, ...]) -> str:
        return orthanc_id(*key)

    @rule(chain=st.sampled_from(CHAINS), level=st.sampled_from(list(Level)), labels=label_sets)
    def store(self, chain: tuple[str, str, str, str], level: Level, labels: frozenset[str]) -> None:
        result = self.archive.store(RAW[chain], {level: labels})
        assert result.status == ("AlreadyStored" if chain in self.labels else "Success")
        for depth in range(1, 5):
            self.labels.setdefault(chain[:depth], set())
        self.labels[chain[: level.depth + 1]] |= labels

    @rule(chain=st.sampled_from(CHAINS), depth=st.integers(1, 4), label=st.sampled_from(LABELS),
          add=st.booleans())
    def change_label(self, chain: tuple[str, ...], depth: int, label: str, add: bool) -> None:
        key = chain[:depth]
        level = self._level(key)
        method = self.archive.add_label if add else self.archive.remove_label
        assert method(level, self._resource_id(key), label) is self._present(key)
        if self._present(key):
            (self.labels[key].add if add else self.labels[key].discard)(label)

    @rule(chain=st.sampled_from(CHAINS), depth=st.integers(1, 4))
    def delete(self, chain: tuple[str, ...], depth: int) -> None:
        key = chain[:depth]
        assert self.archive.delete(self._level(key), self._resource_id(key)) is self._present(key)
        for other in [k for k in self.labels if k[:depth] == key]:
            del self.labels[other]
        for up in range(depth - 1, 0, -1):   # parents left without children go too
            parent = key[:up]
            if not any(len(k) == up + 1 and k[:up] == parent for k in self.labels):
                self.labels.pop(parent, None)

    @rule()
    def restart(self) -> None:
        self.archive.close()
        self.archive = Archive(self.folder)
        assert self.archive.recovered.orphan_files == () and self.archive.recovered.missing_files == ()

    @rule(level=st.sampled_from(list(Level)), labels=label_sets,
          constraint=st.sampled_from(list(Constraint)))
    def find(self, level: Level, labels: frozenset[str], constraint: Constraint) -> None:
        got = {r.id for r in self.archive.find(level, [], labels=labels, constraint=constraint)}
        expected = {self._resource_id(k) for k, v in self.labels.items()
                    if len(k) == level.depth + 1 and model_visible(v, labels, constraint)}
        assert got == expected

    @invariant()
    def same_resources_and_labels(self) -> None:
        for level in Level:
            expected = {self._resource_id(k) for k in self.labels if len(k) == level.depth + 1}
            assert set(self.archive.list_ids(level)) == expected
        for key, labels in self.labels.items():
            assert self.archive.labels(self._level(key), self._resource_id(key)) == sorted(labels)
        in_use: set[str] = set().union(*self.labels.values()) if self.labels else set()
        assert self.archive.all_labels() == sorted(in_use)


TestArchiveAgainstModel = ArchiveAgainstModel.TestCase
TestArchiveAgainstModel.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
