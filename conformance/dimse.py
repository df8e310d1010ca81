"""DIMSE client of the suite: tests speak the wire, so every response is returned, not a summary.

Strategy: each call opens one association (pynetdicom), runs one operation, records every response
and then releases. Every wait is bounded by ``timeout`` (ACSE, DIMSE and network timeouts), because
Orthanc 1.12.7 tenants leave some associations without any final status (SPEC.md section 8): the
client never hangs, it reports ``timed_out=True`` after aborting the association itself. An
association the peer aborts or closes is reported as ``aborted=True`` with the responses received
until then; one it rejects as ``rejected=True``.

C-STORE requests whose command and dataset disagree (STORE-5) cannot be made through pynetdicom's
``send_c_store``, which derives the command from the dataset; :func:`_send_crafted_store` builds the
C-STORE-RQ primitive itself and uses pynetdicom's reactor pause the same way ``send_c_store`` does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Literal

from pydicom.dataset import Dataset
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.dsutils import encode

from conformance.status import Status, describe
from conformance.uids import (
    CT_IMAGE_STORAGE,
    PATIENT_ROOT_FIND,
    PATIENT_ROOT_MOVE,
    STUDY_ROOT_FIND,
    STUDY_ROOT_MOVE,
    VERIFICATION,
)

Model = Literal["study", "patient"]
FIND_MODELS: dict[str, str] = {"study": STUDY_ROOT_FIND, "patient": PATIENT_ROOT_FIND}
MOVE_MODELS: dict[str, str] = {"study": STUDY_ROOT_MOVE, "patient": PATIENT_ROOT_MOVE}
_TRANSFER_SYNTAXES: list[str] = [ExplicitVRLittleEndian, ImplicitVRLittleEndian]
_PENDING = (Status.PENDING, Status.PENDING_WARNING)
_SUBOPERATION_KEYWORDS = ("NumberOfRemainingSuboperations", "NumberOfCompletedSuboperations",
                          "NumberOfFailedSuboperations", "NumberOfWarningSuboperations")


@dataclass(frozen=True)
class SubOperations:
    """C-MOVE sub-operation counts of one response (None: the element was absent)."""

    remaining: int | None
    completed: int | None
    failed: int | None
    warning: int | None


@dataclass(frozen=True)
class Response:
    """One DIMSE response: its status, its identifier (C-FIND/C-MOVE) and the status elements."""

    status: int
    identifier: Dataset | None = None
    status_dataset: Dataset | None = None

    @property
    def suboperations(self) -> SubOperations:
        values: list[int | None] = []
        for keyword in _SUBOPERATION_KEYWORDS:
            value = getattr(self.status_dataset, keyword, None) if self.status_dataset is not None else None
            values.append(int(value) if value is not None else None)
        return SubOperations(*values)

    @property
    def error_comment(self) -> str | None:
        value = getattr(self.status_dataset, "ErrorComment", None) if self.status_dataset else None
        return str(value) if value is not None else None


@dataclass
class DimseResult:
    """Everything observed on one association."""

    associated: bool
    rejected: bool = False
    aborted: bool = False
    timed_out: bool = False
    responses: list[Response] = field(default_factory=list)
    accepted_contexts: tuple[str, ...] = ()  # abstract syntaxes the peer accepted
    connection_error: str | None = None  # e.g. connection refused

    @property
    def final(self) -> Response | None:
        """The last response if it is not Pending (the operation completed)."""
        if self.responses and self.responses[-1].status not in _PENDING:
            return self.responses[-1]
        return None

    @property
    def final_status(self) -> int | None:
        final = self.final
        return final.status if final is not None else None

    @property
    def pending(self) -> list[Dataset | None]:
        """Identifiers of the 0xFF00 responses, in order."""
        return [r.identifier for r in self.responses if r.status == Status.PENDING]

    @property
    def matches(self) -> list[Dataset]:
        """Identifiers of every Pending (0xFF00/0xFF01) response that carried one."""
        return [r.identifier for r in self.responses if r.status in _PENDING and r.identifier is not None]

    def describe(self) -> str:
        """One line for assertion messages."""
        if not self.associated:
            how = ("rejected" if self.rejected else "timed out" if self.timed_out
                   else "aborted" if self.aborted else f"not connected ({self.connection_error})")
            return f"association {how}"
        statuses = ", ".join(describe(r.status) for r in self.responses) or "no response"
        flags = [name for name, on in (("aborted", self.aborted), ("timed out", self.timed_out)) if on]
        return f"[{statuses}]" + (f" then {' and '.join(flags)}" if flags else "")


def _status_response(status: Dataset, identifier: Dataset | None = None) -> Response:
    return Response(int(status.Status), identifier, status)


class DimseClient:
    """One remote AE (a tenant or the main server) seen from the calling AET ``calling_aet``."""

    def __init__(self, host: str, port: int, called_aet: str, calling_aet: str = "MTCONF",
                 timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.called_aet = called_aet
        self.calling_aet = calling_aet
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"DimseClient({self.calling_aet} -> {self.called_aet}@{self.host}:{self.port})"

    # -- association plumbing -----------------------------------------------------------------------
    def _open(self, contexts: Iterable[tuple[str, Sequence[str]]]) -> tuple[Association | None, DimseResult]:
        ae = AE(ae_title=self.calling_aet)
        ae.acse_timeout = self.timeout
        ae.dimse_timeout = self.timeout
        ae.network_timeout = self.timeout
        ae.connection_timeout = self.timeout
        for abstract, syntaxes in contexts:
            ae.add_requested_context(abstract, list(syntaxes))
        started = time.monotonic()
        try:
            assoc = ae.associate(self.host, self.port, ae_title=self.called_aet)
        except (OSError, RuntimeError) as exc:  # pragma: no cover - pynetdicom reports most as flags
            return None, DimseResult(associated=False, connection_error=str(exc))
        if assoc.is_established:
            accepted = tuple(str(cx.abstract_syntax) for cx in assoc.accepted_contexts)
            return assoc, DimseResult(associated=True, accepted_contexts=accepted)
        elapsed = time.monotonic() - started
        result = DimseResult(associated=False, rejected=assoc.is_rejected, aborted=assoc.is_aborted,
                             timed_out=not assoc.is_rejected and elapsed >= self.timeout * 0.9)
        if not (result.rejected or result.aborted or result.timed_out):
            result.connection_error = f"no association with {self.host}:{self.port}"
        return None, result

    def _close(self, assoc: Association, result: DimseResult) -> DimseResult:
        """Release if still established; classify how the association ended."""
        we_aborted = bool(getattr(assoc, "_sent_abort", False))  # pynetdicom aborts on DIMSE timeout
        if assoc.is_established:
            assoc.release()
        if result.final is None:
            result.timed_out = result.timed_out or we_aborted
            result.aborted = result.aborted or (assoc.is_aborted and not we_aborted)
        return result

    def _context_id(self, assoc: Association, abstract: str) -> int | None:
        for cx in assoc.accepted_contexts:
            if cx.abstract_syntax == abstract and cx.context_id is not None:
                return int(cx.context_id)
        return None

    # -- operations ---------------------------------------------------------------------------------
    def echo(self) -> DimseResult:
        assoc, result = self._open([(VERIFICATION, _TRANSFER_SYNTAXES)])
        if assoc is None:
            return result
        status = assoc.send_c_echo()
        if "Status" in status:
            result.responses.append(_status_response(status))
        return self._close(assoc, result)

    def store(self, ds: Dataset, *, sop_class_uid: str | None = None,
              sop_instance_uid: str | None = None) -> DimseResult:
        """C-STORE ``ds``; the UID arguments override the command's UIDs (STORE-5 requests)."""
        sop_class = sop_class_uid or str(getattr(ds, "SOPClassUID", "") or CT_IMAGE_STORAGE)
        syntaxes = list(_TRANSFER_SYNTAXES)
        ds_syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        if ds_syntax is not None and str(ds_syntax) not in syntaxes:
            syntaxes.insert(0, str(ds_syntax))
        assoc, result = self._open([(sop_class, syntaxes)])
        if assoc is None:
            return result
        if self._context_id(assoc, sop_class) is None:  # the peer rejected the storage context
            return self._close(assoc, result)
        crafted = sop_class_uid is not None or sop_instance_uid is not None or not (
            "SOPClassUID" in ds and "SOPInstanceUID" in ds)
        if crafted:
            instance = sop_instance_uid or str(getattr(ds, "SOPInstanceUID", "") or "1.2.3.4")
            status = _send_crafted_store(assoc, ds, sop_class, instance)
        else:
            status = assoc.send_c_store(ds)
        if status is not None and "Status" in status:
            result.responses.append(_status_response(status))
        return self._close(assoc, result)

    def find(self, identifier: Dataset, model: Model = "study") -> DimseResult:
        model_uid = FIND_MODELS[model]
        assoc, result = self._open([(model_uid, _TRANSFER_SYNTAXES)])
        if assoc is None:
            return result
        if self._context_id(assoc, model_uid) is None:
            return self._close(assoc, result)
        self._collect(assoc.send_c_find(identifier, model_uid), assoc, result)
        return self._close(assoc, result)

    def move(self, identifier: Dataset, destination_aet: str, model: Model = "study") -> DimseResult:
        model_uid = MOVE_MODELS[model]
        assoc, result = self._open([(model_uid, _TRANSFER_SYNTAXES)])
        if assoc is None:
            return result
        if self._context_id(assoc, model_uid) is None:
            return self._close(assoc, result)
        self._collect(assoc.send_c_move(identifier, destination_aet, model_uid), assoc, result)
        return self._close(assoc, result)

    def negotiate(self, abstract_syntaxes: Sequence[str]) -> DimseResult:
        """Propose one presentation context per abstract syntax and release (ACL-4).

        ``accepted_contexts`` of the result lists those the peer accepted.
        """
        assoc, result = self._open([(uid, _TRANSFER_SYNTAXES) for uid in abstract_syntaxes])
        if assoc is None:
            return result
        return self._close(assoc, result)

    def _collect(self, responses: Iterator[tuple[Dataset, Dataset | None]], assoc: Association,
                 result: DimseResult) -> None:
        """Record responses until a final one; bounded overall by 30 timeouts (a trickling peer)."""
        deadline = time.monotonic() + self.timeout * 30
        for status, identifier in responses:
            if "Status" not in status:
                return  # the association ended without a response: classified in _close()
            result.responses.append(_status_response(status, identifier))
            if int(status.Status) not in _PENDING:
                return
            if time.monotonic() > deadline:
                assoc.abort()
                result.timed_out = True
                return


def _send_crafted_store(assoc: Association, ds: Dataset, sop_class: str, sop_instance: str) -> Dataset | None:
    """Send a C-STORE-RQ whose command UIDs are given, whatever the dataset holds; None: no answer."""
    context = next((cx for cx in assoc.accepted_contexts if cx.abstract_syntax == sop_class), None)
    if context is None or context.context_id is None:
        return None
    syntax = UID(context.transfer_syntax[0])
    payload = encode(ds, syntax.is_implicit_VR, syntax.is_little_endian, syntax.is_deflated)
    if payload is None:
        raise ValueError("pynetdicom could not encode the dataset")
    request = C_STORE()
    request.MessageID = 1
    request.Priority = 2
    request.AffectedSOPClassUID = sop_class
    request.AffectedSOPInstanceUID = sop_instance
    request.DataSet = BytesIO(payload)
    reactor: Any = assoc  # pynetdicom's private reactor pause, exactly as send_c_store uses it
    reactor._reactor_checkpoint.clear()
    pause_deadline = time.monotonic() + 5.0  # the local reactor thread pauses within a millisecond
    while not reactor._is_paused and time.monotonic() < pause_deadline:
        time.sleep(0.0001)  # waits for our own reactor thread, not for the server
    try:
        assoc.dimse.send_msg(request, int(context.context_id))
        _, response = assoc.dimse.get_msg(block=True)
    finally:
        reactor._reactor_checkpoint.set()
    if response is None:
        reactor._handle_no_response()
        return None
    status = Dataset()
    status.Status = response.Status
    for keyword in ("ErrorComment", "OffendingElement"):
        value = getattr(response, keyword, None)
        if value is not None:
            setattr(status, keyword, value)
    return status
