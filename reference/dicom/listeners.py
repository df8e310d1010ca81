"""One pynetdicom association server per listener: the main DICOM server and each tenant.

Strategy: every listener owns its own ``AE`` bound on 127.0.0.1 (port 0: the OS chooses) and serves each
association in its own thread (pynetdicom's ``ThreadedAssociationServer``), so a hung or idle association
never blocks the others (SPEC section 8). Three hooks adapt pynetdicom to the spec:
- ``GuardedAcse`` decides each A-ASSOCIATE-RQ with ``acl.connection_decision`` before pynetdicom
  negotiates it (ACL-2 modality check, ACL-3 called AET): a refusal is an A-ASSOCIATE-RJ;
- ``ReferenceAssociation`` takes C-MOVE requests away from pynetdicom's generator protocol and gives
  them to ``move.serve_move`` (MOVE-5/6 need control of the sub-association and of every response);
- the other services are ordinary event handlers bound with their ``ListenerContext`` as argument.
Only the SOP classes of ACL-4 are offered: Verification, Patient/Study Root FIND and MOVE, storage;
C-GET, worklist and storage commitment contexts are rejected at negotiation.

Robustness invariant (ISO-2): ``DicomScpTimeout`` bounds the ACSE, DIMSE and network waits of every
association and every blocking socket read or write (``ListenerServer.get_request``), so a silent,
truncated or malformed peer is dropped within it; pynetdicom answers a
malformed PDU with an A-ABORT; an exception in a handler becomes a failure status or an abort of that
association only, never the end of the listener.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any, cast

from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, build_context, evt
from pynetdicom.acse import ACSE
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_MOVE, C_STORE
from pynetdicom.presentation import PresentationContext
from pynetdicom.service_class import ServiceClass, StorageServiceClass
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    PatientRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelMove,
    Verification,
    uid_to_service_class,
)
from pynetdicom.transport import RequestHandler, ThreadedAssociationServer

from reference.dicom.acl import connection_decision
from reference.dicom.context import ListenerContext
from reference.dicom.echo import handle_echo
from reference.dicom.find import handle_find
from reference.dicom.move import serve_move
from reference.dicom.store import handle_store

LOG = logging.getLogger("reference.dicom")
LOOPBACK = "127.0.0.1"
MAX_ASSOCIATIONS = 64  # per listener; more are rejected (transient, local limit exceeded)

QR_SOP_CLASSES = (
    PatientRootQueryRetrieveInformationModelFind,
    StudyRootQueryRetrieveInformationModelFind,
    PatientRootQueryRetrieveInformationModelMove,
    StudyRootQueryRetrieveInformationModelMove,
)


class GuardedAcse(ACSE):
    """ACSE that applies the listener's connection rules before negotiating (ACL-2, ACL-3)."""

    def __init__(self, assoc: Association, context: ListenerContext) -> None:
        super().__init__(assoc)
        self.listener = context

    def _negotiate_as_acceptor(self) -> None:
        request = self.requestor.primitive
        calling = str(getattr(request, "calling_ae_title", "") or "")
        called = str(getattr(request, "called_ae_title", "") or "")
        try:
            peer = self.assoc.requestor.address
        except ValueError:
            peer = ""
        ctx = self.listener
        decision = connection_decision(ctx.acl_options, ctx.registry, own_aet=ctx.aet,
                                       calling_aet=calling, called_aet=called, peer_host=peer)
        if not decision.accepted:
            LOG.warning("%s: association from %r (%s) to %r rejected: %s", ctx.name, calling, peer, called,
                        decision.reason)
            self.requestor.ae_title = calling
            called_refused = decision.reason.startswith("called")
            # PS3.8 9.3.4: rejected-permanent, service-user, called/calling AE title not recognised
            self.send_reject(0x01, 0x01, 0x07 if called_refused else 0x03)
            evt.trigger(self.assoc, evt.EVT_REJECTED, {})
            self.assoc.kill()
            return
        if ctx.config.options.unknown_sop_class_accepted:
            self._accept_unknown_sop_classes(request)
        super()._negotiate_as_acceptor()

    def _accept_unknown_sop_classes(self, request: Any) -> None:
        """``UnknownSopClassAccepted`` (CFG-7): also support, as storage, every proposed abstract syntax
        pynetdicom knows no service for (never C-GET, worklist or commitment: those are known)."""
        supported = list(self.acceptor.supported_contexts)
        known = {str(cx.abstract_syntax) for cx in supported}
        for proposed in getattr(request, "presentation_context_definition_list", None) or []:
            uid = str(proposed.abstract_syntax or "")
            if uid and uid not in known and is_unknown_sop_class(uid):
                supported.append(build_context(uid, ALL_TRANSFER_SYNTAXES))
                known.add(uid)
        self.acceptor.supported_contexts = supported


class ReferenceAssociation(Association):
    """An acceptor association whose C-MOVE requests are served by ``move.serve_move``."""

    listener: ListenerContext

    def _serve_request(self, msg: Any, context_id: int) -> None:
        if (isinstance(msg, C_STORE) and not self._sent_release and msg.is_valid_request
                and is_unknown_sop_class(str(msg.AffectedSOPClassUID or ""))):
            self._serve_unknown_store(msg, context_id)
            return
        if not isinstance(msg, C_MOVE) or self._sent_release or not msg.is_valid_request:
            super()._serve_request(msg, context_id)
            return
        context = self._accepted_cx.get(context_id)
        if context is None:
            LOG.info("%s: C-MOVE on a context that was not accepted: aborting", self.listener.name)
            self.abort()
            return
        self.dimse.cancel_req = {}
        self._is_paused = True
        try:
            serve_move(self, self.listener, msg, context)
        except Exception:  # serve_move answers every expected failure itself
            LOG.exception("%s: C-MOVE crashed: aborting the association", self.listener.name)
            self.abort()
        finally:
            self._is_paused = False
            self.dimse.cancel_req = {}


    def _serve_unknown_store(self, msg: C_STORE, context_id: int) -> None:
        """A C-STORE of a SOP class accepted by ``UnknownSopClassAccepted``: the storage service."""
        context = self._accepted_cx.get(context_id)
        if context is None:
            self.abort()
            return
        self._is_paused = True
        try:
            StorageServiceClass(self).SCP(msg, context)
        except Exception:
            LOG.exception("%s: C-STORE of an unknown SOP class crashed: aborting", self.listener.name)
            self.abort()
        finally:
            self._is_paused = False


def is_unknown_sop_class(uid: str) -> bool:
    """Whether pynetdicom knows no service class for this SOP class UID."""
    return uid_to_service_class(uid) is ServiceClass


class ListenerServer(ThreadedAssociationServer):
    """A threaded association server that knows its listener's context."""

    daemon_threads = True
    context: ListenerContext

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        """Accept, and bound every blocking read and write of the peer's socket by DicomScpTimeout.

        pynetdicom reads a PDU with a blocking ``recv`` once its header has arrived: a peer that sends a
        truncated or overflowing PDU would otherwise hold that association (and its threads) forever."""
        client, address = super().get_request()
        timeout = self.context.config.options.scp_timeout
        client.settimeout(float(timeout) if timeout > 0 else None)
        return client, address


class ReferenceRequestHandler(RequestHandler):
    """Creates ``ReferenceAssociation`` acceptors with a ``GuardedAcse``."""

    def _create_association(self) -> Association:
        assoc = super()._create_association()
        context = cast(ListenerServer, self.server).context
        assoc.__class__ = ReferenceAssociation
        cast(ReferenceAssociation, assoc).listener = context
        assoc.acse = GuardedAcse(assoc, context)
        return assoc


def supported_contexts() -> list[PresentationContext]:
    """ACL-4: Verification, Patient/Study Root FIND and MOVE, and every storage SOP class."""
    ae = AE()
    ae.add_supported_context(Verification)
    for sop_class in QR_SOP_CLASSES:
        ae.add_supported_context(sop_class)
    for cx in AllStoragePresentationContexts:
        if cx.abstract_syntax is not None:
            ae.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    return list(ae.supported_contexts)


def _log_event(event: evt.Event, ctx: ListenerContext, outcome: str) -> None:
    assoc = event.assoc
    try:
        peer = f"{assoc.requestor.address}:{assoc.requestor.port}"
    except ValueError:
        peer = "?"
    called = str(getattr(assoc.requestor.primitive, "called_ae_title", "") or ctx.aet).strip()
    LOG.info("%s: association from %r (%s) to %r %s", ctx.name, str(assoc.requestor.ae_title).strip(), peer,
             called, outcome)


def _on_accepted(event: evt.Event, ctx: ListenerContext) -> None:
    _log_event(event, ctx, "accepted")


def _on_released(event: evt.Event, ctx: ListenerContext) -> None:
    _log_event(event, ctx, "released")


def _on_aborted(event: evt.Event, ctx: ListenerContext) -> None:
    _log_event(event, ctx, "aborted")


class DicomListener:
    """One DICOM listener (main server or tenant): ``start()`` binds, ``port`` is the real port."""

    def __init__(self, context: ListenerContext, port: int) -> None:
        self.context = context
        self.requested_port = port
        self._ae: AE | None = None
        self._server: ListenerServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.context.name} is not listening")
        return int(self._server.server_address[1])

    def _make_ae(self) -> AE:
        options = self.context.config.options
        ae = AE(ae_title=self.context.aet)
        timeout = float(options.scp_timeout) if options.scp_timeout > 0 else None
        ae.acse_timeout = timeout
        ae.dimse_timeout = timeout
        ae.network_timeout = timeout
        ae.maximum_pdu_size = options.maximum_pdu_length
        ae.maximum_associations = MAX_ASSOCIATIONS
        return ae

    def start(self) -> None:
        """Bind 127.0.0.1:port and serve; OSError (e.g. port in use) if the port cannot be bound."""
        ctx = self.context
        ae = self._make_ae()
        handlers: list[Any] = [
            (evt.EVT_C_ECHO, handle_echo, [ctx]),
            (evt.EVT_C_STORE, handle_store, [ctx]),
            (evt.EVT_C_FIND, handle_find, [ctx]),
            (evt.EVT_ACCEPTED, _on_accepted, [ctx]),
            (evt.EVT_RELEASED, _on_released, [ctx]),
            (evt.EVT_ABORTED, _on_aborted, [ctx]),
        ]
        server = cast(ListenerServer, ae.make_server(
            (LOOPBACK, self.requested_port), ae_title=ctx.aet, contexts=supported_contexts(),
            evt_handlers=handlers, server_class=ListenerServer, request_handler=ReferenceRequestHandler))
        server.context = ctx
        ae._servers.append(server)
        thread = threading.Thread(target=server.serve_forever, name=f"listener-{ctx.aet}", daemon=True)
        thread.start()
        self._ae, self._server, self._thread = ae, server, thread
        LOG.info("%s listening on %s:%d", ctx.name, LOOPBACK, self.port)

    def stop(self) -> None:
        """Abort the open associations, stop accepting and close the socket (idempotent)."""
        ae, thread = self._ae, self._thread
        self._ae = self._server = self._thread = None
        if ae is not None:
            ae.shutdown()
        if thread is not None:
            thread.join(timeout=10)
