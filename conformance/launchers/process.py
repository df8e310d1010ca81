"""A server subprocess that cannot outlive the test run.

Strategy: each server runs in its own session (so its own process group) with stdout and stderr in a log
file, and is registered in a process-wide `Reaper` until stopped. Stopping sends SIGTERM to the whole
group, waits a grace period, then SIGKILLs the group. Four nets make sure it is stopped:
1. `RunningTarget` is a context manager (normal path, and pytest's KeyboardInterrupt unwinding on SIGINT);
2. `atexit`, for any interpreter exit that skipped (1);
3. a SIGTERM/SIGHUP handler (installed only where the handler is still the default, in the main thread)
   that stops every registered server and then dies of the same signal as it would have;
4. on Linux, `PR_SET_PDEATHSIG`: the kernel sends SIGTERM to the server if the parent dies, even by
   SIGKILL. It is set only when starting from the main thread, because the kernel ties it to the thread.
The reaper is module state on purpose: it exists to reach processes from signal and exit handlers.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Protocol

from conformance.launchers.privileges import become_reader, die_with_parent

DEFAULT_GRACE_S = 10.0


class ManagedProcess:
    """One server process: started in its own process group, logging to `log_path`."""

    def __init__(self, argv: Sequence[str], log_path: Path, env: Mapping[str, str] | None = None,
                 cwd: Path | None = None, stop_signal: signal.Signals = signal.SIGTERM,
                 run_as: int | None = None) -> None:
        self.argv = list(argv)
        self.stop_signal = stop_signal
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            self._popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
                preexec_fn=child_setup(run_as),
            )
        self.pid = self._popen.pid
        REAPER.register(self)

    def alive(self) -> str | None:
        """None while running; otherwise how it ended."""
        code = self._popen.poll()
        return None if code is None else f"exited with code {code} (see {self.log_path})"

    def stop(self, grace_s: float = DEFAULT_GRACE_S) -> int | None:
        """Signal the group (SIGTERM unless told), SIGKILL it after `grace_s`; return the exit code."""
        try:
            if self._popen.poll() is None:
                _signal_group(self.pid, self.stop_signal)
                try:
                    self._popen.wait(timeout=grace_s)
                except subprocess.TimeoutExpired:
                    _signal_group(self.pid, signal.SIGKILL)
                    self._popen.wait(timeout=grace_s)
            _signal_group(self.pid, signal.SIGKILL)  # anything the server left behind in its group
        finally:
            REAPER.unregister(self)
        return self._popen.returncode

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def child_setup(run_as: int | None = None) -> Callable[[], None] | None:
    """What the child does between fork and exec: switch user (privileges.py), then tie itself to us."""
    tie = sys.platform == "linux" and threading.current_thread() is threading.main_thread()
    if run_as is None and not tie:
        return None

    def setup() -> None:
        if run_as is not None:
            become_reader(run_as)
        if tie:
            die_with_parent()

    return setup


class Stoppable(Protocol):
    def stop(self, grace_s: float = DEFAULT_GRACE_S) -> object: ...


class Reaper:
    """Everything this interpreter started and has not stopped yet, stopped on exit or on SIGTERM/SIGHUP."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, Stoppable] = {}
        self._at_exit = False
        self._on_signals = False

    def register(self, thing: Stoppable) -> None:
        with self._lock:
            self._running[id(thing)] = thing
            self._install()

    def unregister(self, thing: Stoppable) -> None:
        with self._lock:
            self._running.pop(id(thing), None)

    def running(self) -> list[Stoppable]:
        with self._lock:
            return list(self._running.values())

    def stop_all(self, grace_s: float = DEFAULT_GRACE_S) -> None:
        for thing in self.running():
            thing.stop(grace_s)

    def _install(self) -> None:
        if not self._at_exit:
            self._at_exit = True
            atexit.register(self.stop_all)
        if self._on_signals or threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread: try again next time
        self._on_signals = True
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is signal.SIG_DFL:
                signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_all(grace_s=5.0)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)  # die of the signal, as without this handler


REAPER = Reaper()
