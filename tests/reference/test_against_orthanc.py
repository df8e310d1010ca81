"""Differential test: one scripted scenario run against the reference server and real Orthanc 1.12.7.

Both targets are started by the launchers (contract C) with the same tenants; the scenario stores through
tenants and the main server, labels through REST, then records every tenant's C-FIND answers at every
level and what every tenant's C-MOVE delivers. The two records must be equal. Marked ``orthanc``: it
provisions (or reuses) a Debian trixie tree and FAILS when Orthanc cannot be started.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from pydicom import Dataset

from conformance.dimse import DimseClient
from conformance.launchers import start_target
from conformance.launchers.spec import ModalitySpec, TargetSpec, TenantSpec
from conformance.scp import StorageSCP
from reference.rules.levels import LEVELS, Level

pytestmark = pytest.mark.orthanc

TENANTS = (
    TenantSpec("T_A", ("a",), "All"),
    TenantSpec("T_AB_ANY", ("a", "b"), "Any"),
    TenantSpec("T_AB_ALL", ("a", "b"), "All"),
    TenantSpec("T_NOT_A", ("a",), "None"),
    TenantSpec("T_PS", ("b",), "All", ("Patient", "Series")),
    TenantSpec("T_EMPTY", (), "All"),
)
KEYS = {Level.PATIENT: "PatientID", Level.STUDY: "StudyInstanceUID", Level.SERIES: "SeriesInstanceUID",
        Level.INSTANCE: "SOPInstanceUID"}
Record = dict[str, Any]
# Richer identifiers: keys of the level, of upper levels, computed keys, and keys that filter (FIND-5/6).
RICH_QUERIES: dict[str, dict[str, str]] = {
    "STUDY keys": {"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": "", "PatientID": "", "PatientName": "",
                   "StudyDate": "", "AccessionNumber": "", "ModalitiesInStudy": "", "StudyDescription": "",
                   "NumberOfStudyRelatedInstances": ""},
    "STUDY patient wildcard": {"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": "", "PatientID": "p*"},
    "STUDY date range": {"QueryRetrieveLevel": "STUDY", "StudyInstanceUID": "", "StudyDate": "20240101-"},
    "SERIES keys": {"QueryRetrieveLevel": "SERIES", "SeriesInstanceUID": "", "StudyInstanceUID": "",
                    "Modality": "", "SeriesNumber": "", "SeriesDescription": "", "BodyPartExamined": ""},
    "SERIES modality": {"QueryRetrieveLevel": "SERIES", "SeriesInstanceUID": "", "Modality": "ct"},
    "INSTANCE keys": {"QueryRetrieveLevel": "IMAGE", "SOPInstanceUID": ""},
    "INSTANCE number": {"QueryRetrieveLevel": "INSTANCE", "SOPInstanceUID": "", "InstanceNumber": "",
                        "SOPClassUID": "", "SeriesInstanceUID": ""},
    "PATIENT keys": {"QueryRetrieveLevel": "PATIENT", "PatientID": "", "PatientName": "", "PatientSex": "",
                     "PatientBirthDate": "", "NumberOfPatientRelatedStudies": ""},
    "no level": {"StudyInstanceUID": ""},
}


def spec(dest_port: int) -> TargetSpec:
    return TargetSpec(tenants=TENANTS,
                      modalities={"suite": ModalitySpec("SUITE", port=1),
                                  "dest": ModalitySpec("DEST", port=dest_port)},
                      options={"DicomScpTimeout": 10})


def query(level: Level, value: str = "") -> Dataset:
    ds = Dataset()
    ds.QueryRetrieveLevel = level.dicom_name
    setattr(ds, KEYS[level], value)
    return ds


def run_scenario(running: Any, scp: StorageSCP, net: Any) -> Record:
    def dimse(aet: str) -> DimseClient:
        port = running.dicom_port if aet == "ORTHANC" else running.tenant_ports[aet]
        return DimseClient("127.0.0.1", port, aet, calling_aet="SUITE", timeout=20)

    record: Record = {"store": {}, "find": {}, "move": {}, "answers": {}}
    stores = [("T_A", net.instance(1, 1, 1, 1)), ("T_A", net.instance(1, 1, 2, 1)),
              ("T_PS", net.instance(1, 2, 1, 1)), ("T_PS", net.instance(2, 1, 1, 1)),
              ("ORTHANC", net.instance(2, 2, 1, 1)), ("ORTHANC", net.instance(2, 2, 1, 2)),
              ("T_AB_ANY", net.instance(1, 1, 1, 2))]
    for aet, ds in stores:
        record["store"][str(ds.SOPInstanceUID)] = dimse(aet).store(ds).final_status
    for _aet, ds in stores:  # STORE-2/4: the labels each level got from the stores
        for level, resource_id in net.ids_of(ds).items():
            reply = requests.get(f"{running.http_url}/{level.plural}/{resource_id}/labels", timeout=10)
            record["store"][f"{ds.SOPInstanceUID} {level}"] = (reply.status_code, reply.json())
    # Labels through REST, on resources of several levels.
    labelled = [(Level.STUDY, net.instance(2, 2, 1, 1), "b"), (Level.SERIES, net.instance(2, 2, 1, 1), "a"),
                (Level.INSTANCE, net.instance(2, 2, 1, 2), "a"),
                (Level.PATIENT, net.instance(1, 1, 1, 1), "a"), (Level.STUDY, net.instance(1, 2, 1, 1), "a")]
    for level, ds, label in labelled:
        resource_id = net.ids_of(ds)[level]
        reply = requests.put(f"{running.http_url}/{level.plural}/{resource_id}/labels/{label}", timeout=10)
        assert reply.status_code == 200, reply.text
    for tenant in TENANTS:
        for level in LEVELS:
            result = dimse(tenant.aet).find(query(level))
            record["find"][f"{tenant.aet} {level.dicom_name}"] = (
                result.final_status, sorted(str(answer[KEYS[level]].value) for answer in result.matches))
        for name, keys in RICH_QUERIES.items():
            identifier = Dataset()
            for keyword, value in keys.items():
                setattr(identifier, keyword, value)
            result = dimse(tenant.aet).find(identifier)
            answers = sorted(sorted((element.keyword, str(element.value)) for element in answer)
                             for answer in result.matches)
            record["answers"][f"{tenant.aet} {name}"] = (result.final_status, answers)
        for level in LEVELS:
            scp.clear()
            values = sorted({str(ds[KEYS[level]].value) for _aet, ds in stores})
            result = dimse(tenant.aet).move(query(level, "\\".join(values)), "DEST")
            record["move"][f"{tenant.aet} {level.dicom_name}"] = (
                [(r.status, r.suboperations.completed) for r in result.responses],
                sorted(scp.received_uids()), sorted({(r.calling_aet, r.called_aet) for r in scp.received()}))
    record["edge"] = edge_cases(dimse, net)
    return record


def edge_cases(dimse: Any, net: Any) -> dict[str, Any]:
    """Statuses where the main server and the tenants differ, and refused requests (no known hang)."""
    edge: dict[str, Any] = {}
    for level in LEVELS:
        result = dimse("ORTHANC").find(query(level))
        edge[f"main find {level.dicom_name}"] = (result.final_status, len(result.matches))
    for name in ("IMAGE", "study", "PATIENT "):
        identifier = Dataset()
        identifier.QueryRetrieveLevel = name
        identifier.StudyInstanceUID = ""
        edge[f"tenant find level {name!r}"] = dimse("T_EMPTY").find(identifier).final_status
    for aet in ("ORTHANC", "T_EMPTY"):
        unknown = dimse(aet).move(query(Level.PATIENT, "P1"), "NOBODY")
        edge[f"{aet} move unknown destination"] = [(r.status, r.suboperations) for r in unknown.responses]
        nothing = dimse(aet).move(query(Level.STUDY, "1.2.3.404"), "DEST")
        edge[f"{aet} move nothing"] = [(r.status, r.suboperations) for r in nothing.responses]
    ds = net.instance(3, 1, 1, 1)
    mismatch = dimse("T_A").store(ds, sop_class_uid=str(ds.SOPClassUID), sop_instance_uid="1.2.826.0.1.99")
    edge["store mismatching UIDs"] = mismatch.final_status
    stranger = DimseClient("127.0.0.1", dimse("T_A").port, "T_A", calling_aet="STRANGER", timeout=20)
    refused = stranger.find(query(Level.STUDY))
    edge["find from unknown AET"] = (refused.aborted, refused.responses == [])
    return edge


def test_reference_and_orthanc_agree(tmp_path: Path, net: Any) -> None:
    records: dict[str, Record] = {}
    with StorageSCP(aet="DEST") as scp:
        for impl in ("reference", "orthanc"):
            with start_target(impl, spec(scp.port), tmp_path / impl) as running:
                records[impl] = run_scenario(running, scp, net)
    reference, orthanc = records["reference"], records["orthanc"]
    for key in ("T_EMPTY STUDY keys", "T_A SERIES keys", "T_EMPTY INSTANCE keys", "T_EMPTY no level"):
        print(key, "->", orthanc["answers"][key])  # shown with -s: what the comparison covers
    for part in ("store", "find", "answers", "move", "edge"):
        differences = {key: (reference[part].get(key), orthanc[part].get(key))
                       for key in sorted(set(reference[part]) | set(orthanc[part]))
                       if reference[part].get(key) != orthanc[part].get(key)}
        assert differences == {}, f"{part}: reference vs orthanc differ"
    # The scenario must not be trivial: at every level the tenants see different, non-empty sets.
    for level in LEVELS:
        seen = [tuple(uids) for key, (_status, uids) in reference["find"].items()
                if key.endswith(level.dicom_name)]
        assert any(seen) and len(set(seen)) > 1, level
