"""What is under test: the target's description and the parsing of the plugin's options.

Strategy: options are parsed and validated once, in ``pytest_configure``, into a :class:`TargetPlan`
(managed: which implementation to start and with which tenants; external: the endpoints given on the
command line or read from an Orthanc-format configuration file). The plan is known before any test
runs, so the ``tenant`` fixture can be parametrized at collection time without starting anything. The
session fixture ``target`` turns the plan into a :class:`TargetInfo` (ports, version) once the target
answers. Every bad value raises :class:`pytest.UsageError` with a message naming the option or JSON path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

IMPLS: tuple[str, ...] = ("reference", "orthanc", "orthanc-1.13", "orthanc-docker", "orthanc-postgresql")
CONSTRAINTS: tuple[str, ...] = ("All", "Any", "None")
LEVELS: tuple[str, ...] = ("Patient", "Study", "Series", "Instance")
DEFAULT_STORE_LEVELS: tuple[str, ...] = ("Study", "Series", "Instance")  # CFG-6
QUERY_AET = "MTCONF"  # the calling AET of the suite's SCU, listed in DicomModalities
SCP_AET = "SUITESCP"  # the suite's C-MOVE destination
SCP_MODALITY = "SUITESCP"  # its name in DicomModalities
MAIN_AET = "ORTHANC"

#: Destinations (``dest``) of the plugin's options, group ``multitenant-conformance``.
OPTION_GROUP = "multitenant-conformance"
OPT_TARGET = "mt_target"
OPT_TARGET_AET = "mt_target_aet"
OPT_ADMIN_URL = "mt_admin_url"
OPT_TARGET_CONFIG = "mt_target_config"
OPT_SCP_AET = "mt_scp_aet"
OPT_SCP_PORT = "mt_scp_port"
OPT_IMPL = "mt_impl"

#: Variant alternatives each managed implementation claims (SPEC.md; ReferenceVariants defaults).
_ORTHANC_1_12_VARIANTS: Mapping[str, str] = {
    "FIND-4": "orthanc", "FIND-7": "orthanc<=1.12", "LBL-5": "none-empty=all",
    "MOVE-4": "orthanc", "MOVE-5": "orthanc", "MOVE-6": "orthanc",
}
CLAIMED_VARIANTS: Mapping[str, Mapping[str, str]] = {
    "reference": _ORTHANC_1_12_VARIANTS,
    "orthanc": _ORTHANC_1_12_VARIANTS,
    "orthanc-1.13": {**_ORTHANC_1_12_VARIANTS, "FIND-7": "orthanc>=1.13", "LBL-5": "none-empty=unlabelled"},
    "orthanc-docker": _ORTHANC_1_12_VARIANTS,
    "orthanc-postgresql": _ORTHANC_1_12_VARIANTS,  # Orthanc 1.12.7 with the PostgreSQL index plugin
}


@dataclass(frozen=True)
class TenantInfo:
    """One tenant DICOM server: endpoint and label filter. ``port`` is 0 until a managed target starts.

    ``store_levels`` are the effective levels; ``store_levels_explicit`` is False when the
    configuration omits ``LabelsStoreLevels`` (so the CFG-6 default applies).
    """

    aet: str
    host: str
    port: int
    labels: tuple[str, ...]
    constraint: str
    store_levels: tuple[str, ...]
    store_levels_explicit: bool = True


@dataclass(frozen=True)
class TargetInfo:
    """The target of the run, as the tests see it."""

    impl: str  # "reference", "orthanc", "orthanc-1.13", "orthanc-docker" or "external"
    host: str
    main_aet: str | None
    main_port: int | None
    admin_url: str | None
    version: str | None
    tenants: tuple[TenantInfo, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    variants_claimed: Mapping[str, str] = field(default_factory=dict)

    def tenant(self, aet: str) -> TenantInfo:
        for tenant in self.tenants:
            if tenant.aet == aet:
                return tenant
        raise KeyError(aet)


TARGET_INFO_KEY = pytest.StashKey[TargetInfo]()


@dataclass(frozen=True)
class TargetPlan:
    """What the options ask for, validated; known before any test runs."""

    kind: Literal["managed", "external"]
    impl: str
    host: str
    main_aet: str | None
    main_port: int | None
    admin_url: str | None
    tenants: tuple[TenantInfo, ...]
    options: Mapping[str, Any]
    variants_claimed: Mapping[str, str]
    scp_aet: str = SCP_AET
    scp_port: int = 0
    cli_args: tuple[str, ...] = ()  # the options that select this target, for reproduction commands


TARGET_PLAN_KEY = pytest.StashKey[TargetPlan]()


def _tenant(aet: str, labels: Sequence[str], constraint: str,
            store_levels: Sequence[str] | None = None) -> TenantInfo:
    explicit = store_levels is not None
    levels = tuple(store_levels) if store_levels is not None else DEFAULT_STORE_LEVELS
    return TenantInfo(aet, "127.0.0.1", 0, tuple(labels), constraint, levels, explicit)


#: The tenants of every managed target: each constraint, several label-set shapes, store levels.
MANAGED_TENANTS: tuple[TenantInfo, ...] = (
    _tenant("ALL_AB", ("a", "b"), "All"),
    _tenant("ANY_AB", ("a", "b"), "Any"),
    _tenant("NONE_A", ("a",), "None"),
    _tenant("ALL_EMPTY", (), "All"),
    _tenant("NONE_EMPTY", (), "None"),
    _tenant("STORE_ALL_LEVELS", ("s",), "All", LEVELS),
    _tenant("STORE_NO_LEVELS", ("t",), "All", ()),
    _tenant("ALL_A", ("a",), "All", ("Study",)),
)

def labels_what_it_stores(tenant: TenantInfo) -> bool:
    """A ``tenant_filter`` predicate: the tenant has labels and at least one store level."""
    return bool(tenant.labels and tenant.store_levels)


#: Options of every managed target: a hung association cannot stall the run (SPEC.md section 8).
MANAGED_OPTIONS: Mapping[str, Any] = {"DicomScpTimeout": 10, "DicomThreadsCount": 4}


def parse_hostport(value: str, option: str = "--target") -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port); anything else is a usage error naming the option."""
    host, sep, port_text = value.rpartition(":")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise pytest.UsageError(f"{option}={value!r}: expected HOST:PORT with a port in 1..65535")
    return host, int(port_text)


def parse_port(value: str | None, option: str) -> int:
    if value is None:
        return 0
    if not value.isdigit() or int(value) > 65535:
        raise pytest.UsageError(f"{option}={value!r}: expected a port number in 0..65535")
    return int(value)


def normalize_level(name: str) -> str | None:
    """CFG-6 level names: case-insensitive, plurals accepted, ``Image`` means Instance."""
    key = name.strip().lower()
    aliases = {"patient": "Patient", "patients": "Patient", "study": "Study", "studies": "Study",
               "series": "Series", "instance": "Instance", "instances": "Instance",
               "image": "Instance", "images": "Instance"}
    return aliases.get(key)


_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)


def read_orthanc_config(path: Path) -> dict[str, Any]:
    """An Orthanc configuration file (JSON with ``//`` and ``/* */`` comments, as Orthanc accepts)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise pytest.UsageError(f"--target-config={path}: cannot read: {exc.strerror}") from exc
    stripped = _COMMENT.sub(lambda m: m.group(0) if m.group(0).startswith('"') else " ", text)
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise pytest.UsageError(f"--target-config={path}: not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise pytest.UsageError(f"--target-config={path}: the top level must be a JSON object")
    return data


def tenants_from_config(config: Mapping[str, Any], host: str, source: str) -> tuple[TenantInfo, ...]:
    """The tenants of ``MultitenantDicom.Servers``; a malformed entry is a usage error naming its path."""
    servers = (config.get("MultitenantDicom") or {}).get("Servers", [])
    if not isinstance(servers, list):
        raise pytest.UsageError(f"{source}: MultitenantDicom.Servers must be an array")
    tenants: list[TenantInfo] = []
    for index, entry in enumerate(servers):
        where = f"{source}: MultitenantDicom.Servers[{index}]"
        if not isinstance(entry, dict):
            raise pytest.UsageError(f"{where} must be an object")
        aet, port, labels = entry.get("AET"), entry.get("Port"), entry.get("Labels")
        if not isinstance(aet, str) or not aet:
            raise pytest.UsageError(f"{where}.AET must be a non-empty string")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise pytest.UsageError(f"{where}.Port must be a port number in 1..65535")
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise pytest.UsageError(f"{where}.Labels must be an array of strings")
        constraint = entry.get("LabelsConstraint", "All")
        if constraint not in CONSTRAINTS:
            raise pytest.UsageError(f"{where}.LabelsConstraint must be one of {', '.join(CONSTRAINTS)}")
        raw_levels = entry.get("LabelsStoreLevels")
        levels: tuple[str, ...] | None = None
        if raw_levels is not None:
            if not isinstance(raw_levels, list):
                raise pytest.UsageError(f"{where}.LabelsStoreLevels must be an array of level names")
            normalized = [normalize_level(name) if isinstance(name, str) else None for name in raw_levels]
            if None in normalized:
                raise pytest.UsageError(f"{where}.LabelsStoreLevels: unknown level in {raw_levels!r}")
            levels = tuple(level for level in LEVELS if level in normalized)
        unique_labels = tuple(dict.fromkeys(labels))
        tenants.append(TenantInfo(aet, host, port, unique_labels, constraint,
                                  levels if levels is not None else DEFAULT_STORE_LEVELS, levels is not None))
    return tuple(tenants)


def _managed_plan(impl: str, scp_aet: str, scp_port: int) -> TargetPlan:
    return TargetPlan(kind="managed", impl=impl, host="127.0.0.1", main_aet=MAIN_AET, main_port=None,
                      admin_url=None, tenants=MANAGED_TENANTS, options=dict(MANAGED_OPTIONS),
                      variants_claimed=dict(CLAIMED_VARIANTS[impl]), scp_aet=scp_aet, scp_port=scp_port,
                      cli_args=(f"--impl={impl}",))


def plan_from_options(config: pytest.Config) -> TargetPlan:
    """Validate the option group ``multitenant-conformance`` into a plan (usage errors on bad values)."""
    impl: str | None = config.getoption(OPT_IMPL)
    target: str | None = config.getoption(OPT_TARGET)
    target_aet: str | None = config.getoption(OPT_TARGET_AET)
    admin_url: str | None = config.getoption(OPT_ADMIN_URL)
    target_config: str | None = config.getoption(OPT_TARGET_CONFIG)
    scp_aet: str = config.getoption(OPT_SCP_AET) or SCP_AET
    scp_port = parse_port(config.getoption(OPT_SCP_PORT), "--scp-port")
    if not 0 < len(scp_aet) <= 16:
        raise pytest.UsageError(f"--scp-aet={scp_aet!r}: an AET has 1 to 16 characters")
    external = [name for name, value in (("--target", target), ("--target-aet", target_aet),
                                         ("--admin-url", admin_url), ("--target-config", target_config))
                if value is not None]
    if impl is not None and external:
        raise pytest.UsageError(f"--impl={impl} starts a managed target; it cannot be combined with "
                                f"{', '.join(external)} (which describe an external target)")
    if not external:
        return _managed_plan(impl or "reference", scp_aet, scp_port)
    host, port = parse_hostport(target, "--target") if target is not None else ("127.0.0.1", 0)
    if target_config is None:
        raise pytest.UsageError("an external target needs --target-config=FILE (its Orthanc configuration: "
                                "the tenants' labels, constraint and store levels are read from it)")
    source = f"--target-config={target_config}"
    orthanc_config = read_orthanc_config(Path(target_config))
    tenants = tenants_from_config(orthanc_config, host, source)
    if port:
        tenants = tuple(t for t in tenants if t.port == port and (target_aet is None or t.aet == target_aet))
        if not tenants:
            raise pytest.UsageError(f"--target={target}: no tenant of {source} listens on port {port}"
                                    + (f" with AET {target_aet}" if target_aet else ""))
    elif target_aet is not None:
        tenants = tuple(t for t in tenants if t.aet == target_aet)
        if not tenants:
            raise pytest.UsageError(f"--target-aet={target_aet}: no such tenant in {source}")
    if not tenants:
        raise pytest.UsageError(f"{source}: MultitenantDicom.Servers lists no tenant to test")
    main_aet = orthanc_config.get("DicomAet", "ORTHANC")
    main_port = orthanc_config.get("DicomPort", 4242)
    if admin_url is None and isinstance(orthanc_config.get("HttpPort"), int):
        admin_url = f"http://{host}:{orthanc_config['HttpPort']}"
    claimed = orthanc_config.get("ReferenceVariants", {})
    args = [f"--target-config={target_config}"]
    args += [f"--target={target}"] if target else []
    args += [f"--target-aet={target_aet}"] if target_aet else []
    args += [f"--admin-url={admin_url}"] if config.getoption(OPT_ADMIN_URL) else []
    return TargetPlan(kind="external", impl="external", host=host,
                      main_aet=main_aet if isinstance(main_aet, str) else None,
                      main_port=main_port if isinstance(main_port, int) else None,
                      admin_url=admin_url, tenants=tenants, options=dict(orthanc_config),
                      variants_claimed=dict(claimed) if isinstance(claimed, dict) else {},
                      scp_aet=scp_aet, scp_port=scp_port, cli_args=tuple(args))
