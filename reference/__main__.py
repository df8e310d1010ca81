"""Command line of the reference server (docs/architecture.md, contract B).

``python -m reference CONFIG.json [--storage DIR] [--ready-file PATH] [--log-level LEVEL]``

Exit codes: 0 after a clean shutdown on SIGINT/SIGTERM; 2 for a bad configuration (the message names
the JSON path, nothing is started); 1 when the server cannot start (e.g. a port already in use).
Once every listener answers, one line per listener is printed on stdout and the ready file is written
atomically (temporary file + rename) as JSON: pid, http_port, dicom_aet, dicom_port, tenants.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from reference.config import load_config
from reference.errors import ConfigError
from reference.server import ReferenceServer, StartupError

EXIT_OK, EXIT_STARTUP, EXIT_CONFIG = 0, 1, 2
READY_TIMEOUT = 60.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m reference",
                                     description="Reference multitenant DICOM server (loopback only).")
    parser.add_argument("config", type=Path, help="Orthanc-format JSON configuration file")
    parser.add_argument("--storage", type=Path, default=None,
                        help="archive folder (default: StorageDirectory, else a temporary folder)")
    parser.add_argument("--ready-file", type=Path, default=None,
                        help="written (atomically, as JSON) once every listener answers")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default: INFO")
    return parser.parse_args(argv)


def write_ready_file(path: Path, server: ReferenceServer) -> None:
    """Contract B: {"pid", "http_port", "dicom_aet", "dicom_port", "tenants": {AET: port}}."""
    content = {"pid": os.getpid(), "http_port": server.http_port, "dicom_aet": server.dicom_aet,
               "dicom_port": server.dicom_port, "tenants": server.tenant_ports}
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(content), encoding="utf-8")
    os.replace(temporary, path)


def listener_lines(server: ReferenceServer) -> list[str]:
    lines = [f"REST      http://127.0.0.1:{server.http_port}",
             f"main      {server.dicom_aet} dicom://127.0.0.1:{server.dicom_port}"]
    lines += [f"tenant    {aet} dicom://127.0.0.1:{port}" for aet, port in server.tenant_ports.items()]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("pynetdicom", "pydicom"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, args.log_level)))
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"error: bad configuration {str(args.config)!r}: {exc}", file=sys.stderr)
        return EXIT_CONFIG

    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger("reference").info("signal %d: shutting down", signum)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = ReferenceServer(config, storage_dir=args.storage)
    try:
        try:
            server.start()
            server.wait_ready(READY_TIMEOUT)
        except StartupError as exc:
            server.stop()
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_STARTUP
        if args.ready_file is not None:
            write_ready_file(args.ready_file, server)
        for line in listener_lines(server):  # after the ready file: reading them means it is there
            print(line, flush=True)
        while not stopping.wait(1.0):
            pass
        return EXIT_OK
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
