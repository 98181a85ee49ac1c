"""SQLite persistence for the flow store: one file in WAL mode, each store mutation one durable transaction.

``StoreFile(path)`` opens (or creates) a store file, reads it whole, and holds it
exclusively until ``close()`` or the end of the process; ``entries()`` gives what it
holds, in key order;
``put``, ``delete``, ``clear`` and ``replace`` (an import: all or nothing) each commit
one transaction before they return. lib/flow/store.sx calls them through the
``flow-store-file-*`` builtins (sxflow/library/storefile.py) before it changes its
in-memory table, so the table and the file never disagree.

Durability: WAL mode with ``synchronous=NORMAL`` (the default here). A commit is
appended to the write-ahead log before it returns, so it survives the process being
killed at any instant (SIGKILL included): the operating system holds the written
pages and the next opener replays the log. It is not flushed to the disk platter at
every commit, so a power cut or kernel crash may lose the last commits (never
corrupting the file). ``synchronous="full"`` adds an fsync per commit for that case,
at several times the cost (benchmarks/bench_runs.py measures both).

Safety: the file is held with an exclusive lock (``locking_mode=EXCLUSIVE``), so a
second opener — another process, or another interpreter in this one — gets a clear
"in use" error instead of two writers interleaving; the operating system releases the
lock when the holder dies. A file that is not an SQLite database, an SQLite database
of another program, a store written by a newer format version, or one whose rows
cannot be read raises ``StoreFileError`` and is never written to.

Values are encoded with sxflow/codec.py, the plain-data encoding the federation wire
shares: tagged JSON read and written by the C ``json`` module, a flat token list in
postfix order, so nesting depth never reaches the JSON parser's recursion. Format 1
(``FORMAT_VERSION``) is that encoding; a file of any other format is refused.
"""

from __future__ import annotations

import os

from .codec import CodecError, collector_paused, dumps, from_tokens, loads, to_tokens
from .data import Symbol

APPLICATION_ID = 0x73786673  # "sxfs" in the SQLite header: this file is an sxflow store
FORMAT_VERSION = 1  # PRAGMA user_version: the layout and encoding below
LOCK_WAIT_SECONDS = 0.25  # how long an open waits for another holder of the file
SYNCHRONOUS_MODES = ("normal", "full")

_SCHEMA = (
    # Rows are kept in insertion order by rowid: an upsert keeps a re-put key's rowid,
    # so re-putting keeps its place, as the in-memory store does.
    "CREATE TABLE entries (key TEXT NOT NULL UNIQUE, value TEXT NOT NULL)",
)
_UPSERT = "INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
_INSERT = "INSERT INTO entries (key, value) VALUES (?, ?)"


class StoreFileError(Exception):
    """A store file that cannot be opened, read or written; the message names the file and the reason."""


# sqlite3 costs a tenth of the interpreter's cold start and most programs never open a
# store file: it is imported by the first StoreFile (every use below comes after one).
sqlite3 = None


def _import_sqlite() -> None:
    global sqlite3
    if sqlite3 is None:
        import sqlite3


# -- the file ---------------------------------------------------------------------------


class StoreFile:
    """An open store file: exclusive, in WAL mode, every mutation committed before it returns."""

    def __init__(self, path, synchronous: str = "normal") -> None:
        self.path = os.fspath(path)
        synchronous = synchronous.lower()
        if synchronous not in SYNCHRONOUS_MODES:
            raise StoreFileError(f"store file {self.path}: synchronous must be one of "
                                 f"{', '.join(SYNCHRONOUS_MODES)}, not {synchronous!r}")
        if os.path.isdir(self.path):
            raise StoreFileError(f"cannot open store file {self.path}: it is a directory")
        _import_sqlite()
        try:
            # isolation_level=None: autocommit, so each statement is its own transaction and
            # import's BEGIN/COMMIT are ours. Access is serialised by whoever owns the
            # interpreter, so the connection may be used from another thread.
            self._connection = sqlite3.connect(self.path, timeout=LOCK_WAIT_SECONDS,
                                               isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:
            raise StoreFileError(f"cannot open store file {self.path}: {error}") from None
        try:
            self._open(synchronous)
            # Read everything now: a damaged file is refused before anything is written.
            self._loaded: list | None = self._read_entries()
        except BaseException:
            self._connection.close()
            self._connection = None
            raise

    def _open(self, synchronous: str) -> None:
        connection = self._connection
        # Exclusive before the first read: the lock is then held until close, and WAL
        # mode keeps its index in private memory (no -shm file shared with others).
        connection.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            connection.execute("BEGIN EXCLUSIVE")
            application_id = connection.execute("PRAGMA application_id").fetchone()[0]
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            objects = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if application_id == 0 and objects == 0:  # a new (or empty) database: make it a store
                for statement in _SCHEMA:
                    connection.execute(statement)
                connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                connection.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
            elif application_id != APPLICATION_ID:
                raise StoreFileError(f"cannot open store file {self.path}: it is an SQLite database "
                                     "of another program, not an sxflow store (left unchanged)")
            elif version != FORMAT_VERSION:
                newer = "a newer" if version > FORMAT_VERSION else "an incompatible"
                raise StoreFileError(f"cannot open store file {self.path}: it was written by {newer} "
                                     f"sxflow (store format {version}; this sxflow reads format "
                                     f"{FORMAT_VERSION}) (left unchanged)")
            connection.execute("COMMIT")
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreFileError(f"cannot open store file {self.path}: SQLite refused WAL mode ({mode})")
            connection.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        except sqlite3.Error as error:
            raise self._failure(error) from None
        except StoreFileError:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def _failure(self, error: sqlite3.Error) -> StoreFileError:
        text = str(error)
        if "locked" in text or "busy" in text:
            return StoreFileError(f"cannot open store file {self.path}: it is in use by another "
                                  "process or interpreter (the file is locked)")
        unreadable = "not a database" in text or "malformed" in text or "corrupt" in text
        if unreadable or not isinstance(error, sqlite3.OperationalError):
            return StoreFileError(f"cannot open store file {self.path}: it is not a readable sxflow "
                                  f"store ({text}); the file is left unchanged")
        return StoreFileError(f"cannot open store file {self.path}: {text}")

    # -- reading ---------------------------------------------------------------------

    def entries(self) -> list[tuple[object, object]]:
        """Every (key, value) pair, in key order, decoded into Scheme values (the first call reuses the open's read)."""
        loaded = self._loaded
        return loaded if loaded is not None else self._read_entries()

    def _read_entries(self) -> list[tuple[object, object]]:
        try:
            rows = self._checked_connection().execute("SELECT key, value FROM entries ORDER BY rowid").fetchall()
        except sqlite3.Error as error:
            raise self._failure(error) from None
        if not rows:
            return []
        with collector_paused():  # millions of new objects for a big store, none garbage
            return self._decode_rows(rows)

    def _decode_rows(self, rows: list) -> list[tuple[object, object]]:
        try:
            # One C call decodes every value: the rows are already JSON texts.
            documents = loads("[" + ",".join(value for _, value in rows) + "]")
        except (TypeError, ValueError):
            documents = None
        result = []
        for index, (key, value) in enumerate(rows):
            try:
                document = loads(value) if documents is None else documents[index]
                result.append((decode_key(key), from_tokens(document)))
            except (TypeError, ValueError, IndexError, KeyError) as error:
                raise StoreFileError(f"cannot open store file {self.path}: the entry {key!r} "
                                     f"cannot be read ({error}); the file is left unchanged") from None
        return result

    # -- writing (each call one committed transaction) -------------------------------

    def put(self, key, value) -> None:
        self._write(_UPSERT, (encode_key(key), encode(value)))

    def delete(self, key) -> None:
        self._write("DELETE FROM entries WHERE key = ?", (encode_key(key),))

    def clear(self) -> None:
        self._write("DELETE FROM entries", ())

    def replace(self, entries) -> None:
        """Make ``entries`` (key, value pairs, keys distinct) the whole content, in one transaction."""
        with collector_paused():
            rows = [(encode_key(key), encode(value)) for key, value in entries]
        connection = self._checked_connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("DELETE FROM entries")
            connection.executemany(_INSERT, rows)
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise StoreFileError(f"cannot write store file {self.path}: {error}") from None

    def _write(self, statement: str, parameters: tuple) -> None:
        try:
            self._checked_connection().execute(statement, parameters)
        except sqlite3.Error as error:
            raise StoreFileError(f"cannot write store file {self.path}: {error}") from None

    def _checked_connection(self):
        self._loaded = None  # any use after the open reads the file afresh
        if self._connection is None:
            raise StoreFileError(f"store file {self.path} is closed")
        return self._connection

    def close(self) -> None:
        """Release the file (its content is already durable); later writes raise StoreFileError."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def closed(self) -> bool:
        return self._connection is None

    def sx_write(self) -> str:
        return f"#<store-file {self.path}{' closed' if self.closed else ''}>"

    def __repr__(self) -> str:
        return f"<sxflow StoreFile {self.path!r}{' closed' if self.closed else ''}>"


# -- keys ------------------------------------------------------------------------------
# A string key and the symbol of the same name are different keys: a one-letter tag keeps them apart.


def encode_key(key) -> str:
    if type(key) is str:
        return "s" + key
    if type(key) is Symbol:
        return "y" + key.name
    raise StoreFileError(f"a store key is a string or a symbol, got {key!r}")


def decode_key(text: str):
    tag, name = text[:1], text[1:]
    if tag == "s":
        return name
    if tag == "y":
        return Symbol(name)
    raise ValueError(f"unknown key tag {tag!r}")


# -- values ----------------------------------------------------------------------------
# A value is stored as the JSON text of its token list in sxflow/codec.py's encoding (the
# one the federation wire uses too), read back in one C json call for a whole file.


def encode(value) -> str:
    """The JSON text of a plain-data value; StoreFileError naming the part that is not plain data."""
    try:
        return dumps(to_tokens(value))
    except CodecError as error:
        raise StoreFileError(f"a store value is plain data: {error}") from None


def decode(text: str):
    """The value of a JSON text made by ``encode``; ValueError (a CodecError) when it is not one."""
    return from_tokens(loads(text))
