"""The in-process reference server: archive, REST API, main DICOM listener, then one per tenant (CFG-8).

``ReferenceServer(config)`` accepts a ``ServerConfig``, an Orthanc-format mapping, or the path of a JSON
file; ports 0 are chosen by the OS and the real ones are reported by ``http_port``, ``dicom_port`` and
``tenant_ports``. ``start()`` either brings everything up or, if any part fails (a port already in use),
stops what it started and raises ``StartupError`` naming the part. Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from pynetdicom import AE
from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from reference.archive.archive import Archive
from reference.config import ServerConfig, load_config
from reference.dicom.context import ListenerContext
from reference.dicom.listeners import LOOPBACK, DicomListener
from reference.errors import ReferenceServerError
from reference.modalities import ModalityRegistry
from reference.rest.server import RestServer

LOG = logging.getLogger("reference.server")
READY_PROBE_AET = "READYPROBE"


class StartupError(ReferenceServerError):
    """The server could not start (e.g. a port already in use); nothing is left running."""


def answers_association(port: int, called_aet: str, timeout: float) -> bool:
    """Whether a DICOM listener on 127.0.0.1:port answers an association request (C-ECHO if accepted).

    An accepted, rejected or aborted association all prove the listener is serving; only silence or a
    refused connection does not."""
    ae = AE(ae_title=READY_PROBE_AET)
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    ae.connection_timeout = timeout
    assoc = ae.associate(LOOPBACK, port, ae_title=called_aet)
    try:
        if assoc.is_established:
            status = assoc.send_c_echo()
            return bool(status) or assoc.is_aborted
        return assoc.is_rejected or assoc.is_aborted
    finally:
        if assoc.is_established:
            assoc.release()


class ReferenceServer:
    """Archive + REST + main listener + tenant listeners, as one context manager."""

    def __init__(self, config: ServerConfig | Mapping[str, Any] | Path | str,
                 storage_dir: Path | None = None) -> None:
        self.config: ServerConfig = config if isinstance(config, ServerConfig) else load_config(config)
        self._storage_arg = storage_dir
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self.storage_dir: Path | None = None
        self.archive: Archive | None = None
        self.registry = ModalityRegistry(self.config.modalities)
        self._rest: RestServer | None = None
        self._main: DicomListener | None = None
        self._tenants: list[DicomListener] = []

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> ReferenceServer:
        """Start every part, in the order of CFG-8; StartupError (nothing left running) on failure."""
        if self.archive is not None:
            raise StartupError("the server is already started")
        part = "StorageDirectory"
        try:
            self.storage_dir = self._choose_storage()
            self.archive = Archive(self.storage_dir)
            part = "HttpPort"
            rest = RestServer(self.archive, self.config, self.registry, host=LOOPBACK,
                                     port=self.config.http_port)
            self._rest = rest
            rest.start()
            part = "DicomPort"
            main = DicomListener(self._context(None), self.config.dicom_port)
            self._main = main
            main.start()
            rest.dicom_port = main.port  # GET /system reports the real port when DicomPort is 0
            for index, tenant in enumerate(self.config.tenants):
                part = f"MultitenantDicom.Servers[{index}] ({tenant.aet})"
                listener = DicomListener(self._context(index), tenant.port)
                self._tenants.append(listener)
                listener.start()
        except Exception as exc:
            self.stop()
            raise StartupError(f"{part}: cannot start: {exc}") from exc
        LOG.info("reference server started: REST %d, DICOM %d, tenants %s", self.http_port, self.dicom_port,
                 self.tenant_ports)
        return self

    def stop(self) -> None:
        """Stop tenants, main listener, REST and archive, in that order (idempotent)."""
        for listener in reversed(self._tenants):
            listener.stop()
        self._tenants = []
        if self._main is not None:
            self._main.stop()
            self._main = None
        if self._rest is not None:
            try:
                self._rest.stop()
            finally:
                self._rest = None
        if self.archive is not None:
            self.archive.close()
            self.archive = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until every listener answers an association request (CFG-8); StartupError after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        pending = [(self.config.dicom_aet, self.dicom_port), *self.tenant_ports.items()]
        retry = threading.Event()  # never set: a bounded pause between two probes
        while pending:
            aet, port = pending[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StartupError(f"listener {aet} on port {port} does not answer")
            if answers_association(port, aet, min(5.0, remaining)):
                pending.pop(0)
            else:
                retry.wait(0.05)

    # --- what the callers see ------------------------------------------------------------------------

    @property
    def http_port(self) -> int:
        if self._rest is None:
            raise RuntimeError("the server is not started")
        return int(self._rest.port)

    @property
    def dicom_port(self) -> int:
        if self._main is None:
            raise RuntimeError("the server is not started")
        return self._main.port

    @property
    def dicom_aet(self) -> str:
        return self.config.dicom_aet

    @property
    def tenant_ports(self) -> dict[str, int]:
        """Tenant AET -> its real port."""
        return {listener.context.aet: listener.port for listener in self._tenants}

    # --- helpers -------------------------------------------------------------------------------------

    def _choose_storage(self) -> Path:
        if self._storage_arg is not None:
            return self._storage_arg
        if self.config.storage_dir is not None:
            return self.config.storage_dir
        self._tempdir = tempfile.TemporaryDirectory(prefix="mtdicom-reference-")
        return Path(self._tempdir.name)

    def _context(self, tenant_index: int | None) -> ListenerContext:
        assert self.archive is not None
        tenant = None if tenant_index is None else self.config.tenants[tenant_index]
        return ListenerContext(aet=self.config.dicom_aet if tenant is None else tenant.aet,
                               config=self.config, archive=self.archive, registry=self.registry,
                               tenant=tenant)
