"""The reference server's exceptions: one root, with configuration errors kept apart."""

from __future__ import annotations


class ReferenceServerError(Exception):
    """Root of every error the reference server raises on purpose."""


class ConfigError(ReferenceServerError):
    """The configuration is invalid; `json_path` names the offending entry (STYLE lesson 5)."""

    def __init__(self, json_path: str, reason: str) -> None:
        super().__init__(f"{json_path}: {reason}")
        self.json_path = json_path
        self.reason = reason


class ArchiveError(ReferenceServerError):
    """The archive refused an operation (bad DICOM data, unknown resource, storage failure)."""


class InvalidDicomError(ArchiveError):
    """The bytes given to the archive are not a DICOM instance it can index."""
