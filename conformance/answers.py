"""Judging a tenant's C-FIND / C-MOVE answers against the model (FIND-1/2/5, MOVE-1/2).

Strategy: a check returns a list of problems (empty: conforming) instead of asserting, so the
caller can try each allowed variant (LBL-5 for a ``None`` tenant without labels) and report
the problems of the one the target claims. Answers naming resources outside the example's own
archive (unscoped wildcard queries on a shared archive) are judged on ground truth read through
the admin API: the resource must exist at that level and be visible to the tenant by its own labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from conformance.admin import AdminClient
from conformance.dimse import DimseClient, DimseResult
from conformance.model import NONE_EMPTY_ALL, NONE_EMPTY_UNLABELLED, Archive, Expectation, Level, ResourceKey
from conformance.model.expected import TenantLike, expected_find, visible
from conformance.scenarios import dataset_value
from conformance.status import Status, describe
from conformance.targets import QUERY_AET, TargetInfo, TenantInfo

MAX_EXTERNAL_CHECKS = 50


def lbl5_options(target: TargetInfo) -> tuple[str, ...]:
    """LBL-5 alternatives to accept: the claimed one, else both."""
    claimed = target.variants_claimed.get("LBL-5")
    return (claimed,) if claimed else (NONE_EMPTY_ALL, NONE_EMPTY_UNLABELLED)


def scp_timeout(target: TargetInfo) -> float:
    """The target's DicomScpTimeout (CFG-7 default 30 s)."""
    return float(target.options.get("DicomScpTimeout", 30))


def hang_bound(target: TargetInfo) -> float:
    """How long a client waits before calling an association hung (ISO-2): DicomScpTimeout + 3 s."""
    return scp_timeout(target) + 3.0


def client_for(tenant: TenantInfo, target: TargetInfo, timeout: float | None = None) -> DimseClient:
    """A DIMSE client of ``tenant`` calling as the suite's query AET (listed in DicomModalities)."""
    return DimseClient(tenant.host, tenant.port, tenant.aet, QUERY_AET, timeout=timeout or hang_bound(target))


def one_per_constraint(tenants: Sequence[TenantInfo]) -> list[TenantInfo]:
    """The first tenant with labels of each constraint (for tests that cost a timeout on Orthanc)."""
    chosen: dict[str, TenantInfo] = {}
    for t in tenants:
        if t.labels:
            chosen.setdefault(t.constraint, t)
    return list(chosen.values()) or list(tenants[:1])


def answered_uids(result: DimseResult, level: Level) -> tuple[list[str], list[str]]:
    """(identifying values of the matches, problems such as a match without its identifier)."""
    uids: list[str] = []
    problems: list[str] = []
    for ds in result.matches:
        value = dataset_value(ds, level.unique_key)
        if not value:
            problems.append(f"a match carries no {level.unique_key}: {ds!r}"[:300])
        else:
            uids.append(value)
    return uids, problems


def status_problems(result: DimseResult, failure_allowed: bool) -> list[str]:
    """The operation must complete: Success, or 0xC000-family failure where the spec allows it."""
    if result.timed_out or result.final_status is None:
        return [f"no final status ({result.describe()}): a hang or abort (ISO-2)"]
    if result.final_status == Status.SUCCESS:
        return []
    if failure_allowed and 0xC000 <= result.final_status <= 0xCFFF:
        return []
    return [f"expected {describe(Status.SUCCESS)}, got {result.describe()}"]


def external_problems(
    admin: AdminClient, tenant: TenantLike, level: Level, uids: Sequence[str], options: Sequence[str]
) -> list[str]:
    """Answers outside the example's archive must exist and be visible per the admin API."""
    problems: list[str] = []
    for uid in list(uids)[:MAX_EXTERNAL_CHECKS]:
        found = admin.find(level.rest_name, {level.unique_key: uid}, expand=True)
        if not found:
            problems.append(f"{level.name} {uid} answered but absent from the archive")
            continue
        label_sets = [frozenset(r.get("Labels", [])) for r in found if isinstance(r, dict)]
        if not any(visible(labels, tenant, o) for labels in label_sets for o in options):
            problems.append(f"{level.name} {uid} is not visible to {tenant.aet} (labels {label_sets})")
    return problems


def leak_problems(
    result: DimseResult,
    archive: Archive,
    tenant: TenantLike,
    level: Level,
    options: Sequence[str],
    admin: AdminClient,
) -> list[str]:
    """Isolation only (FIND-1, ISO-2): answers naming a resource the tenant cannot see, whatever the keys."""
    uids, problems = answered_uids(result, level)
    foreign = [u for u in uids if ResourceKey(level, u) not in archive]
    for uid in uids:
        key = ResourceKey(level, uid)
        if key in archive and not any(visible(archive.get(key).labels, tenant, o) for o in options):
            problems.append(
                f"{key} is not visible to {tenant.aet} (labels {sorted(archive.get(key).labels)})"
            )
    return problems + external_problems(admin, tenant, level, foreign, options)


def find_problems(
    result: DimseResult,
    archive: Archive,
    tenant: TenantLike,
    level: Level,
    keys: Mapping[str, str],
    options: Sequence[str],
    admin: AdminClient,
) -> list[str]:
    """Everything wrong with a C-FIND answer to ``keys`` at ``level`` (one try per LBL-5 option)."""
    expectations = [expected_find(archive, tenant, level, keys, o) for o in options]
    problems = status_problems(result, any(e.failure_allowed for e in expectations))
    uids, shape = answered_uids(result, level)
    problems += shape
    own = [u for u in uids if ResourceKey(level, u) in archive]
    foreign = [u for u in uids if ResourceKey(level, u) not in archive]
    if len(set(uids)) != len(uids):
        problems.append(f"duplicate matches {sorted(uids)}")
    failed = result.final_status is not None and result.final_status != Status.SUCCESS
    per_option = []
    for e in expectations:
        if failed:  # an allowed failure: still nothing hidden may have leaked in Pending answers
            e = Expectation(frozenset(), e.may, e.failure_allowed)
        per_option.append(e.problems(ResourceKey(level, u) for u in own))
    best = min(per_option, key=len)
    problems += best
    problems += external_problems(admin, tenant, level, foreign, options)
    return problems
