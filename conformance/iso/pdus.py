"""Raw upper-layer PDUs (PS3.8 section 9.3) and a socket probe for hostile-input tests (ISO-2).

Strategy: ``associate_rq`` builds a well-formed A-ASSOCIATE-RQ from plain values (sans-IO, no
pynetdicom), and the hostile variants are byte-level edits of it -- truncated, with a length field
that overflows what is sent, with blank or NUL AE titles -- or plain garbage. ``probe`` sends such
bytes on a raw loopback socket and reports how the server reacted and when: it read back a PDU
(A-ASSOCIATE-AC 0x02, -RJ 0x03, A-ABORT 0x07, ...), saw the connection closed, or saw nothing
until its deadline (a hang). The socket stays open while the caller checks other associations.

Robustness invariant checked with these (ISO-2): any byte sequence gets a PDU or a close from the
server within DicomScpTimeout, never silence, and the server keeps serving others meanwhile.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from dataclasses import dataclass
from types import TracebackType

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"
VERIFICATION = "1.2.840.10008.1.1"
IMPLICIT_LE = "1.2.840.10008.1.2"

PDU_NAMES = {
    0x01: "A-ASSOCIATE-RQ",
    0x02: "A-ASSOCIATE-AC",
    0x03: "A-ASSOCIATE-RJ",
    0x04: "P-DATA-TF",
    0x05: "A-RELEASE-RQ",
    0x06: "A-RELEASE-RP",
    0x07: "A-ABORT",
}


def _item(item_type: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", item_type, 0, len(payload)) + payload


def _ae(title: bytes) -> bytes:
    """A 16-byte AE title field (padded with spaces; longer values are cut)."""
    return title[:16].ljust(16, b" ")


def associate_rq(
    called: bytes, calling: bytes, abstract_syntax: str = VERIFICATION, max_pdu: int = 16384
) -> bytes:
    """A well-formed A-ASSOCIATE-RQ proposing one presentation context (implicit VR LE)."""
    context = _item(
        0x20, bytes([1, 0, 0, 0]) + _item(0x30, abstract_syntax.encode()) + _item(0x40, IMPLICIT_LE.encode())
    )
    user = _item(0x50, _item(0x51, struct.pack(">I", max_pdu)))
    body = (
        struct.pack(">HH", 1, 0)
        + _ae(called)
        + _ae(calling)
        + bytes(32)
        + _item(0x10, APPLICATION_CONTEXT.encode())
        + context
        + user
    )
    return struct.pack(">BBI", 0x01, 0, len(body)) + body


def with_length(pdu: bytes, length: int) -> bytes:
    """The same PDU with its length field replaced (an overflowing or inconsistent header)."""
    return pdu[:2] + struct.pack(">I", length) + pdu[6:]


@dataclass(frozen=True)
class Reaction:
    """What the server did: the first PDU type it sent (None: nothing), whether it closed, when."""

    pdu_type: int | None
    closed: bool
    seconds: float

    @property
    def hung(self) -> bool:
        return self.pdu_type is None and not self.closed

    def describe(self) -> str:
        if self.pdu_type is not None:
            return f"{PDU_NAMES.get(self.pdu_type, hex(self.pdu_type))} after {self.seconds:.1f} s"
        if self.closed:
            return f"connection closed after {self.seconds:.1f} s"
        return f"no answer and still open after {self.seconds:.1f} s (hang)"


class RawConnection:
    """One raw TCP connection to a DICOM port on loopback; a context manager that always closes."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=10.0)

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data: bytes) -> bool:
        """Send; False if the server already closed the connection."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def reaction(self, deadline: float, started: float | None = None) -> Reaction:
        """Wait until the server sends something or closes, at most ``deadline`` seconds in all."""
        start = time.monotonic() if started is None else started
        while True:
            remaining = start + deadline - time.monotonic()
            if remaining <= 0:
                return Reaction(None, False, time.monotonic() - start)
            self.sock.settimeout(min(remaining, 1.0))
            try:
                data = self.sock.recv(1)
            except TimeoutError:
                continue
            except OSError:  # reset by peer
                return Reaction(None, True, time.monotonic() - start)
            if not data:
                return Reaction(None, True, time.monotonic() - start)
            return Reaction(data[0], False, time.monotonic() - start)
