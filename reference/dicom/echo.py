"""C-ECHO handler (SPEC ECHO-1, ACL-1): Success, or an A-ABORT when the calling AET is refused."""

from __future__ import annotations

import logging

from pynetdicom import evt

from reference.dicom.acl import RequestType, request_allowed
from reference.dicom.context import ListenerContext
from reference.dicom.status import Status

LOG = logging.getLogger("reference.dicom")


def calling_aet_of(event: evt.Event) -> str:
    """The requestor's AET as a plain string (pynetdicom strips the padding)."""
    return str(event.assoc.requestor.ae_title).strip()


def refuse(event: evt.Event, ctx: ListenerContext, request: RequestType) -> None:
    """ACL-2: a refused request gets no DIMSE status; the association is aborted."""
    LOG.warning("%s: %s from %r refused by DicomModalities: aborting the association",
                ctx.name, request, calling_aet_of(event))
    event.assoc.abort()


def handle_echo(event: evt.Event, ctx: ListenerContext) -> int:
    """EVT_C_ECHO handler."""
    calling = calling_aet_of(event)
    if not request_allowed(ctx.acl_options, ctx.registry, calling_aet=calling, request=RequestType.ECHO):
        refuse(event, ctx, RequestType.ECHO)
        return int(Status.UNABLE_TO_PROCESS)  # never sent: the association is gone
    LOG.info("%s: C-ECHO from %r: %s", ctx.name, calling, Status.SUCCESS)
    return int(Status.SUCCESS)
