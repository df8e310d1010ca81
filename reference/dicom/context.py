"""What every DIMSE handler of one listener needs, passed in explicitly (STYLE lesson 1: no globals).

A listener is either the main DICOM server (``tenant is None``: full view, no labelling) or one tenant
of ``MultitenantDicom.Servers`` (view filtered by its labels, C-STORE labels what it stores).
"""

from __future__ import annotations

from dataclasses import dataclass

from reference.archive.archive import Archive
from reference.config import ServerConfig, TenantConfig
from reference.dicom.acl import AclOptions
from reference.modalities import ModalityRegistry
from reference.rules.labels import Constraint


@dataclass(frozen=True)
class LabelView:
    """A tenant's filter: its labels, constraint and the LBL-5 variant for ``Labels: []``."""

    labels: frozenset[str]
    constraint: Constraint
    none_empty: str


@dataclass(frozen=True)
class ListenerContext:
    """The dependencies and identity of one listener (main server or tenant)."""

    aet: str
    config: ServerConfig
    archive: Archive
    registry: ModalityRegistry
    tenant: TenantConfig | None = None

    @property
    def is_main(self) -> bool:
        return self.tenant is None

    @property
    def name(self) -> str:
        """For logs: ``main ORTHANC`` or ``tenant HELLO``."""
        return f"{'main' if self.tenant is None else 'tenant'} {self.aet}"

    @property
    def view(self) -> LabelView | None:
        """The tenant's label filter, or None for the main server's full view."""
        if self.tenant is None:
            return None
        return LabelView(self.tenant.labels, self.tenant.constraint, self.config.variants.none_empty)

    @property
    def acl_options(self) -> AclOptions:
        opts = self.config.options
        return AclOptions(
            always_allow_echo=opts.always_allow_echo,
            always_allow_store=opts.always_allow_store,
            always_allow_find=opts.always_allow_find,
            always_allow_move=opts.always_allow_move,
            check_called_aet=opts.check_called_aet,
            strict_aet_comparison=opts.strict_aet_comparison,
            check_modality_host=opts.check_modality_host,
        )
