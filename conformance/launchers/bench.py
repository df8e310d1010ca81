"""Timings of the launchers, as a Markdown report (`python -m conformance.launchers bench`).

Cold provisioning builds each tree into a fresh temporary cache (so the user's cache is neither used nor
touched), then provisions again from it (warm). Start-up is the whole `start_target` call with three
tenants until ready (`GET /system` and a C-ECHO on the main server and every tenant), over several runs,
using the user's cache (for orthanc-postgresql it includes initdb and PostgreSQL's start); stop is
`RunningTarget.stop()` (SIGTERM, wait).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from conformance.launchers import start_target
from conformance.launchers.orthanc_tree import provision
from conformance.launchers.spec import TargetSpec, TenantSpec

THREE_TENANTS = TargetSpec(tenants=[TenantSpec("TENANT_A", ("a",)), TenantSpec("TENANT_B", ("b",), "Any"),
                                    TenantSpec("TENANT_C", ("c",), "None")])


def provisioning_rows(suites: Sequence[str]) -> list[str]:
    rows = []
    for suite in suites:
        cache = Path(tempfile.mkdtemp(prefix=f"mtdicom-bench-{suite}-"))
        try:
            cold = provision(suite, cache)
            warm = provision(suite, cache)
            if not cold.built or warm.built:
                raise RuntimeError(f"{suite}: expected a build, then a cache hit")
            version = cold.tree.manifest.package_version
            rows.append(f"| {suite} | {version} | {cold.seconds:.1f} s | {warm.seconds * 1000:.2f} ms |")
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    return rows


def startup_rows(impls: Sequence[str], runs: int) -> list[str]:
    rows = []
    for impl in impls:
        starts, stops, version = [], [], ""
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix=f"mtdicom-bench-{impl}-") as workdir:
                began = time.monotonic()
                running = start_target(impl, THREE_TENANTS, workdir)
                starts.append(time.monotonic() - began)
                version = running.version
                began = time.monotonic()
                running.stop()
                stops.append(time.monotonic() - began)
        rows.append(f"| {impl} | {version} | {runs} | {statistics.median(starts):.2f} s | "
                    f"{min(starts):.2f}-{max(starts):.2f} s | {statistics.median(stops):.2f} s |")
    return rows


def report(suites: Sequence[str], impls: Sequence[str], runs: int) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    lines = [
        "# Launcher timings",
        "",
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {machine} "
        f"(`python -m conformance.launchers bench`). The machine was shared with other test runs.",
        "",
        "## Provisioning (mmdebstrap --variant=essential --include=orthanc[,orthanc-postgresql,postgresql])",
        "",
        "| tree | orthanc package | cold (build) | warm (cached) |",
        "| --- | --- | --- | --- |",
        *provisioning_rows(suites),
        "",
        "## Start-up with three tenants (`start_target` until GET /system and C-ECHO on main and tenants)",
        "",
        "| impl | version | runs | median start | range | median stop |",
        "| --- | --- | --- | --- | --- | --- |",
        *startup_rows(impls, runs),
        "",
    ]
    return "\n".join(lines)
