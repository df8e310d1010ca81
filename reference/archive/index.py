"""The SQLite index: one row per resource (any level), one row per (resource, label).

Strategy: a single connection guarded by the caller's lock (`Archive` serialises every call), WAL
journal with `synchronous=FULL`, foreign keys with ON DELETE CASCADE so that deleting a resource deletes
its children and every label of them (LBL-6) in one statement. Main DICOM tags are kept as a JSON object
(keyword -> string) per resource; the tag table of `reference.rules.tags` decides which are stored.
Every multi-row change runs inside `transaction()` (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from reference.rules.levels import LEVELS, Level

SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    id TEXT PRIMARY KEY,
    level INTEGER NOT NULL,
    parent TEXT REFERENCES resources(id) ON DELETE CASCADE,
    main_tags TEXT NOT NULL,
    last_update TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS resources_parent ON resources(parent);
CREATE INDEX IF NOT EXISTS resources_level ON resources(level);
CREATE TABLE IF NOT EXISTS labels (
    id TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    PRIMARY KEY (id, label)
);
CREATE INDEX IF NOT EXISTS labels_label ON labels(label);
"""


@dataclass(frozen=True)
class Row:
    id: str
    level: Level
    parent: str | None
    main_tags: Mapping[str, str]
    last_update: str = ""          # Orthanc's LastUpdate format, UTC: 20261204T220637


class Index:
    """Typed access to the SQLite index. Not thread-safe by itself: the Archive holds a lock."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- resources -------------------------------------------------------------------------------

    def insert_if_absent(self, resource_id: str, level: Level, parent: str | None,
                         main_tags: Mapping[str, str], now: str) -> bool:
        """Insert a resource row unless it exists (then only its LastUpdate moves); True if inserted."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO resources (id, level, parent, main_tags, last_update) "
            "VALUES (?, ?, ?, ?, ?)",
            (resource_id, level.depth, parent, json.dumps(dict(main_tags), sort_keys=True), now))
        if cursor.rowcount == 1:
            return True
        self._db.execute("UPDATE resources SET last_update = ? WHERE id = ?", (now, resource_id))
        return False

    def get(self, resource_id: str) -> Row | None:
        row = self._db.execute("SELECT id, level, parent, main_tags, last_update FROM resources WHERE id = ?",
                               (resource_id,)).fetchone()
        return None if row is None else _row(row)

    def rows_of_level(self, level: Level) -> list[Row]:
        rows = self._db.execute("SELECT id, level, parent, main_tags, last_update FROM resources "
                                "WHERE level = ? ORDER BY id", (level.depth,)).fetchall()
        return [_row(r) for r in rows]

    def ids_of_level(self, level: Level) -> list[str]:
        rows = self._db.execute("SELECT id FROM resources WHERE level = ? ORDER BY id", (level.depth,))
        return [r[0] for r in rows]

    def children(self, resource_id: str) -> list[str]:
        rows = self._db.execute("SELECT id FROM resources WHERE parent = ? ORDER BY id", (resource_id,))
        return [r[0] for r in rows]

    def instance_ids_under(self, resource_id: str, level: Level) -> list[str]:
        """The instances of a resource (itself for an instance), sorted."""
        ids = [resource_id]
        for _ in range(level.depth, Level.INSTANCE.depth):
            ids = [child for parent in ids for child in self.children(parent)]
        return sorted(ids)

    def delete(self, resource_id: str) -> None:
        """Delete a resource and (by cascade) its descendants and their labels."""
        self._db.execute("DELETE FROM resources WHERE id = ?", (resource_id,))

    def delete_if_childless(self, resource_id: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM resources WHERE id = ? AND NOT EXISTS "
            "(SELECT 1 FROM resources AS c WHERE c.parent = ?)", (resource_id, resource_id))
        return cursor.rowcount == 1

    # --- labels ----------------------------------------------------------------------------------

    def add_labels(self, resource_id: str, labels: Iterable[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO labels (id, label) VALUES (?, ?)",
                             [(resource_id, label) for label in labels])

    def remove_label(self, resource_id: str, label: str) -> None:
        self._db.execute("DELETE FROM labels WHERE id = ? AND label = ?", (resource_id, label))

    def labels_of(self, resource_id: str) -> frozenset[str]:
        rows = self._db.execute("SELECT label FROM labels WHERE id = ?", (resource_id,))
        return frozenset(r[0] for r in rows)

    def labels_of_level(self, level: Level) -> dict[str, frozenset[str]]:
        rows = self._db.execute("SELECT l.id, l.label FROM labels AS l JOIN resources AS r ON r.id = l.id "
                                "WHERE r.level = ?", (level.depth,))
        found: dict[str, set[str]] = {}
        for resource_id, label in rows:
            found.setdefault(resource_id, set()).add(label)
        return {k: frozenset(v) for k, v in found.items()}

    def all_labels(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT label FROM labels ORDER BY label")]


def _row(raw: tuple[str, int, str | None, str, str]) -> Row:
    tags = json.loads(raw[3])
    return Row(id=raw[0], level=LEVELS[raw[1]], parent=raw[2],
               main_tags={str(k): str(v) for k, v in tags.items()}, last_update=raw[4])
