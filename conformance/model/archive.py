"""The archive as plain data: resources per level, their main tags and their own labels.

SPEC section 0: one archive indexed Patient > Study > Series > Instance; every resource carries
its own labels, never inherited. ``Archive`` is immutable; every change (store, label, unlabel,
delete) is a pure function returning a new archive, so a test can keep the model of "before" and
"after" side by side and the stateful machine can replay steps.

Resources are keyed by (level, identifying value): PatientID for a patient, the UID otherwise.
``orthanc_id`` gives the public ID Orthanc (and the reference server) use for the same resource:
the SHA-1 of the identifier chain (SPEC section 9), so test data maps to admin IDs without a lookup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from conformance.model.tags import TAGS, UNIQUE_KEYS, Level


@dataclass(frozen=True, order=True)
class ResourceKey:
    level: Level
    uid: str

    def __str__(self) -> str:
        return f"{self.level.name}:{self.uid}"


@dataclass(frozen=True)
class Resource:
    key: ResourceKey
    parent: ResourceKey | None
    tags: Mapping[str, str]  # main tags of this level with a non-empty value
    labels: frozenset[str] = frozenset()


def _freeze(d: Mapping[ResourceKey, Resource]) -> Mapping[ResourceKey, Resource]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class Archive:
    resources: Mapping[ResourceKey, Resource] = field(default_factory=lambda: _freeze({}))

    def __contains__(self, key: object) -> bool:
        return key in self.resources

    def get(self, key: ResourceKey) -> Resource:
        return self.resources[key]

    def at(self, level: Level) -> Iterator[Resource]:
        """Resources of one level, in a stable order."""
        return iter(sorted((r for r in self.resources.values() if r.key.level is level), key=lambda r: r.key))

    def ancestor(self, key: ResourceKey, level: Level) -> Resource:
        """The resource itself (same level) or its ancestor at ``level`` (which must not be lower)."""
        if level > key.level:
            raise ValueError(f"{level.name} is below {key}")
        res = self.resources[key]
        while res.key.level is not level:
            assert res.parent is not None
            res = self.resources[res.parent]
        return res

    def children(self, key: ResourceKey) -> list[Resource]:
        return sorted((r for r in self.resources.values() if r.parent == key), key=lambda r: r.key)

    def descendants(self, key: ResourceKey) -> list[Resource]:
        """All resources below ``key`` (not itself)."""
        out: list[Resource] = []
        for child in self.children(key):
            out.append(child)
            out.extend(self.descendants(child.key))
        return out

    def instances_of(self, key: ResourceKey) -> frozenset[str]:
        """SOPInstanceUIDs of every instance at or below ``key``."""
        if key.level is Level.INSTANCE:
            return frozenset({key.uid})
        return frozenset(r.key.uid for r in self.descendants(key) if r.key.level is Level.INSTANCE)

    def chain(self, key: ResourceKey) -> tuple[str, ...]:
        """Identifying values from the patient down to ``key``."""
        return tuple(self.ancestor(key, lvl).key.uid for lvl in Level if lvl <= key.level)

    def orthanc_id(self, key: ResourceKey) -> str:
        return orthanc_id(*self.chain(key))

    def value(self, key: ResourceKey, keyword: str) -> str | None:
        """Stored value of a main tag for ``key`` or its ancestor holding that tag (None: absent)."""
        info = TAGS[keyword]
        if info.level is None or info.level > key.level:
            raise ValueError(f"{keyword} is not a tag of {key} or its ancestors")
        return self.ancestor(key, info.level).tags.get(keyword)

    def labels_at(self, level: Level) -> dict[ResourceKey, frozenset[str]]:
        return {r.key: r.labels for r in self.at(level)}


def orthanc_id(*chain: str) -> str:
    """Orthanc's public ID: SHA-1 of the ``|``-joined identifier chain, 5 groups of 8 hex digits."""
    digest = hashlib.sha1("|".join(chain).encode()).hexdigest()
    return "-".join(digest[i : i + 8] for i in range(0, 40, 8))


def _level_tags(values: Mapping[str, str], level: Level) -> dict[str, str]:
    return {k: v for k, v in values.items() if k in TAGS and TAGS[k].level is level and v != ""}


def store(
    archive: Archive, values: Mapping[str, str], added: Mapping[Level, Iterable[str]] | None = None
) -> Archive:
    """The archive after storing one instance whose attributes are ``values`` (keyword -> string).

    ``added`` are labels the store puts on each level (STORE-2/3: a union, never a removal). An
    existing resource keeps its tags (Orthanc indexes a resource from its first instance).
    """
    resources = dict(archive.resources)
    parent: ResourceKey | None = None
    for level in Level:
        uid = values[UNIQUE_KEYS[level]]
        key = ResourceKey(level, uid)
        new_labels = frozenset((added or {}).get(level, ()))
        old = resources.get(key)
        if old is None:
            resources[key] = Resource(key, parent, MappingProxyType(_level_tags(values, level)), new_labels)
        elif not new_labels <= old.labels:
            resources[key] = Resource(key, old.parent, old.tags, old.labels | new_labels)
        parent = key
    return Archive(_freeze(resources))


def relabel(
    archive: Archive, key: ResourceKey, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> Archive:
    """The archive after adding then removing labels on one resource (LBL-2)."""
    resources = dict(archive.resources)
    old = resources[key]
    resources[key] = Resource(key, old.parent, old.tags, (old.labels | frozenset(add)) - frozenset(remove))
    return Archive(_freeze(resources))


def delete(archive: Archive, key: ResourceKey) -> Archive:
    """The archive after deleting a resource: its labels and children go too (LBL-6).

    As in Orthanc, a parent left without children is deleted as well.
    """
    gone = {key} | {r.key for r in archive.descendants(key)}
    resources = {k: r for k, r in archive.resources.items() if k not in gone}
    parent = archive.resources[key].parent
    while parent is not None and not any(r.parent == parent for r in resources.values()):
        grand = resources[parent].parent
        del resources[parent]
        parent = grand
    return Archive(_freeze(resources))


def merge(*archives: Archive) -> Archive:
    """Union of archives with disjoint resources (later ones win on a clash)."""
    resources: dict[ResourceKey, Resource] = {}
    for a in archives:
        resources.update(a.resources)
    return Archive(_freeze(resources))
