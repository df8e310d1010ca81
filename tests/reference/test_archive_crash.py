"""Crash durability: kill -9 a process in the middle of a burst of Archive.store() calls, reopen, and
check that every acknowledged store is there, readable and labelled, and that nothing is orphaned."""

from __future__ import annotations

import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reference.archive.archive import Archive
from reference.rules.levels import Level

# The child stores instances forever and prints "<instance id> <study id>" after each store returns.
CHILD = r"""
import sys
from pathlib import Path
from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance
from reference.archive.archive import Archive
from reference.rules.levels import Level
archive = Archive(Path(sys.argv[1]))
round_ = sys.argv[2]
n = 0
while True:
    spec = InstanceSpec(patient_id=f"P{round_}-{n % 7}", study_uid=f"1.{round_}.{n % 7}",
                        series_uid=f"1.{round_}.{n % 7}.{n % 3}", sop_uid=f"1.{round_}.{n % 7}.{n % 3}.{n}")
    result = archive.store(instance_bytes(make_instance(spec)),
                           {Level.STUDY: frozenset({f"r{round_}"}), Level.INSTANCE: frozenset({f"i{n}"})})
    print(result.ids.instance, result.ids.study, n, flush=True)
    n += 1
"""
DEADLINE_SECONDS = 60


def _run_and_kill(storage: Path, round_: int, acknowledged_wanted: int) -> list[tuple[str, str, int]]:
    """Start the child, read acknowledgements until enough, then SIGKILL it mid-burst."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(storage), str(round_)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None
    acknowledged: list[tuple[str, str, int]] = []
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + DEADLINE_SECONDS
    buffer = b""
    try:
        while len(acknowledged) < acknowledged_wanted:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or child.poll() is not None:
                stderr = child.stderr.read().decode() if child.stderr and child.poll() is not None else ""
                pytest.fail(f"child stopped or too slow after {len(acknowledged)} stores: {stderr}")
            if not selector.select(timeout=remaining):
                continue
            chunk = os.read(child.stdout.fileno(), 65536)
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                instance, study, n = line.decode().split()
                acknowledged.append((instance, study, int(n)))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=DEADLINE_SECONDS)
        selector.close()
    # Lines printed after our last read were acknowledged too: collect them.
    for line in (buffer + child.stdout.read()).split(b"\n"):
        parts = line.decode().split()
        if len(parts) == 3:
            acknowledged.append((parts[0], parts[1], int(parts[2])))
    return acknowledged


@pytest.mark.parametrize("acknowledged_wanted", [5, 40])
def test_kill9_during_store_burst_loses_nothing_acknowledged(tmp_path: Path,
                                                             acknowledged_wanted: int) -> None:
    everything: list[tuple[str, str, int, int]] = []
    for round_ in range(3):
        acked = _run_and_kill(tmp_path, round_, acknowledged_wanted)
        assert len(acked) >= acknowledged_wanted
        everything += [(instance, study, n, round_) for instance, study, n in acked]

        with Archive(tmp_path) as archive:
            indexed = set(archive.list_ids(Level.INSTANCE))
            for instance, study, n, r in everything:
                assert instance in indexed, f"acknowledged store {n} of round {r} lost"
                assert archive.read_instance(instance)[128:132] == b"DICM"
                assert f"i{n}" in archive.labels(Level.INSTANCE, instance)
                assert f"r{r}" in archive.labels(Level.STUDY, study)
            # No orphan: every file has a row and every row has a file (after recovery ran).
            files = {p.stem for p in (tmp_path / "files").glob("*/*.dcm")}
            assert files == indexed
            assert not list((tmp_path / "files").glob("*/.tmp-*"))
            for instance in indexed:
                resource = archive.get(Level.INSTANCE, instance)
                assert resource is not None and resource.parent is not None
                assert archive.get(Level.SERIES, resource.parent) is not None

    # The index itself is consistent (no dangling parents or labels).
    db = sqlite3.connect(tmp_path / "index.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        db.close()
