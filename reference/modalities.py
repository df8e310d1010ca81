"""The live registry of `DicomModalities` (CFG-7): tenants read it on every request, and
`PUT /modalities/{name}` adds or replaces entries, so modalities added through REST count at once."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from reference.config import ModalityConfig


class ModalityRegistry:
    """Thread-safe name -> ModalityConfig map, seeded from the configuration."""

    def __init__(self, modalities: Iterable[ModalityConfig] = ()) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, ModalityConfig] = {m.name: m for m in modalities}

    def get(self, name: str) -> ModalityConfig | None:
        with self._lock:
            return self._by_name.get(name)

    def put(self, modality: ModalityConfig) -> None:
        with self._lock:
            self._by_name[modality.name] = modality

    def remove(self, name: str) -> bool:
        with self._lock:
            return self._by_name.pop(name, None) is not None

    def all(self) -> list[ModalityConfig]:
        """Every modality, sorted by name."""
        with self._lock:
            return [self._by_name[name] for name in sorted(self._by_name)]

    def lookup_by_aet(self, aet: str, strict: bool) -> ModalityConfig | None:
        """The first modality (by name) whose AET is `aet`: exact with `strict`
        (StrictAetComparison), else case-insensitive. Surrounding spaces never count."""
        wanted = aet.strip()
        for modality in self.all():
            candidate = modality.aet.strip()
            if candidate == wanted or (not strict and candidate.upper() == wanted.upper()):
                return modality
        return None

    def lookup_all_by_aet(self, aet: str, strict: bool) -> list[ModalityConfig]:
        """Every modality whose AET is `aet` (several entries may share an AET)."""
        wanted = aet.strip()
        return [m for m in self.all()
                if m.aet.strip() == wanted or (not strict and m.aet.strip().upper() == wanted.upper())]
