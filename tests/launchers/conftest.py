"""Helpers shared by the launcher tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ProcessScan = Callable[[str], list[int]]


@pytest.fixture
def processes_mentioning() -> ProcessScan:
    """`processes_mentioning(text)`: PIDs of live processes whose command line contains `text`."""
    return _processes_mentioning


def _processes_mentioning(text: str) -> list[int]:
    """PIDs of live processes whose command line contains `text` (e.g. a work directory)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(proc.name))
    return found
