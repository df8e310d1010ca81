"""Free loopback ports, chosen by the OS.

All the sockets of one request are held open together until every port is known, so the ports handed
out are distinct from each other and from `exclude`; they are closed before the server binds them, so
another process could in principle take one in between (the readiness check then reports the listener
that never answered, with the server's log).
"""

from __future__ import annotations

import socket
from collections.abc import Collection

from conformance.launchers.spec import TargetSpec, check_spec

LOOPBACK = "127.0.0.1"


def free_ports(count: int, exclude: Collection[int] = ()) -> list[int]:
    """`count` distinct TCP ports that were free on 127.0.0.1 a moment ago, none of them in `exclude`."""
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(sock)
            sock.bind((LOOPBACK, 0))
            port = int(sock.getsockname()[1])
            if port not in exclude and port not in ports:
                ports.append(port)
    finally:
        for sock in held:
            sock.close()
    return ports


def bind_spec_ports(spec: TargetSpec) -> TargetSpec:
    """The spec with every port 0 replaced by a free loopback port distinct from all the others.

    The spec is checked first: a clash the user asked for is refused (SpecError), never "repaired".
    """
    check_spec(spec)
    given = {port for port in spec.ports().values() if port}
    missing = sum(1 for port in spec.ports().values() if port == 0)
    fresh = iter(free_ports(missing, exclude=given))

    def pick(port: int) -> int:
        return port if port else next(fresh)

    return spec.with_ports(pick(spec.http_port), pick(spec.dicom_port), [pick(t.port) for t in spec.tenants])
