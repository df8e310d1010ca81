"""Running a C-MOVE through a tenant into the suite's storage SCP, and judging what arrived.

Strategy: the SCP is shared by the session, so every move first clears it, then runs, then waits
(bounded) until everything the model says *must* arrive has arrived; anything outside the model's
*may* set is a leak (MOVE-1). With ``SynchronousCMove`` (the default) everything has arrived when
the final status comes; the bounded wait only covers asynchronous servers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conformance.dimse import DimseClient, DimseResult, Model
from conformance.model import Archive, Expectation, Level, expected_move
from conformance.model.expected import TenantLike
from conformance.scenarios import identifier
from conformance.scp import AssociationAttempt, StorageSCP

ARRIVAL_WAIT = 10.0  # seconds to wait for instances the model says must arrive


@dataclass(frozen=True)
class MoveOutcome:
    result: DimseResult
    received: frozenset[str]
    associations: tuple[AssociationAttempt, ...]


def run_move(
    client: DimseClient,
    scp: StorageSCP,
    level: Level | None,
    keys: Mapping[str, str],
    must: frozenset[str] = frozenset(),
    destination: str | None = None,
) -> MoveOutcome:
    """C-MOVE ``keys`` (at ``level``; None leaves QueryRetrieveLevel out) to the SCP."""
    scp.clear()
    model: Model = "patient" if level is Level.PATIENT else "study"
    result = client.move(identifier(level.wire_name if level else None, keys), destination or scp.aet, model)
    if must:
        scp.wait_for(lambda s: must <= s.received_uids(), timeout=ARRIVAL_WAIT)
    return MoveOutcome(result, frozenset(scp.received_uids()), tuple(scp.associations()))


def move_problems(outcome: MoveOutcome, expectations: list[Expectation[str]]) -> list[str]:
    """Status and arrivals against the model (one expectation per allowed LBL-5 alternative)."""
    result = outcome.result
    problems: list[str] = []
    failure_allowed = any(e.failure_allowed for e in expectations)
    if result.final_status is None:
        problems.append(f"no final status ({result.describe()}): a hang or abort (ISO-2)")
    elif result.final_status != 0 and not (failure_allowed and 0xC000 <= result.final_status <= 0xCFFF):
        problems.append(f"expected SUCCESS(0x0000), got {result.describe()}")
    per_option = [e.problems(outcome.received) for e in expectations]
    problems += sorted(per_option, key=len)[0]
    return problems


def expectations_for(
    archive: Archive,
    tenant: TenantLike,
    level: Level | None,
    keys: Mapping[str, str],
    options: tuple[str, ...],
) -> list[Expectation[str]]:
    return [expected_move(archive, tenant, level, keys, o) for o in options]
