"""Exceptions of the conformance harness.

A failing assertion means "the target does not conform"; a :class:`HarnessError` means "the harness
broke" (the target could not be started or reached, the admin API refused a seeding request, a test
used a fixture wrongly). Reports count the second kind as ERROR, never as a conformance failure.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Root of every error raised by the harness itself (not by a non-conforming target)."""


class TargetStartError(HarnessError):
    """A managed target did not start, or an external target does not answer."""


class AdminError(HarnessError):
    """The admin REST API answered a seeding or inspection request with an HTTP error."""

    def __init__(self, method: str, url: str, status: int, text: str) -> None:
        super().__init__(f"{method} {url} -> HTTP {status}: {text[:500]}")
        self.method = method
        self.url = url
        self.status = status
        self.text = text
