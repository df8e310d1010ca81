"""A stand-in for the `docker` CLI, for testing the Docker launcher's flow without a Docker engine.

It understands exactly the commands orthanc_docker.py runs. `compose ... up` starts the native Orthanc of
the cached tree of ORTHANC_SUITE with the mounted configuration, its container paths mapped to the
host paths given in MTDICOM_CONFIG/MTDICOM_STORAGE (what Docker's bind mounts would do), detached like a
container; `ps`, `inspect`, `logs` and `down` act on that process. Every call is appended to
FAKE_DOCKER_CALLS. Used by test_docker.py only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conformance.launchers.orthanc_tree import find_tree

CONTAINER_STORAGE = "/var/lib/orthanc-mtdicom"
PLUGIN = "/usr/share/orthanc/plugins/libMultitenantDicom.so"


def main(argv: list[str]) -> int:
    with open(os.environ["FAKE_DOCKER_CALLS"], "a") as calls:
        calls.write(json.dumps(argv) + "\n")
    if argv[:1] == ["info"]:
        print("fake-engine")
        return 0
    if argv[:1] == ["inspect"]:
        pid = int(argv[-1].removeprefix("fake-"))
        print("running" if _alive(pid) else "exited")
        return 0
    if argv[:2] == ["compose", "version"]:
        print("Docker Compose version fake")
        return 0
    if argv[:1] != ["compose"]:
        return 1
    state = Path(os.environ["MTDICOM_STORAGE"]).parent
    pid_file, log = state / "fake-container.pid", state / "fake-container.log"
    command = argv[5]  # compose -p PROJECT -f FILE <command> ...
    if command == "up":
        tree = find_tree(os.environ["ORTHANC_SUITE"])
        assert tree is not None, "provision the suite first"
        config = json.loads(Path(os.environ["MTDICOM_CONFIG"]).read_text())
        assert config["StorageDirectory"] == CONTAINER_STORAGE and config["Plugins"] == [PLUGIN]
        config["StorageDirectory"] = config["IndexDirectory"] = os.environ["MTDICOM_STORAGE"]
        config["Plugins"] = [str(tree.plugin_path)]
        mapped = state / "fake-container.json"
        mapped.write_text(json.dumps(config))
        with open(log, "ab") as out:
            container = subprocess.Popen(tree.command(mapped), stdout=out, stderr=subprocess.STDOUT,
                                         env=tree.environment(), start_new_session=True)
        pid_file.write_text(str(container.pid))
        return 0
    pid = int(pid_file.read_text()) if pid_file.exists() else 0
    if command == "ps":
        if pid and _alive(pid):
            print(f"fake-{pid}")
        return 0
    if command == "logs":
        sys.stdout.write(log.read_text() if log.exists() else "")
        return 0
    if command == "down":
        if pid and _alive(pid):
            os.killpg(pid, signal.SIGTERM)
            give_up = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < give_up:
                time.sleep(0.05)  # waiting for the fake container to exit, bounded
        pid_file.unlink(missing_ok=True)
        return 0
    return 1


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
