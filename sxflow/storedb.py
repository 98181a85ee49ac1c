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

Values are encoded as tagged JSON read and written by the C ``json`` module: a flat
token list in postfix order, so nesting depth never reaches the JSON parser's
recursion (see ``encode``).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from fractions import Fraction

from .data import NIL, Char, Pair, Symbol

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
        try:
            # One C call decodes every value: the rows are already JSON texts.
            documents = json.loads("[" + ",".join(value for _, value in rows) + "]")
        except (TypeError, ValueError):
            documents = None
        result = []
        for index, (key, value) in enumerate(rows):
            try:
                document = json.loads(value) if documents is None else documents[index]
                result.append((decode_key(key), decode_tokens(document)))
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
# A value is a JSON list of tokens in postfix order:
#   string -> JSON string; boolean -> true/false; () -> null;
#   integer -> JSON number when |n| < 2**63, else ["i", hex];
#   float -> JSON number (repr round-trips exactly), ["f", "+inf.0" | "-inf.0" | "+nan.0"];
#   exact rational -> ["q", numerator hex, denominator hex]; symbol -> ["y", name];
#   character -> ["c", char]; list of n items -> the items' tokens, then ["L", n];
#   vector of n items -> the items' tokens, then ["V", n].

_SMALL = 2**63
_SPECIAL_FLOATS = {"+inf.0": math.inf, "-inf.0": -math.inf, "+nan.0": math.nan}


def encode(value) -> str:
    """The JSON text of a plain-data value (the store has already checked that it is plain)."""
    return json.dumps(encode_tokens(value), ensure_ascii=False, separators=(",", ":"))


def encode_tokens(value) -> list:
    tokens: list = []
    append = tokens.append
    pending = [value]  # values still to encode, and ("L"/"V", n) tuples: tokens to emit after their items
    pop = pending.pop
    push = pending.append
    while pending:
        item = pop()
        kind = type(item)
        if kind is str or kind is bool:
            append(item)
        elif kind is int:
            append(item if -_SMALL < item < _SMALL else ["i", format(item, "x")])
        elif kind is Pair or isinstance(item, Pair):
            items = []
            while isinstance(item, Pair):
                items.append(item.car)
                item = item.cdr
            if item is not NIL:
                raise StoreFileError("a store value is plain data: a dotted list is not")
            push(("L", len(items)))
            pending.extend(reversed(items))
        elif kind is Symbol:
            append(["y", item.name])
        elif item is NIL:
            append(None)
        elif kind is tuple:
            append(list(item))
        elif kind is list:
            push(("V", len(item)))
            pending.extend(reversed(item))
        elif kind is float:
            append(item if math.isfinite(item) else
                   ["f", "+nan.0" if math.isnan(item) else ("+inf.0" if item > 0 else "-inf.0")])
        elif kind is Fraction:
            append(["q", format(item.numerator, "x"), format(item.denominator, "x")])
        elif kind is Char:
            append(["c", item.char])
        else:
            raise StoreFileError(f"a store value is plain data, not {item!r}")
    return tokens


def decode(text: str):
    """The value of a JSON text made by ``encode``; ValueError when it is not one."""
    return decode_tokens(json.loads(text))


_JSON_ATOMS = frozenset((str, int, float, bool))


def decode_tokens(tokens):
    if type(tokens) is not list:
        raise ValueError("a stored value is a list of tokens")
    stack: list = []
    push = stack.append
    atoms = _JSON_ATOMS
    for token in tokens:
        kind = type(token)
        if kind in atoms:
            push(token)
        elif token is None:
            push(NIL)
        elif kind is list and token:
            tag = token[0]
            if tag == "L":
                count = token[1]
                if type(count) is not int or not 0 <= count <= len(stack):
                    raise ValueError(f"bad item count in {token!r}")
                result = NIL
                for _ in range(count):
                    result = Pair(stack.pop(), result)
                push(result)
            elif tag == "y":
                push(Symbol(token[1]))
            elif tag == "V":
                count = token[1]
                if type(count) is not int or not 0 <= count <= len(stack):
                    raise ValueError(f"bad item count in {token!r}")
                items = stack[len(stack) - count:] if count else []
                del stack[len(stack) - count:]
                push(items)
            elif tag == "c":
                push(Char(token[1]))
            elif tag == "i":
                push(int(token[1], 16))
            elif tag == "q":
                push(Fraction(int(token[1], 16), int(token[2], 16)))
            elif tag == "f":
                push(_SPECIAL_FLOATS[token[1]])
            else:
                raise ValueError(f"unknown token {token!r}")
        else:
            raise ValueError(f"unknown token {token!r}")
    if len(stack) != 1:
        raise ValueError(f"a stored value is one value, found {len(stack)}")
    return stack[0]
