"""Configuration (CFG-1..7): defaults, parsing, and errors that name their JSON path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reference.config import ConfigError, DicomOptions, Variants, load_config
from reference.rules.labels import Constraint
from reference.rules.levels import Level


def tenant(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"AET": "HELLO", "Port": 4343, "Labels": ["hello"]}
    entry.update(overrides)
    return entry


def with_tenants(*entries: Any, **top: Any) -> dict[str, Any]:
    return {"MultitenantDicom": {"Servers": list(entries)}, **top}


def config_error(source: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(source)
    return info.value


def test_defaults() -> None:
    config = load_config({})
    assert (config.dicom_aet, config.dicom_port, config.http_port) == ("ORTHANC", 4242, 8042)
    assert config.tenants == () and config.modalities == ()
    assert config.options == DicomOptions()
    assert config.options.always_allow_find is False and config.options.scp_timeout == 30
    assert config.variants == Variants()
    assert config.variants.none_empty == "none-empty=all"


def test_tenant_defaults_and_values() -> None:
    config = load_config(with_tenants(tenant(), tenant(AET="B", Port=4344, Labels=["a", "b", "a"],
                                                        LabelsConstraint="None", LabelsStoreLevels=[])))
    first, second = config.tenants
    assert first.aet == "HELLO" and first.port == 4343 and first.labels == frozenset({"hello"})
    assert first.constraint is Constraint.ALL
    assert first.store_levels == frozenset({Level.STUDY, Level.SERIES, Level.INSTANCE})  # CFG-6 default
    assert second.labels == frozenset({"a", "b"})                                       # duplicates collapse
    assert second.constraint is Constraint.NONE and second.store_levels == frozenset()


def test_store_level_names_are_lenient() -> None:
    config = load_config(with_tenants(tenant(LabelsStoreLevels=["patients", "STUDY", "Image"])))
    assert config.tenants[0].store_levels == frozenset({Level.PATIENT, Level.STUDY, Level.INSTANCE})


@pytest.mark.parametrize("servers", [None, [], "absent"])
def test_no_tenant(servers: Any) -> None:
    source: dict[str, Any] = {} if servers == "absent" else {"MultitenantDicom": {"Servers": servers or []}}
    assert load_config(source).tenants == ()


@pytest.mark.parametrize(("source", "path", "reason"), [
    ({"MultitenantDicom": {"Servers": {"AET": "X"}}}, "MultitenantDicom.Servers", "array"),   # CFG-1
    ({"MultitenantDicom": {"Servers": "x"}}, "MultitenantDicom.Servers", "array"),
    ({"MultitenantDicom": []}, "MultitenantDicom", "object"),
    (with_tenants(42), "MultitenantDicom.Servers[0]", "object"),
    (with_tenants({"Port": 1, "Labels": []}), "MultitenantDicom.Servers[0].AET", "required"),  # CFG-2
    (with_tenants(tenant(AET="")), "MultitenantDicom.Servers[0].AET", "1 to 16"),
    (with_tenants(tenant(AET="A" * 17)), "MultitenantDicom.Servers[0].AET", "1 to 16"),
    (with_tenants(tenant(AET=5)), "MultitenantDicom.Servers[0].AET", "string"),
    (with_tenants({"AET": "A", "Labels": []}), "MultitenantDicom.Servers[0].Port", "required"),  # CFG-3
    (with_tenants(tenant(Port=-1)), "MultitenantDicom.Servers[0].Port", "0 and 65535"),
    (with_tenants(tenant(Port=70000)), "MultitenantDicom.Servers[0].Port", "0 and 65535"),
    (with_tenants(tenant(Port="4343")), "MultitenantDicom.Servers[0].Port", "integer"),
    (with_tenants(tenant(Port=True)), "MultitenantDicom.Servers[0].Port", "integer"),
    (with_tenants({"AET": "A", "Port": 1}), "MultitenantDicom.Servers[0].Labels", "required"),  # CFG-4
    (with_tenants(tenant(Labels="hello")), "MultitenantDicom.Servers[0].Labels", "array"),
    (with_tenants(tenant(Labels=["ok", "not ok"])), "MultitenantDicom.Servers[0].Labels[1]", "'not ok'"),
    (with_tenants(tenant(Labels=[3])), "MultitenantDicom.Servers[0].Labels[0]", "invalid label"),
    (with_tenants(tenant(), tenant(AET="B", Port=2, LabelsConstraint="all")),                    # CFG-5
     "MultitenantDicom.Servers[1].LabelsConstraint", "must be one of All, Any, None (got 'all')"),
    (with_tenants(tenant(LabelsStoreLevels=["Study", "Frame"])),                                  # CFG-6
     "MultitenantDicom.Servers[0].LabelsStoreLevels[1]", "'Frame'"),
    (with_tenants(tenant(LabelsStoreLevels="Study")),
     "MultitenantDicom.Servers[0].LabelsStoreLevels", "array"),
    ({"DicomAlwaysAllowFind": "yes"}, "DicomAlwaysAllowFind", "true or false"),                   # CFG-7
    ({"DicomScpTimeout": -1}, "DicomScpTimeout", "between"),
    ({"MaximumPduLength": 10}, "MaximumPduLength", "between"),
    ({"DefaultEncoding": "Klingon"}, "DefaultEncoding", "must be one of"),
    ({"DicomModalities": {"m": ["A", "127.0.0.1"]}}, "DicomModalities.m", "[AET, Host, Port]"),
    ({"DicomModalities": {"m": {"AET": "A", "Host": "h"}}}, "DicomModalities.m.Port", "required"),
    ({"DicomModalities": {"m": {"AET": "A", "Host": "h", "Port": 1, "AllowFind": 1}}},
     "DicomModalities.m.AllowFind", "true or false"),
    ({"DicomAet": ""}, "DicomAet", "1 to 16"),
    ({"DicomPort": 65536}, "DicomPort", "0 and 65535"),
    ({"ReferenceVariants": {"FIND-4": "strict"}}, "ReferenceVariants.FIND-4", "orthanc, dicom"),
    ({"ReferenceVariants": {"NOPE-1": "x"}}, "ReferenceVariants.NOPE-1", "unknown variant"),
])
def test_errors_name_their_json_path(source: dict[str, Any], path: str, reason: str) -> None:
    error = config_error(source)
    assert error.json_path == path
    assert str(error).startswith(f"{path}: ")
    assert reason in str(error)


def test_port_clash_between_tenants_is_refused() -> None:
    error = config_error(with_tenants(tenant(), tenant(AET="B")))
    assert error.json_path == "MultitenantDicom.Servers[1].Port"
    assert "MultitenantDicom.Servers[0].Port" in error.reason


def test_port_clash_with_main_server_is_refused() -> None:
    error = config_error(with_tenants(tenant(Port=4242)))
    assert error.json_path == "MultitenantDicom.Servers[0].Port" and "DicomPort" in error.reason
    assert config_error({"HttpPort": 4242}).json_path == "DicomPort"


def test_port_zero_never_clashes() -> None:
    config = load_config(with_tenants(tenant(Port=0), tenant(AET="B", Port=0), DicomPort=0, HttpPort=0))
    assert [t.port for t in config.tenants] == [0, 0]


def test_modalities_both_forms_and_options() -> None:
    config = load_config({
        "DicomModalities": {"a": ["SCP", "127.0.0.1", 2000], "b": ["X", "localhost", "104", "GE"],
                            "c": {"AET": "C", "Host": "127.0.0.1", "Port": 5, "AllowMove": False}},
        "DicomAlwaysAllowFind": True, "StrictAetComparison": True, "DicomThreadsCount": 2,
        "ReferenceVariants": {"LBL-5": "none-empty=unlabelled", "MOVE-5": "dicom"},
        "UnknownKey": {"whatever": 1},
    })
    by_name = {m.name: m for m in config.modalities}
    assert (by_name["a"].aet, by_name["a"].host, by_name["a"].port) == ("SCP", "127.0.0.1", 2000)
    assert by_name["b"].port == 104 and by_name["b"].manufacturer == "GE"
    assert by_name["c"].allow_move is False and by_name["c"].allow_find is True
    assert config.options.always_allow_find and config.options.strict_aet_comparison
    assert config.options.threads_count == 2
    assert config.variants.none_empty == "none-empty=unlabelled"
    assert config.variants.move_responses == "dicom" and config.variants.find_levels == "orthanc"


def test_load_from_file_with_comments_and_relative_storage(tmp_path: Path) -> None:
    path = tmp_path / "orthanc.json"
    path.write_text('{\n  // a comment, as Orthanc allows\n  "StorageDirectory": "db", /* inline */\n'
                    '  "Name": "with // inside a string"\n}\n', encoding="utf-8")
    config = load_config(path)
    assert config.storage_dir == tmp_path / "db"
    assert config.name == "with // inside a string"
    assert load_config(str(path)).storage_dir == tmp_path / "db"


def test_unreadable_or_invalid_files(tmp_path: Path) -> None:
    assert config_error(tmp_path / "missing.json").json_path == "$"
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    assert "invalid JSON" in str(config_error(bad))
    array = tmp_path / "array.json"
    array.write_text("[1, 2]", encoding="utf-8")
    error = config_error(array)
    assert error.json_path == "$" and "object" in error.reason


def test_json_text_source() -> None:
    assert load_config('{"DicomAet": "MAIN"}').dicom_aet == "MAIN"
