"""Locating DCMTK's command-line tools (not pynetdicom's apps of the same names, which pip installs).

pynetdicom installs ``echoscu``/``storescu``/``findscu`` scripts that shadow DCMTK's on many PATHs; a
tool counts as DCMTK's only if its ``--version`` output says ``dcmtk``.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess


@functools.cache
def dcmtk_tool(name: str) -> str | None:
    """The path of DCMTK's ``name`` on PATH, or None when only other tools of that name exist."""
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = shutil.which(name, path=directory) if directory else None
        if candidate is None:
            continue
        try:
            run = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=20,
                                 check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if "dcmtk" in (run.stdout + run.stderr).lower():
            return candidate
    return None
