"""C-STORE handler (SPEC STORE-1..5, ACL-1).

Robustness invariant: whatever the dataset (undecodable, missing or mismatching UIDs, refused by the
archive), the handler returns a documented status and never raises; the archive applies the tenant's
labels at its ``LabelsStoreLevels`` in the same transaction as the store (STORE-2), so a crash can
never leave a stored-but-unlabelled instance acknowledged as Success.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import cast

from pynetdicom import evt
from pynetdicom.dimse_primitives import C_STORE

from reference.dicom.acl import RequestType, request_allowed
from reference.dicom.context import ListenerContext
from reference.dicom.echo import calling_aet_of, refuse
from reference.dicom.status import Status
from reference.rules.levels import Level

LOG = logging.getLogger("reference.dicom")


def labels_to_apply(ctx: ListenerContext) -> Mapping[Level, frozenset[str]] | None:
    """STORE-2/STORE-4: the tenant's labels at each store level; None for the main server."""
    if ctx.tenant is None or not ctx.tenant.labels:
        return None
    return {level: ctx.tenant.labels for level in ctx.tenant.store_levels}


def check_uids(event: evt.Event) -> Status | None:
    """STORE-5: UNABLE_TO_PROCESS without SOP UIDs, DATASET_DOES_NOT_MATCH when they differ."""
    try:
        dataset = event.dataset
        sop_class = str(dataset.get("SOPClassUID", "") or "").strip()
        sop_instance = str(dataset.get("SOPInstanceUID", "") or "").strip()
    except Exception as exc:  # undecodable dataset: any decoder error
        LOG.warning("C-STORE: cannot decode the dataset: %s", exc)
        return Status.UNABLE_TO_PROCESS
    if not sop_class or not sop_instance:
        return Status.UNABLE_TO_PROCESS
    request = cast(C_STORE, event.request)
    if sop_class != str(request.AffectedSOPClassUID).strip() or sop_instance != str(
        request.AffectedSOPInstanceUID
    ).strip():
        return Status.DATASET_DOES_NOT_MATCH_SOP_CLASS
    return None


def handle_store(event: evt.Event, ctx: ListenerContext) -> int:
    """EVT_C_STORE handler."""
    calling = calling_aet_of(event)
    if not request_allowed(ctx.acl_options, ctx.registry, calling_aet=calling, request=RequestType.STORE):
        refuse(event, ctx, RequestType.STORE)
        return int(Status.UNABLE_TO_PROCESS)  # never sent: the association is gone
    status = check_uids(event)
    if status is None:
        try:
            data = event.encoded_dataset(include_meta=True)
            result = ctx.archive.store(data, labels_to_apply(ctx))
        except Exception as exc:  # the archive refused it (corrupt file, disk error...)
            LOG.warning("%s: C-STORE from %r refused by the archive: %s", ctx.name, calling, exc)
            status = Status.OUT_OF_RESOURCES
        else:
            status = Status.SUCCESS
            LOG.info("%s: C-STORE from %r: %s (%s)", ctx.name, calling, status, result.status)
    if status is not Status.SUCCESS:
        LOG.info("%s: C-STORE from %r: %s", ctx.name, calling, status)
    return int(status)
