"""SQLite revision log: every write appends one row; the row id is the object's resourceVersion.

WAL with synchronous=NORMAL: a committed row survives the process being killed (kill -9); only an
OS crash may lose the last transactions. Writes happen on the event loop: each is a single short
INSERT + COMMIT, far cheaper than the request around it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
_TYPE_CODE = {ADDED: 0, MODIFIED: 1, DELETED: 2}
_CODE_TYPE = {v: k for k, v in _TYPE_CODE.items()}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log (
    rv   INTEGER PRIMARY KEY,
    key  TEXT    NOT NULL,
    type INTEGER NOT NULL,
    obj  BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS log_by_key ON log (key, rv);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class LogRow:
    rv: int
    key: str
    type: str
    obj: bytes


def object_key(storage_key: str, namespace: str, name: str) -> str:
    return f"{storage_key}/{namespace}/{name}"


class RevisionLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Checkpoints copy the WAL into the database and fsync it, stalling the COMMIT that runs
        # them: the server's checkpointer process (checkpointer.py) takes them off the request
        # path. Its passive checkpoints cannot let the WAL restart while writes never pause, so
        # this auto-checkpoint (~80 MB of WAL) still does that under a
        # sustained write load, and is the safety net should the helper stop.
        self._db.execute("PRAGMA wal_autocheckpoint=20000")
        self._db.execute("PRAGMA journal_size_limit=67108864")  # a reset WAL shrinks back
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT MAX(rv) FROM log").fetchone()
        compacted = self._db.execute("SELECT v FROM meta WHERE k='compacted'").fetchone()
        self.compacted_rv = compacted[0] if compacted else 0
        self.last_rv = max(row[0] or 0, self.compacted_rv)

    def close(self) -> None:
        self._db.close()

    def next_rv(self) -> int:
        return self.last_rv + 1

    def append(self, rv: int, key: str, type_: str, obj: bytes) -> None:
        """Durably append one revision. `rv` must be next_rv()."""
        self.insert(rv, key, type_, obj)
        self.commit()

    def insert(self, rv: int, key: str, type_: str, obj: bytes) -> None:
        """Add one revision to the open transaction (begun here if needed); durable after commit()."""
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
        self._db.execute(
            "INSERT INTO log (rv, key, type, obj) VALUES (?, ?, ?, ?)", (rv, key, _TYPE_CODE[type_], obj)
        )
        self.last_rv = rv

    def commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
        row = self._db.execute("SELECT MAX(rv) FROM log").fetchone()
        self.last_rv = max(row[0] or 0, self.compacted_rv)

    def current(self) -> Iterator[LogRow]:
        """The latest revision of every live object."""
        cur = self._db.execute(
            "SELECT l.rv, l.key, l.type, l.obj FROM log l "
            "JOIN (SELECT key, MAX(rv) AS rv FROM log GROUP BY key) m ON l.rv = m.rv WHERE l.type != 2"
        )
        for rv, key, t, obj in cur:
            yield LogRow(rv, key, _CODE_TYPE[t], obj)

    def since(self, rv: int, limit: int | None = None) -> list[LogRow]:
        """Revisions after `rv`, oldest first (the tail of the log, for watch history)."""
        q = "SELECT rv, key, type, obj FROM log WHERE rv > ? ORDER BY rv"
        args: tuple[int, ...] = (rv,)
        if limit is not None:
            q += " LIMIT ?"
            args = (rv, limit)
        return [LogRow(r, k, _CODE_TYPE[t], o) for r, k, t, o in self._db.execute(q, args)]

    def tail_start(self, keep: int) -> int:
        """The rv before the last `keep` revisions (what compaction would keep)."""
        row = self._db.execute("SELECT rv FROM log ORDER BY rv DESC LIMIT 1 OFFSET ?", (keep,)).fetchone()
        return row[0] if row else self.compacted_rv

    def compact(self, upto_rv: int) -> int:
        """Forget history at or before `upto_rv`, keeping each live object's latest revision."""
        if upto_rv <= self.compacted_rv:
            return 0
        self._db.execute("BEGIN")
        cur = self._db.execute(
            "DELETE FROM log WHERE rv <= ? "
            "AND (type = 2 OR rv NOT IN (SELECT MAX(rv) FROM log GROUP BY key))",
            (upto_rv,),
        )
        self._db.execute("INSERT OR REPLACE INTO meta (k, v) VALUES ('compacted', ?)", (upto_rv,))
        self._db.execute("COMMIT")
        self.compacted_rv = upto_rv
        return cur.rowcount
