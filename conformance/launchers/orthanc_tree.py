"""Provisioning real Orthanc: a Debian tree built by mmdebstrap, cached per suite and package version.

Strategy.
- A tree is `<cache>/<suite>-<package version>/` holding `root/` (the Debian file system) and
  `manifest.json` (suite, package and upstream version, architecture, build time and mode). It is
  built in a hidden sibling `.build-<suite>-*` directory and renamed into place only once complete, so a
  killed build never leaves something that looks like a tree; the next build (holding the lock) removes
  such leftovers. A tree counts only if its manifest names it and its loader and plugin exist.
- A tree kind is a suite, optionally with a flavour adding packages: `trixie+postgresql` also holds
  orthanc-postgresql and a PostgreSQL server. Everything below says `<suite>` for the kind.
- One lock file per suite (`<cache>/<suite>.lock`, `flock`) serialises builds: a second process waits,
  then finds the tree the first one built and reuses it.
- The version is read from the tree's own dpkg database (`var/lib/dpkg/status`), so nothing of the host
  (no dpkg-query) is needed.
- Running needs no root: the tree's own dynamic loader runs `usr/sbin/Orthanc` with `--library-path`
  covering the tree's library directories (see `OrthancTree.command`). Building needs root (mmdebstrap
  chroot mode) or, without root, unprivileged user namespaces (`--mode=unshare`) or fakechroot.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

PACKAGE = "orthanc"
PLUGIN_RELPATH = "usr/share/orthanc/plugins/libMultitenantDicom.so"
BINARY_RELPATH = "usr/sbin/Orthanc"
DICOM_DICT_RELPATH = "usr/share/dcmtk/dicom.dic"
# Which Orthanc series each Debian suite is expected to ship (checked against GET /system).
SUITE_SERIES = {"trixie": "1.12", "sid": "1.13"}
# Extra packages per flavour (the part after "+" in a tree kind).
FLAVOURS: dict[str, tuple[str, ...]] = {"": (), "postgresql": ("orthanc-postgresql", "postgresql")}
# Suites whose Release files may be past Valid-Until on a mirror snapshot.
_NO_VALID_UNTIL = {"sid"}
LOCK_WAIT_S = 1200.0


class ProvisionError(RuntimeError):
    """A tree could not be built or used; the message says what is missing."""


@dataclass(frozen=True)
class Platform:
    """Where the dynamic loader and the libraries sit in a Debian tree for this CPU."""

    debian_arch: str
    triplet: str
    loader_relpath: str


_PLATFORMS = {
    "x86_64": Platform("amd64", "x86_64-linux-gnu", "lib64/ld-linux-x86-64.so.2"),
    "amd64": Platform("amd64", "x86_64-linux-gnu", "lib64/ld-linux-x86-64.so.2"),
    "aarch64": Platform("arm64", "aarch64-linux-gnu", "lib/ld-linux-aarch64.so.1"),
    "arm64": Platform("arm64", "aarch64-linux-gnu", "lib/ld-linux-aarch64.so.1"),
}


def host_platform(machine: str | None = None) -> Platform:
    machine = machine or platform.machine()
    if machine not in _PLATFORMS:
        raise ProvisionError(f"no known Debian loader for CPU {machine!r} (supported: x86_64, aarch64)")
    return _PLATFORMS[machine]


@dataclass(frozen=True)
class Manifest:
    suite: str
    package: str
    package_version: str
    upstream_version: str
    debian_arch: str
    built_at: str
    build_seconds: float
    build_mode: str
    flavour: str = ""


@dataclass(frozen=True)
class OrthancTree:
    """A provisioned tree and how to run the Orthanc inside it."""

    home: Path  # <cache>/<suite>-<version>
    manifest: Manifest

    @property
    def root(self) -> Path:
        return self.home / "root"

    @property
    def plugin_path(self) -> Path:
        return self.root / PLUGIN_RELPATH

    def command(self, config_path: Path, verbose: bool = False) -> list[str]:
        plat = _PLATFORMS[self.manifest.debian_arch]
        relative = (f"lib/{plat.triplet}", f"usr/lib/{plat.triplet}", "usr/lib/orthanc", "lib", "usr/lib")
        lib_dirs = [self.root / d for d in relative]
        argv = [str(self.root / plat.loader_relpath), "--library-path", ":".join(map(str, lib_dirs)),
                str(self.root / BINARY_RELPATH), str(config_path)]
        return [*argv, "--verbose"] if verbose else argv

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
        env["DCMDICTPATH"] = str(self.root / DICOM_DICT_RELPATH)
        gconv = self.root / "usr/lib" / _PLATFORMS[self.manifest.debian_arch].triplet / "gconv"
        if gconv.is_dir():  # the tree's iconv modules, for character set conversions
            env["GCONV_PATH"] = str(gconv)
        return env

    def is_complete(self) -> bool:
        plat = _PLATFORMS.get(self.manifest.debian_arch)
        return plat is not None and all(
            (self.root / rel).exists() for rel in (plat.loader_relpath, BINARY_RELPATH, PLUGIN_RELPATH)
        )


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mtdicom-conformance" / "orthanc"


def installed_version(status_text: str, package: str = PACKAGE) -> str | None:
    """The version of an installed package in a dpkg `status` file, or None."""
    for stanza in status_text.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", stanza, flags=re.MULTILINE))
        if fields.get("Package") == package and fields.get("Status", "").endswith(" installed"):
            return fields.get("Version")
    return None


def upstream_version(debian_version: str) -> str:
    """`1:1.13.0+dfsg-1+b1` -> `1.13.0` (no epoch, no repack suffix, no Debian revision)."""
    without_epoch = debian_version.split(":", 1)[-1]
    match = re.match(r"\d+(?:\.\d+)*", without_epoch)
    if match is None:
        raise ProvisionError(f"cannot read an upstream version in {debian_version!r}")
    return match.group(0)


def split_kind(kind: str) -> tuple[str, str]:
    """`trixie+postgresql` -> (`trixie`, `postgresql`); ProvisionError for an unknown suite or flavour."""
    suite, _, flavour = kind.partition("+")
    if suite not in SUITE_SERIES:
        raise ProvisionError(f"unknown suite {suite!r}; known: {', '.join(SUITE_SERIES)}")
    if flavour not in FLAVOURS:
        raise ProvisionError(f"unknown flavour {flavour!r}; known: {', '.join(f for f in FLAVOURS if f)}")
    return suite, flavour


def find_tree(kind: str, cache: Path | None = None) -> OrthancTree | None:
    """The newest complete cached tree of this kind (`trixie`, `sid`, `trixie+postgresql`), or None."""
    suite, flavour = split_kind(kind)
    cache = cache or cache_root()
    found: list[OrthancTree] = []
    for manifest_path in cache.glob(f"{kind}-*/manifest.json"):
        try:
            manifest = Manifest(**json.loads(manifest_path.read_text()))
        except (OSError, ValueError, TypeError):
            continue
        tree = OrthancTree(manifest_path.parent, manifest)
        if (manifest.suite, manifest.flavour) == (suite, flavour) and tree.is_complete():
            found.append(tree)
    return max(found, key=lambda t: t.manifest.built_at, default=None)


Builder = Callable[[str, Path, Platform], str]  # (kind, empty target root, platform) -> build mode used


@dataclass(frozen=True)
class ProvisionResult:
    tree: OrthancTree
    built: bool  # False: reused from the cache
    seconds: float


def provision(kind: str, cache: Path | None = None, builder: Builder | None = None,
              refresh: bool = False) -> ProvisionResult:
    """The cached tree of this kind (a suite, or `suite+flavour`), built first if missing (or `refresh`)."""
    started = time.monotonic()
    cache = cache or cache_root()
    split_kind(kind)
    suite = kind
    plat = host_platform()
    if not refresh and (tree := find_tree(suite, cache)) is not None:
        return ProvisionResult(tree, False, time.monotonic() - started)
    cache.mkdir(parents=True, exist_ok=True)
    with _suite_lock(cache, suite):
        if not refresh and (tree := find_tree(suite, cache)) is not None:
            return ProvisionResult(tree, False, time.monotonic() - started)  # built while we waited
        _remove_leftovers(cache, suite)
        tree = _build(suite, cache, builder or mmdebstrap_builder, plat)
    return ProvisionResult(tree, True, time.monotonic() - started)


@contextmanager
def _suite_lock(cache: Path, suite: str) -> Iterator[None]:
    with open(cache / f"{suite}.lock", "a+") as handle:
        give_up = time.monotonic() + LOCK_WAIT_S
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > give_up:
                    held = f"another process held {handle.name} for {LOCK_WAIT_S:.0f} s"
                    raise ProvisionError(held) from None
                if not announced:
                    print(f"waiting for another build of the {suite} tree ({handle.name})", file=sys.stderr)
                    announced = True
                time.sleep(0.5)  # lock polling; bounded by LOCK_WAIT_S
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(suite: str, cache: Path, builder: Builder, plat: Platform) -> OrthancTree:
    work = Path(tempfile.mkdtemp(prefix=f".build-{suite}-", dir=cache))
    try:
        started = time.monotonic()
        mode = builder(suite, work / "root", plat)
        status = work / "root" / "var/lib/dpkg/status"
        version = installed_version(status.read_text()) if status.exists() else None
        if version is None:
            raise ProvisionError(f"the {suite} build finished without {PACKAGE} installed ({status})")
        manifest = Manifest(split_kind(suite)[0], PACKAGE, version, upstream_version(version),
                            plat.debian_arch, datetime.now(UTC).isoformat(timespec="seconds"),
                            round(time.monotonic() - started, 2), mode, split_kind(suite)[1])
        (work / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2) + "\n")
        home = cache / f"{suite}-{version.replace(':', '_')}"
        if home.exists():  # refresh of the same version, or a tree whose files went missing
            retired = cache / f".build-{suite}-retired-{os.getpid()}"
            home.rename(retired)
            _remove_tree(retired)
        work.rename(home)  # atomic: the tree appears complete or not at all
        return OrthancTree(home, manifest)
    finally:
        if work.exists():
            _remove_tree(work)


def _remove_leftovers(cache: Path, suite: str) -> None:
    for leftover in cache.glob(f".build-{suite}-*"):
        _remove_tree(leftover)


def _remove_tree(path: Path) -> None:
    """Delete a build directory, never descending into something still mounted inside it."""
    mounted = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
               if line.split()[4].startswith(str(path) + "/")]
    if mounted:
        print(f"warning: not removing {path}: still mounted inside it: {', '.join(mounted)}", file=sys.stderr)
        return
    shutil.rmtree(path, ignore_errors=True)


def build_mode() -> str:
    """How mmdebstrap can build here: root, unshare or fakechroot; ProvisionError naming what is missing."""
    if shutil.which("mmdebstrap") is None:
        raise ProvisionError("mmdebstrap is missing (apt-get install mmdebstrap; scripts/setup --system)")
    if os.geteuid() == 0:
        return "root"
    userns = shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "--user", "--map-root-user", "true"], capture_output=True, check=False).returncode == 0
    if userns and shutil.which("newuidmap") and _has_subordinate_ids():
        return "unshare"
    if shutil.which("fakechroot") and shutil.which("fakeroot"):
        return "fakechroot"
    raise ProvisionError(
        "cannot build a Debian tree without root here: unprivileged user namespaces are unavailable "
        "(`unshare --user` failed, newuidmap/uidmap is missing, or this user has no range in /etc/subuid "
        "and /etc/subgid) and fakechroot/fakeroot are not installed. Run once as root, set up uidmap and "
        "subordinate ids, or install fakechroot and fakeroot."
    )


def _has_subordinate_ids(tables: tuple[str, ...] = ("/etc/subuid", "/etc/subgid"),
                         uid: int | None = None) -> bool:
    """Whether the user has ranges in /etc/subuid and /etc/subgid (mmdebstrap's unshare mode needs them)."""
    uid = os.getuid() if uid is None else uid
    names = {str(uid)}
    with suppress(KeyError):
        names.add(pwd.getpwuid(uid).pw_name)
    for table in tables:
        try:
            owners = {line.split(":", 1)[0] for line in Path(table).read_text().splitlines() if ":" in line}
        except OSError:
            return False
        if not owners & names:
            return False
    return True


def mmdebstrap_command(kind: str, target: Path, plat: Platform, mode: str) -> list[str]:
    suite, flavour = split_kind(kind)
    packages = (PACKAGE, *FLAVOURS[flavour])
    argv = ["mmdebstrap", "--variant=essential", f"--include={','.join(packages)}", f"--mode={mode}",
            f"--architectures={plat.debian_arch}"]
    if suite in _NO_VALID_UNTIL:
        argv.append('--aptopt=Acquire::Check-Valid-Until "false"')
    argv += [suite, str(target)]
    mirror = os.environ.get("MTDICOM_DEBIAN_MIRROR")
    return [*argv, mirror] if mirror else argv


def mmdebstrap_builder(kind: str, target: Path, plat: Platform) -> str:
    mode = build_mode()
    argv = mmdebstrap_command(kind, target, plat, mode)
    print(f"building the {kind} Orthanc tree: {' '.join(argv)}", file=sys.stderr)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).splitlines()[-20:])
        raise ProvisionError(f"mmdebstrap failed for {kind} (exit {done.returncode}):\n{tail}")
    return mode
