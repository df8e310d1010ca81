"""C-FIND handler, Patient Root and Study Root (SPEC FIND-1..7, ACL-2).

Strategy: a pynetdicom EVT_C_FIND generator. The identifier becomes criteria (``rules.matching``), the
archive returns the resources of the queried level visible to this listener (``lookup.find_visible``:
labels checked at that level only, FIND-2), and each becomes one Pending answer built by
``rules.answers`` (FIND-6); pynetdicom then sends the final Success. Patient Root and Study Root share
this handler, so they answer the same (FIND-3).

Robustness invariant: an undecodable identifier, a missing or refused level (FIND-4) or a key that cannot
be matched as asked (a wildcard in a UID, FIND-5) gets UNABLE_TO_PROCESS at once; an access-control
refusal aborts the association (ACL-2); nothing raises out of the handler.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from pydicom import Dataset
from pynetdicom import evt

from reference.archive.archive import Resource
from reference.dicom.acl import RequestType, request_allowed
from reference.dicom.context import ListenerContext
from reference.dicom.echo import calling_aet_of, refuse
from reference.dicom.lookup import QueryError, find_visible
from reference.dicom.status import Status
from reference.rules.answers import build_find_answer, charset_of
from reference.rules.levels import Level, parse_query_retrieve_level
from reference.rules.matching import criteria_from_identifier, requested_tags

LOG = logging.getLogger("reference.dicom")

FindResponse = tuple[int, Dataset | None]


def _patient_tags(level: Level, resource: Resource) -> dict[str, str] | None:
    """FIND-6: STUDY answers also carry the patient's main tags (the archive fills them for studies)."""
    return dict(resource.patient_main_tags) if level is Level.STUDY else None


def handle_find(event: evt.Event, ctx: ListenerContext) -> Iterator[FindResponse]:
    """EVT_C_FIND handler."""
    calling = calling_aet_of(event)
    if not request_allowed(ctx.acl_options, ctx.registry, calling_aet=calling, request=RequestType.FIND):
        refuse(event, ctx, RequestType.FIND)
        return
    try:
        identifier = event.identifier
        raw_level = str(identifier.get("QueryRetrieveLevel", "") or "").strip()
    except Exception as exc:  # undecodable identifier: any decoder error
        LOG.info("%s: C-FIND from %r: undecodable identifier (%s)", ctx.name, calling, exc)
        yield int(Status.UNABLE_TO_PROCESS), None
        return
    accept_image = not ctx.is_main and ctx.config.variants.find_levels == "dicom"
    level = parse_query_retrieve_level(raw_level, accept_image=accept_image) if raw_level else None
    if level is None:
        LOG.info("%s: C-FIND from %r: QueryRetrieveLevel %r refused: %s", ctx.name, calling, raw_level,
                 Status.UNABLE_TO_PROCESS)
        yield int(Status.UNABLE_TO_PROCESS), None
        return
    charset_filters = not ctx.is_main and ctx.config.variants.find_charset == "orthanc<=1.12"
    try:
        criteria = criteria_from_identifier(identifier, charset_is_filter=charset_filters)
        requested = requested_tags(identifier)
        resources = find_visible(ctx, level, criteria)
    except QueryError as exc:
        LOG.info("%s: C-FIND from %r: %s: %s", ctx.name, calling, exc, Status.UNABLE_TO_PROCESS)
        yield int(Status.UNABLE_TO_PROCESS), None
        return
    charset = charset_of(ctx.config.options.default_encoding)
    LOG.info("%s: C-FIND from %r at %s: %d match(es)", ctx.name, calling, level.dicom_name, len(resources))
    for resource in resources:
        if event.is_cancelled:
            yield int(Status.CANCEL), None
            return
        answer = build_find_answer(level, requested, resource.main_tags,
                                   patient_tags=_patient_tags(level, resource),
                                   retrieve_aet=ctx.aet, charset=charset, level_text=raw_level)
        yield int(Status.PENDING), answer
