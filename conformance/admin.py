"""The admin REST client: seeds archives, applies labels and inspects any target the same way.

It speaks the Orthanc REST subset of SPEC.md section 9 (served by Orthanc and by the reference
server). Seeding and inspection methods raise :class:`~conformance.errors.AdminError` (a
HarnessError: the harness broke) on any HTTP error; methods documented as returning a status
(``request``, ``has_label``, ``get``) let the test judge the answer itself (LBL tests).
Every request has a timeout, so a hung server fails the test instead of stalling the run.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from conformance.errors import AdminError

#: REST collection of each level (SPEC.md section 9).
LEVEL_PATHS: Mapping[str, str] = {
    "Patient": "patients", "Study": "studies", "Series": "series", "Instance": "instances",
}


@dataclass(frozen=True)
class Uploaded:
    """Orthanc IDs of an uploaded instance and its parents, and the upload status."""

    instance: str
    series: str
    study: str
    patient: str
    status: str = "Success"


@dataclass(frozen=True)
class RestAnswer:
    """A raw REST answer, for tests that check statuses (LBL-2)."""

    status: int
    text: str

    def json(self) -> Any:
        import json

        return json.loads(self.text)


def level_path(level: str) -> str:
    try:
        return LEVEL_PATHS[level]
    except KeyError:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVEL_PATHS)}") from None


class AdminClient:
    """A small client of the admin REST API of one target."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    # -- raw access ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, data: bytes | str | None = None,
                json_body: Any = None) -> RestAnswer:
        """Send one request and return its status and body, whatever the status."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        response = self._session.request(method, url, data=data, json=json_body, timeout=self.timeout)
        return RestAnswer(response.status_code, response.text)

    def _checked(self, method: str, path: str, *, data: bytes | str | None = None,
                 json_body: Any = None) -> RestAnswer:
        answer = self.request(method, path, data=data, json_body=json_body)
        if not 200 <= answer.status < 300:
            raise AdminError(method, f"{self.base_url}/{path.lstrip('/')}", answer.status, answer.text)
        return answer

    def _json(self, method: str, path: str, *, data: bytes | str | None = None,
              json_body: Any = None) -> Any:
        return self._checked(method, path, data=data, json_body=json_body).json()

    # -- system and resources -----------------------------------------------------------------------
    def system(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", "system")
        return result

    def upload(self, raw: bytes) -> Uploaded:
        """POST /instances with a Part-10 body."""
        answer = self._json("POST", "instances", data=raw)
        return Uploaded(instance=answer["ID"], series=answer["ParentSeries"], study=answer["ParentStudy"],
                        patient=answer["ParentPatient"], status=str(answer.get("Status", "Success")))

    def get(self, level: str, resource_id: str) -> dict[str, Any] | None:
        """The resource, or None when the target answers 404."""
        answer = self.request("GET", f"{level_path(level)}/{resource_id}")
        if answer.status == 404:
            return None
        if answer.status != 200:
            raise AdminError("GET", f"{level_path(level)}/{resource_id}", answer.status, answer.text)
        result: dict[str, Any] = answer.json()
        return result

    def list(self, level: str) -> builtins.list[str]:
        result: builtins.list[str] = self._json("GET", level_path(level))
        return result

    def delete(self, level: str, resource_id: str) -> None:
        self._checked("DELETE", f"{level_path(level)}/{resource_id}")

    # -- labels (LBL-2, LBL-3) ----------------------------------------------------------------------
    def add_label(self, level: str, resource_id: str, label: str) -> None:
        self._checked("PUT", f"{level_path(level)}/{resource_id}/labels/{label}", data=b"")

    def remove_label(self, level: str, resource_id: str, label: str) -> None:
        self._checked("DELETE", f"{level_path(level)}/{resource_id}/labels/{label}")

    def labels(self, level: str, resource_id: str) -> builtins.list[str]:
        result: builtins.list[str] = self._json("GET", f"{level_path(level)}/{resource_id}/labels")
        return result

    def has_label(self, level: str, resource_id: str, label: str) -> int:
        """The HTTP status of ``GET .../labels/{label}`` (200 present, 404 absent, 400 invalid)."""
        return self.request("GET", f"{level_path(level)}/{resource_id}/labels/{label}").status

    def all_labels(self) -> builtins.list[str]:
        result: builtins.list[str] = self._json("GET", "tools/labels")
        return result

    def find(self, level: str, query: Mapping[str, str], labels: Iterable[str] = (),
             constraint: str | None = "All", expand: bool = False) -> builtins.list[Any]:
        """POST /tools/find (LBL-4); ``constraint=None`` leaves ``LabelsConstraint`` out (default All)."""
        body: dict[str, Any] = {"Level": level, "Query": dict(query), "Labels": list(labels),
                                "Expand": expand}
        if constraint is not None:
            body["LabelsConstraint"] = constraint
        result: builtins.list[Any] = self._json("POST", "tools/find", json_body=body)
        return result

    # -- modalities (CFG-7: read live by the tenants) -------------------------------------------------
    def put_modality(self, name: str, aet: str, host: str, port: int, **flags: bool) -> None:
        """PUT /modalities/{name}; ``flags`` are e.g. ``AllowFind=True``."""
        body: dict[str, Any] = {"AET": aet, "Host": host, "Port": port, **flags}
        self._checked("PUT", f"modalities/{name}", json_body=body)

    def modalities(self) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", "modalities?expand")
        return result

    def delete_modality(self, name: str) -> None:
        self._checked("DELETE", f"modalities/{name}")
