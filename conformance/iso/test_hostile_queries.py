"""ISO-2: hostile C-FIND and C-MOVE requests through a tenant.

Oversized keys, invalid values, deeply nested sequences, an identifier that is not a dataset at all,
unknown calling AETs, and C-MOVEs to destinations that are down or reject the called AET. Each must
get a final status or an abort within DicomScpTimeout (never silence), reveal nothing the tenant
cannot see, and leave the tenant and the main server answering C-ECHO.
"""

from __future__ import annotations

import socket
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import settings
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from conformance.admin import AdminClient
from conformance.answers import client_for, hang_bound, lbl5_options, leak_problems, one_per_constraint
from conformance.dimse import DimseClient, DimseResult
from conformance.iso.crafted import find_with_raw_identifier
from conformance.iso.test_malformed_pdus import still_serving
from conformance.model import Level, hiding_labels, showing_labels
from conformance.moves import run_move
from conformance.scenarios import Seeded, identifier, seeded
from conformance.scp import StorageSCP
from conformance.strategies import fixed_archive, split_labels
from conformance.targets import QUERY_AET, TargetInfo, TenantInfo


def nesting_depth() -> int:
    """200 levels in the quick profile; 20,000 (what crashes Orthanc 1.12.7) only in ``thorough``."""
    return 20_000 if getattr(settings, "_current_profile", None) == "thorough" else 200


def nested_identifier(depth: int, scope: str) -> Dataset:
    ds = identifier("STUDY", {"StudyInstanceUID": "", "PatientID": scope})
    inner = Dataset()
    inner.CodeValue = "X"
    for _ in range(depth):
        outer = Dataset()
        outer.ConceptNameCodeSequence = Sequence([inner])
        inner = outer
    ds.ContentSequence = Sequence([inner])
    return ds


@pytest.fixture
def hostile_seed(tenants: tuple[TenantInfo, ...], admin: AdminClient) -> Iterator[tuple[TenantInfo, Seeded]]:
    """The first labelled tenant, and an archive half hidden from it."""
    tenant = one_per_constraint(tenants)[0]
    spec = fixed_archive(
        studies=2, series=1, labels=split_labels(showing_labels(tenant), hiding_labels(tenant))
    )
    with seeded(admin, spec) as seed:
        yield tenant, seed


def hung(result: DimseResult) -> bool:
    """ISO-2: the server answered neither a final status nor an abort/reject/close in time."""
    if result.timed_out:
        return True
    return result.final_status is None and result.associated and not result.aborted


def _judge(
    name: str,
    result: DimseResult,
    seed: Seeded,
    tenant: TenantInfo,
    level: Level,
    keys: dict[str, str],
    target: TargetInfo,
    admin: AdminClient,
) -> list[str]:
    problems = [f"{name}: no final status and no abort ({result.describe()}): a hang"] if hung(result) else []
    leaks = leak_problems(result, seed.archive, tenant, level, lbl5_options(target), admin)
    problems += [f"{name}: {p}" for p in leaks]
    return problems


@pytest.mark.clause("ISO-2")
def test_hostile_find_identifiers(
    hostile_seed: tuple[TenantInfo, Seeded], target: TargetInfo, admin: AdminClient
) -> None:
    tenant, seed = hostile_seed
    client = client_for(tenant, target)
    scope = f"{seed.token}-*"
    cases: list[tuple[str, dict[str, str]]] = [
        ("oversized PatientName", {"StudyInstanceUID": "", "PatientID": scope, "PatientName": "A" * 65_000}),
        (
            "oversized UID list",
            {"StudyInstanceUID": "\\".join(f"{seed.root}.{i}" for i in range(2000)), "PatientID": scope},
        ),
        ("invalid date", {"StudyInstanceUID": "", "PatientID": scope, "StudyDate": "notadate-x"}),
        ("inverted range", {"StudyInstanceUID": "", "PatientID": scope, "StudyDate": "20301231-20000101"}),
        ("only wildcards", {"StudyInstanceUID": "", "PatientID": "*", "StudyDescription": "*?*"}),
        (
            "control characters",
            {"StudyInstanceUID": "", "PatientID": scope, "PatientName": "\x00\x1b[2J\x7f"},
        ),
    ]
    problems: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydicom warns about the invalid values we send on purpose
        for name, keys in cases:
            result = client.find(identifier("STUDY", keys))
            problems += _judge(name, result, seed, tenant, Level.STUDY, keys, target, admin)
        nested = nested_identifier(nesting_depth(), scope)
        result = client.find(nested)
        problems += _judge(
            f"{nesting_depth()} nested sequences",
            result,
            seed,
            tenant,
            Level.STUDY,
            {"StudyInstanceUID": "", "PatientID": scope},
            target,
            admin,
        )
    problems += still_serving(target, tenant)
    assert not problems, "\n".join(problems)


INVALID_IDENTIFIERS: dict[str, bytes] = {
    "garbage": bytes(range(256)) * 4,
    "element longer than the message": b"\x10\x00\x20\x00" + b"\xff\xff\xff\x7f" + b"ABC",
    "unterminated sequence": b"\x08\x00\x52\x00\x06\x00\x00\x00STUDY "
    + b"\x40\x00\x30\xa7\xff\xff\xff\xff"
    + b"\xfe\xff\x00\xe0\xff\xff\xff\xff",
}


@pytest.mark.clause("ISO-2")
def test_identifier_that_is_not_a_dataset(
    hostile_seed: tuple[TenantInfo, Seeded], target: TargetInfo
) -> None:
    tenant, _seed = hostile_seed
    problems: list[str] = []
    for name, payload in INVALID_IDENTIFIERS.items():
        result = find_with_raw_identifier(
            tenant.host, tenant.port, tenant.aet, QUERY_AET, payload, hang_bound(target)
        )
        if hung(result):
            problems.append(f"{name}: no final status and no abort ({result.describe()})")
        elif pending := [r for r in result.responses if r.status in (0xFF00, 0xFF01)]:
            problems.append(f"{name}: {len(pending)} match(es) to an identifier that is not a dataset")
    problems += still_serving(target, tenant)
    assert not problems, "\n".join(problems)


@pytest.mark.clause("ISO-2", "ACL-2")
def test_unknown_calling_aet_learns_nothing(
    hostile_seed: tuple[TenantInfo, Seeded], target: TargetInfo, admin: AdminClient
) -> None:
    tenant, seed = hostile_seed
    keys = {"StudyInstanceUID": "", "PatientID": f"{seed.token}-*"}
    problems: list[str] = []
    for calling in ("NOBODY", "mtconf_x", "A" * 16):
        client = DimseClient(tenant.host, tenant.port, tenant.aet, calling, timeout=hang_bound(target))
        result = client.find(identifier("STUDY", keys))
        problems += _judge(f"calling AET {calling!r}", result, seed, tenant, Level.STUDY, keys, target, admin)
    problems += still_serving(target, tenant)
    assert not problems, "\n".join(problems)


@pytest.mark.clause("ISO-2", "MOVE-1")
def test_move_without_any_key(
    hostile_seed: tuple[TenantInfo, Seeded], target: TargetInfo, storage_scp: StorageSCP
) -> None:
    """A C-MOVE identifier with a level but no key at all: a final status, and nothing sent."""
    tenant, _seed = hostile_seed
    problems: list[str] = []
    for level in (Level.PATIENT, Level.STUDY):
        outcome = run_move(client_for(tenant, target), storage_scp, level, {})
        if hung(outcome.result):
            problems.append(
                f"{level.name} without key: no final status and no abort ({outcome.result.describe()})"
            )
        if outcome.received:
            problems.append(f"{level.name} without key: {len(outcome.received)} instance(s) sent")
    problems += still_serving(target, tenant)
    assert not problems, "\n".join(problems)


def _closed_port() -> int:
    """A loopback port with nothing listening (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.clause("ISO-2", "MOVE-1")
def test_move_to_a_destination_that_is_down(
    hostile_seed: tuple[TenantInfo, Seeded], target: TargetInfo, admin: AdminClient, storage_scp: StorageSCP
) -> None:
    """A known destination with nothing listening: a final status (failure or warning), not silence."""
    tenant, seed = hostile_seed
    admin.put_modality("MTDOWN", "MTDOWN", "127.0.0.1", _closed_port())
    try:
        keys = {"StudyInstanceUID": f"{seed.root}.0.0"}
        result = run_move(
            client_for(tenant, target), storage_scp, Level.STUDY, keys, destination="MTDOWN"
        ).result
    finally:
        admin.delete_modality("MTDOWN")
    problems = [f"no final status and no abort: {result.describe()}"] if hung(result) else []
    problems += still_serving(target, tenant)
    assert not problems, "\n".join(problems)


@pytest.mark.clause("ISO-2")
def test_move_to_a_destination_that_rejects_the_called_aet(
    hostile_seed: tuple[TenantInfo, Seeded], target: TargetInfo, admin: AdminClient
) -> None:
    """A destination that checks its called AET (MOVE-6): whatever the variant, a final status."""
    tenant, seed = hostile_seed
    with StorageSCP("MTSTRICT", require_called_aet=True) as strict:
        admin.put_modality("MTSTRICT", strict.aet, strict.host, strict.port)
        try:
            keys = {"StudyInstanceUID": f"{seed.root}.0.0"}
            result = run_move(client_for(tenant, target), strict, Level.STUDY, keys).result
        finally:
            admin.delete_modality("MTSTRICT")
    problems = [f"no final status and no abort: {result.describe()}"] if hung(result) else []
    problems += still_serving(target, tenant)
    assert not problems, "\n".join(problems)
