"""Command line for the launchers.

    python -m conformance.launchers provision trixie sid [--refresh]
    python -m conformance.launchers run orthanc --tenants A:a B:b,c:Any C:c:None:Study,Series
    python -m conformance.launchers config orthanc --tenants A:a
    python -m conformance.launchers bench --output reports/benchmarks/provisioning.md

A tenant is `AET:LABELS[:CONSTRAINT[:STORE_LEVELS]]`, LABELS and STORE_LEVELS comma-separated (LABELS
may be empty: `X::None`). `run` prints where everything listens and runs until Ctrl-C; `config` prints
the configuration that `run` would write (with freshly chosen free ports).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from conformance.launchers import IMPLS, LaunchError, SpecError, start_target
from conformance.launchers.config import build_config
from conformance.launchers.orthanc_native import IMPL_SUITES
from conformance.launchers.orthanc_tree import (
    PLUGIN_RELPATH,
    SUITE_SERIES,
    ProvisionError,
    find_tree,
    provision,
)
from conformance.launchers.ports import bind_spec_ports
from conformance.launchers.spec import CONSTRAINTS, TargetSpec, TenantSpec


def parse_tenant(text: str) -> TenantSpec:
    """`AET:LABELS[:CONSTRAINT[:STORE_LEVELS]]` -> TenantSpec (argparse `type=`)."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 4 or not parts[0]:
        raise argparse.ArgumentTypeError(f"{text!r}: expected AET:LABELS[:CONSTRAINT[:STORE_LEVELS]]")
    labels = tuple(x for x in parts[1].split(",") if x)
    constraint = parts[2] if len(parts) > 2 and parts[2] else "All"
    if constraint not in CONSTRAINTS:
        raise argparse.ArgumentTypeError(f"{text!r}: constraint must be one of {', '.join(CONSTRAINTS)}")
    levels = tuple(x for x in parts[3].split(",") if x) if len(parts) > 3 else None
    return TenantSpec(parts[0], labels, constraint, levels)


def parse_option(text: str) -> tuple[str, object]:
    """`KEY=JSON` (or `KEY=text` when not JSON) -> a top-level option."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m conformance.launchers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    prov = commands.add_parser("provision", help="build (or reuse) the Debian trees of real Orthanc")
    prov.add_argument("suites", nargs="*", metavar="KIND",
                      help=f"a suite ({', '.join(SUITE_SERIES)}) or suite+postgresql; default: the suites")
    prov.add_argument("--refresh", action="store_true", help="rebuild even if a tree is cached")
    bench = commands.add_parser("bench", help="time provisioning (cold/warm) and start-up; print Markdown")
    bench.add_argument("--suites", nargs="*", default=[*SUITE_SERIES, "trixie+postgresql"], metavar="KIND")
    bench.add_argument("--impls", nargs="*", choices=IMPLS,
                       default=["orthanc", "orthanc-1.13", "orthanc-postgresql", "reference"])
    bench.add_argument("--runs", type=int, default=5)
    bench.add_argument("--output", type=Path, help="also write the report to this file")
    for name, help_text in (("run", "start a target and keep it running until Ctrl-C"),
                            ("config", "print the configuration a target would get")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("impl", choices=IMPLS)
        sub.add_argument("--tenants", nargs="*", type=parse_tenant, default=[], metavar="AET:LABELS[:C[:LV]]")
        sub.add_argument("--aet", default="ORTHANC", help="the main DICOM server's AET")
        sub.add_argument("--option", action="append", type=parse_option, default=[], metavar="KEY=JSON",
                         help="a top-level configuration option (repeatable)")
        if name == "run":
            sub.add_argument("--workdir", type=Path, help="default: a new temporary directory")
            sub.add_argument("--verbose", action="store_true", help="Orthanc --verbose")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "provision":
            return _provision(args.suites or list(SUITE_SERIES), args.refresh)
        if args.command == "bench":
            from conformance.launchers.bench import report

            text = report(args.suites, args.impls, args.runs)
            print(text)
            if args.output:
                args.output.parent.mkdir(parents=True, exist_ok=True)
                args.output.write_text(text)
            return 0
        spec = TargetSpec(main_aet=args.aet, tenants=args.tenants, options=dict(args.option))
        if args.command == "config":
            return _print_config(args.impl, spec)
        return _run(args.impl, spec, args.workdir, args.verbose)
    except (ProvisionError, LaunchError, SpecError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _provision(suites: Sequence[str], refresh: bool) -> int:
    for suite in suites:
        result = provision(suite, refresh=refresh)
        how = "built" if result.built else "cached"
        manifest = result.tree.manifest
        print(f"{suite}: Orthanc {manifest.upstream_version} ({manifest.package} {manifest.package_version}) "
              f"{how} in {result.seconds:.2f} s at {result.tree.root}")
    return 0


def _print_config(impl: str, spec: TargetSpec) -> int:
    bound = bind_spec_ports(spec)
    if impl in IMPL_SUITES:
        tree = find_tree(IMPL_SUITES[impl])
        missing = f"<{IMPL_SUITES[impl]} tree, not provisioned>/{PLUGIN_RELPATH}"
        plugin = str(tree.plugin_path) if tree else missing
        config = build_config(bound, "<workdir>/storage", plugin)
        if impl == "orthanc-postgresql":
            config["Plugins"].append(plugin.replace("libMultitenantDicom.so", "libOrthancPostgreSQLIndex.so"))
            config["PostgreSQL"] = {"EnableIndex": True, "EnableStorage": False, "Host": "127.0.0.1",
                                    "Port": "<chosen when PostgreSQL starts>", "Database": "postgres",
                                    "Username": "orthanc"}
    elif impl == "orthanc-docker":
        from conformance.launchers.orthanc_docker import docker_config

        config = docker_config(bound)[1]
    else:
        config = build_config(bound, "<workdir>/storage", None)
    print(json.dumps(config, indent=2))
    return 0


def _run(impl: str, spec: TargetSpec, workdir: Path | None, verbose: bool) -> int:
    with contextlib.ExitStack() as stack:
        where = workdir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"mtdicom-{impl}-")))
        with start_target(impl, spec, where, verbose=verbose) as running:
            print(f"{impl} {running.version} ready in {running.startup_seconds:.2f} s (workdir {where})")
            print(f"  REST        {running.http_url}")
            print(f"  main DICOM  {running.dicom_aet} 127.0.0.1:{running.dicom_port}")
            for aet, port in running.tenant_ports.items():
                print(f"  tenant      {aet} 127.0.0.1:{port}")
            print(f"  log         {running.log_path}\nCtrl-C to stop.", flush=True)
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
            try:
                while not stop.wait(3600):
                    pass
            except KeyboardInterrupt:
                pass
            print("stopping", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
