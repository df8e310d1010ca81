"""The reference server seen by DCMTK's command-line tools (echoscu, storescu, findscu, movescu).

Every tool runs as a subprocess with a timeout; a missing DCMTK makes these tests fail, not skip. The
C-MOVE destination is the suite's pynetdicom SCP: DCMTK's storescp cannot be bound to loopback only.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pydicom
import pytest

from conformance.scp import StorageSCP
from fixtures.dicom.builder import instance_bytes
from reference.rules.levels import Level
from reference.server import ReferenceServer

pytestmark = pytest.mark.dcmtk
TOOL_TIMEOUT = 60


def run(net: Any, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([net.dcmtk_tool(tool), *args], capture_output=True, text=True, timeout=TOOL_TIMEOUT)


def address(server: ReferenceServer, aet: str) -> list[str]:
    port = server.dicom_port if aet == "ORTHANC" else server.tenant_ports[aet]
    return ["-aet", "SUITE", "-aec", aet, "127.0.0.1", str(port)]


def write(net: Any, folder: Path, *datasets: Any) -> list[str]:
    paths = []
    for ds in datasets:
        path = folder / f"{ds.SOPInstanceUID}.dcm"
        path.write_bytes(instance_bytes(ds))
        paths.append(str(path))
    return paths


def test_echoscu_on_every_listener(srv: ReferenceServer, net: Any) -> None:
    for aet in ["ORTHANC", *net.TENANTS]:
        done = run(net, "echoscu", *address(srv, aet))
        assert done.returncode == 0, done.stderr


def test_storescu_labels_per_store_level(srv: ReferenceServer, net: Any, tmp_path: Path) -> None:
    ds = net.instance(1, 1, 1, 1)
    done = run(net, "storescu", *address(srv, "TEN_B_PS"), *write(net, tmp_path, ds))
    assert done.returncode == 0, done.stderr
    ids = net.ids_of(ds)
    assert srv.archive is not None
    labels = {level: srv.archive.labels(level, ids[level]) for level in ids}
    assert labels == {Level.PATIENT: ["b"], Level.STUDY: [], Level.SERIES: ["b"], Level.INSTANCE: []}


def test_findscu_sees_only_the_visible_studies(srv: ReferenceServer, net: Any, tmp_path: Path) -> None:
    seeded = net.seed(srv, [net.instance(1, 1, 1, 1), net.instance(1, 2, 1, 1)])
    assert srv.archive is not None
    srv.archive.add_label(Level.STUDY, seeded[1].ids[Level.STUDY], "a")
    answers = tmp_path / "answers"
    answers.mkdir()
    for root in ("-S", "-P"):
        for old in answers.iterdir():
            old.unlink()
        done = run(net, "findscu", root, "-X", "-od", str(answers), "-k", "QueryRetrieveLevel=STUDY",
                   "-k", "StudyInstanceUID", "-k", "PatientID", *address(srv, "TEN_A"))
        assert done.returncode == 0, done.stderr
        found = [pydicom.dcmread(path) for path in sorted(answers.iterdir())]
        assert [str(a.StudyInstanceUID) for a in found] == [str(seeded[1].ds.StudyInstanceUID)], root
        assert found[0].RetrieveAETitle == "TEN_A"


def test_findscu_image_level_is_refused(srv: ReferenceServer, net: Any) -> None:
    net.seed(srv, [net.instance(1, 1, 1, 1)])
    done = run(net, "findscu", "-v", "-S", "-k", "QueryRetrieveLevel=IMAGE", "-k", "SOPInstanceUID",
               *address(srv, "TEN_EMPTY"))
    output = (done.stdout + done.stderr).lower()
    assert "failed: unabletoprocess" in output, output  # DCMTK's name for 0xC000


def test_movescu_to_the_suite_scp(srv: ReferenceServer, net: Any, dest_scp: StorageSCP) -> None:
    seeded = net.seed(srv, [net.instance(1, 1, 1, 1), net.instance(1, 1, 2, 1)])
    assert srv.archive is not None
    srv.archive.add_label(Level.SERIES, seeded[0].ids[Level.SERIES], "a")
    done = run(net, "movescu", "-S", "-aem", net.DEST_AET, "-k", "QueryRetrieveLevel=SERIES",
               "-k", f"SeriesInstanceUID={seeded[0].ds.SeriesInstanceUID}\\{seeded[1].ds.SeriesInstanceUID}",
               *address(srv, "TEN_A"))
    assert done.returncode == 0, done.stderr
    assert dest_scp.received_uids() == {seeded[0].sop_uid}
