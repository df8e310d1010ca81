"""Instance files on disk, written so that a crash never leaves a half-written file under a final name.

Layout: `<root>/files/<first two hex digits>/<instance id>.dcm`. `write_temp` writes and fsyncs a
temporary file beside the final one; `publish` renames it into place and fsyncs the folder; `remove`
unlinks. A temporary name (`.tmp-*`) or a file whose ID has no index row is an orphan, deleted by
`Archive` when it opens the storage.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

TEMP_PREFIX = ".tmp-"
SUFFIX = ".dcm"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStorage:
    """The files of one archive."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = root / "files"
        self.files.mkdir(parents=True, exist_ok=True)

    def path_of(self, instance_id: str) -> Path:
        return self.files / instance_id[:2] / f"{instance_id}{SUFFIX}"

    def write_temp(self, instance_id: str, data: bytes) -> Path:
        """Write `data` to a fresh temporary file next to the final path, fsynced."""
        folder = self.path_of(instance_id).parent
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            _fsync_dir(self.files)  # the new shard folder's own entry must survive a power loss too
        temp = folder / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
        with open(temp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return temp

    def publish(self, temp: Path, instance_id: str) -> None:
        """Atomically move a temporary file to its final name and make the rename durable."""
        final = self.path_of(instance_id)
        os.replace(temp, final)
        _fsync_dir(final.parent)

    def discard(self, temp: Path) -> None:
        temp.unlink(missing_ok=True)

    def remove(self, instance_id: str) -> None:
        self.path_of(instance_id).unlink(missing_ok=True)

    def exists(self, instance_id: str) -> bool:
        return self.path_of(instance_id).is_file()

    def read(self, instance_id: str) -> bytes:
        return self.path_of(instance_id).read_bytes()

    def stored_ids(self) -> Iterator[str]:
        """IDs of every published file."""
        for path in self.files.glob(f"*/*{SUFFIX}"):
            if not path.name.startswith(TEMP_PREFIX):
                yield path.name[: -len(SUFFIX)]

    def remove_temporaries(self) -> int:
        count = 0
        for path in self.files.glob(f"*/{TEMP_PREFIX}*"):
            path.unlink(missing_ok=True)
            count += 1
        return count
