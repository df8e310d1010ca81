"""The REST subset (SPEC section 9, LBL-2..4): every route, status codes, and Orthanc's JSON shapes.

Expected shapes and values were observed on Orthanc 1.12.7 (Debian trixie) with the very same instance
(`orthanc_probe_instance`): POST /instances, then GET /patients|studies|series|instances/{id}.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.uid import UID, ExplicitVRLittleEndian

from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance
from reference.archive.archive import Archive
from reference.config import load_config
from reference.modalities import ModalityRegistry
from reference.rest.server import RestServer

TIMEOUT = 30


def orthanc_probe_instance(patient_id: str = "P1", study_uid: str = "1.2.3",
                           charset: str | None = None) -> bytes:
    """The instance uploaded to real Orthanc 1.12.7 to record the expected answers below."""
    ds = Dataset()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = UID("1.2.840.10008.5.1.4.1.1.2")
    meta.MediaStorageSOPInstanceUID = UID(f"{study_uid}.4.5")
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, f"{study_uid}.4.5"
    if charset is not None:
        ds.SpecificCharacterSet = charset
    ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = patient_id, "Doe^John", "19700101", "M"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, f"{study_uid}.4"
    ds.StudyDate, ds.StudyTime, ds.AccessionNumber = "20240102", "101010", "ACC1"
    ds.StudyDescription, ds.StudyID, ds.Modality = "desc", "S1", "CT"
    ds.SeriesNumber, ds.InstanceNumber, ds.SeriesDescription = 1, 3, "sdesc"
    ds.ReferringPhysicianName = ""
    out = DicomBytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


PATIENT_ID = "bdaf1eca-33d4619e-80e8ca68-9a1b74a4-febbbb29"
STUDY_ID = "ce42f924-f6020bea-aa810144-6941b6f0-88331094"
SERIES_ID = "626a5deb-273fd2f8-0801eb57-046b8592-d6992882"
INSTANCE_ID = "7ec54ea4-03b563b4-f9817b30-214c8311-b67e0f83"
ORTHANC_PATIENT_TAGS = {"PatientBirthDate": "19700101", "PatientID": "P1", "PatientName": "Doe^John",
                        "PatientSex": "M"}
ORTHANC_SHAPES: dict[str, dict[str, Any]] = {
    "patients": {"ID": PATIENT_ID, "Type": "Patient", "Labels": [], "Studies": [STUDY_ID],
                 "MainDicomTags": ORTHANC_PATIENT_TAGS},
    "studies": {"ID": STUDY_ID, "Type": "Study", "Labels": [], "ParentPatient": PATIENT_ID,
                "Series": [SERIES_ID], "PatientMainDicomTags": ORTHANC_PATIENT_TAGS,
                "MainDicomTags": {"AccessionNumber": "ACC1", "ReferringPhysicianName": "",
                                  "StudyDate": "20240102", "StudyDescription": "desc", "StudyID": "S1",
                                  "StudyInstanceUID": "1.2.3", "StudyTime": "101010"}},
    "series": {"ID": SERIES_ID, "Type": "Series", "Labels": [], "ParentStudy": STUDY_ID,
               "Instances": [INSTANCE_ID], "ExpectedNumberOfInstances": None, "Status": "Unknown",
               "MainDicomTags": {"Modality": "CT", "SeriesDescription": "sdesc",
                                 "SeriesInstanceUID": "1.2.3.4", "SeriesNumber": "1"}},
    "instances": {"ID": INSTANCE_ID, "Type": "Instance", "Labels": [], "ParentSeries": SERIES_ID,
                  "IndexInSeries": 3,
                  "MainDicomTags": {"InstanceNumber": "3", "SOPInstanceUID": "1.2.3.4.5"}},
}
# Keys real Orthanc has that the reference leaves out (no stable meaning outside Orthanc's storage).
NOT_SERVED = {"FileUuid"}
ORTHANC_KEYS = {
    "patients": {"ID", "IsStable", "Labels", "LastUpdate", "MainDicomTags", "Studies", "Type"},
    "studies": {"ID", "IsStable", "Labels", "LastUpdate", "MainDicomTags", "ParentPatient",
                "PatientMainDicomTags", "Series", "Type"},
    "series": {"ExpectedNumberOfInstances", "ID", "Instances", "IsStable", "Labels", "LastUpdate",
               "MainDicomTags", "ParentStudy", "Status", "Type"},
    "instances": {"FileSize", "FileUuid", "ID", "IndexInSeries", "Labels", "MainDicomTags", "ParentSeries",
                  "Type"},
}


class Rest:
    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=TIMEOUT, **kwargs)


@pytest.fixture
def rest(tmp_path: Path) -> Iterator[Rest]:
    config = load_config({"HttpPort": 0, "DicomPort": 0, "DicomAet": "MAINAET",
                          "DicomModalities": {"scp": ["STORESCP", "127.0.0.1", 2000]}})
    with Archive(tmp_path / "storage") as archive, \
            RestServer(archive, config, ModalityRegistry(config.modalities), dicom_port=11112) as server:
        client = Rest(f"http://127.0.0.1:{server.port}")
        yield client
        client.session.close()


def upload(rest: Rest, data: bytes) -> dict[str, Any]:
    response = rest("POST", "/instances", data=data)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def instance(patient: str, study: str, series: str, sop: str, **extra: object) -> bytes:
    return instance_bytes(make_instance(InstanceSpec(patient_id=patient, study_uid=study, series_uid=series,
                                                     sop_uid=sop, extra=tuple(extra.items()))))


def test_system(rest: Rest) -> None:
    system = rest("GET", "/system").json()
    assert system["HasLabels"] is True and system["DicomAet"] == "MAINAET" and system["DicomPort"] == 11112
    assert system["HttpPort"] == int(rest.base.rsplit(":", 1)[1])
    assert system["Implementation"] == "mtdicom-reference" and system["Version"]


def test_post_instances_answers_like_orthanc(rest: Rest) -> None:
    data = orthanc_probe_instance()
    first = upload(rest, data)
    assert first == {"ID": INSTANCE_ID, "ParentPatient": PATIENT_ID, "ParentStudy": STUDY_ID,
                     "ParentSeries": SERIES_ID, "Path": f"/instances/{INSTANCE_ID}", "Status": "Success"}
    assert upload(rest, data)["Status"] == "AlreadyStored"


@pytest.mark.parametrize("body", [b"", b"hello", b"\x00" * 1000, b"{}"])
def test_post_non_dicom_is_400(rest: Rest, body: bytes) -> None:
    response = rest("POST", "/instances", data=body)
    assert response.status_code == 400
    assert response.json()["HttpStatus"] == 400


@pytest.mark.parametrize("collection", ["patients", "studies", "series", "instances"])
def test_resource_shapes_match_orthanc(rest: Rest, collection: str) -> None:
    data = orthanc_probe_instance()
    upload(rest, data)
    expected = ORTHANC_SHAPES[collection]
    got = rest("GET", f"/{collection}/{expected['ID']}").json()
    assert set(got) == ORTHANC_KEYS[collection] - NOT_SERVED
    for key, value in expected.items():
        assert got[key] == value, key
    if collection == "instances":
        assert got["FileSize"] == len(data)
    else:
        assert re.fullmatch(r"\d{8}T\d{6}", got["LastUpdate"])
    assert rest("GET", f"/{collection}").json() == [expected["ID"]]
    expanded = rest("GET", f"/{collection}?expand").json()
    assert expanded == [got]
    assert rest("GET", f"/{collection}?expand=false").json() == [expected["ID"]]


def test_latin1_values_are_decoded_and_ids_hash_utf8_as_orthanc(rest: Rest) -> None:
    # Orthanc 1.12.7, same file: patient 27d1c20e-... with "PatientID" : "\u00c9\u00e9".
    answer = upload(rest, orthanc_probe_instance("Éé", "1.2.9", charset="ISO_IR 100"))
    assert answer["ParentPatient"] == "27d1c20e-4fc0b0a3-98c724d3-486cc867-ff2a5ebc"
    assert answer["ParentStudy"] == "df6b9474-ff0a4e79-62e3a3ce-35c91b79-af9d36f6"
    patient = rest("GET", f"/patients/{answer['ParentPatient']}").json()
    assert patient["MainDicomTags"]["PatientID"] == "Éé"


def test_unknown_resources_and_routes_are_404(rest: Rest) -> None:
    upload(rest, orthanc_probe_instance())
    assert rest("GET", f"/series/{STUDY_ID}").status_code == 404      # wrong level
    assert rest("GET", "/studies/nope").status_code == 404
    assert rest("DELETE", "/studies/nope").status_code == 404
    assert rest("GET", "/nothing/here").status_code == 404
    error = rest("GET", "/studies/nope").json()
    assert error["HttpStatus"] == 404 and error["Method"] == "GET" and error["Uri"] == "/studies/nope"
    assert rest("POST", "/system").status_code == 405


def test_instance_file(rest: Rest) -> None:
    data = orthanc_probe_instance()
    upload(rest, data)
    response = rest("GET", f"/instances/{INSTANCE_ID}/file")
    assert response.status_code == 200 and response.content == data


def test_delete_cascades_and_reports_remaining_ancestor(rest: Rest) -> None:
    a = upload(rest, instance("P", "1.1", "1.1.1", "1.1.1.1"))
    b = upload(rest, instance("P", "1.1", "1.1.2", "1.1.2.1"))
    assert rest("PUT", f"/series/{a['ParentSeries']}/labels/gone").status_code == 200
    answer = rest("DELETE", f"/series/{a['ParentSeries']}").json()
    assert answer == {"RemainingAncestor": {"ID": a["ParentStudy"], "Path": f"/studies/{a['ParentStudy']}",
                                            "Type": "Study"}}
    assert rest("GET", f"/instances/{a['ID']}").status_code == 404
    assert rest("GET", "/tools/labels").json() == []                  # LBL-6
    assert rest("DELETE", f"/instances/{b['ID']}").json() == {"RemainingAncestor": None}
    assert rest("GET", "/patients").json() == []


def test_label_routes(rest: Rest) -> None:                             # LBL-2, LBL-3
    ids = upload(rest, orthanc_probe_instance())
    base = f"/studies/{ids['ParentStudy']}/labels"
    assert rest("GET", base).json() == []
    for label in ("zeta", "alpha", "alpha"):
        response = rest("PUT", f"{base}/{label}")
        assert response.status_code == 200 and response.content == b""
    assert rest("GET", base).json() == ["alpha", "zeta"]
    assert rest("GET", f"{base}/alpha").status_code == 200
    assert rest("GET", f"{base}/beta").status_code == 404
    assert rest("DELETE", f"{base}/beta").status_code == 200           # absent: still 200
    assert rest("DELETE", f"{base}/zeta").status_code == 200
    assert rest("GET", base).json() == ["alpha"]
    assert rest("PUT", f"{base}/bad%21label").status_code == 400
    assert rest("PUT", f"{base}/{'x' * 65}").status_code == 400
    assert rest("PUT", f"/series/{ids['ParentStudy']}/labels/x").status_code == 404   # wrong level
    assert rest("PUT", "/studies/nope/labels/x").status_code == 404
    assert rest("GET", f"/studies/{ids['ParentStudy']}").json()["Labels"] == ["alpha"]
    assert rest("PUT", f"/instances/{ids['ID']}/labels/inst").status_code == 200
    assert rest("GET", "/tools/labels").json() == ["alpha", "inst"]


def seed_for_find(rest: Rest) -> dict[str, dict[str, Any]]:
    seeded = {
        "a": upload(rest, instance("P1", "1.1", "1.1.1", "1.1.1.1", StudyDate="20240110")),
        "b": upload(rest, instance("p2", "2.1", "2.1.1", "2.1.1.1", StudyDate="20240220")),
        "c": upload(rest, instance("P3", "3.1", "3.1.1", "3.1.1.1", StudyDate="20230101")),
    }
    for key, labels in (("a", ["x"]), ("b", ["x", "y"])):
        for label in labels:
            rest("PUT", f"/studies/{seeded[key]['ParentStudy']}/labels/{label}")
    return seeded


def find(rest: Rest, body: Any) -> requests.Response:
    return rest("POST", "/tools/find", json=body)


def test_tools_find_labels_and_constraints(rest: Rest) -> None:      # LBL-4, LBL-5
    s = seed_for_find(rest)

    def studies(labels: list[str], constraint: str | None = None) -> list[str]:
        body: dict[str, Any] = {"Level": "Study", "Query": {}, "Labels": labels}
        if constraint is not None:
            body["LabelsConstraint"] = constraint
        response = find(rest, body)
        assert response.status_code == 200, response.text
        return sorted(response.json())

    a, b, c = (s[k]["ParentStudy"] for k in "abc")
    assert studies(["x"]) == sorted([a, b])
    assert studies(["x", "y"]) == [b]
    assert studies(["x", "y"], "Any") == sorted([a, b])
    assert studies(["y"], "None") == sorted([a, c])
    assert studies([], "None") == sorted([a, b, c])                   # LBL-5 default none-empty=all
    assert find(rest, {"Level": "Series", "Query": {}, "Labels": ["x"]}).json() == []   # own level only


def test_tools_find_query_matching_and_expand(rest: Rest) -> None:   # FIND-5 matching on REST
    s = seed_for_find(rest)
    a, b = s["a"]["ParentStudy"], s["b"]["ParentStudy"]
    assert sorted(find(rest, {"Level": "Study", "Query": {"PatientID": "p*"}}).json()) == sorted(
        [a, b, s["c"]["ParentStudy"]])
    assert find(rest, {"Level": "Study", "Query": {"PatientID": "p*"}, "CaseSensitive": True}).json() == [b]
    by_date = find(rest, {"Level": "Studies", "Query": {"StudyDate": "20240101-"}}).json()
    assert sorted(by_date) == sorted([a, b])
    assert find(rest, {"Level": "Study", "Query": {"0020,000d": "1.1"}}).json() == [a]
    expanded = find(rest, {"Level": "Study", "Query": {"StudyInstanceUID": "1.1"}, "Expand": True}).json()
    assert expanded == [rest("GET", f"/studies/{a}").json()]
    assert find(rest, {"Level": "Image", "Query": {}, "Limit": 2}).status_code == 200
    assert len(find(rest, {"Level": "Image", "Query": {}, "Limit": 2}).json()) == 2


@pytest.mark.parametrize("body", [
    {"Query": {}}, {"Level": "Study"}, {"Level": 3, "Query": {}}, {"Level": "Frames", "Query": {}},
    {"Level": "Study", "Query": []}, {"Level": "Study", "Query": {}, "LabelsConstraint": "all"},
    {"Level": "Study", "Query": {}, "Labels": "x"}, {"Level": "Study", "Query": {"PatientID": 1}},
    {"Level": "Study", "Query": {"NotATag": "1"}}, {"Level": "Series", "Query": {"SeriesInstanceUID": "1.*"}},
    [1], "text", None, {"Level": "Study", "Query": {}, "Expand": "yes"},
    {"Level": "Study", "Query": {}, "Limit": -1},
])
def test_tools_find_bad_requests_are_400(rest: Rest, body: Any) -> None:
    response = find(rest, body)
    assert response.status_code == 400, response.text
    assert response.json()["HttpStatus"] == 400


def test_tools_find_invalid_json_is_400(rest: Rest) -> None:
    assert rest("POST", "/tools/find", data=b"{not json").status_code == 400
    assert rest("POST", "/tools/find", data=b"\xff\xfe").status_code == 400


def test_modalities(rest: Rest) -> None:                               # CFG-7 live registry
    assert rest("GET", "/modalities").json() == ["scp"]
    assert rest("GET", "/modalities?expand").json()["scp"]["AET"] == "STORESCP"
    new = {"AET": "NEWAET", "Host": "127.0.0.1", "Port": 1234}
    assert rest("PUT", "/modalities/new", json=new).status_code == 200
    assert rest("PUT", "/modalities/arr", json=["ARR", "127.0.0.1", 5]).status_code == 200
    expanded = rest("GET", "/modalities?expand").json()
    assert set(expanded) == {"arr", "new", "scp"}
    assert {k: expanded["new"][k] for k in ("AET", "Host", "Port")} == {"AET": "NEWAET", "Host": "127.0.0.1",
                                                                       "Port": 1234}
    assert expanded["new"]["AllowFind"] is True
    assert rest("PUT", "/modalities/bad", json={"AET": "X"}).status_code == 400
    assert rest("PUT", "/modalities/bad", data=b"nope").status_code == 400
    assert rest("GET", "/modalities/new/configuration").json()["AET"] == "NEWAET"
    assert rest("GET", "/modalities/new").json() == ["configuration"]
    deleted = rest("DELETE", "/modalities/new")
    assert deleted.status_code == 200 and deleted.content == b""       # as Orthanc: empty body
    assert rest("GET", "/modalities/new").status_code == 404
    assert rest("DELETE", "/modalities/new").status_code == 404
    assert rest("PUT", "/modalities/str", json={"AET": "S", "Host": "127.0.0.1", "Port": "104"}).status_code \
        == 200                                                          # Orthanc accepts a string port
