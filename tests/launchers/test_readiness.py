"""Readiness waits for a real answer from every listener: /system and a C-ECHO per tenant (CFG-8)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]
from pynetdicom.transport import ThreadedAssociationServer

from conformance.launchers.ports import free_ports
from conformance.launchers.readiness import (
    Listener,
    ReadinessError,
    echo_status,
    fetch_system,
    spec_listeners,
    wait_ready,
)

SYSTEM = {"Version": "test", "HasLabels": True}


class _SystemHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(SYSTEM).encode() if self.path == "/system" else b"{}"
        self.send_response(200 if self.path == "/system" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SystemHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def echo_scp(aet: str, port: int) -> ThreadedAssociationServer:
    ae = AE(ae_title=aet)
    ae.add_supported_context(Verification)
    server = ae.start_server(("127.0.0.1", port), block=False)
    assert server is not None
    return server


@pytest.fixture
def scps() -> Iterator[list[ThreadedAssociationServer]]:
    started: list[ThreadedAssociationServer] = []
    yield started
    for server in started:
        server.shutdown()


def test_ready_when_everything_answers(http_url: str, scps: list[ThreadedAssociationServer]) -> None:
    ports = free_ports(3)
    scps.extend(echo_scp(aet, port) for aet, port in zip(("MAIN", "A", "B"), ports, strict=True))
    listeners = spec_listeners("MAIN", ports[0], {"A": ports[1], "B": ports[2]})
    assert list(listeners) == ["main DICOM server MAIN", "tenant A", "tenant B"]
    assert wait_ready(http_url, listeners, deadline_s=20) == SYSTEM


def test_a_tenant_not_listening_keeps_it_waiting_then_fails_naming_it(
        http_url: str, scps: list[ThreadedAssociationServer]) -> None:
    main_port, a_port, b_port = free_ports(3)
    scps.extend([echo_scp("MAIN", main_port), echo_scp("A", a_port)])
    rounds: list[frozenset[str]] = []
    with pytest.raises(ReadinessError, match=r"no answer from tenant B$"):
        wait_ready(http_url, spec_listeners("MAIN", main_port, {"A": a_port, "B": b_port}),
                   deadline_s=1.0, on_round=rounds.append)
    assert len(rounds) >= 2 and all(r == {"tenant B"} for r in rounds)


def test_a_slow_tenant_is_waited_for(http_url: str, scps: list[ThreadedAssociationServer]) -> None:
    main_port, slow_port = free_ports(2)
    scps.append(echo_scp("MAIN", main_port))
    seen: list[frozenset[str]] = []

    def start_slow_listener_after_two_rounds(pending: frozenset[str]) -> None:
        seen.append(pending)
        if len(seen) == 2:
            scps.append(echo_scp("SLOW", slow_port))

    system = wait_ready(http_url, spec_listeners("MAIN", main_port, {"SLOW": slow_port}), deadline_s=30,
                        on_round=start_slow_listener_after_two_rounds)
    assert system == SYSTEM
    assert seen == [{"tenant SLOW"}, {"tenant SLOW"}]  # it did wait, and only for that tenant


def test_no_http_answer_is_reported(scps: list[ThreadedAssociationServer]) -> None:
    (http_port, main_port) = free_ports(2)
    scps.append(echo_scp("MAIN", main_port))
    with pytest.raises(ReadinessError, match="no answer from GET /system"):
        wait_ready(f"http://127.0.0.1:{http_port}", spec_listeners("MAIN", main_port, {}), deadline_s=0.5)
    assert fetch_system(f"http://127.0.0.1:{http_port}") is None


def test_a_dead_server_is_reported_at_once(http_url: str) -> None:
    rounds: list[frozenset[str]] = []
    with pytest.raises(ReadinessError, match="cannot become ready: exited with code 3"):
        wait_ready(http_url, {"tenant X": Listener("X", free_ports(1)[0])}, deadline_s=60,
                   alive=lambda: "exited with code 3", on_round=rounds.append)
    assert rounds == []


def test_echo_status(scps: list[ThreadedAssociationServer]) -> None:
    port, closed = free_ports(2)
    scps.append(echo_scp("E", port))
    assert echo_status(Listener("E", port)) == 0x0000
    assert echo_status(Listener("E", closed)) is None
