"""Named DIMSE statuses, so that assertion messages read ``expected SUCCESS(0x0000), got ...``.

Values from DICOM PS3.4 (Annex B.2.3 Storage, C.4.1.1.4 Find, C.4.2.1.5 Move) and PS3.7 Annex C.
Several services reuse a code with a different meaning (0xA900, 0xB000); the first name is canonical
and the others are aliases.
"""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    """DIMSE status codes the suite names in its assertions."""

    SUCCESS = 0x0000
    PENDING = 0xFF00
    PENDING_WARNING = 0xFF01  # C-FIND: optional keys not supported
    CANCEL = 0xFE00
    SOP_CLASS_NOT_SUPPORTED = 0x0122  # PS3.7 C.5.7 (refused)
    NOT_AUTHORIZED = 0x0124  # PS3.7 C.5.8 (refused)
    DUPLICATE_INVOCATION = 0x0210
    UNRECOGNIZED_OPERATION = 0x0211
    OUT_OF_RESOURCES = 0xA700  # C-STORE / C-FIND: refused, out of resources
    OUT_OF_RESOURCES_MATCHES = 0xA701  # C-MOVE: unable to calculate number of matches
    OUT_OF_RESOURCES_SUBOPERATIONS = 0xA702  # C-MOVE: unable to perform sub-operations
    MOVE_DESTINATION_UNKNOWN = 0xA801  # C-MOVE
    DATASET_DOES_NOT_MATCH_SOP_CLASS = 0xA900  # C-STORE; for C-FIND/C-MOVE "identifier does not match"
    WARNING_COERCION = 0xB000  # C-STORE; for C-MOVE "sub-operations complete, one or more failures"
    WARNING_ELEMENTS_DISCARDED = 0xB006
    WARNING_DATASET_DOES_NOT_MATCH = 0xB007
    UNABLE_TO_PROCESS = 0xC000  # C-STORE "cannot understand", C-FIND/C-MOVE "unable to process"


def describe(status: int | None) -> str:
    """``SUCCESS(0x0000)`` for a named status, ``0xC123`` for any other, ``NO-STATUS`` for None."""
    if status is None:
        return "NO-STATUS"
    try:
        return f"{Status(status).name}(0x{status:04X})"
    except ValueError:
        return f"0x{status:04X}"


def expected_message(expected: int | None, actual: int | None) -> str:
    """The standard assertion message: ``expected SUCCESS(0x0000), got UNABLE_TO_PROCESS(0xC000)``."""
    return f"expected {describe(expected)}, got {describe(actual)}"


def is_failure(status: int) -> bool:
    """Failure or refused statuses (PS3.7 C): 0xA000-0xAFFF, 0xC000-0xCFFF, 0x01xx, 0x02xx."""
    return 0xA000 <= status <= 0xAFFF or 0xC000 <= status <= 0xCFFF or 0x0100 <= status <= 0x02FF
