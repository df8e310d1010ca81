"""The in-process API of the reference server: ports, lifecycle, startup failures (contract B)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from reference.dicom.status import Status
from reference.rules.levels import Level
from reference.server import ReferenceServer, StartupError


def is_listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_context_manager_reports_real_ports_and_closes_them(net: Any) -> None:
    config = net.make_config(1, tenants={"HELLO": (["hello"], "All", None), "WORLD": ([], "None", None)})
    with ReferenceServer(config) as server:
        ports = [server.http_port, server.dicom_port, *server.tenant_ports.values()]
        assert set(server.tenant_ports) == {"HELLO", "WORLD"}
        assert all(port > 0 for port in ports) and len(set(ports)) == len(ports)
        system = requests.get(f"http://127.0.0.1:{server.http_port}/system", timeout=10).json()
        assert (system["DicomAet"], system["DicomPort"]) == ("ORTHANC", server.dicom_port)
        storage = server.storage_dir
        assert storage is not None and storage.is_dir()  # a temporary folder: no StorageDirectory given
        for aet in ("ORTHANC", "HELLO", "WORLD"):
            assert net.client(server, aet).echo().final_status == Status.SUCCESS
    assert not any(is_listening(port) for port in ports)
    assert not storage.exists()


def test_config_from_a_file_and_storage_kept(tmp_path: Path, net: Any) -> None:
    path = tmp_path / "orthanc.json"
    path.write_text(json.dumps(net.make_config(1, tenants={"HELLO": (["hello"], "All", None)})))
    storage = tmp_path / "kept"
    ds = net.instance(1, 1, 1, 1)
    with ReferenceServer(path, storage_dir=storage) as server:
        assert net.client(server, "HELLO").store(ds).final_status == Status.SUCCESS
    with ReferenceServer(path, storage_dir=storage) as server:  # same storage: the instance is still there
        assert server.archive is not None
        kept = server.archive.get(Level.INSTANCE, net.ids_of(ds)[Level.INSTANCE])
        assert kept is not None and kept.labels == frozenset({"hello"})


@pytest.mark.parametrize("where", ["DicomPort", "tenant"])
def test_port_in_use_stops_everything_and_names_the_part(tmp_path: Path, net: Any, where: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        config = net.make_config(1, tenants={"FIRST": ([], "All", None), "SECOND": ([], "All", None)})
        if where == "DicomPort":
            config["DicomPort"] = port
        else:
            config["MultitenantDicom"]["Servers"][1]["Port"] = port
        server = ReferenceServer(config, tmp_path / "storage")
        with pytest.raises(StartupError) as failure:
            server.start()
    expected = "DicomPort" if where == "DicomPort" else "MultitenantDicom.Servers[1] (SECOND)"
    assert expected in str(failure.value)
    assert server.archive is None and server.tenant_ports == {}
    with pytest.raises(RuntimeError):
        _ = server.http_port
