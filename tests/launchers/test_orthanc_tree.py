"""Provisioning logic with a fake builder: cache reuse, the build lock, atomic trees, version reading."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from conformance.launchers import orthanc_tree
from conformance.launchers.orthanc_tree import (
    BINARY_RELPATH,
    PLUGIN_RELPATH,
    Platform,
    ProvisionError,
    find_tree,
    host_platform,
    installed_version,
    mmdebstrap_command,
    provision,
    upstream_version,
)

STATUS = """Package: libc6
Status: install ok installed
Version: 2.41-7

Package: orthanc
Status: deinstall ok config-files
Version: 1.0.0-1

Package: orthanc
Status: install ok installed
Priority: optional
Version: {version}
Description: RESTful DICOM server
 Continuation line: with a colon
"""


class FakeBuilder:
    """Writes the files a real tree must have; counts its calls; can fail half-way."""

    def __init__(self, version: str = "1.12.7+dfsg-4", fail: bool = False) -> None:
        self.version = version
        self.fail = fail
        self.calls = 0

    def __call__(self, suite: str, target: Path, plat: Platform) -> str:
        self.calls += 1
        for rel in (plat.loader_relpath, BINARY_RELPATH, PLUGIN_RELPATH):
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            (target / rel).write_text("fake")
        if self.fail:
            raise ProvisionError("mirror went away")
        status = target / "var/lib/dpkg/status"
        status.parent.mkdir(parents=True)
        status.write_text(STATUS.format(version=self.version))
        return "fake"


def test_installed_version_reads_the_installed_stanza_only() -> None:
    assert installed_version(STATUS.format(version="1.13.0+dfsg-1+b1")) == "1.13.0+dfsg-1+b1"
    assert installed_version(STATUS.format(version="1"), "libc6") == "2.41-7"
    assert installed_version(STATUS.format(version="1"), "dcmtk") is None


@pytest.mark.parametrize(("debian", "upstream"), [("1.12.7+dfsg-4", "1.12.7"), ("1.13.0+dfsg-1+b1", "1.13.0"),
                                                  ("2:1.12.10-1~bpo13+1", "1.12.10")])
def test_upstream_version(debian: str, upstream: str) -> None:
    assert upstream_version(debian) == upstream


def test_platforms() -> None:
    assert host_platform("x86_64").loader_relpath == "lib64/ld-linux-x86-64.so.2"
    assert host_platform("aarch64") == Platform("arm64", "aarch64-linux-gnu", "lib/ld-linux-aarch64.so.1")
    with pytest.raises(ProvisionError, match="no known Debian loader for CPU 'riscv64'"):
        host_platform("riscv64")


def test_mmdebstrap_command() -> None:
    plat = host_platform("x86_64")
    trixie = mmdebstrap_command("trixie", Path("/c/t"), plat, "root")
    assert trixie == ["mmdebstrap", "--variant=essential", "--include=orthanc", "--mode=root",
                      "--architectures=amd64", "trixie", "/c/t"]
    sid = mmdebstrap_command("sid", Path("/c/s"), plat, "unshare")
    assert 'Acquire::Check-Valid-Until "false"' in " ".join(sid) and "--mode=unshare" in sid


def test_second_provisioning_reuses_the_cache(tmp_path: Path) -> None:
    builder = FakeBuilder()
    first = provision("trixie", tmp_path, builder)
    second = provision("trixie", tmp_path, builder)
    assert first.built and not second.built and builder.calls == 1
    assert first.tree == second.tree
    assert first.tree.home == tmp_path / "trixie-1.12.7+dfsg-4"
    manifest = json.loads((first.tree.home / "manifest.json").read_text())
    assert manifest["upstream_version"] == "1.12.7" and manifest["build_mode"] == "fake"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trixie-1.12.7+dfsg-4", "trixie.lock"]


def test_a_failed_build_leaves_nothing_that_looks_like_a_tree(tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match="mirror went away"):
        provision("trixie", tmp_path, FakeBuilder(fail=True))
    assert find_tree("trixie", tmp_path) is None
    assert [p.name for p in tmp_path.iterdir()] == ["trixie.lock"]


def test_leftovers_of_a_killed_build_are_ignored_then_removed(tmp_path: Path) -> None:
    leftover = tmp_path / ".build-trixie-killed" / "root" / BINARY_RELPATH
    leftover.parent.mkdir(parents=True)
    leftover.write_text("half")
    assert find_tree("trixie", tmp_path) is None
    assert provision("trixie", tmp_path, FakeBuilder()).built
    assert not (tmp_path / ".build-trixie-killed").exists()


def test_a_tree_with_missing_files_is_rebuilt(tmp_path: Path) -> None:
    builder = FakeBuilder()
    tree = provision("trixie", tmp_path, builder).tree
    (tree.plugin_path).unlink()
    assert find_tree("trixie", tmp_path) is None
    again = provision("trixie", tmp_path, builder)
    assert again.built and builder.calls == 2 and again.tree.plugin_path.exists()


def test_refresh_rebuilds_and_a_new_version_gets_its_own_tree(tmp_path: Path) -> None:
    provision("sid", tmp_path, FakeBuilder("1.13.0+dfsg-1"))
    newer = provision("sid", tmp_path, FakeBuilder("1.13.1+dfsg-1"), refresh=True)
    assert newer.built and newer.tree.home.name == "sid-1.13.1+dfsg-1"
    assert (tmp_path / "sid-1.13.0+dfsg-1").exists()


def test_a_build_in_progress_is_waited_for_then_reused(tmp_path: Path,
                                                       capfd: pytest.CaptureFixture[str]) -> None:
    """Another process holds the suite's lock while it builds: we wait, then reuse its tree."""
    waiter_builder = FakeBuilder()
    results: list[orthanc_tree.ProvisionResult] = []
    with open(tmp_path / "trixie.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        waiter = threading.Thread(
            target=lambda: results.append(provision("trixie", tmp_path, waiter_builder)))
        waiter.start()
        waited = ""
        while "waiting for another build" not in waited:
            waiter.join(timeout=0.05)
            waited += capfd.readouterr().err
        # "The other process" finishes its build while holding the lock, then releases it.
        orthanc_tree._build("trixie", tmp_path, FakeBuilder(), host_platform())
        fcntl.flock(lock, fcntl.LOCK_UN)
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    assert waiter_builder.calls == 0 and results and not results[0].built


def test_unknown_suite(tmp_path: Path) -> None:
    with pytest.raises(ProvisionError, match="unknown suite 'bookworm'"):
        provision("bookworm", tmp_path, FakeBuilder())


def test_without_root_the_missing_tools_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/mmdebstrap"
                        if name == "mmdebstrap" else None)
    with pytest.raises(ProvisionError, match=r"`unshare --user` failed.*fakechroot/fakeroot are not"):
        orthanc_tree.build_mode()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ProvisionError, match="mmdebstrap is missing"):
        orthanc_tree.build_mode()


def test_run_command_uses_the_trees_loader_and_dictionary(tmp_path: Path) -> None:
    tree = provision("trixie", tmp_path, FakeBuilder()).tree
    plat = host_platform()
    argv = tree.command(Path("/w/orthanc.json"), verbose=True)
    assert argv[0] == str(tree.root / plat.loader_relpath) and argv[1] == "--library-path"
    assert str(tree.root / "usr/lib/orthanc") in argv[2].split(":")
    assert argv[3:] == [str(tree.root / BINARY_RELPATH), "/w/orthanc.json", "--verbose"]
    assert tree.environment()["DCMDICTPATH"] == str(tree.root / "usr/share/dcmtk/dicom.dic")


def test_subordinate_ids_are_needed_for_unshare_mode(tmp_path: Path) -> None:
    subuid, subgid = tmp_path / "subuid", tmp_path / "subgid"
    subuid.write_text("alice:100000:65536\n1234:165536:65536\n")
    subgid.write_text("alice:100000:65536\n")
    tables = (str(subuid), str(subgid))
    assert not orthanc_tree._has_subordinate_ids(tables, uid=1234)  # in subuid by number, not in subgid
    subgid.write_text("alice:100000:65536\n1234:165536:65536\n")
    assert orthanc_tree._has_subordinate_ids(tables, uid=1234)
    assert not orthanc_tree._has_subordinate_ids((str(tmp_path / "missing"), str(subgid)), uid=1234)


def test_a_flavour_is_its_own_tree_with_more_packages(tmp_path: Path) -> None:
    plain = provision("trixie", tmp_path, FakeBuilder()).tree
    with_pg = provision("trixie+postgresql", tmp_path, FakeBuilder()).tree
    assert with_pg.home.name == "trixie+postgresql-1.12.7+dfsg-4" and with_pg.manifest.flavour == "postgresql"
    assert find_tree("trixie", tmp_path) == plain and plain.manifest.flavour == ""
    assert find_tree("trixie+postgresql", tmp_path) == with_pg
    argv = mmdebstrap_command("trixie+postgresql", Path("/t"), host_platform("x86_64"), "root")
    assert "--include=orthanc,orthanc-postgresql,postgresql" in argv and argv[-2:] == ["trixie", "/t"]
    with pytest.raises(ProvisionError, match="unknown flavour 'mysql'"):
        provision("trixie+mysql", tmp_path, FakeBuilder())
