"""Crash test: kill -9 the reference server in the middle of a C-STORE burst, restart it on the same
storage, and check that every acknowledged instance survived with its labels and nothing is orphaned.

The burst runs in a thread on one association to a tenant; the main thread kills the server once some
stores are acknowledged, while others are in flight. Only Success responses count as acknowledged.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from pydicom import Dataset
from pynetdicom import AE

from reference.archive.archive import Archive
from reference.archive.storage import FileStorage
from reference.rules.levels import Level

BURST = 300
KILL_AFTER = 40
DEADLINE = 60.0
STORE_LEVELS = (Level.STUDY, Level.SERIES, Level.INSTANCE)


def start(config_path: Path, storage: Path, ready: Path, lines: int) -> tuple[subprocess.Popen[bytes],
                                                                                dict[str, Any]]:
    command = [sys.executable, "-m", "reference", str(config_path), "--storage", str(storage),
               "--ready-file", str(ready), "--log-level", "WARNING"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    buffer = b""
    end = time.monotonic() + DEADLINE
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout.fileno(), selectors.EVENT_READ)
        while buffer.count(b"\n") < lines:
            remaining = end - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                process.kill()
                pytest.fail("the server did not become ready")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                pytest.fail(f"the server exited: {process.communicate()[1]!r}")
            buffer += chunk
    content: dict[str, Any] = json.loads(ready.read_text())
    return process, content


def burst(port: int, datasets: list[Dataset], acked: list[Dataset], progress: threading.Condition) -> None:
    ae = AE(ae_title="CRASHER")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 20
    ae.add_requested_context(str(datasets[0].SOPClassUID), [str(datasets[0].file_meta.TransferSyntaxUID)])
    assoc = ae.associate("127.0.0.1", port, ae_title="CRASHY")
    assert assoc.is_established
    try:
        for ds in datasets:
            try:
                status = assoc.send_c_store(ds)
            except Exception:  # the server died under us
                break
            if status is None or "Status" not in status or int(status.Status) != 0x0000:
                break
            with progress:
                acked.append(ds)
                progress.notify_all()
            if not assoc.is_established:
                break
    finally:
        if assoc.is_established:
            assoc.abort()
        with progress:
            progress.notify_all()


def test_acknowledged_stores_survive_kill_9(tmp_path: Path, net: Any) -> None:
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(net.make_config(1, tenants={"CRASHY": (["crash"], "All", None)})))
    storage = tmp_path / "storage"
    datasets = [net.instance(1 + n // 100, 1 + (n // 10) % 10, 1, n) for n in range(BURST)]
    first, ready = start(config_path, storage, tmp_path / "ready1.json", 3)
    acked: list[Dataset] = []
    progress = threading.Condition()
    worker = threading.Thread(target=burst, args=(ready["tenants"]["CRASHY"], datasets, acked, progress))
    try:
        worker.start()
        with progress:
            assert progress.wait_for(lambda: len(acked) >= KILL_AFTER or not worker.is_alive(), DEADLINE)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=DEADLINE)
        worker.join(timeout=DEADLINE)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
    assert not worker.is_alive()
    assert KILL_AFTER <= len(acked) < BURST, "the kill must interrupt the burst"
    print(f"{len(acked)} of {BURST} stores acknowledged before kill -9")

    second, ready = start(config_path, storage, tmp_path / "ready2.json", 3)
    try:
        base = f"http://127.0.0.1:{ready['http_port']}"
        for ds in acked:
            ids = net.ids_of(ds)
            for level in STORE_LEVELS:
                reply = requests.get(f"{base}/{level.plural}/{ids[level]}/labels", timeout=10)
                assert reply.status_code == 200, f"{ds.SOPInstanceUID} lost at {level}"
                assert reply.json() == ["crash"], f"{ds.SOPInstanceUID} unlabelled at {level}"
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=DEADLINE) == 0
    finally:
        if second.poll() is None:
            second.kill()
        second.communicate()

    with Archive(storage) as archive:  # the restarted server already recovered: nothing left to clean
        assert archive.recovered.orphan_files == () and archive.recovered.missing_files == ()
        indexed = set(archive.list_ids(Level.INSTANCE))
    assert set(FileStorage(storage).stored_ids()) == indexed
    assert {net.ids_of(ds)[Level.INSTANCE] for ds in acked} <= indexed
