"""The sandbox's one SQLite database: WAL mode, one transaction per action, shared by processes."""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pcanb.errors import PcanbError

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = 1
#: The ``meta`` key of the secret that signs NextToken values (see ``pcanb.sandbox.paging``).
PAGING_SECRET_KEY = "paging_secret"

# Counters for a database made before the ca_counters table existed.
_BACKFILL_COUNTERS = (
    "INSERT INTO ca_counters (ca_arn, revoked) "
    "SELECT ca_arn, COUNT(revoked_at) FROM certificates GROUP BY ca_arn"
)

#: SQLite's words for "the file system refused the write" (read-only, full, gone).
_STORAGE_FAILURES = (
    "readonly database",
    "read-only",
    "disk is full",
    "disk i/o error",
    "unable to open database file",
    "database or disk is full",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cas (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    doc TEXT NOT NULL,
    key_der BLOB NOT NULL,
    csr_pem TEXT NOT NULL,
    cert_pem TEXT,
    chain_pem TEXT,
    idempotency_token TEXT,
    created_at REAL NOT NULL,
    crl_due_at REAL
);
CREATE INDEX IF NOT EXISTS cas_by_owner ON cas (account, region);
CREATE INDEX IF NOT EXISTS cas_by_crl_due ON cas (crl_due_at);
-- Certificates: the rowid orders them (no AUTOINCREMENT: rows are never deleted, and its
-- sqlite_sequence update would cost every issuance a page write). The ARN is derived from
-- (ca_arn, serial), so UNIQUE (ca_arn, serial) is the one index an issuance has to update.
CREATE TABLE IF NOT EXISTS certificates (
    seq INTEGER PRIMARY KEY,
    arn TEXT NOT NULL,
    ca_arn TEXT NOT NULL,
    serial TEXT NOT NULL,
    der BLOB NOT NULL,
    subject TEXT NOT NULL,
    template_arn TEXT NOT NULL,
    issued_at REAL NOT NULL,
    not_before REAL NOT NULL,
    not_after REAL NOT NULL,
    available_at REAL NOT NULL,
    revoked_at REAL,
    revocation_reason TEXT,
    requested_by TEXT,
    idempotency_token TEXT,
    UNIQUE (ca_arn, serial)
);
-- Partial indexes: a new certificate (not revoked, usually without a token) enters neither, so
-- an issuance writes two index pages fewer. The CRL query (revoked_at IS NOT NULL) and the
-- idempotency lookup (idempotency_token = ?) still use them, and the audit report finds a CA's
-- rows through UNIQUE (ca_arn, serial). Databases made before had full indexes: replaced.
DROP INDEX IF EXISTS certificates_revoked;
DROP INDEX IF EXISTS certificates_by_token;
CREATE INDEX IF NOT EXISTS certificates_revoked_only ON certificates (ca_arn, revoked_at)
    WHERE revoked_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS certificates_with_token ON certificates (ca_arn, idempotency_token)
    WHERE idempotency_token IS NOT NULL;
-- Certificates revoked per CA over its lifetime, for the revocation quota: one short row bumped
-- per revocation, where a COUNT would read every revoked certificate of the CA.
CREATE TABLE IF NOT EXISTS ca_counters (
    ca_arn TEXT PRIMARY KEY,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tags (
    ca_arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT,
    seq INTEGER NOT NULL,
    PRIMARY KEY (ca_arn, key)
);
CREATE TABLE IF NOT EXISTS permissions (
    ca_arn TEXT NOT NULL,
    principal TEXT NOT NULL,
    source_account TEXT NOT NULL,
    actions TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (ca_arn, principal, source_account)
);
CREATE TABLE IF NOT EXISTS policies (ca_arn TEXT PRIMARY KEY, policy TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_reports (
    id TEXT PRIMARY KEY,
    ca_arn TEXT NOT NULL,
    bucket TEXT NOT NULL,
    s3_key TEXT NOT NULL,
    format TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    ready_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_reports_pending ON audit_reports (status, ready_at);
CREATE INDEX IF NOT EXISTS audit_reports_by_ca ON audit_reports (ca_arn, created_at);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_time REAL NOT NULL,
    event_source TEXT NOT NULL,
    event_name TEXT NOT NULL,
    region TEXT NOT NULL,
    access_key_id TEXT,
    request_id TEXT NOT NULL,
    request_parameters TEXT,
    response_elements TEXT,
    error_code TEXT,
    error_message TEXT
);
"""


class SandboxStorageError(PcanbError):
    """The sandbox directory cannot be written (read-only, permissions, disk full), or the
    sandbox was opened read-only."""


#: errno values that mean the file system refused a write (the S3 objects are plain files).
_REFUSED_WRITES = frozenset(
    {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, getattr(errno, "EDQUOT", errno.ENOSPC)}
)


def is_storage_failure(error: BaseException) -> bool:
    """True for errors that mean the state cannot be stored: SQLite's, an OSError from writing
    the S3 objects (disk full, read-only, permissions, quota), a sandbox opened read-only."""
    if isinstance(error, SandboxStorageError):
        return True
    if isinstance(error, OSError):
        return error.errno in _REFUSED_WRITES
    if not isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        return False
    text = str(error).lower()
    return any(words in text for words in _STORAGE_FAILURES)


def storage_message(path: Path, error: BaseException) -> str:
    if isinstance(error, SandboxStorageError):
        return str(error)
    return (
        f"The pcanb sandbox cannot write its state in {path.parent} ({error}). Make the "
        "directory writable (or free disk space), open the sandbox in another directory, or "
        "open it read-only (read_only=True, --read-only) to read what it holds."
    )


def read_only_message(path: Path, what: str | None = None) -> str:
    change = (
        f"{what} would change it" if what else "nothing in it can change (actions, clock, settings)"
    )
    return (
        f"The pcanb sandbox in {path.parent} was opened read-only: {change}. To change it, "
        "open it without read_only=True (serve it without --read-only), in a writable directory."
    )


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


class _LockFile:
    """One thread's descriptor of the writers' lock file, closed with the thread's storage: a
    server thread per connection (or a pool thread) must not leave its descriptor behind."""

    __slots__ = ("fd",)

    def __init__(self, path: Path) -> None:
        self.fd = -1  # set first: __del__ runs even when the open below fails
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.close()


class Store:
    """SQLite at ``path``; each thread gets its own connection (WAL lets readers run beside a writer).

    ``read_only=True`` opens an existing database without ever writing it (SQLite's
    ``mode=ro``: a read-only directory or file system will do, and a live sandbox is read as
    its writers commit; where the directory is writable SQLite may add its ``-shm`` index
    beside it); :meth:`write` then raises :class:`SandboxStorageError`.
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._local = threading.local()
        if read_only:
            self._open_read_only()
            return
        try:
            self._writer_lock()
        except OSError as error:
            raise SandboxStorageError(storage_message(self.path, error)) from error
        try:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")  # proves the directory and the file can be written
            try:
                had_counters = _has_table(conn, "ca_counters")
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                if not had_counters:
                    conn.execute(_BACKFILL_COUNTERS)
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
                # The key of the sandbox's NextToken tags (pcanb.sandbox.paging), made once.
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                    (PAGING_SECRET_KEY, secrets.token_hex(32)),
                )
                # A write that always reaches the file: a read-only file fails here, not later.
                conn.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            self.close()
            if is_storage_failure(error):
                raise SandboxStorageError(storage_message(self.path, error)) from error
            raise SandboxStorageError(
                f"The pcanb sandbox database {self.path} cannot be opened ({error}); it may not "
                "be a sandbox database. Open the sandbox in another directory."
            ) from error

    def _open_read_only(self) -> None:
        if not self.path.is_file():
            raise SandboxStorageError(
                f"There is no pcanb sandbox in {self.path.parent} to open read-only "
                f"({self.path.name} is missing)."
            )
        try:
            with self.read() as db:
                version = self.get_meta(db, "schema_version")
                current = _has_table(db, "ca_counters")
        except SandboxStorageError:
            self.close()
            raise
        except sqlite3.Error as error:
            self.close()
            raise SandboxStorageError(
                f"The pcanb sandbox database {self.path} cannot be opened read-only ({error}); "
                "it may not be a sandbox database."
            ) from error
        if version != str(SCHEMA_VERSION) or not current:
            self.close()
            raise SandboxStorageError(
                f"The pcanb sandbox database {self.path} was written by another pcanb version "
                f"(schema {version}); open it once without read_only=True to bring it up to "
                "date, or read it with that version."
            )

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect_read_only() if self.read_only else self._connect_read_write()
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def _connect_read_write(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=60000")
            # Checkpoint every ~32 MiB of WAL instead of 4 MiB: an index page rewritten by
            # many issuances is copied back once, not once per 1,000 pages. The file is cut
            # back to 64 MiB after a checkpoint.
            conn.execute("PRAGMA wal_autocheckpoint=8000")
            conn.execute("PRAGMA journal_size_limit=67108864")
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        uri = f"file:{urllib.parse.quote(str(self.path.absolute()))}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=60.0, isolation_level=None)
        try:
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # SQLite opens the file lazily
            return conn
        except sqlite3.OperationalError as error:
            conn.close()
            if "unable to open" not in str(error):
                raise
        # A WAL database in a directory nobody can write, without its -shm index: SQLite reads
        # it only as immutable, which ignores the -wal file, so that file must hold nothing.
        wal = self.path.with_name(self.path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise SandboxStorageError(
                f"The pcanb sandbox in {self.path.parent} was not closed cleanly: its latest "
                f"changes are still in {wal.name}, and SQLite can only read them from a "
                "directory it can write. Copy the directory somewhere writable and open the "
                "copy (read_only=True still leaves the copy's database unchanged), or open it "
                "once without read_only=True, which saves those changes into the database."
            )
        return sqlite3.connect(f"{uri}&immutable=1", uri=True, isolation_level=None)

    def _writer_lock(self) -> int | None:
        """This thread's descriptor of the writers' lock file (``None`` where flock is missing)."""
        if fcntl is None:
            return None
        lock = getattr(self._local, "lock", None)
        if lock is None:
            lock = _LockFile(self.path.with_name(self.path.name + ".lock"))
            self._local.lock = lock
        return lock.fd

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): all of an action's changes, or none.

        Writers queue on an advisory file lock first: the kernel wakes the next one as soon as
        the lock is free, where SQLite's busy handler would poll with sleeps of up to 100 ms
        (a convoy when several processes write at once). SQLite's own locking still decides.
        """
        if self.read_only:
            raise SandboxStorageError(read_only_message(self.path))
        conn = self._connect()
        fd = self._writer_lock()
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # SQLite has already rolled back after some errors (disk full, I/O): check
                # first so the original error is the one that surfaces.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot."""
        conn = self._connect()
        if conn.in_transaction:  # already inside an action's transaction: share its snapshot
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def get_meta(self, db: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        lock = getattr(self._local, "lock", None)
        if lock is not None:
            lock.close()
            self._local.lock = None
