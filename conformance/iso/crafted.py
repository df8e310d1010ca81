"""A C-FIND whose identifier is arbitrary bytes (an "invalid dataset", ISO-2).

pynetdicom's ``send_c_find`` only sends datasets it can encode, so this builds the C-FIND-RQ
primitive itself with the raw bytes as identifier, pausing pynetdicom's reactor the same way
``send_c_find`` does (the pattern of ``conformance.dimse._send_crafted_store``), and reads the
responses until a final one, an abort, or the deadline.
"""

from __future__ import annotations

import time
from io import BytesIO
from typing import Any

from pynetdicom import AE
from pynetdicom.dimse_primitives import C_FIND

from conformance.dimse import DimseResult, Response
from conformance.uids import STUDY_ROOT_FIND

_SYNTAXES = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]


def find_with_raw_identifier(
    host: str, port: int, called: str, calling: str, payload: bytes, timeout: float
) -> DimseResult:
    ae = AE(ae_title=calling)
    for attr in ("acse_timeout", "dimse_timeout", "network_timeout", "connection_timeout"):
        setattr(ae, attr, timeout)
    ae.add_requested_context(STUDY_ROOT_FIND, _SYNTAXES)
    assoc = ae.associate(host, port, ae_title=called)
    if not assoc.is_established:
        return DimseResult(associated=False, rejected=assoc.is_rejected, aborted=assoc.is_aborted)
    result = DimseResult(associated=True)
    context = next(cx for cx in assoc.accepted_contexts if cx.abstract_syntax == STUDY_ROOT_FIND)
    request = C_FIND()
    request.MessageID = 1
    request.Priority = 2
    request.AffectedSOPClassUID = STUDY_ROOT_FIND
    request.Identifier = BytesIO(payload)
    reactor: Any = assoc
    reactor._reactor_checkpoint.clear()
    pause_deadline = time.monotonic() + 5.0
    while not reactor._is_paused and time.monotonic() < pause_deadline:
        time.sleep(0.0001)  # our own reactor thread pauses within a millisecond
    deadline = time.monotonic() + timeout
    try:
        assoc.dimse.send_msg(request, int(context.context_id or 1))
        while time.monotonic() < deadline:
            _, response = assoc.dimse.get_msg(block=True)
            if response is None or response.Status is None:
                break
            status = int(response.Status)
            result.responses.append(Response(status))
            if status not in (0xFF00, 0xFF01):
                break
    finally:
        reactor._reactor_checkpoint.set()
    if result.final is None:
        result.aborted = assoc.is_aborted
        result.timed_out = not assoc.is_aborted
    if assoc.is_established:
        assoc.abort()
    return result
