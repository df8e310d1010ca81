"""TargetSpec -> Orthanc configuration -> TargetSpec, free ports, and the refusals of check_spec (CFG-3)."""

from __future__ import annotations

import argparse
import json

import pytest

from conformance.launchers.__main__ import parse_option, parse_tenant
from conformance.launchers.config import build_config, spec_from_config
from conformance.launchers.ports import bind_spec_ports, free_ports
from conformance.launchers.spec import ModalitySpec, SpecError, TargetSpec, TenantSpec, check_spec

PLUGIN = "/tree/usr/share/orthanc/plugins/libMultitenantDicom.so"


def rich_spec() -> TargetSpec:
    return TargetSpec(
        main_aet="MAIN",
        tenants=[
            TenantSpec("TENANT_A", ("a",), "All", ("Study", "Series", "Instance")),
            TenantSpec("TENANT_B", ("b", "c"), "Any"),
            TenantSpec("TENANT_C", (), "None", ()),
            TenantSpec("TENANT_D", ("d",), "All", ("Patient",)),
        ],
        modalities={
            "SUITE": ModalitySpec("SUITESCP", "127.0.0.1", 11112),
            "NOFIND": ModalitySpec("NOFIND", "127.0.0.1", 11113, allow_find=False, allow_move=True),
        },
        options={"DicomAlwaysAllowFind": False, "DicomScpTimeout": 5},
    )


def test_round_trip_spec_to_config_to_spec() -> None:
    bound = bind_spec_ports(rich_spec())
    config = build_config(bound, "/work/storage", PLUGIN)
    assert spec_from_config(json.loads(json.dumps(config))) == bound


def test_generated_config_has_what_orthanc_needs() -> None:
    bound = bind_spec_ports(rich_spec())
    config = build_config(bound, "/work/storage", PLUGIN)
    assert config["RemoteAccessAllowed"] is False and config["AuthenticationEnabled"] is False
    assert config["StorageDirectory"] == config["IndexDirectory"] == "/work/storage"
    assert config["Plugins"] == [PLUGIN]
    assert config["DicomScpTimeout"] == 5 and config["DicomAlwaysAllowFind"] is False
    servers = config["MultitenantDicom"]["Servers"]
    assert [s["AET"] for s in servers] == ["TENANT_A", "TENANT_B", "TENANT_C", "TENANT_D"]
    assert servers[1] == {"AET": "TENANT_B", "Port": bound.tenants[1].port, "Labels": ["b", "c"],
                          "LabelsConstraint": "Any"}  # no LabelsStoreLevels: the server's default applies
    assert servers[2]["LabelsStoreLevels"] == []
    assert config["DicomModalities"]["SUITE"] == ["SUITESCP", "127.0.0.1", 11112]
    assert config["DicomModalities"]["NOFIND"] == {"AET": "NOFIND", "Host": "127.0.0.1", "Port": 11113,
                                                   "AllowFind": False, "AllowMove": True}


def test_every_chosen_port_is_distinct_and_nonzero() -> None:
    spec = TargetSpec(tenants=[TenantSpec(f"T{i}", (f"l{i}",)) for i in range(12)])
    ports = list(bind_spec_ports(spec).ports().values())
    assert all(0 < p <= 65535 for p in ports)
    assert len(set(ports)) == len(ports) == 14


def test_given_ports_are_kept_and_never_handed_out_again() -> None:
    given = free_ports(2)
    spec = TargetSpec(http_port=given[0], tenants=[TenantSpec("A", port=given[1]), TenantSpec("B")])
    bound = bind_spec_ports(spec)
    assert bound.http_port == given[0] and bound.tenants[0].port == given[1]
    assert bound.tenants[1].port not in given and bound.dicom_port not in given


def test_free_ports_excludes() -> None:
    first = free_ports(5)
    assert len(set(first)) == 5
    assert not set(free_ports(5, exclude=first)) & set(first)


def test_a_tenant_port_clash_is_refused_naming_the_tenant() -> None:
    spec = TargetSpec(tenants=[TenantSpec("ALPHA", ("a",), port=4343),
                               TenantSpec("BRAVO", ("b",), port=4343)])
    with pytest.raises(SpecError, match=r"Servers\[1\] \(AET 'BRAVO'\): port 4343 is already used by "
                                        r"MultitenantDicom.Servers\[0\] \(AET 'ALPHA'\)"):
        check_spec(spec)
    with pytest.raises(SpecError, match="BRAVO"):
        bind_spec_ports(spec)  # binding never "repairs" a clash the user asked for
    with pytest.raises(SpecError, match="CFG-3"):
        spec_from_config({"MultitenantDicom": {"Servers": [{"AET": "X", "Port": 4242, "Labels": []}]},
                          "DicomPort": 4242})


def test_a_tenant_on_the_main_or_http_port_is_refused() -> None:
    with pytest.raises(SpecError, match=r"'T'.*used by DicomPort"):
        check_spec(TargetSpec(dicom_port=5000, tenants=[TenantSpec("T", port=5000)]))
    with pytest.raises(SpecError, match=r"'T'.*used by HttpPort"):
        check_spec(TargetSpec(http_port=5000, tenants=[TenantSpec("T", port=5000)]))


@pytest.mark.parametrize("port", [70000, -1, 65536])
def test_out_of_range_port_is_refused(port: int) -> None:
    with pytest.raises(SpecError, match=rf"AET 'T'\): port {port} is not in 0..65535"):
        check_spec(TargetSpec(tenants=[TenantSpec("T", port=port)]))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (TargetSpec(tenants=[TenantSpec("A" * 17)]), "1 to 16 characters"),
        (TargetSpec(tenants=[TenantSpec("A"), TenantSpec("A")]), "two tenants have the AET 'A'"),
        (TargetSpec(tenants=[TenantSpec("A", constraint="all")]), "LabelsConstraint 'all'"),  # type: ignore[arg-type]
        (TargetSpec(options={"HttpPort": 1}), "option 'HttpPort' is set by the launcher"),
        (TargetSpec(modalities={"X": ModalitySpec("X", port=0)}), r"DicomModalities.X: port 0"),
    ],
)
def test_invalid_specs_are_refused(spec: TargetSpec, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        check_spec(spec)


def test_build_config_needs_every_port() -> None:
    with pytest.raises(SpecError, match="ports not chosen yet"):
        build_config(TargetSpec(tenants=[TenantSpec("A")]), "/s", None)


def test_cli_tenant_and_option_syntax() -> None:
    assert parse_tenant("A:a") == TenantSpec("A", ("a",))
    assert parse_tenant("B:b,c:Any:Study,Series") == TenantSpec("B", ("b", "c"), "Any", ("Study", "Series"))
    assert parse_tenant("C::None") == TenantSpec("C", (), "None")
    for bad in ("A", ":a", "A:a:Some", "A:a:All:Study:x"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_tenant(bad)
    assert parse_option("DicomScpTimeout=5") == ("DicomScpTimeout", 5)
    assert parse_option("DefaultEncoding=Utf8") == ("DefaultEncoding", "Utf8")
