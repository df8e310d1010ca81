"""Side-by-side DIMSE benchmark: the reference server against real Orthanc, measured in one run.

Strategy: every implementation is started with the same `TargetSpec` (one labelled tenant, the
benchmark's own AET allowed to query and move, the benchmark's storage SCP as a destination) and
seeded with the same archive, stored through the tenant so that the tenant labels half of it. Then
rounds alternate between the implementations (A B A B ...), so that a noisy neighbour on this 2-core
machine slows both alike; each figure is the median over the rounds, and the report quotes ratios
between implementations measured in this one run, never absolute goals.

Measured per implementation:
- C-STORE through the tenant: instances per second on one association;
- C-FIND at STUDY level through the tenant and through the main server: milliseconds per query
  (queries issued back to back on one association, each one walking the whole archive);
- C-MOVE of one visible study through the tenant to the local SCP: milliseconds per move.

Usage: `python -m benchmarks.dimse_throughput [--impl reference --impl orthanc] [--rounds 5]`.
Writes `reports/benchmarks/dimse_throughput.{json,md}`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydicom import Dataset
from pynetdicom import AE, AllStoragePresentationContexts, evt

from conformance.launchers import start_target
from conformance.launchers.ports import free_ports
from conformance.launchers.running import RunningTarget
from conformance.launchers.spec import ModalitySpec, TargetSpec, TenantSpec
from fixtures.dicom.builder import make_archive

BENCH_AET = "BENCHSCU"
SCP_AET = "BENCHSCP"
TENANT = "BENCH_T"
LABEL = "bench"
ROOT = Path(__file__).resolve().parents[1]
# PS3.4 UIDs (pynetdicom.sop_class builds its names at run time, which type checkers cannot see).
StudyRootQueryRetrieveInformationModelFind = "1.2.840.10008.5.1.4.1.2.2.1"
StudyRootQueryRetrieveInformationModelMove = "1.2.840.10008.5.1.4.1.2.2.2"
Verification = "1.2.840.10008.1.1"


@dataclass
class Samples:
    """Raw measurements of one implementation, one list per metric, one entry per round."""

    store_per_s: list[float] = field(default_factory=list)
    find_tenant_ms: list[float] = field(default_factory=list)
    find_main_ms: list[float] = field(default_factory=list)
    move_ms: list[float] = field(default_factory=list)
    find_answers: int = 0


class CountingSCP:
    """A storage SCP on loopback that only counts what it receives."""

    def __init__(self) -> None:
        self.port = free_ports(1)[0]
        self.count = 0
        self._lock = threading.Lock()
        ae = AE(ae_title=SCP_AET)
        ae.supported_contexts = AllStoragePresentationContexts
        ae.add_supported_context(Verification)
        server = ae.start_server(("127.0.0.1", self.port), block=False,
                                 evt_handlers=[(evt.EVT_C_STORE, self._on_store)])
        assert server is not None  # block=False always returns the server
        self._server = server

    def _on_store(self, event: Any) -> int:
        with self._lock:
            self.count += 1
        return 0x0000

    def stop(self) -> None:
        self._server.shutdown()


def bench_spec(scp_port: int) -> TargetSpec:
    return TargetSpec(
        tenants=(TenantSpec(aet=TENANT, labels=(LABEL,), constraint="All"),),
        modalities={
            "bench": ModalitySpec(aet=BENCH_AET, port=scp_port, allow_find=True, allow_move=True),
            "benchscp": ModalitySpec(aet=SCP_AET, port=scp_port),
        },
        options={"DicomScpTimeout": 30},
    )


@contextmanager
def association(port: int, called: str, contexts: list[str]) -> Iterator[Any]:
    ae = AE(ae_title=BENCH_AET)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 60
    for uid in contexts:
        ae.add_requested_context(uid)
    assoc = ae.associate("127.0.0.1", port, ae_title=called)
    if not assoc.is_established:
        raise RuntimeError(f"association to {called} on port {port} failed")
    try:
        yield assoc
    finally:
        assoc.release()


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def store_all(target: RunningTarget, datasets: list[Dataset]) -> float:
    """Store `datasets` through the tenant on one association; return instances per second."""
    classes = sorted({str(ds.SOPClassUID) for ds in datasets})
    port = target.tenant_ports[TENANT]
    with association(port, TENANT, classes) as assoc:
        def run() -> None:
            for ds in datasets:
                status = assoc.send_c_store(ds)
                if status.Status != 0x0000:
                    raise RuntimeError(f"C-STORE answered 0x{status.Status:04X}")
        return len(datasets) / timed(run)


def study_query() -> Dataset:
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = ""
    query.PatientID = ""
    query.StudyDate = ""
    return query


def find_ms(port: int, called: str, queries: int) -> tuple[float, int]:
    """Milliseconds per STUDY-level C-FIND, and the number of answers of the last one."""
    answers = 0
    with association(port, called, [StudyRootQueryRetrieveInformationModelFind]) as assoc:
        def run() -> None:
            nonlocal answers
            for _ in range(queries):
                answers = sum(1 for status, ident in assoc.send_c_find(
                    study_query(), StudyRootQueryRetrieveInformationModelFind)
                    if status and status.Status == 0xFF00)
        return 1000 * timed(run) / queries, answers


def move_ms(target: RunningTarget, study_uid: str, scp: CountingSCP, expected: int) -> float:
    query = Dataset()
    query.QueryRetrieveLevel = "STUDY"
    query.StudyInstanceUID = study_uid
    port = target.tenant_ports[TENANT]
    scp.count = 0
    with association(port, TENANT, [StudyRootQueryRetrieveInformationModelMove]) as assoc:
        def run() -> None:
            for _status, _ident in assoc.send_c_move(query, SCP_AET,
                                                     StudyRootQueryRetrieveInformationModelMove):
                pass
        elapsed = timed(run)
    if scp.count != expected:
        raise RuntimeError(f"C-MOVE sent {scp.count} instances, {expected} expected")
    return 1000 * elapsed


def seed(target: RunningTarget, visible: list[Dataset], hidden: list[Dataset]) -> float:
    """Half the archive through the tenant (labelled), half through the main server (unlabelled)."""
    rate = store_all(target, visible)
    main = target.dicom_port
    classes = sorted({str(ds.SOPClassUID) for ds in hidden})
    with association(main, target.dicom_aet, classes) as assoc:
        for ds in hidden:
            assoc.send_c_store(ds)
    return rate


def run(impls: list[str], rounds: int, patients: int, queries: int) -> dict[str, Any]:
    visible = make_archive(patients=patients, studies_per_patient=2, series_per_study=2,
                           instances_per_series=3, seed=1, prefix="BV")
    hidden = make_archive(patients=patients, studies_per_patient=2, series_per_study=2,
                          instances_per_series=3, seed=2, prefix="BH")
    study_uid = str(visible[0].StudyInstanceUID)
    study_size = sum(1 for ds in visible if ds.StudyInstanceUID == study_uid)
    samples = {impl: Samples() for impl in impls}
    versions: dict[str, str] = {}
    with ExitStack() as stack:
        scp = CountingSCP()
        stack.callback(scp.stop)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mtdicom-bench-")))
        targets: dict[str, RunningTarget] = {}
        for impl in impls:
            target = stack.enter_context(start_target(impl, bench_spec(scp.port), workdir / impl))
            targets[impl] = target
            versions[impl] = target.version
            samples[impl].store_per_s.append(seed(target, visible, hidden))
        for _ in range(rounds):
            for impl, target in targets.items():
                s = samples[impl]
                ms, s.find_answers = find_ms(target.tenant_ports[TENANT], TENANT, queries)
                s.find_tenant_ms.append(ms)
                s.find_main_ms.append(find_ms(target.dicom_port, target.dicom_aet, queries)[0])
                s.move_ms.append(move_ms(target, study_uid, scp, study_size))
    return report(impls, samples, versions, rounds, len(visible) + len(hidden), queries)


def report(impls: list[str], samples: dict[str, Samples], versions: dict[str, str], rounds: int,
           instances: int, queries: int) -> dict[str, Any]:
    metrics = ("store_per_s", "find_tenant_ms", "find_main_ms", "move_ms")
    medians = {impl: {m: statistics.median(getattr(samples[impl], m)) for m in metrics} for impl in impls}
    base = impls[0]
    ratios = {impl: {m: medians[impl][m] / medians[base][m] for m in metrics} for impl in impls[1:]}
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": _cpus(), "python": platform.python_version(), "platform": platform.platform()},
        "archive_instances": instances,
        "queries_per_round": queries,
        "rounds": rounds,
        "versions": versions,
        "answers_per_tenant_find": {impl: samples[impl].find_answers for impl in impls},
        "samples": {impl: vars(samples[impl]) for impl in impls},
        "median": medians,
        "ratio_to_" + base: ratios,
    }


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def markdown(result: dict[str, Any]) -> str:
    impls = list(result["median"])
    base = impls[0]
    rows = [
        ("C-STORE through the tenant (instances/s, higher is better)", "store_per_s"),
        ("C-FIND STUDY through the tenant (ms/query)", "find_tenant_ms"),
        ("C-FIND STUDY through the main server (ms/query)", "find_main_ms"),
        ("C-MOVE one study through the tenant (ms/move)", "move_ms"),
    ]
    head = "| metric | " + " | ".join(f"{i} {result['versions'][i]}" for i in impls)
    head += "".join(f" | {i} / {base}" for i in impls[1:]) + " |"
    lines = [
        "# DIMSE throughput, side by side",
        "",
        f"Measured {result['when']} on {result['machine']['cpus']} CPUs, Python "
        f"{result['machine']['python']}; archive of {result['archive_instances']} instances (half labelled "
        f"for the tenant); medians of {result['rounds']} alternating rounds of "
        f"{result['queries_per_round']} queries. Produced by `python -m benchmarks.dimse_throughput`.",
        "",
        head,
        "|" + " --- |" * (1 + 2 * len(impls) - 1),
    ]
    for title, key in rows:
        cells = [f"{result['median'][i][key]:.1f}" for i in impls]
        cells += [f"{result['ratio_to_' + base][i][key]:.2f}x" for i in impls[1:]]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    answers = ", ".join(f"{i}: {n}" for i, n in result["answers_per_tenant_find"].items())
    lines += ["", f"Studies answered to the tenant's C-FIND (must be equal): {answers}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--impl", action="append", help="implementations, first is the baseline "
                        "(default: reference, orthanc)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--patients", type=int, default=10)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "benchmarks")
    args = parser.parse_args(argv)
    impls = args.impl or ["reference", "orthanc"]
    result = run(impls, args.rounds, args.patients, args.queries)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dimse_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    (args.out / "dimse_throughput.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
