"""A throw-away PostgreSQL server from a `+postgresql` Debian tree, for Orthanc's PostgreSQL index.

Strategy. The tree's PostgreSQL is run through the tree's loader, like Orthanc. PostgreSQL finds its
share and lib directories, and initdb finds `postgres`, relative to the path of the running program
(`argv[0]`), so the launcher builds a small "bin view" in its home (`<workdir>/postgres`, see `_home`):
`pgview/usr/lib/postgresql/<N>/bin/<tool>` are shell wrappers that exec the loader with
`--argv0 <wrapper path>` on the real binary, and `pgview/usr/lib/postgresql/<N>/lib` and
`pgview/usr/share/postgresql` are symlinks into the tree. initdb then runs (trust authentication,
C locale), and `postgres` listens on a free loopback port only (no Unix socket).
PostgreSQL refuses to run as root: as root it runs as `nobody` with the DAC_READ_SEARCH capability
only, so that it can reach the tree in root's cache (privileges.py); the parent-death signal is set
after the switch, so even a SIGKILLed test run leaves no PostgreSQL running (only its directory).
Ready means `pg_isready` (the tree's, same wrappers) reports that connections are accepted. Stop is
SIGINT (PostgreSQL's "fast" shutdown, which does not wait for clients).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from conformance.launchers.orthanc_tree import OrthancTree
from conformance.launchers.ports import free_ports
from conformance.launchers.privileges import NOBODY
from conformance.launchers.process import REAPER, ManagedProcess, child_setup
from conformance.launchers.running import LaunchError

DATABASE = "postgres"
USER = "orthanc"
_TOOLS = ("initdb", "postgres", "pg_isready")
_POLL_S = 0.1


def postgres_major(tree: OrthancTree) -> str:
    versions = sorted((tree.root / "usr/lib/postgresql").glob("*/bin/postgres"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if not versions:
        raise LaunchError(f"no PostgreSQL server in {tree.root} (was it provisioned with +postgresql?)")
    return versions[-1].parent.parent.name


def _run_as() -> int | None:
    """PostgreSQL refuses root: as root, run it as nobody (privileges.py); otherwise as ourselves."""
    return NOBODY if os.geteuid() == 0 else None


class PostgresServer:
    """initdb + postgres in `workdir`; `port`, `config_section()` for Orthanc, `stop()`."""

    def __init__(self, tree: OrthancTree, workdir: Path, deadline_s: float = 60.0) -> None:
        self.tree = tree
        self.workdir = workdir
        self.major = postgres_major(tree)
        self.home = self._home()
        self.bin = self._make_view()
        self.data = self.home / "pgdata"
        self.port = free_ports(1)[0]
        self._initdb()
        self.process = ManagedProcess(
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off"],
            workdir / "postgres.log", cwd=self.home, stop_signal=signal.SIGINT, run_as=_run_as())
        REAPER.register(self)  # so that exit and signal cleanup also remove the home directory
        try:
            self._wait_ready(deadline_s)
        except LaunchError:
            self.stop()
            raise

    def config_section(self) -> dict[str, object]:
        """Orthanc's `PostgreSQL` configuration section (index only; files stay in StorageDirectory)."""
        return {"EnableIndex": True, "EnableStorage": False, "Host": "127.0.0.1", "Port": self.port,
                "Database": DATABASE, "Username": USER, "Password": "", "EnableSsl": False, "Lock": False}

    def index_plugin(self) -> Path:
        return self.tree.root / "usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so"

    def stop(self, grace_s: float = 10.0) -> None:
        try:
            self.process.stop(grace_s)
            if self.home != self.workdir / "postgres":
                shutil.rmtree(self.home, ignore_errors=True)
        finally:
            REAPER.unregister(self)

    def _home(self) -> Path:
        """Where the data and the bin view live: in the work directory, except as root.

        As root, PostgreSQL runs as nobody, and `access()` (which initdb uses to find `postgres`) ignores
        capabilities, so nobody must be able to reach them without DAC_READ_SEARCH: a world-searchable
        temporary directory, linked from the work directory and removed on stop.
        """
        if os.geteuid() != 0:
            home = self.workdir / "postgres"
            home.mkdir(parents=True, exist_ok=True)
            return home
        home = Path(tempfile.mkdtemp(prefix="mtdicom-postgres-"))
        home.chmod(0o755)
        (self.workdir / "postgres").symlink_to(home)
        return home

    def _make_view(self) -> Path:
        view = self.home / "pgview"
        real = self.tree.root / "usr/lib/postgresql" / self.major
        bin_dir = view / "usr/lib/postgresql" / self.major / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        (view / "usr/share").mkdir(parents=True, exist_ok=True)
        for link, target in ((bin_dir.parent / "lib", real / "lib"),
                             (view / "usr/share/postgresql", self.tree.root / "usr/share/postgresql")):
            if not link.is_symlink():
                link.symlink_to(target)
        loader, library_path = self.tree.command(Path("unused"))[0], self.tree.command(Path("unused"))[2]
        for tool in _TOOLS:
            wrapper = bin_dir / tool
            wrapper.write_text(f'#!/bin/sh\nexec "{loader}" --library-path "{library_path}" '
                               f'--argv0 "$0" "{real / "bin" / tool}" "$@"\n')
            wrapper.chmod(0o755)
        return bin_dir

    def _initdb(self) -> None:
        self.data.mkdir(mode=0o700)
        if os.geteuid() == 0:
            os.chown(self.data, NOBODY, NOBODY)
        done = subprocess.run([str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--auth=trust",
                               "--locale=C", "--encoding=UTF8", "--no-sync"],
                              capture_output=True, text=True, check=False, cwd=self.home,
                              preexec_fn=child_setup(_run_as()))
        (self.workdir / "initdb.log").write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).splitlines()[-15:])
            raise LaunchError(f"initdb failed (exit {done.returncode}):\n{tail}")

    def _wait_ready(self, deadline_s: float) -> None:
        give_up = time.monotonic() + deadline_s
        while True:
            reason = self.process.alive()
            if reason is not None:
                raise LaunchError(f"PostgreSQL {reason}\n{self.process.log_tail()}")
            probe = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                                    "-d", DATABASE, "-U", USER, "-t", "2"],
                                   capture_output=True, check=False)
            if probe.returncode == 0:
                return
            if time.monotonic() > give_up:
                raise LaunchError(f"PostgreSQL not accepting connections after {deadline_s:.0f} s\n"
                                  f"{self.process.log_tail()}")
            time.sleep(_POLL_S)  # between real pg_isready answers; bounded by the deadline
