"""Orthanc-format JSON configuration -> frozen dataclasses, parsed and validated once (STYLE lesson 5).

Every error is a `ConfigError(json_path, reason)` whose message starts with the JSON path of the
offending entry, e.g. `MultitenantDicom.Servers[2].LabelsConstraint: must be one of All, Any, None
(got 'all')`. Unknown keys are ignored (section 1). Defaults are Orthanc 1.12.7's, documented on each
field. Orthanc accepts `//` and `/* */` comments in its configuration files; so does this loader.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference.errors import ConfigError
from reference.rules.labels import NONE_EMPTY_ALTERNATIVES, Constraint, is_valid_label, parse_constraint
from reference.rules.levels import Level, parse_level_name

__all__ = ["ConfigError", "DicomOptions", "ModalityConfig", "ServerConfig", "TenantConfig", "Variants",
           "load_config", "parse_modality"]

MAX_AET_LENGTH = 16
DEFAULT_STORE_LEVELS = frozenset({Level.STUDY, Level.SERIES, Level.INSTANCE})  # CFG-6
ENCODINGS = ("Ascii", "Utf8", "Latin1", "Latin2", "Latin3", "Latin4", "Latin5", "Cyrillic", "Windows1251",
             "Arabic", "Greek", "Hebrew", "Thai", "Japanese", "Chinese", "JapaneseKanji", "Korean",
             "SimplifiedChinese")


@dataclass(frozen=True)
class TenantConfig:
    """One entry of `MultitenantDicom.Servers` (CFG-2..6)."""

    aet: str
    port: int                          # 0: the OS chooses
    labels: frozenset[str]
    constraint: Constraint = Constraint.ALL
    store_levels: frozenset[Level] = DEFAULT_STORE_LEVELS


@dataclass(frozen=True)
class ModalityConfig:
    """One entry of `DicomModalities` (array form `[AET, Host, Port(, Manufacturer)]` or object form)."""

    name: str
    aet: str
    host: str
    port: int
    manufacturer: str = "Generic"
    allow_echo: bool = True
    allow_find: bool = True
    allow_move: bool = True
    allow_store: bool = True
    allow_get: bool = True


@dataclass(frozen=True)
class DicomOptions:
    """Top-level options applied to the main server and every tenant (CFG-7)."""

    always_allow_echo: bool = True       # DicomAlwaysAllowEcho
    always_allow_store: bool = True      # DicomAlwaysAllowStore
    always_allow_find: bool = False      # DicomAlwaysAllowFind
    always_allow_move: bool = False      # DicomAlwaysAllowMove
    check_called_aet: bool = False       # DicomCheckCalledAet
    strict_aet_comparison: bool = False  # StrictAetComparison
    check_modality_host: bool = False    # DicomCheckModalityHost
    unknown_sop_class_accepted: bool = False  # UnknownSopClassAccepted
    scp_timeout: int = 30                # DicomScpTimeout, seconds
    maximum_pdu_length: int = 16384      # MaximumPduLength
    synchronous_cmove: bool = True       # SynchronousCMove
    default_encoding: str = "Latin1"     # DefaultEncoding
    threads_count: int = 4               # DicomThreadsCount


@dataclass(frozen=True)
class Variants:
    """`ReferenceVariants`: which alternative of each variant clause to show (defaults: Orthanc 1.12.7)."""

    find_levels: str = "orthanc"                 # FIND-4: orthanc | dicom
    move_unknown_destination: str = "orthanc"    # MOVE-4: orthanc | dicom
    move_responses: str = "orthanc"              # MOVE-5: orthanc | dicom
    move_called_aet: str = "orthanc"             # MOVE-6: orthanc | dicom
    none_empty: str = "none-empty=all"           # LBL-5: none-empty=all | none-empty=unlabelled
    find_charset: str = "orthanc<=1.12"          # FIND-7: orthanc<=1.12 | orthanc>=1.13


_VARIANT_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "FIND-4": ("find_levels", ("orthanc", "dicom")),
    "MOVE-4": ("move_unknown_destination", ("orthanc", "dicom")),
    "MOVE-5": ("move_responses", ("orthanc", "dicom")),
    "MOVE-6": ("move_called_aet", ("orthanc", "dicom")),
    "LBL-5": ("none_empty", NONE_EMPTY_ALTERNATIVES),
    "FIND-7": ("find_charset", ("orthanc<=1.12", "orthanc>=1.13")),
}


@dataclass(frozen=True)
class ServerConfig:
    """The whole configuration of one reference server."""

    name: str = "MyOrthanc"                        # Name
    dicom_aet: str = "ORTHANC"                     # DicomAet
    dicom_port: int = 4242                         # DicomPort (0: the OS chooses)
    http_port: int = 8042                          # HttpPort (0: the OS chooses)
    storage_dir: Path | None = None                # StorageDirectory (None: a temporary directory)
    modalities: tuple[ModalityConfig, ...] = ()    # DicomModalities
    options: DicomOptions = field(default_factory=DicomOptions)
    tenants: tuple[TenantConfig, ...] = ()         # MultitenantDicom.Servers
    variants: Variants = field(default_factory=Variants)


# --- small typed readers -------------------------------------------------------------------------

def _bool(obj: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{path}{key}", f"must be true or false (got {value!r})")
    return value


def _int(obj: Mapping[str, Any], key: str, path: str, default: int, lo: int, hi: int) -> int:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{path}{key}", f"must be an integer (got {value!r})")
    if not lo <= value <= hi:
        raise ConfigError(f"{path}{key}", f"must be between {lo} and {hi} (got {value})")
    return value


def _port(obj: Mapping[str, Any], key: str, path: str, default: int | None = None) -> int:
    if key not in obj and default is None:
        raise ConfigError(f"{path}{key}", "is required")
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{path}{key}", f"must be a non-negative integer (got {value!r})")
    if not 0 <= value <= 65535:
        raise ConfigError(f"{path}{key}", f"must be a TCP port between 0 and 65535 (got {value})")
    return value


def _aet(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(path, f"must be a string (got {value!r})")
    if not value.strip() or len(value) > MAX_AET_LENGTH:
        raise ConfigError(path, f"must be 1 to {MAX_AET_LENGTH} characters (got {value!r})")
    if "\\" in value or any(ord(c) < 32 or ord(c) > 126 for c in value):
        raise ConfigError(path, f"must be printable ASCII without backslash (got {value!r})")
    return value


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"must be a JSON object (got {type(value).__name__})")
    return value


# --- sections ------------------------------------------------------------------------------------

def _parse_tenant(entry: Any, path: str) -> TenantConfig:
    obj = _object(entry, path)
    if "AET" not in obj:
        raise ConfigError(f"{path}.AET", "is required")
    aet = _aet(obj["AET"], f"{path}.AET")
    port = _port(obj, "Port", f"{path}.")
    if "Labels" not in obj:
        raise ConfigError(f"{path}.Labels", "is required")
    raw_labels = obj["Labels"]
    if not isinstance(raw_labels, list):
        raise ConfigError(f"{path}.Labels", f"must be an array of strings (got {raw_labels!r})")
    for i, label in enumerate(raw_labels):
        if not isinstance(label, str) or not is_valid_label(label):
            raise ConfigError(f"{path}.Labels[{i}]",
                              f"invalid label {label!r}: 1 to 64 characters of A-Z a-z 0-9 _ -")
    raw_constraint = obj.get("LabelsConstraint", "All")
    try:
        constraint = parse_constraint(raw_constraint) if isinstance(raw_constraint, str) else None
    except ValueError:
        constraint = None
    if constraint is None:
        raise ConfigError(f"{path}.LabelsConstraint",
                          f"must be one of All, Any, None (got {raw_constraint!r})")
    store_levels = DEFAULT_STORE_LEVELS
    if "LabelsStoreLevels" in obj:
        raw_levels = obj["LabelsStoreLevels"]
        if not isinstance(raw_levels, list):
            raise ConfigError(f"{path}.LabelsStoreLevels",
                              f"must be an array of level names (got {raw_levels!r})")
        levels = set()
        for i, name in enumerate(raw_levels):
            try:
                levels.add(parse_level_name(name if isinstance(name, str) else ""))
            except ValueError:
                raise ConfigError(f"{path}.LabelsStoreLevels[{i}]",
                                  f"unknown level {name!r} (Patient, Study, Series, Instance)") from None
        store_levels = frozenset(levels)
    return TenantConfig(aet=aet, port=port, labels=frozenset(raw_labels), constraint=constraint,
                        store_levels=store_levels)


def parse_modality(name: str, value: Any, path: str) -> ModalityConfig:
    """One `DicomModalities` entry, array or object form (also used by `PUT /modalities/{name}`)."""
    if isinstance(value, list):
        if len(value) not in (3, 4):
            raise ConfigError(path, "must be [AET, Host, Port] or [AET, Host, Port, Manufacturer]")
        obj: dict[str, Any] = {"AET": value[0], "Host": value[1], "Port": value[2]}
        if len(value) == 4:
            obj["Manufacturer"] = value[3]
        value = obj
    obj2 = _object(value, path)
    for key in ("AET", "Host", "Port"):
        if key not in obj2:
            raise ConfigError(f"{path}.{key}", "is required")
    aet = _aet(obj2["AET"], f"{path}.AET")
    host = obj2["Host"]
    if not isinstance(host, str) or not host:
        raise ConfigError(f"{path}.Host", f"must be a non-empty string (got {host!r})")
    port_value = obj2["Port"]
    if isinstance(port_value, str) and port_value.isdigit():
        port_value = int(port_value)  # Orthanc accepts ports written as strings
    port = _port({"Port": port_value}, "Port", f"{path}.")
    manufacturer = obj2.get("Manufacturer", "Generic")
    if not isinstance(manufacturer, str):
        raise ConfigError(f"{path}.Manufacturer", f"must be a string (got {manufacturer!r})")
    p = f"{path}."
    return ModalityConfig(name=name, aet=aet, host=host, port=port, manufacturer=manufacturer,
                          allow_echo=_bool(obj2, "AllowEcho", p, True),
                          allow_find=_bool(obj2, "AllowFind", p, True),
                          allow_move=_bool(obj2, "AllowMove", p, True),
                          allow_store=_bool(obj2, "AllowStore", p, True),
                          allow_get=_bool(obj2, "AllowGet", p, True))


def _parse_options(root: Mapping[str, Any]) -> DicomOptions:
    encoding = root.get("DefaultEncoding", "Latin1")
    if encoding not in ENCODINGS:
        raise ConfigError("DefaultEncoding", f"must be one of {', '.join(ENCODINGS)} (got {encoding!r})")
    return DicomOptions(
        always_allow_echo=_bool(root, "DicomAlwaysAllowEcho", "", True),
        always_allow_store=_bool(root, "DicomAlwaysAllowStore", "", True),
        always_allow_find=_bool(root, "DicomAlwaysAllowFind", "", False),
        always_allow_move=_bool(root, "DicomAlwaysAllowMove", "", False),
        check_called_aet=_bool(root, "DicomCheckCalledAet", "", False),
        strict_aet_comparison=_bool(root, "StrictAetComparison", "", False),
        check_modality_host=_bool(root, "DicomCheckModalityHost", "", False),
        unknown_sop_class_accepted=_bool(root, "UnknownSopClassAccepted", "", False),
        scp_timeout=_int(root, "DicomScpTimeout", "", 30, 0, 86400),
        maximum_pdu_length=_int(root, "MaximumPduLength", "", 16384, 4096, 131072),
        synchronous_cmove=_bool(root, "SynchronousCMove", "", True),
        default_encoding=str(encoding),
        threads_count=_int(root, "DicomThreadsCount", "", 4, 1, 256),
    )


def _parse_variants(root: Mapping[str, Any]) -> Variants:
    if "ReferenceVariants" not in root:
        return Variants()
    obj = _object(root["ReferenceVariants"], "ReferenceVariants")
    chosen: dict[str, str] = {}
    for clause, value in obj.items():
        if clause not in _VARIANT_KEYS:
            raise ConfigError(f"ReferenceVariants.{clause}",
                              f"unknown variant clause (known: {', '.join(_VARIANT_KEYS)})")
        attr, alternatives = _VARIANT_KEYS[clause]
        if value not in alternatives:
            raise ConfigError(f"ReferenceVariants.{clause}",
                              f"must be one of {', '.join(alternatives)} (got {value!r})")
        chosen[attr] = value
    return Variants(**chosen)


def _check_port_clashes(config: ServerConfig) -> None:
    used: dict[int, str] = {}
    named = [("HttpPort", config.http_port), ("DicomPort", config.dicom_port)]
    named += [(f"MultitenantDicom.Servers[{i}].Port", t.port) for i, t in enumerate(config.tenants)]
    for path, port in named:
        if port == 0:
            continue
        if port in used:
            raise ConfigError(path, f"port {port} is already used by {used[port]}")
        used[port] = path


def parse_config(root_value: Any, *, base_dir: Path | None = None) -> ServerConfig:
    """Validate an already-decoded configuration object."""
    root = _object(root_value, "$")
    name = root.get("Name", "MyOrthanc")
    if not isinstance(name, str):
        raise ConfigError("Name", f"must be a string (got {name!r})")
    storage_dir: Path | None = None
    if "StorageDirectory" in root:
        raw = root["StorageDirectory"]
        if not isinstance(raw, str) or not raw:
            raise ConfigError("StorageDirectory", f"must be a non-empty string (got {raw!r})")
        storage_dir = Path(raw) if base_dir is None else (base_dir / raw)
    modalities: list[ModalityConfig] = []
    if "DicomModalities" in root:
        for mod_name, entry in _object(root["DicomModalities"], "DicomModalities").items():
            modalities.append(parse_modality(mod_name, entry, f"DicomModalities.{mod_name}"))
    tenants: list[TenantConfig] = []
    if "MultitenantDicom" in root:
        section = _object(root["MultitenantDicom"], "MultitenantDicom")
        servers = section.get("Servers", [])
        if not isinstance(servers, list):
            raise ConfigError("MultitenantDicom.Servers", f"must be an array of objects (got {servers!r})")
        tenants = [_parse_tenant(entry, f"MultitenantDicom.Servers[{i}]") for i, entry in enumerate(servers)]
    config = ServerConfig(
        name=name,
        dicom_aet=_aet(root.get("DicomAet", "ORTHANC"), "DicomAet"),
        dicom_port=_port(root, "DicomPort", "", 4242),
        http_port=_port(root, "HttpPort", "", 8042),
        storage_dir=storage_dir,
        modalities=tuple(modalities),
        options=_parse_options(root),
        tenants=tuple(tenants),
        variants=_parse_variants(root),
    )
    _check_port_clashes(config)
    return config


def strip_json_comments(text: str) -> str:
    """Remove `//` and `/* */` comments outside JSON strings (Orthanc's parser allows them)."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            out.append(" ")
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load_config(source: Path | str | Mapping[str, Any], *, base_dir: Path | None = None) -> ServerConfig:
    """Load a configuration from a file path, JSON text (a str starting with `{`) or a mapping.

    Relative `StorageDirectory` values are resolved against `base_dir`, or the file's folder.
    """
    if isinstance(source, Mapping):
        return parse_config(source, base_dir=base_dir)
    if isinstance(source, str) and source.lstrip().startswith("{"):
        text = source
    else:
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("$", f"cannot read configuration file {str(path)!r}: {exc}") from None
        if base_dir is None:
            base_dir = path.resolve().parent
    try:
        decoded = json.loads(strip_json_comments(text))
    except json.JSONDecodeError as exc:
        raise ConfigError("$", f"invalid JSON: {exc}") from None
    return parse_config(decoded, base_dir=base_dir)
