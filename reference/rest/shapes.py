"""Orthanc-compatible JSON shapes of the REST answers (observed on Orthanc 1.12.7), as pure functions."""

from __future__ import annotations

from typing import Any

from reference.archive.archive import Resource
from reference.config import ModalityConfig, ServerConfig
from reference.rules.levels import Level

JsonObject = dict[str, Any]

_CHILDREN_KEY = {Level.PATIENT: "Studies", Level.STUDY: "Series", Level.SERIES: "Instances"}
_PARENT_KEY = {Level.STUDY: "ParentPatient", Level.SERIES: "ParentStudy", Level.INSTANCE: "ParentSeries"}


def resource_json(resource: Resource, *, file_size: int | None = None) -> JsonObject:
    """`GET /{level}/{id}`: ID, Type, MainDicomTags, Labels, parent and children (as Orthanc)."""
    body: JsonObject = {
        "ID": resource.id,
        "Type": resource.level.value,
        "MainDicomTags": dict(sorted(resource.main_tags.items())),
        "Labels": sorted(resource.labels),
    }
    if resource.level in _PARENT_KEY:
        body[_PARENT_KEY[resource.level]] = resource.parent
    if resource.level in _CHILDREN_KEY:
        body[_CHILDREN_KEY[resource.level]] = list(resource.children)
        body["IsStable"] = True
        body["LastUpdate"] = resource.last_update
    if resource.level is Level.STUDY:
        body["PatientMainDicomTags"] = dict(sorted(resource.patient_main_tags.items()))
    if resource.level is Level.SERIES:
        body["ExpectedNumberOfInstances"] = None
        body["Status"] = "Unknown"
    if resource.level is Level.INSTANCE:
        body["FileSize"] = file_size
        number = resource.main_tags.get("InstanceNumber", "").strip()
        body["IndexInSeries"] = int(number) if number.lstrip("-").isdigit() else None
    return dict(sorted(body.items()))


def modality_json(modality: ModalityConfig) -> JsonObject:
    """One entry of `GET /modalities?expand`."""
    return {
        "AET": modality.aet, "AllowEcho": modality.allow_echo, "AllowFind": modality.allow_find,
        "AllowGet": modality.allow_get, "AllowMove": modality.allow_move, "AllowStore": modality.allow_store,
        "Host": modality.host, "Manufacturer": modality.manufacturer, "Port": modality.port,
    }


def system_json(config: ServerConfig, version: str, *, http_port: int, dicom_port: int) -> JsonObject:
    """`GET /system` (contract B of docs/architecture.md)."""
    return {
        "Version": version, "Name": config.name, "HasLabels": True, "DicomAet": config.dicom_aet,
        "DicomPort": dicom_port, "HttpPort": http_port, "Implementation": "mtdicom-reference",
        "ApiVersion": 27,
    }


def error_json(status: int, method: str, uri: str, message: str, details: str | None) -> JsonObject:
    """Orthanc's error body."""
    body: JsonObject = {"HttpError": _REASONS.get(status, "Error"), "HttpStatus": status, "Message": message,
                        "Method": method, "Uri": uri}
    if details:
        body["Details"] = details
    return body


_REASONS = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 411: "Length Required",
            413: "Request Entity Too Large", 500: "Internal Server Error"}
