"""What a managed target is made of, independent of how it is started (contract C).

A `TargetSpec` names the main server, the tenants (`MultitenantDicom.Servers`), the known modalities
and any extra top-level options. Ports are 0 ("the launcher chooses a free loopback port") or explicit.
`check_spec` refuses what real Orthanc would silently get wrong: two listeners on one port (CFG-3: the
clashing tenant just fails to listen) or a port outside 1..65535 (Orthanc truncates it). Every error
names the entry at fault, with the JSON path it will have in the generated configuration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

Constraint = Literal["All", "Any", "None"]
CONSTRAINTS: tuple[Constraint, ...] = ("All", "Any", "None")
MAX_PORT = 65535


class SpecError(ValueError):
    """A target specification that cannot be started as given (the message names the entry)."""


@dataclass(frozen=True)
class TenantSpec:
    """One entry of `MultitenantDicom.Servers`.

    `store_levels=None` leaves `LabelsStoreLevels` out of the configuration, so that the server's own
    default (Study, Series, Instance — CFG-6) applies. `port=0` lets the launcher choose.
    """

    aet: str
    labels: Sequence[str] = ()  # stored as a tuple
    constraint: Constraint = "All"
    store_levels: Sequence[str] | None = None  # stored as a tuple
    port: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        if self.store_levels is not None:
            object.__setattr__(self, "store_levels", tuple(self.store_levels))


@dataclass(frozen=True)
class ModalitySpec:
    """One entry of `DicomModalities`. The `allow_*` flags are written only when set (CFG-7, ACL-2)."""

    aet: str
    host: str = "127.0.0.1"
    port: int = 104
    allow_echo: bool | None = None
    allow_find: bool | None = None
    allow_move: bool | None = None
    allow_store: bool | None = None


@dataclass(frozen=True)
class TargetSpec:
    """A whole managed target: the main DICOM server, its REST API and its tenants.

    `options` are merged at the top level of the configuration (the options tenants inherit, CFG-7,
    or `ReferenceVariants` for the reference server); keys the launcher manages are refused.
    """

    main_aet: str = "ORTHANC"
    tenants: Sequence[TenantSpec] = ()  # stored as a tuple
    modalities: Mapping[str, ModalitySpec] = field(default_factory=dict)
    options: Mapping[str, object] = field(default_factory=dict)
    dicom_port: int = 0
    http_port: int = 0
    name: str = "mtdicom-conformance"

    def __post_init__(self) -> None:
        object.__setattr__(self, "tenants", tuple(self.tenants))
        object.__setattr__(self, "modalities", dict(self.modalities))
        object.__setattr__(self, "options", dict(self.options))

    def ports(self) -> dict[str, int]:
        """Every listening port by the JSON path that sets it (0 = not chosen yet)."""
        found = {"HttpPort": self.http_port, "DicomPort": self.dicom_port}
        for index, tenant in enumerate(self.tenants):
            found[tenant_path(index, tenant)] = tenant.port
        return found

    def with_ports(self, http_port: int, dicom_port: int, tenant_ports: Sequence[int]) -> TargetSpec:
        """The same target with every port set (tenant ports in the order of `tenants`)."""
        if len(tenant_ports) != len(self.tenants):
            raise SpecError(f"{len(tenant_ports)} tenant ports given for {len(self.tenants)} tenants")
        tenants = tuple(
            TenantSpec(t.aet, t.labels, t.constraint, t.store_levels, port)
            for t, port in zip(self.tenants, tenant_ports, strict=True)
        )
        return TargetSpec(self.main_aet, tenants, self.modalities, self.options, dicom_port, http_port,
                          self.name)

    @property
    def fully_bound(self) -> bool:
        return all(port > 0 for port in self.ports().values())


# Top-level keys written by the launcher from the fields above: an option may not override them.
MANAGED_KEYS = frozenset({
    "Name", "DicomAet", "DicomPort", "HttpPort", "StorageDirectory", "IndexDirectory", "Plugins",
    "MultitenantDicom", "DicomModalities", "RemoteAccessAllowed", "AuthenticationEnabled",
})


def tenant_path(index: int, tenant: TenantSpec) -> str:
    return f"MultitenantDicom.Servers[{index}] (AET {tenant.aet!r})"


def check_spec(spec: TargetSpec) -> None:
    """Raise `SpecError` naming the first entry that cannot work; return quietly otherwise."""
    _check_aet("DicomAet", spec.main_aet)
    for index, tenant in enumerate(spec.tenants):
        path = tenant_path(index, tenant)
        _check_aet(path, tenant.aet)
        if tenant.constraint not in CONSTRAINTS:
            raise SpecError(f"{path}: LabelsConstraint {tenant.constraint!r} is not one of {CONSTRAINTS}")
        if isinstance(tenant.labels, str) or not all(isinstance(x, str) for x in tenant.labels):
            raise SpecError(f"{path}: Labels must be a sequence of strings, got {tenant.labels!r}")
    aets = [t.aet for t in spec.tenants]
    for aet in sorted({a for a in aets if aets.count(a) > 1}):
        raise SpecError(f"two tenants have the AET {aet!r}")
    for key in sorted(MANAGED_KEYS & set(spec.options)):
        raise SpecError(f"option {key!r} is set by the launcher; use the TargetSpec field instead")
    for name, modality in spec.modalities.items():
        if not 0 < modality.port <= MAX_PORT:
            raise SpecError(f"DicomModalities.{name}: port {modality.port} is not in 1..{MAX_PORT}")
    _check_ports(spec.ports())


def _check_aet(path: str, aet: str) -> None:
    if not isinstance(aet, str) or not 1 <= len(aet) <= 16:
        raise SpecError(f"{path}: AET {aet!r} must be 1 to 16 characters")


def _check_ports(ports: Mapping[str, int]) -> None:
    owner: dict[int, str] = {}
    for path, port in ports.items():
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= MAX_PORT:
            raise SpecError(f"{path}: port {port!r} is not in 0..{MAX_PORT} (0 = chosen by the launcher)")
        if port == 0:
            continue
        if port in owner:
            raise SpecError(
                f"{path}: port {port} is already used by {owner[port]}; real Orthanc would start anyway "
                "and this tenant would silently not listen (CFG-3)"
            )
        owner[port] = path
