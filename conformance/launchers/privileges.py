"""Running a child as an unprivileged user that can still read root's files (for PostgreSQL as root).

PostgreSQL refuses to run as root. When the launchers run as root, the PostgreSQL child switches to
`nobody` between fork and exec, keeping exactly one capability, CAP_DAC_READ_SEARCH (read any file,
search any directory: the Debian tree lives in root's cache), as an *ambient* capability so that it
survives the exec of the wrapper script, the loader and `postgres`. The kernel clears the parent-death
signal on a credential change, so `preexec` sets it again afterwards (process.py explains why it is
wanted). Linux only; everything runs in the forked child, before exec.
"""

from __future__ import annotations

import ctypes
import os
import signal

NOBODY = 65534
CAP_DAC_READ_SEARCH = 2
_PR_SET_PDEATHSIG = 1
_PR_SET_KEEPCAPS = 8
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_RAISE = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def become_reader(uid: int = NOBODY) -> None:
    """In a forked child: become `uid` (groups cleared) keeping only CAP_DAC_READ_SEARCH, ambient."""
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.prctl(_PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)")
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    bit = 1 << CAP_DAC_READ_SEARCH
    data[0].effective = data[0].permitted = data[0].inheritable = bit
    _check(libc.capset(ctypes.byref(header), data), "capset")
    _check(libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH, 0, 0),
           "prctl(PR_CAP_AMBIENT_RAISE)")


def die_with_parent() -> None:
    """In a forked child: have the kernel send SIGTERM when the parent (thread) dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
