"""C-MOVE SCP (SPEC MOVE-1..7, ACL-2), written out in full instead of pynetdicom's generator protocol.

Strategy: pynetdicom's EVT_C_MOVE flow always opens the sub-association itself, with the listener's
AET as calling AET and the destination's AET as called AET, and always reports one sub-operation per
instance. Orthanc's tenants do neither (MOVE-5, MOVE-6), so ``serve_move`` takes the whole C-MOVE
request from the association (see ``listeners.ReferenceAssociation``) and sends every response itself:

1. decode the identifier and check access control (refused: A-ABORT, no status);
2. pick the resources: the key of the level (MOVE-3), ``\\`` lists, visible ones only (MOVE-1);
3. resolve the destination in the live modality registry (MOVE-4);
4. send every instance of those resources (MOVE-2) over one sub-association whose AETs follow MOVE-6;
5. answer per MOVE-5: ``orthanc`` one final status counting ONE sub-operation, ``dicom`` a Pending per
   instance then a final status with the counts. The main server answers per instance as well.

Robustness invariant: whatever the identifier or the destination does, the requestor gets a documented
status (or an A-ABORT for an access-control refusal) within the sub-association's timeouts; nothing
raises out of ``serve_move``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO

from pydicom import Dataset, dcmread
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE, build_context
from pynetdicom.association import Association
from pynetdicom.dimse_primitives import C_MOVE
from pynetdicom.dsutils import decode, encode
from pynetdicom.presentation import PresentationContext

from reference.config import ModalityConfig
from reference.dicom.acl import RequestType, request_allowed
from reference.dicom.context import ListenerContext
from reference.dicom.lookup import QueryError, lookup_ids
from reference.dicom.status import Status
from reference.rules.levels import LEVELS, Level, parse_query_retrieve_level
from reference.rules.matching import element_text
from reference.rules.tags import parse_tag

LOG = logging.getLogger("reference.dicom")

# MOVE-3: the key of each level; STUDY falls back to AccessionNumber when the UID is absent.
MOVE_KEYS: dict[Level, tuple[str, ...]] = {
    Level.PATIENT: ("PatientID",),
    Level.STUDY: ("StudyInstanceUID", "AccessionNumber"),
    Level.SERIES: ("SeriesInstanceUID",),
    Level.INSTANCE: ("SOPInstanceUID",),
}
MAX_CONTEXTS = 120  # PS3.8 9.3.2.2: at most 128 presentation contexts per association


@dataclass
class SubOperations:
    """Counts of C-STORE sub-operations (PS3.4 C.4.2.1.5)."""

    remaining: int
    completed: int = 0
    failed: int = 0
    warning: int = 0
    failed_uids: list[str] = field(default_factory=list)


class MoveRefused(Exception):
    """The request cannot be served: answer ``status`` and stop."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def select_resources(
    ctx: ListenerContext, identifier: Dataset, accept_image: bool
) -> list[tuple[Level, str]]:
    """MOVE-1, MOVE-3: the (level, id) of the visible resources the identifier designates."""
    raw_level = str(identifier.get("QueryRetrieveLevel", "") or "").strip()
    if raw_level:
        level = parse_query_retrieve_level(raw_level, accept_image=accept_image)
        if level is None:
            raise MoveRefused(Status.UNABLE_TO_PROCESS, f"bad QueryRetrieveLevel {raw_level!r}")
        return [(level, rid) for rid in _lookup_level(ctx, identifier, level)]
    # No level (not DICOM, but Orthanc accepts it): the first of INSTANCE..PATIENT that matches.
    for level in reversed(LEVELS):
        ids = _lookup_level(ctx, identifier, level)
        if ids:
            return [(level, rid) for rid in ids]
    return []


def _lookup_level(ctx: ListenerContext, identifier: Dataset, level: Level) -> list[str]:
    for keyword in MOVE_KEYS[level]:
        tag = parse_tag(keyword)
        value = (element_text(identifier, tag) or "").strip() if tag is not None else ""
        if value:
            ids: set[str] = set()
            for token in value.split("\\"):
                if token.strip():
                    try:
                        ids.update(lookup_ids(ctx, level, keyword, token.strip()))
                    except QueryError as exc:
                        raise MoveRefused(Status.UNABLE_TO_PROCESS, str(exc)) from exc
            return sorted(ids)
    return []


def _contexts_for(ctx: ListenerContext, instance_ids: list[str]) -> list[PresentationContext]:
    """One context per SOP class of the instances, proposing its stored and the uncompressed syntaxes."""
    syntaxes: dict[str, list[str]] = {}
    for instance_id in instance_ids:
        ds = dcmread(BytesIO(ctx.archive.read_instance(instance_id)), stop_before_pixels=True)
        sop_class = str(ds.SOPClassUID)
        stored = str(ds.file_meta.get("TransferSyntaxUID", ExplicitVRLittleEndian))
        known = syntaxes.setdefault(sop_class, [])
        for ts in (stored, ExplicitVRLittleEndian, ImplicitVRLittleEndian):
            if ts not in known:
                known.append(ts)
    return [build_context(uid, tss) for uid, tss in list(syntaxes.items())[:MAX_CONTEXTS]]


def send_instances(
    ctx: ListenerContext,
    destination: ModalityConfig,
    *,
    calling_aet: str,
    called_aet: str,
    instance_ids: list[str],
    originator_aet: str,
    originator_id: int,
    after_each: Callable[[SubOperations], bool],
) -> SubOperations:
    """Send the instances over one sub-association; ``after_each`` returns False to stop (C-CANCEL)."""
    ops = SubOperations(remaining=len(instance_ids))
    client = AE(ae_title=calling_aet)
    timeout = float(ctx.config.options.scp_timeout)
    client.acse_timeout = client.dimse_timeout = client.network_timeout = timeout
    client.connection_timeout = timeout
    client.maximum_pdu_size = ctx.config.options.maximum_pdu_length
    contexts = _contexts_for(ctx, instance_ids)
    LOG.info("%s: C-MOVE sub-association %s -> %s@%s:%d (%d instances)", ctx.name, calling_aet, called_aet,
             destination.host, destination.port, len(instance_ids))
    store: Association = client.associate(destination.host, destination.port, contexts=contexts,
                                          ae_title=called_aet)
    if not store.is_established:
        ops.failed, ops.remaining = len(instance_ids), 0
        raise MoveRefused(Status.OUT_OF_RESOURCES_SUBOPERATIONS,
                          f"cannot associate with {called_aet}@{destination.host}:{destination.port}")
    try:
        for instance_id in instance_ids:
            ds = dcmread(BytesIO(ctx.archive.read_instance(instance_id)))
            try:
                result = store.send_c_store(ds, originator_aet=originator_aet, originator_id=originator_id)
                status = int(result.get("Status", 0xFFFF)) if result else 0xFFFF
            except Exception as exc:  # no accepted context for this SOP class, encoding error...
                LOG.warning("%s: C-MOVE sub-operation failed: %s", ctx.name, exc)
                status = 0xFFFF
            ops.remaining -= 1
            if status == Status.SUCCESS:
                ops.completed += 1
            elif status in (0xB000, 0xB006, 0xB007):  # PS3.4 B.2.3 warnings
                ops.warning += 1
            else:
                ops.failed += 1
                ops.failed_uids.append(str(ds.get("SOPInstanceUID", "")))
            if not store.is_established:
                ops.failed += ops.remaining
                ops.remaining = 0
                break
            if not after_each(ops):
                break
    finally:
        if store.is_established:
            store.release()
    return ops


def iter_instance_ids(ctx: ListenerContext, resources: list[tuple[Level, str]]) -> Iterator[str]:
    """MOVE-2: every instance of each resource, whatever its own labels; no duplicate."""
    seen: set[str] = set()
    for level, rid in resources:
        for instance_id in ctx.archive.instance_ids_of(level, rid):
            if instance_id not in seen:
                seen.add(instance_id)
                yield instance_id


def serve_move(assoc: Association, ctx: ListenerContext, req: C_MOVE, context: PresentationContext) -> None:
    """Answer one C-MOVE request on ``assoc`` (called from the association's reactor thread)."""
    cx_id = int(context.context_id or 0)
    ts = context.transfer_syntax[0]
    calling = str(assoc.requestor.ae_title).strip()

    def respond(status: int, ops: SubOperations | None, failed_list: bool = False) -> None:
        rsp = C_MOVE()
        rsp.MessageIDBeingRespondedTo = req.MessageID
        rsp.AffectedSOPClassUID = req.AffectedSOPClassUID
        rsp.Status = status
        if ops is not None:
            if status == Status.PENDING:
                rsp.NumberOfRemainingSuboperations = ops.remaining
            rsp.NumberOfCompletedSuboperations = ops.completed
            rsp.NumberOfFailedSuboperations = ops.failed
            rsp.NumberOfWarningSuboperations = ops.warning
        if failed_list and ops is not None and ops.failed_uids:
            failed = Dataset()
            failed.FailedSOPInstanceUIDList = ops.failed_uids
            encoded = encode(failed, ts.is_implicit_VR, ts.is_little_endian, ts.is_deflated)
            rsp.Identifier = BytesIO(encoded or b"")
        assoc.dimse.send_msg(rsp, cx_id)

    if not request_allowed(ctx.acl_options, ctx.registry, calling_aet=calling, request=RequestType.MOVE):
        LOG.warning("%s: C-MOVE from %r refused by DicomModalities: aborting", ctx.name, calling)
        assoc.abort()
        return
    variants = ctx.config.variants
    per_instance = ctx.is_main or variants.move_responses == "dicom"
    try:
        try:
            if req.Identifier is None:
                raise MoveRefused(Status.UNABLE_TO_PROCESS, "no identifier")
            identifier = decode(req.Identifier, ts.is_implicit_VR, ts.is_little_endian, ts.is_deflated)
        except Exception as exc:
            raise MoveRefused(Status.UNABLE_TO_PROCESS, f"undecodable identifier: {exc}") from exc
        resources = select_resources(ctx, identifier, accept_image=variants.find_levels == "dicom")
        dest_aet = str(req.MoveDestination or "").strip()
        destination = ctx.registry.lookup_by_aet(dest_aet, ctx.config.options.strict_aet_comparison)
        if destination is None:
            # MOVE-4; Orthanc's main server answers 0xC000 as well (observed with 1.12.7)
            unknown = (Status.MOVE_DESTINATION_UNKNOWN if not ctx.is_main
                       and variants.move_unknown_destination == "dicom" else Status.UNABLE_TO_PROCESS)
            raise MoveRefused(unknown, f"unknown move destination {dest_aet!r}")
        instance_ids = list(iter_instance_ids(ctx, resources))
        if not instance_ids:
            if ctx.is_main:  # MOVE-7: Orthanc's main server refuses an empty C-MOVE
                raise MoveRefused(Status.UNABLE_TO_PROCESS, "nothing matched")
            LOG.info("%s: C-MOVE from %r to %r: nothing visible", ctx.name, calling, dest_aet)
            respond(Status.SUCCESS, SubOperations(0, completed=0 if per_instance else 1))
            return
        orthanc_aets = not ctx.is_main and variants.move_called_aet == "orthanc"
        requested_called = str(getattr(assoc.requestor.primitive, "called_ae_title", "") or "").strip()
        called = (requested_called or ctx.aet) if orthanc_aets else destination.aet
        calling_sub = ctx.config.dicom_aet if (orthanc_aets or ctx.is_main) else ctx.aet

        def after_each(ops: SubOperations) -> bool:
            if req.MessageID in assoc.dimse.cancel_req:
                del assoc.dimse.cancel_req[req.MessageID]
                return False
            if per_instance and ops.remaining:
                respond(Status.PENDING, ops)
            return True

        try:
            ops = send_instances(ctx, destination, calling_aet=calling_sub, called_aet=called,
                                 instance_ids=instance_ids, originator_aet=calling,
                                 originator_id=int(req.MessageID or 0), after_each=after_each)
        except MoveRefused as exc:
            LOG.warning("%s: C-MOVE from %r: %s", ctx.name, calling, exc)
            respond(exc.status, SubOperations(0, failed=len(instance_ids) if per_instance else 1))
            return
        if ops.remaining:
            respond(Status.CANCEL, ops, failed_list=True)
        elif not per_instance:  # MOVE-5 orthanc: the whole move is ONE sub-operation
            ok = ops.failed == 0
            respond(Status.SUCCESS if ok else Status.SUBOPERATIONS_WARNING,
                    SubOperations(0, completed=1 if ok else 0, failed=0 if ok else 1))
        elif ops.failed or ops.warning:
            respond(Status.SUBOPERATIONS_WARNING, ops, failed_list=True)
        else:
            respond(Status.SUCCESS, ops)
        LOG.info("%s: C-MOVE from %r to %r: %d sent, %d failed", ctx.name, calling, dest_aet,
                 ops.completed + ops.warning, ops.failed)
    except MoveRefused as exc:
        LOG.info("%s: C-MOVE from %r: %s (%s)", ctx.name, calling, exc.status, exc)
        respond(exc.status, SubOperations(0))  # as Orthanc (DCMTK): the counts, all zero
    except Exception:
        LOG.exception("%s: C-MOVE from %r failed", ctx.name, calling)
        respond(Status.UNABLE_TO_PROCESS, None)
