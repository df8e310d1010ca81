"""What a conforming tenant answers, computed from the archive model (SPEC sections 0, 5, 6, 7).

Strategy: every query answer is an ``Expectation`` -- two sets, ``must`` (resources the answer has
to contain) and ``may`` (everything it is allowed to contain), plus whether a failure status is an
allowed outcome. Where the spec fixes the answer the two sets are equal; where it leaves room
(keys of lower levels, attributes that are not main tags, UID keys with ``*``) the model widens
``may`` only among *visible* resources, so isolation (FIND-1, MOVE-1) is always checked exactly.
Pure functions over plain data, no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Generic, Protocol, TypeVar

from conformance.model.archive import Archive, Resource, ResourceKey
from conformance.model.matching import Tri, classify, failure_allowed, match_key, tri_and
from conformance.model.tags import ALWAYS_ADDED_KEYS, TAGS, Level, answer_keys, parse_level

K = TypeVar("K", bound=Hashable)

NONE_EMPTY_ALL = "none-empty=all"
NONE_EMPTY_UNLABELLED = "none-empty=unlabelled"
DEFAULT_STORE_LEVELS = (Level.STUDY, Level.SERIES, Level.INSTANCE)


class Constraint(Enum):
    ALL = "All"
    ANY = "Any"
    NONE = "None"


class TenantLike(Protocol):
    """What the model needs of a tenant (``conformance.targets.TenantInfo`` fits)."""

    @property
    def aet(self) -> str: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def constraint(self) -> str: ...
    @property
    def store_levels(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Tenant:
    """A plain tenant, for unit tests and strategies."""

    aet: str
    labels: tuple[str, ...]
    constraint: str = "All"
    store_levels: tuple[str, ...] = ("Study", "Series", "Instance")


def visible(resource_labels: Collection[str], tenant: TenantLike, none_empty: str = NONE_EMPTY_ALL) -> bool:
    """SPEC section 0 and LBL-5: does a resource with these own labels show through ``tenant``?"""
    wanted = frozenset(tenant.labels)
    have = frozenset(resource_labels)
    constraint = Constraint(tenant.constraint)
    if not wanted:
        if constraint is Constraint.NONE and none_empty == NONE_EMPTY_UNLABELLED:
            return not have
        return True
    if constraint is Constraint.ALL:
        return wanted <= have
    if constraint is Constraint.ANY:
        return bool(wanted & have)
    return not (wanted & have)


def showing_labels(tenant: TenantLike) -> frozenset[str]:
    """Own labels that make a resource visible to ``tenant`` under every LBL-5 alternative."""
    if Constraint(tenant.constraint) is Constraint.NONE or not tenant.labels:
        return frozenset()
    if Constraint(tenant.constraint) is Constraint.ANY:
        return frozenset(sorted(tenant.labels)[:1])
    return frozenset(tenant.labels)


def hiding_labels(tenant: TenantLike) -> frozenset[str] | None:
    """Own labels that hide a resource from ``tenant`` under every alternative (None: none exist)."""
    if not tenant.labels:
        return None
    if Constraint(tenant.constraint) is Constraint.NONE:
        return frozenset(sorted(tenant.labels)[:1])
    return frozenset(
        {"zz"}
        | (set(sorted(tenant.labels)[1:]) if Constraint(tenant.constraint) is Constraint.ALL else set())
    )


@dataclass(frozen=True)
class Expectation(Generic[K]):
    must: frozenset[K]
    may: frozenset[K]
    failure_allowed: bool = False

    @property
    def exact(self) -> bool:
        return self.must == self.may

    def problems(self, answer: Iterable[K]) -> list[str]:
        """What is wrong with an answer (empty: it conforms). Unsorted sets are shown sorted."""
        got = frozenset(answer)
        out: list[str] = []
        if missing := self.must - got:
            out.append(f"missing {sorted(map(str, missing))}")
        if extra := got - self.may:
            out.append(f"unexpected {sorted(map(str, extra))}")
        return out


def _key_match(archive: Archive, res: Resource, level: Level, keyword: str, value: str) -> Tri:
    info = TAGS.get(keyword)
    if keyword in ("QueryRetrieveLevel", "SpecificCharacterSet", "RetrieveAETitle") or value == "":
        # QueryRetrieveLevel is the level; a valued SpecificCharacterSet is FIND-7 (variant).
        return Tri.YES if keyword == "QueryRetrieveLevel" or value == "" else Tri.MAYBE
    if info is None or info.level is None or info.level > level:
        return Tri.MAYBE  # not a main tag of this level or above: the spec leaves it open
    return match_key(classify(info.vr, value), archive.value(res.key, keyword))


def _uid_wildcard_anywhere(identifier: Mapping[str, str]) -> bool:
    return any(failure_allowed(classify(TAGS[k].vr, v)) for k, v in identifier.items() if k in TAGS and v)


def expected_find(
    archive: Archive,
    tenant: TenantLike,
    level: Level,
    identifier: Mapping[str, str],
    none_empty: str = NONE_EMPTY_ALL,
) -> Expectation[ResourceKey]:
    """FIND-1/2/5: resources of ``level`` matching every key and visible to ``tenant``."""
    must: set[ResourceKey] = set()
    may: set[ResourceKey] = set()
    for res in archive.at(level):
        if not visible(res.labels, tenant, none_empty):
            continue
        verdict = Tri.YES
        for keyword, value in identifier.items():
            verdict = tri_and(verdict, _key_match(archive, res, level, keyword, value))
            if verdict is Tri.NO:
                break
        if verdict is not Tri.NO:
            may.add(res.key)
            if verdict is Tri.YES:
                must.add(res.key)
    return Expectation(frozenset(must), frozenset(may), _uid_wildcard_anywhere(identifier))


MOVE_KEYS: dict[Level, tuple[str, ...]] = {
    Level.PATIENT: ("PatientID",),
    Level.STUDY: ("StudyInstanceUID", "AccessionNumber"),
    Level.SERIES: ("SeriesInstanceUID",),
    Level.INSTANCE: ("SOPInstanceUID",),
}
"""MOVE-3: the keys a C-MOVE selects by at each level (the first one with a value is used)."""

MOVE_LEVEL_ORDER = (Level.INSTANCE, Level.SERIES, Level.STUDY, Level.PATIENT)
"""MOVE-3: without a level, the first of these that selects something visible is used."""


def _move_selection(
    archive: Archive, tenant: TenantLike, level: Level, identifier: Mapping[str, str], none_empty: str
) -> Expectation[ResourceKey]:
    keyword = next((k for k in MOVE_KEYS[level] if identifier.get(k, "")), None)
    if keyword is None:
        return Expectation(frozenset(), frozenset())
    items = [i for i in identifier[keyword].split("\\") if i]
    must: set[ResourceKey] = set()
    may: set[ResourceKey] = set()
    fail = False
    for item in items:
        key = classify(TAGS[keyword].vr, item)
        fail |= failure_allowed(key)
        sub = expected_find(archive, tenant, level, {keyword: item}, none_empty)
        must |= sub.must
        may |= sub.may
    return Expectation(frozenset(must), frozenset(may), fail)


def _instances(archive: Archive, keys: Iterable[ResourceKey]) -> frozenset[str]:
    out: set[str] = set()
    for key in keys:
        out |= archive.instances_of(key)
    return frozenset(out)


def expected_move(
    archive: Archive,
    tenant: TenantLike,
    level: Level | None,
    identifier: Mapping[str, str],
    none_empty: str = NONE_EMPTY_ALL,
) -> Expectation[str]:
    """MOVE-1/2/3: SOPInstanceUIDs a C-MOVE through ``tenant`` sends (all instances of what it selects)."""
    if level is not None:
        sel = _move_selection(archive, tenant, level, identifier, none_empty)
        return Expectation(_instances(archive, sel.must), _instances(archive, sel.may), sel.failure_allowed)
    for index, lvl in enumerate(MOVE_LEVEL_ORDER):
        sel = _move_selection(archive, tenant, lvl, identifier, none_empty)
        if not sel.may:
            continue
        if sel.must == sel.may:
            sent = _instances(archive, sel.must)
            return Expectation(sent, sent, sel.failure_allowed)
        # This level may or may not select something: any later level may be used instead.
        may = set(sel.may)
        for later in MOVE_LEVEL_ORDER[index + 1 :]:
            may |= _move_selection(archive, tenant, later, identifier, none_empty).may
        return Expectation(frozenset(), _instances(archive, may), True)
    return Expectation(frozenset(), frozenset())


def store_levels(tenant: TenantLike) -> frozenset[Level]:
    """CFG-6: the tenant's store levels as Levels."""
    return frozenset(parse_level(name) for name in tenant.store_levels)


def expected_store_labels(
    tenant: TenantLike, levels: Collection[Level] | None = None
) -> dict[Level, frozenset[str]]:
    """STORE-2: the labels a C-STORE through ``tenant`` adds at each level (nothing elsewhere)."""
    chosen = store_levels(tenant) if levels is None else frozenset(levels)
    labels = frozenset(tenant.labels)
    return {lvl: labels if lvl in chosen else frozenset() for lvl in Level}


def expected_answer(
    archive: Archive,
    key: ResourceKey,
    identifier: Mapping[str, str],
    tenant_aet: str,
    level_name: str,
    charset: str = "ISO_IR 100",
) -> dict[str, str]:
    """FIND-6: the attributes of the C-FIND answer for one matching resource.

    Requested keys that are main tags of the level (plus the patient's at STUDY) and have a stored
    value, then QueryRetrieveLevel, RetrieveAETitle and SpecificCharacterSet. Parent UIDs at
    SERIES/INSTANCE and computed keys are absent because they are not in ``answer_keys``.
    """
    out: dict[str, str] = {}
    allowed = answer_keys(key.level)
    for keyword in identifier:
        if keyword in allowed and keyword not in ALWAYS_ADDED_KEYS:
            stored = archive.value(key, keyword)
            if stored:
                out[keyword] = stored
    out["QueryRetrieveLevel"] = level_name
    out["RetrieveAETitle"] = tenant_aet
    out["SpecificCharacterSet"] = charset
    return out
