"""Fixtures for the reference server's network tests: a ReferenceServer on OS-chosen loopback ports.

One server is started per session (STYLE lesson 6) with a set of tenants covering every constraint,
empty labels and non-default store levels; ``srv`` empties its archive before each test. Tests that need
other options start their own server with ``make_config(...)``. Readiness is a real C-ECHO answer.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset

from conformance.dimse import DimseClient
from conformance.scp import StorageSCP
from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance
from reference.rules.ids import resource_id_chain
from reference.rules.levels import LEVELS, Level
from reference.server import ReferenceServer

HOST = "127.0.0.1"
MAIN_AET = "ORTHANC"
SUITE_AET = "SUITE"     # the tests' calling AET: listed in DicomModalities
DEST_AET = "DEST"       # the C-MOVE destination (a pynetdicom storage SCP)

# AET -> (labels, constraint, store levels or None for the default Study/Series/Instance)
TENANTS: dict[str, tuple[list[str], str, list[str] | None]] = {
    "TEN_A": (["a"], "All", None),
    "TEN_AB_ALL": (["a", "b"], "All", None),
    "TEN_AB_ANY": (["a", "b"], "Any", None),
    "TEN_NOT_A": (["a"], "None", None),
    "TEN_EMPTY": ([], "All", None),
    "TEN_B_PS": (["b"], "All", ["Patient", "Series"]),
}


def make_config(dest_port: int, *, variants: dict[str, str] | None = None,
                tenants: dict[str, tuple[list[str], str, list[str] | None]] | None = None,
                **options: Any) -> dict[str, Any]:
    """An Orthanc-format configuration on port 0 everywhere, with SUITE and DEST as modalities."""
    servers = []
    for aet, (labels, constraint, levels) in (TENANTS if tenants is None else tenants).items():
        entry: dict[str, Any] = {"AET": aet, "Port": 0, "Labels": labels, "LabelsConstraint": constraint}
        if levels is not None:
            entry["LabelsStoreLevels"] = levels
        servers.append(entry)
    config: dict[str, Any] = {
        "Name": "network-tests", "DicomAet": MAIN_AET, "DicomPort": 0, "HttpPort": 0,
        "DicomModalities": {
            "suite": {"AET": SUITE_AET, "Host": HOST, "Port": 1},
            "dest": [DEST_AET, HOST, dest_port],
        },
        "MultitenantDicom": {"Servers": servers},
    }
    if variants:
        config["ReferenceVariants"] = variants
    config.update(options)
    return config


@pytest.fixture(scope="session")
def dest_scp() -> Iterator[StorageSCP]:
    scp = StorageSCP(aet=DEST_AET).start()
    yield scp
    scp.stop()


def _reset(server: ReferenceServer) -> ReferenceServer:
    archive = server.archive
    assert archive is not None
    for patient_id in archive.list_ids(Level.PATIENT):
        archive.delete(Level.PATIENT, patient_id)
    return server


@pytest.fixture(scope="session")
def session_server(dest_scp: StorageSCP, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[ReferenceServer]:
    yield from _serving(ReferenceServer(make_config(dest_scp.port),
                                        tmp_path_factory.mktemp("reference-archive")))


@pytest.fixture
def srv(session_server: ReferenceServer, dest_scp: StorageSCP) -> ReferenceServer:
    """The session server with an empty archive and a cleared destination SCP."""
    dest_scp.clear()
    return _reset(session_server)


@pytest.fixture(scope="session")
def dicom_server(dest_scp: StorageSCP, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[ReferenceServer]:
    """A server showing the `dicom` alternative of every DIMSE variant clause."""
    variants = {"FIND-4": "dicom", "MOVE-4": "dicom", "MOVE-5": "dicom", "MOVE-6": "dicom"}
    yield from _serving(ReferenceServer(make_config(dest_scp.port, variants=variants),
                                        tmp_path_factory.mktemp("reference-dicom-variants")))


def _serving(server: ReferenceServer) -> Iterator[ReferenceServer]:
    """Start `server`, yield it once every listener answers, stop it whatever happens."""
    server.start()
    try:
        server.wait_ready(30)
        yield server
    finally:
        server.stop()


@pytest.fixture
def dsrv(dicom_server: ReferenceServer, dest_scp: StorageSCP) -> ReferenceServer:
    dest_scp.clear()
    return _reset(dicom_server)


def client(server: ReferenceServer, aet: str, calling: str = SUITE_AET, timeout: float = 15.0) -> DimseClient:
    """A DIMSE client of the listener ``aet`` (a tenant, or MAIN_AET for the main server)."""
    port = server.dicom_port if aet == MAIN_AET else server.tenant_ports[aet]
    return DimseClient(HOST, port, aet, calling_aet=calling, timeout=timeout)


# --- test data ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Seeded:
    """One instance of the seeded archive: its dataset and the Orthanc IDs of its four levels."""

    ds: Dataset
    ids: dict[Level, str]

    @property
    def sop_uid(self) -> str:
        return str(self.ds.SOPInstanceUID)


def instance(patient: int, study: int, series: int, number: int, **extra: Any) -> Dataset:
    """A small deterministic instance P<p>/1.2.<p>.<st>/.../<n>."""
    spec = InstanceSpec(patient_id=f"P{patient}", patient_name=f"PAT^{patient}",
                        study_uid=f"1.2.826.0.1.{patient}.{study}",
                        series_uid=f"1.2.826.0.1.{patient}.{study}.{series}",
                        sop_uid=f"1.2.826.0.1.{patient}.{study}.{series}.{number}",
                        accession_number=f"ACC{patient}{study}", instance_number=number, **extra)
    return make_instance(spec)


def ids_of(ds: Dataset) -> dict[Level, str]:
    chain = resource_id_chain(str(ds.PatientID), str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID),
                              str(ds.SOPInstanceUID))
    return dict(zip(LEVELS, chain, strict=True))


def seed(server: ReferenceServer, datasets: list[Dataset]) -> list[Seeded]:
    """Store datasets directly in the archive (no label)."""
    archive = server.archive
    assert archive is not None
    seeded = []
    for ds in datasets:
        archive.store(instance_bytes(ds), None)
        seeded.append(Seeded(ds, ids_of(ds)))
    return seeded


def grid() -> list[Dataset]:
    """2 patients x 2 studies x 2 series x 2 instances."""
    return [instance(p, st, se, n) for p in (1, 2) for st in (1, 2) for se in (1, 2) for n in (1, 2)]


def dcmtk_tool(name: str) -> str:
    """The path of a DCMTK tool; fails (never skips) when DCMTK is missing. Other programs with the same
    name (pynetdicom installs its own ``echoscu``...) are passed over: DCMTK's print ``$dcmtk``."""
    for folder in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin", "/usr/local/bin"]:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            probe = subprocess.run([str(candidate), "--version"], capture_output=True, text=True, timeout=30)
            if "dcmtk" in (probe.stdout + probe.stderr).lower():
                return str(candidate)
    pytest.fail(f"DCMTK's {name} is not installed (scripts/setup --system installs it)")
    raise AssertionError  # unreachable: pytest.fail raises


LabelSetter = Callable[[Level, str, str], None]


def add_label(server: ReferenceServer) -> LabelSetter:
    archive = server.archive
    assert archive is not None

    def setter(level: Level, resource_id: str, label: str) -> None:
        archive.add_label(level, resource_id, label)
    return setter


class Net:
    """The helpers above, handed to tests by the ``net`` fixture (test modules do not import conftest)."""

    HOST = HOST
    MAIN_AET = MAIN_AET
    SUITE_AET = SUITE_AET
    DEST_AET = DEST_AET
    TENANTS = TENANTS
    client = staticmethod(client)
    make_config = staticmethod(make_config)
    instance = staticmethod(instance)
    ids_of = staticmethod(ids_of)
    seed = staticmethod(seed)
    grid = staticmethod(grid)
    dcmtk_tool = staticmethod(dcmtk_tool)
    add_label = staticmethod(add_label)


@pytest.fixture(scope="session")
def net() -> type[Net]:
    return Net
