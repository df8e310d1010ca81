"""The suite's own C-MOVE destination: a storage SCP on 127.0.0.1 that records what it receives.

Strategy: a pynetdicom AE started with ``block=False`` on port 0 (or a given port), accepting every
storage SOP class. Event handlers append to lists under one condition variable, so tests read a
consistent snapshot (``received()``, ``associations()``, ``connections``) and can wait for an
expected count with a bounded deadline (``wait_for``) instead of sleeping. By default any called AET
is accepted (Orthanc's tenants call the destination with their own AET, MOVE-6); with
``require_called_aet=True`` associations not addressed to ``aet`` are rejected, and the rejection is
recorded too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from pynetdicom import AE, AllStoragePresentationContexts, evt

from conformance.uids import VERIFICATION

_SUCCESS = 0x0000
_CANNOT_UNDERSTAND = 0xC000


@dataclass(frozen=True)
class ReceivedInstance:
    """One C-STORE received by the SCP."""

    sop_instance_uid: str
    sop_class_uid: str
    study_uid: str | None
    series_uid: str | None
    calling_aet: str
    called_aet: str


@dataclass(frozen=True)
class AssociationAttempt:
    """One association request the SCP saw, and whether it accepted it."""

    calling_aet: str
    called_aet: str
    accepted: bool


def _aet(value: Any) -> str:
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    return text.strip()


def _aets_of(event: Any) -> tuple[str, str]:
    """(calling AET, called AET) as the requestor sent them in its A-ASSOCIATE-RQ."""
    primitive = event.assoc.requestor.primitive
    if primitive is None:
        return _aet(event.assoc.requestor.ae_title), ""
    return _aet(primitive.calling_ae_title), _aet(primitive.called_ae_title)


class StorageSCP:
    """A storage SCP for C-MOVE sub-operations; use as a context manager or call start()/stop()."""

    def __init__(self, aet: str = "SUITESCP", port: int = 0, *, require_called_aet: bool = False) -> None:
        self.aet = aet
        self.host = "127.0.0.1"
        self._requested_port = port
        self._require_called_aet = require_called_aet
        self._cond = threading.Condition()
        self._received: list[ReceivedInstance] = []
        self._associations: list[AssociationAttempt] = []
        self._connections = 0
        self._server: Any = None
        self.port = 0

    def start(self) -> StorageSCP:
        ae = AE(ae_title=self.aet)
        ae.require_called_aet = self._require_called_aet
        ae.network_timeout = 30
        ae.acse_timeout = 30
        ae.dimse_timeout = 30
        ae.maximum_associations = 32
        for context in AllStoragePresentationContexts:
            if context.abstract_syntax is not None:
                ae.add_supported_context(context.abstract_syntax, ALL_TRANSFER_SYNTAXES)
        ae.add_supported_context(VERIFICATION)
        handlers: list[Any] = [(evt.EVT_C_STORE, self._on_store), (evt.EVT_ACCEPTED, self._on_accepted),
                    (evt.EVT_REJECTED, self._on_rejected), (evt.EVT_CONN_OPEN, self._on_connection)]
        self._server = ae.start_server((self.host, self._requested_port), block=False, evt_handlers=handlers)
        self.port = int(self._server.server_address[1])
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def __enter__(self) -> StorageSCP:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- event handlers (pynetdicom threads) --------------------------------------------------------
    def _on_store(self, event: Any) -> int:
        try:
            ds = event.dataset
        except Exception:  # undecodable dataset: refuse it, still record nothing
            return _CANNOT_UNDERSTAND
        calling, called = _aets_of(event)
        record = ReceivedInstance(
            sop_instance_uid=str(event.request.AffectedSOPInstanceUID),
            sop_class_uid=str(event.request.AffectedSOPClassUID),
            study_uid=str(ds.StudyInstanceUID) if "StudyInstanceUID" in ds else None,
            series_uid=str(ds.SeriesInstanceUID) if "SeriesInstanceUID" in ds else None,
            calling_aet=calling,
            called_aet=called,
        )
        with self._cond:
            self._received.append(record)
            self._cond.notify_all()
        return _SUCCESS

    def _attempt(self, event: Any, accepted: bool) -> None:
        calling, called = _aets_of(event)
        with self._cond:
            self._associations.append(AssociationAttempt(calling, called, accepted))
            self._cond.notify_all()

    def _on_accepted(self, event: Any) -> None:
        self._attempt(event, True)

    def _on_rejected(self, event: Any) -> None:
        self._attempt(event, False)

    def _on_connection(self, event: Any) -> None:
        with self._cond:
            self._connections += 1
            self._cond.notify_all()

    # -- what tests read ----------------------------------------------------------------------------
    def received(self) -> list[ReceivedInstance]:
        with self._cond:
            return list(self._received)

    def received_uids(self) -> set[str]:
        return {r.sop_instance_uid for r in self.received()}

    def associations(self) -> list[AssociationAttempt]:
        with self._cond:
            return list(self._associations)

    @property
    def connections(self) -> int:
        with self._cond:
            return self._connections

    def clear(self) -> None:
        with self._cond:
            self._received.clear()
            self._associations.clear()
            self._connections = 0

    def wait_for(self, predicate: Callable[[StorageSCP], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate(self)`` holds (re-checked on every event), at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                self._cond.release()
                try:
                    done = predicate(self)
                finally:
                    self._cond.acquire()
                remaining = deadline - time.monotonic()
                if done or remaining <= 0:
                    return done
                self._cond.wait(remaining)


ALL_TRANSFER_SYNTAXES: list[str] = [
    "1.2.840.10008.1.2.1",  # Explicit VR Little Endian
    "1.2.840.10008.1.2",  # Implicit VR Little Endian
    "1.2.840.10008.1.2.2",  # Explicit VR Big Endian
    "1.2.840.10008.1.2.1.99",  # Deflated Explicit VR Little Endian
    "1.2.840.10008.1.2.4.50",  # JPEG Baseline
    "1.2.840.10008.1.2.4.70",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
    "1.2.840.10008.1.2.4.91",  # JPEG 2000
    "1.2.840.10008.1.2.5",  # RLE Lossless
]
