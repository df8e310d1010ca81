"""Named DIMSE statuses used by the reference server's handlers (STYLE lesson 3).

Each value cites the table of the DICOM standard that defines it, so that a test failure reads
``expected SUCCESS(0x0000), got UNABLE_TO_PROCESS(0xC000)`` instead of bare hex.
"""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    """DIMSE-C statuses (PS3.7 Annex C, PS3.4 Annex B/C)."""

    # PS3.7 C.1.1: the operation completed.
    SUCCESS = 0x0000
    # PS3.4 C.4.1.1.4 (C-FIND) and C.4.2.1.5 (C-MOVE): a match or a sub-operation follows.
    PENDING = 0xFF00
    # PS3.4 C.4.1.1.4: pending, but some optional keys were not supported.
    PENDING_WARNING = 0xFF01
    # PS3.7 C.3: the operation was cancelled (C-CANCEL).
    CANCEL = 0xFE00
    # PS3.4 B.2.3 (C-STORE) "Refused: Out of Resources"; PS3.4 C.4.1.1.4 for C-FIND.
    OUT_OF_RESOURCES = 0xA700
    # PS3.4 C.4.2.1.5: "Refused: Out of Resources - Unable to calculate number of matches".
    OUT_OF_RESOURCES_MATCHES = 0xA701
    # PS3.4 C.4.2.1.5: "Refused: Out of Resources - Unable to perform sub-operations".
    OUT_OF_RESOURCES_SUBOPERATIONS = 0xA702
    # PS3.4 C.4.2.1.5: "Refused: Move Destination unknown".
    MOVE_DESTINATION_UNKNOWN = 0xA801
    # PS3.4 B.2.3 "Error: Data Set does not match SOP Class"; C.4.1.1.4 "Identifier does not
    # match SOP Class". Orthanc also uses it when the dataset's UIDs differ from the request's.
    DATASET_DOES_NOT_MATCH_SOP_CLASS = 0xA900
    # PS3.4 C.4.2.1.5: "Warning: Sub-operations Complete - One or more Failures or Warnings".
    SUBOPERATIONS_WARNING = 0xB000
    # PS3.4 B.2.3 "Error: Cannot understand"; C.4.1.1.4 "Failed: Unable to process".
    UNABLE_TO_PROCESS = 0xC000

    def __str__(self) -> str:
        return f"{self.name}(0x{self.value:04X})"


def describe(status: int) -> str:
    """``NAME(0xXXXX)`` for a known status, ``0xXXXX`` otherwise (for logs and test messages)."""
    try:
        return str(Status(status))
    except ValueError:
        return f"0x{status:04X}"
