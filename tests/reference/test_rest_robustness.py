"""Robustness invariant of the REST API: any request gets 2xx or 4xx, never 5xx nor a dropped connection.

Hypothesis sends arbitrary methods, paths and bodies; raw sockets send malformed HTTP.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.dicom.builder import InstanceSpec, instance_bytes, make_instance
from reference.archive.archive import Archive
from reference.config import load_config
from reference.modalities import ModalityRegistry
from reference.rest.server import RestServer

TIMEOUT = 30
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RestServer]:
    storage: Path = tmp_path_factory.mktemp("rest-robustness")
    config = load_config({"HttpPort": 0, "DicomPort": 0})
    with Archive(storage) as archive, RestServer(archive, config, ModalityRegistry()) as srv:
        archive.store(instance_bytes(make_instance(InstanceSpec(patient_id="P", study_uid="1.2",
                                                                series_uid="1.2.3", sop_uid="1.2.3.4"))))
        yield srv


def _ids(server: RestServer) -> list[str]:
    base = f"http://127.0.0.1:{server.port}"
    return [i for level in ("patients", "studies", "series", "instances")
            for i in requests.get(f"{base}/{level}", timeout=TIMEOUT).json()]


segments = st.one_of(
    st.sampled_from(["patients", "studies", "series", "instances", "labels", "tools", "find", "system",
                     "modalities", "file", "x", "..", "%2e%2e", "%00", "a%2Fb", "ab" * 40]),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"),
            min_size=1, max_size=12),
)
JSON_KEYS = ["Level", "Query", "Labels", "LabelsConstraint", "Expand", "Limit", "Since", "CaseSensitive",
             "AET", "Host", "Port", "PatientID", "StudyDate", "x"]
json_scalars = (st.none() | st.booleans() | st.integers()
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(JSON_KEYS), inner,
                                                                max_size=6),
    max_leaves=12,
)
bodies = st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(METHODS), path=st.lists(segments, max_size=4), use_id=st.integers(0, 4),
       body=bodies)
def test_any_request_gets_2xx_or_4xx(server: RestServer, method: str, path: list[str], use_id: int,
                                     body: bytes) -> None:
    ids = _ids(server)
    if path and use_id < len(ids) and len(path) >= 2:
        path[1] = ids[use_id]
    url = f"http://127.0.0.1:{server.port}/" + "/".join(path)
    response = requests.request(method, url, data=body, timeout=TIMEOUT)
    assert 200 <= response.status_code < 500, (method, url, body, response.text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=json_values)
def test_tools_find_any_json_gets_200_or_400(server: RestServer, body: object) -> None:
    response = requests.post(f"http://127.0.0.1:{server.port}/tools/find", json=body, timeout=TIMEOUT)
    assert response.status_code in (200, 400), response.text


def _raw_exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("payload", [
    b"GARBAGE\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /system HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
    b"POST /instances HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST /instances HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
    b"POST /tools/find HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /tools/find HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\n[[[",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    b"BREW /system HTTP/1.1\r\nHost: x\r\n\r\n",
])
def test_malformed_http_gets_a_4xx_answer(server: RestServer, payload: bytes) -> None:
    answer = _raw_exchange(server.port, payload)
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1."), answer[:200]
    status = int(status_line.split()[1])
    assert 400 <= status < 500, status_line


def test_idle_connection_is_closed_and_others_are_served(tmp_path: Path) -> None:
    config = load_config({"HttpPort": 0, "DicomPort": 0})
    with Archive(tmp_path) as archive, \
            RestServer(archive, config, ModalityRegistry(), idle_timeout=1.0) as srv, \
            socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT) as idle:
        idle.sendall(b"GET /system HTTP/1.1\r\n")          # never finishes its headers
        assert requests.get(f"http://127.0.0.1:{srv.port}/system", timeout=TIMEOUT).status_code == 200
        assert idle.recv(65536) == b""                       # closed by the server, not by us
