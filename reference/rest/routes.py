"""The REST routes of SPEC section 9, as a socket-free `RestApi.handle(Request) -> Response`.

Robustness invariant: whatever the method, path, query or body, `handle` answers 2xx or 4xx (a 4xx
carries Orthanc's error JSON); a 5xx would be a bug of this module, never the caller's fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reference.archive.archive import Archive, Resource
from reference.config import ModalityConfig, ServerConfig, parse_modality
from reference.errors import ArchiveError, ConfigError, InvalidDicomError
from reference.modalities import ModalityRegistry
from reference.rest.shapes import JsonObject, error_json, modality_json, resource_json, system_json
from reference.rules.labels import is_valid_label, parse_constraint
from reference.rules.levels import Level, parse_level_name, parse_plural
from reference.rules.matching import QueryError, criteria_from_rest


@dataclass(frozen=True)
class Request:
    method: str
    path: str                                      # decoded path without the query, e.g. /studies/ID
    segments: tuple[str, ...]                      # decoded, non-empty path segments
    query: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"


class HttpError(Exception):
    """An error answer: status, Orthanc's message, optional details."""

    def __init__(self, status: int, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def json_response(value: Any, status: int = 200) -> Response:
    return Response(status, (json.dumps(value, indent=3, ensure_ascii=False) + "\n").encode("utf-8"))


def _unknown(details: str | None = None) -> HttpError:
    return HttpError(404, "Unknown resource", details)


def _bad(details: str) -> HttpError:
    return HttpError(400, "Bad request", details)


def _flag(query: Mapping[str, str], name: str) -> bool:
    """Orthanc's boolean query arguments: present (empty) or `true` means true."""
    if name not in query:
        return False
    return query[name].strip().lower() in ("", "true", "1")


def _json_body(request: Request) -> Any:
    try:
        return json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise _bad("The body must contain valid JSON") from None


class RestApi:
    """The routes, bound to one archive, configuration and modality registry."""

    def __init__(self, archive: Archive, config: ServerConfig, registry: ModalityRegistry, *,
                 version: str, ports: Callable[[], tuple[int, int]]) -> None:
        self.archive = archive
        self.config = config
        self.registry = registry
        self.version = version
        self._ports = ports  # () -> (http_port, dicom_port) actually bound

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except HttpError as exc:
            body = error_json(exc.status, request.method, request.path, exc.message, exc.details)
            return json_response(body, exc.status)

    # --- routing ---------------------------------------------------------------------------------

    def _route(self, r: Request) -> Response:
        s, m = r.segments, r.method
        if s == ("system",):
            return self._only(m, "GET") or self._system()
        if s == ("instances",) and m == "POST":
            return self._post_instance(r)
        if s == ("tools", "labels"):
            return self._only(m, "GET") or json_response(self.archive.all_labels())
        if s == ("tools", "find"):
            return self._only(m, "POST") or self._find(r)
        if s and s[0] == "modalities":
            return self._modalities(r)
        level = parse_plural(s[0]) if s else None
        if level is None:
            raise _unknown()
        if len(s) == 1:
            return self._only(m, "GET") or self._list(level, r)
        resource_id = s[1]
        if len(s) == 2:
            if m == "GET":
                return json_response(self._resource_json(self._get(level, resource_id)))
            if m == "DELETE":
                return self._delete(level, resource_id)
            raise HttpError(405, "Method not allowed")
        if s[2] == "labels":
            return self._labels(r, level, resource_id, s[3:])
        if level is Level.INSTANCE and s[2] == "file" and len(s) == 3:
            return self._only(m, "GET") or self._file(resource_id)
        raise _unknown()

    @staticmethod
    def _only(method: str, allowed: str) -> Response | None:
        if method != allowed:
            raise HttpError(405, "Method not allowed")
        return None

    # --- handlers --------------------------------------------------------------------------------

    def _system(self) -> Response:
        http_port, dicom_port = self._ports()
        body = system_json(self.config, self.version, http_port=http_port, dicom_port=dicom_port)
        return json_response(body)

    def _post_instance(self, r: Request) -> Response:
        try:
            result = self.archive.store(r.body)
        except InvalidDicomError as exc:
            raise HttpError(400, "Bad file format", str(exc)) from None
        except ArchiveError as exc:
            raise _bad(str(exc)) from None
        ids = result.ids
        return json_response({"ID": ids.instance, "ParentPatient": ids.patient, "ParentStudy": ids.study,
                              "ParentSeries": ids.series, "Path": f"/instances/{ids.instance}",
                              "Status": result.status})

    def _get(self, level: Level, resource_id: str) -> Resource:
        resource = self.archive.get(level, resource_id)
        if resource is None:
            raise _unknown()
        return resource

    def _resource_json(self, resource: Resource) -> JsonObject:
        size = self.archive.file_size(resource.id) if resource.level is Level.INSTANCE else None
        return resource_json(resource, file_size=size)

    def _list(self, level: Level, r: Request) -> Response:
        ids = self.archive.list_ids(level)
        if not _flag(r.query, "expand"):
            return json_response(ids)
        found = (self.archive.get(level, i) for i in ids)
        return json_response([self._resource_json(res) for res in found if res is not None])

    def _delete(self, level: Level, resource_id: str) -> Response:
        resource = self._get(level, resource_id)
        ancestors: list[tuple[Level, str]] = []
        current: Resource | None = resource
        while current is not None and current.parent is not None and current.level.parent is not None:
            ancestors.append((current.level.parent, current.parent))
            current = self.archive.get(current.level.parent, current.parent)
        if not self.archive.delete(level, resource_id):
            raise _unknown()
        remaining: JsonObject | None = None
        for parent_level, parent_id in ancestors:
            if self.archive.get(parent_level, parent_id) is not None:
                remaining = {"ID": parent_id, "Path": f"/{parent_level.plural}/{parent_id}",
                             "Type": parent_level.value}
                break
        return json_response({"RemainingAncestor": remaining})

    def _labels(self, r: Request, level: Level, resource_id: str, rest: tuple[str, ...]) -> Response:
        if not rest:
            self._only(r.method, "GET")
            self._get(level, resource_id)
            return json_response(self.archive.labels(level, resource_id))
        if len(rest) != 1:
            raise _unknown()
        label = rest[0]
        if r.method not in ("GET", "PUT", "DELETE"):
            raise HttpError(405, "Method not allowed")
        if not is_valid_label(label):
            raise HttpError(400, "Parameter out of range", f"invalid label {label!r}: 1 to 64 characters "
                            "of A-Z a-z 0-9 _ -")
        self._get(level, resource_id)
        if r.method == "GET":
            if label not in self.archive.labels(level, resource_id):
                raise _unknown(f"no label {label!r} on this resource")
            return Response(200, b"", "text/plain")
        changed = (self.archive.add_label if r.method == "PUT" else self.archive.remove_label)(
            level, resource_id, label)
        if not changed:
            raise _unknown()
        return Response(200, b"", "text/plain")

    def _file(self, instance_id: str) -> Response:
        self._get(Level.INSTANCE, instance_id)
        try:
            return Response(200, self.archive.read_instance(instance_id), "application/dicom")
        except ArchiveError:
            raise _unknown() from None

    def _find(self, r: Request) -> Response:
        body = _json_body(r)
        if not isinstance(body, dict):
            raise _bad("The body must contain a JSON object")
        level_name = body.get("Level")
        if not isinstance(level_name, str):
            raise _bad('Field "Level" is missing, or should be a string')
        try:
            level = parse_level_name(level_name)
        except ValueError:
            raise _bad(f"Unknown resource level: {level_name!r}") from None
        query = body.get("Query")
        if not isinstance(query, dict):
            raise _bad('Field "Query" is missing, or should be a JSON object')
        labels = body.get("Labels", [])
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise _bad('Field "Labels" must be an array of strings')
        raw_constraint = body.get("LabelsConstraint", "All")
        try:
            constraint = parse_constraint(raw_constraint) if isinstance(raw_constraint, str) else None
        except ValueError:
            constraint = None
        if constraint is None:
            raise _bad('Field "LabelsConstraint" must be "All", "Any", or "None"')
        expand = body.get("Expand", False)
        case_sensitive = body.get("CaseSensitive", False)
        if not isinstance(expand, bool) or not isinstance(case_sensitive, bool):
            raise _bad('Fields "Expand" and "CaseSensitive" must be Booleans')
        limit, since = body.get("Limit", 0), body.get("Since", 0)
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in (limit, since)):
            raise _bad('Fields "Limit" and "Since" must be non-negative integers')
        try:
            criteria = criteria_from_rest(query)
            found = self.archive.find(level, criteria, labels=frozenset(labels), constraint=constraint,
                                      none_empty=self.config.variants.none_empty,
                                      case_sensitive=case_sensitive)
        except QueryError as exc:
            raise HttpError(400, "Parameter out of range", str(exc)) from None
        found = sorted(found, key=lambda res: res.id)[since:]
        if limit:
            found = found[:limit]
        if expand:
            return json_response([self._resource_json(res) for res in found])
        return json_response([res.id for res in found])

    def _modalities(self, r: Request) -> Response:
        s = r.segments
        if len(s) == 1:
            self._only(r.method, "GET")
            if _flag(r.query, "expand"):
                return json_response({m.name: modality_json(m) for m in self.registry.all()})
            return json_response([m.name for m in self.registry.all()])
        name = s[1]
        if len(s) == 3 and s[2] == "configuration":
            self._only(r.method, "GET")
            return json_response(modality_json(self._modality(name)))
        if len(s) != 2:
            raise _unknown()
        if r.method == "GET":  # Orthanc lists the operations on the modality; only this one is served
            self._modality(name)
            return json_response(["configuration"])
        if r.method == "PUT":
            try:
                modality = parse_modality(name, _json_body(r), name)
            except ConfigError as exc:
                raise HttpError(400, "Bad file format", str(exc)) from None
            self.registry.put(modality)
            return Response(200, b"", "text/plain")
        if r.method == "DELETE":
            self._modality(name)
            self.registry.remove(name)
            return Response(200, b"", "text/plain")
        raise HttpError(405, "Method not allowed")

    def _modality(self, name: str) -> ModalityConfig:
        modality = self.registry.get(name)
        if modality is None:
            raise HttpError(404, "Accessing an inexistent item",
                            f"Unknown DICOM modality with symbolic name: {name}")
        return modality

