"""Access control of the DICOM listeners (SPEC ACL-1..3), as pure functions over plain data.

Strategy: Orthanc's plugin filters in two places and so do we.
- At association time (``connection_decision``): with every ``DicomAlwaysAllow*`` option false, the
  calling AET must be a known modality (and, with ``DicomCheckModalityHost``, come from its host);
  with ``DicomCheckCalledAet`` the called AET must be the listener's own. A refusal is an
  A-ASSOCIATE-RJ.
- Per request (``request_allowed``): C-ECHO/C-STORE/C-FIND/C-MOVE are allowed by their
  ``DicomAlwaysAllow*`` option, otherwise only from a modality of ``DicomModalities`` whose
  ``Allow*`` flag is not false. A refused request is answered by an A-ABORT (the caller does that).
The modality registry is read at each decision, so modalities added through REST count at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class RequestType(StrEnum):
    """The DIMSE services a listener serves (ACL-4: no C-GET, worklist or storage commitment)."""

    ECHO = "C-ECHO"
    STORE = "C-STORE"
    FIND = "C-FIND"
    MOVE = "C-MOVE"


class ModalityLike(Protocol):
    """What access control needs of a ``reference.config.ModalityConfig``."""

    @property
    def host(self) -> str: ...
    @property
    def allow_echo(self) -> bool: ...
    @property
    def allow_store(self) -> bool: ...
    @property
    def allow_find(self) -> bool: ...
    @property
    def allow_move(self) -> bool: ...


class RegistryLike(Protocol):
    """What access control needs of a ``reference.modalities.ModalityRegistry``."""

    def lookup_by_aet(self, aet: str, strict: bool) -> ModalityLike | None: ...


@dataclass(frozen=True)
class AclOptions:
    """The CFG-7 options that govern access control (copied from ``DicomOptions``)."""

    always_allow_echo: bool = True
    always_allow_store: bool = True
    always_allow_find: bool = False
    always_allow_move: bool = False
    check_called_aet: bool = False
    strict_aet_comparison: bool = False
    check_modality_host: bool = False

    def always_allows(self, request: RequestType) -> bool:
        return {
            RequestType.ECHO: self.always_allow_echo,
            RequestType.STORE: self.always_allow_store,
            RequestType.FIND: self.always_allow_find,
            RequestType.MOVE: self.always_allow_move,
        }[request]


@dataclass(frozen=True)
class ConnectionDecision:
    """Outcome of an association request: ``reason`` says why it was refused ("" if accepted)."""

    accepted: bool
    reason: str = ""


def same_aet(a: str, b: str, strict: bool) -> bool:
    """AET equality per ``StrictAetComparison`` (trailing/leading spaces never count)."""
    a, b = a.strip(), b.strip()
    return a == b if strict else a.upper() == b.upper()


def connection_decision(
    options: AclOptions,
    registry: RegistryLike,
    *,
    own_aet: str,
    calling_aet: str,
    called_aet: str,
    peer_host: str,
) -> ConnectionDecision:
    """Accept or reject an A-ASSOCIATE-RQ (ACL-3, and the modality check of ACL-2)."""
    if options.check_called_aet and not same_aet(called_aet, own_aet, options.strict_aet_comparison):
        return ConnectionDecision(False, f"called AET {called_aet!r} is not {own_aet!r}")
    if any(options.always_allows(request) for request in RequestType):
        return ConnectionDecision(True)
    modality = registry.lookup_by_aet(calling_aet.strip(), options.strict_aet_comparison)
    if modality is None:
        return ConnectionDecision(False, f"calling AET {calling_aet!r} is not in DicomModalities")
    if options.check_modality_host and modality.host != peer_host:
        return ConnectionDecision(
            False, f"peer {peer_host} is not the host {modality.host} of {calling_aet!r}")
    return ConnectionDecision(True)


def request_allowed(
    options: AclOptions, registry: RegistryLike, *, calling_aet: str, request: RequestType
) -> bool:
    """Whether ``calling_aet`` may issue ``request`` (ACL-1, ACL-2)."""
    if options.always_allows(request):
        return True
    modality = registry.lookup_by_aet(calling_aet.strip(), options.strict_aet_comparison)
    if modality is None:
        return False
    return {
        RequestType.ECHO: modality.allow_echo,
        RequestType.STORE: modality.allow_store,
        RequestType.FIND: modality.allow_find,
        RequestType.MOVE: modality.allow_move,
    }[request]
