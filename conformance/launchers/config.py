"""TargetSpec <-> Orthanc-format configuration dict.

`build_config` is the one place where a configuration file is generated; the native Orthanc, Docker and
reference launchers all write its output (the reference server reads Orthanc's format, contract B).
`spec_from_config` reads such a dict back, so that `spec_from_config(build_config(s, ...)) == s` for
any fully bound spec `s` (tested), and a user-supplied configuration can be checked the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from conformance.launchers.spec import (
    CONSTRAINTS,
    MANAGED_KEYS,
    Constraint,
    ModalitySpec,
    SpecError,
    TargetSpec,
    TenantSpec,
    check_spec,
)

_ALLOW_KEYS = (("AllowEcho", "allow_echo"), ("AllowFind", "allow_find"), ("AllowMove", "allow_move"),
               ("AllowStore", "allow_store"))


def build_config(spec: TargetSpec, storage_dir: Path | str, plugin_path: Path | str | None) -> dict[str, Any]:
    """The Orthanc configuration for a fully bound spec (every port set; see `ports.bind_spec_ports`)."""
    check_spec(spec)
    if not spec.fully_bound:
        unbound = [path for path, port in spec.ports().items() if port == 0]
        raise SpecError(f"ports not chosen yet for {', '.join(unbound)}")
    config: dict[str, Any] = {
        "Name": spec.name,
        "DicomAet": spec.main_aet,
        "DicomPort": spec.dicom_port,
        "HttpPort": spec.http_port,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "StorageDirectory": str(storage_dir),
        "IndexDirectory": str(storage_dir),
        "DicomModalities": {name: _modality_entry(m) for name, m in spec.modalities.items()},
        "Plugins": [str(plugin_path)] if plugin_path is not None else [],
        "MultitenantDicom": {"Servers": [_tenant_entry(t) for t in spec.tenants]},
    }
    config.update(spec.options)
    return config


def _tenant_entry(tenant: TenantSpec) -> dict[str, Any]:
    entry: dict[str, Any] = {"AET": tenant.aet, "Port": tenant.port, "Labels": list(tenant.labels),
                             "LabelsConstraint": tenant.constraint}
    if tenant.store_levels is not None:
        entry["LabelsStoreLevels"] = list(tenant.store_levels)
    return entry


def _modality_entry(modality: ModalitySpec) -> list[Any] | dict[str, Any]:
    flags = {key: getattr(modality, attr) for key, attr in _ALLOW_KEYS if getattr(modality, attr) is not None}
    if not flags:
        return [modality.aet, modality.host, modality.port]
    return {"AET": modality.aet, "Host": modality.host, "Port": modality.port, **flags}


def spec_from_config(config: Mapping[str, Any]) -> TargetSpec:
    """Read an Orthanc-format configuration back into a TargetSpec (ports as written; 0 if absent)."""
    servers = config.get("MultitenantDicom", {}).get("Servers", [])
    if not isinstance(servers, list):
        raise SpecError(f"MultitenantDicom.Servers must be an array, got {type(servers).__name__}")
    tenants = tuple(_tenant_from_entry(i, entry) for i, entry in enumerate(servers))
    modalities = {name: _modality_from_entry(name, entry)
                  for name, entry in dict(config.get("DicomModalities", {})).items()}
    options = {key: value for key, value in config.items() if key not in MANAGED_KEYS}
    spec = TargetSpec(
        main_aet=str(config.get("DicomAet", "ORTHANC")),
        tenants=tenants,
        modalities=modalities,
        options=options,
        dicom_port=int(config.get("DicomPort", 0)),
        http_port=int(config.get("HttpPort", 0)),
        name=str(config.get("Name", TargetSpec.name)),
    )
    check_spec(spec)
    return spec


def _tenant_from_entry(index: int, entry: Any) -> TenantSpec:
    path = f"MultitenantDicom.Servers[{index}]"
    if not isinstance(entry, dict) or "AET" not in entry or "Port" not in entry:
        raise SpecError(f"{path}: an object with at least AET and Port is required")
    constraint = entry.get("LabelsConstraint", "All")
    if constraint not in CONSTRAINTS:
        raise SpecError(f"{path}.LabelsConstraint: {constraint!r} is not one of {CONSTRAINTS}")
    levels = entry.get("LabelsStoreLevels")
    return TenantSpec(
        aet=entry["AET"],
        labels=tuple(entry.get("Labels", ())),
        constraint=cast(Constraint, constraint),
        store_levels=None if levels is None else tuple(levels),
        port=entry["Port"],
    )


def _modality_from_entry(name: str, entry: Any) -> ModalitySpec:
    if isinstance(entry, list) and len(entry) >= 3:
        return ModalitySpec(aet=str(entry[0]), host=str(entry[1]), port=int(entry[2]))
    if isinstance(entry, dict) and {"AET", "Host", "Port"} <= set(entry):
        flags = {attr: bool(entry[key]) for key, attr in _ALLOW_KEYS if key in entry}
        return ModalitySpec(aet=str(entry["AET"]), host=str(entry["Host"]), port=int(entry["Port"]), **flags)
    raise SpecError(f"DicomModalities.{name}: expected [AET, host, port] or an object with AET, Host, Port")
