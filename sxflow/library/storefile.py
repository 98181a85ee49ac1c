"""The flow store's file builtins: lib/flow/store.sx reaches its SQLite file (sxflow/storedb.py) through them.

They are internal to store.sx (``flow-store-open!``, ``flow-store-close!`` and the
mutations call them); a failure is a Scheme error object of kind ``file``
(``file-error?`` answers #t) whose message names the file and the reason.
sqlite3 is imported only when a store file is first opened.
"""

from __future__ import annotations

from ..data import Symbol
from ..runtime import fault
from ..storedb import StoreFile, StoreFileError
from .hashtables import HashTable, equal_key
from .registry import builtin


def _file_error(error: Exception):
    return fault(str(error), kind="file")


def _checked(file):
    if type(file) is not StoreFile:
        raise fault("flow-store-file: expected a store file", file, kind="wrong-type")
    return file


@builtin("flow-store-file-open", types=("string", "any"))
def store_file_open(path, synchronous="normal"):
    """(flow-store-file-open path [synchronous]): open or create the store file at path, held exclusively."""
    if type(path) is not str:
        raise fault("flow-store-open!: a store path is a string", path, kind="wrong-type")
    if type(synchronous) is Symbol:
        synchronous = synchronous.name
    if type(synchronous) is not str:
        raise fault("flow-store-open!: synchronous is normal or full", synchronous, kind="wrong-type")
    try:
        return StoreFile(path, synchronous)
    except StoreFileError as error:
        raise _file_error(error) from None


@builtin("flow-store-file-table", types=("any",))
def store_file_table(file):
    """(flow-store-file-table file): a fresh equal? hash table of the file's entries, in key order."""
    try:
        entries = _checked(file).entries()
    except StoreFileError as error:
        raise _file_error(error) from None
    table = HashTable(equal_key)
    for key, value in entries:
        table.set(key, value)
    return table


def _write(file, method: str, *arguments) -> None:
    try:
        getattr(_checked(file), method)(*arguments)
    except StoreFileError as error:
        raise _file_error(error) from None


@builtin("flow-store-file-put!", types=("any", "any", "any"))
def store_file_put(file, key, value):
    """(flow-store-file-put! file key value): store value under key, committed before it returns."""
    _write(file, "put", key, value)


@builtin("flow-store-file-delete!", types=("any", "any"))
def store_file_delete(file, key):
    """(flow-store-file-delete! file key): remove key, committed before it returns."""
    _write(file, "delete", key)


@builtin("flow-store-file-clear!", types=("any",))
def store_file_clear(file):
    """(flow-store-file-clear! file): remove every key, committed before it returns."""
    _write(file, "clear")


@builtin("flow-store-file-import!", types=("any", "hash-table"))
def store_file_import(file, table):
    """(flow-store-file-import! file table): replace the file's content by a store table's entries, all or nothing."""
    originals = table.originals
    try:
        _checked(file).replace([(originals.get(key, key), value) for key, value in table.values.items()])
    except StoreFileError as error:
        raise _file_error(error) from None


@builtin("flow-store-file-close!", types=("any",))
def store_file_close(file):
    """(flow-store-file-close! file): release the file; its content is already durable."""
    _checked(file).close()


@builtin("flow-store-file-path", types=("any",))
def store_file_path(file):
    """(flow-store-file-path file): the path the file was opened with."""
    return _checked(file).path
