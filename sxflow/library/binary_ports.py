"""Binary ports (R7RS 6.13): bytevector ports and binary file ports, read-u8 … write-bytevector.

A binary input port is a ``BinaryInputPort`` over a Python binary file-like object
(``io.BytesIO`` for ``open-input-bytevector``, an open file for
``open-binary-input-file``). A binary output port is any Python binary file-like
object (``io.RawIOBase`` / ``io.BufferedIOBase``): ``open-output-bytevector`` makes a
``BytevectorOutputPort``. With no port argument, the byte procedures use the
process's standard input or output underneath the textual ports (``sys.stdin.buffer``).
"""

from __future__ import annotations

import io
import sys
import weakref

from ..data import EOF_OBJECT
from ..printer import write_string
from ..runtime import fault
from .bytevectors import _byte, _bytevector
from .current_output import current_output
from .indexes import check_range
from .registry import builtin, interpreter_builtin


class BinaryInputPort:
    """A binary input port: bytes from ``file`` (anything with ``read(n)``), one byte of look-ahead."""

    __slots__ = ("file", "peeked", "is_closed", "name", "__weakref__")

    def __init__(self, file, name: str) -> None:
        self.file = file
        self.peeked = b""
        self.is_closed = False
        self.name = name

    @property
    def closed(self) -> bool:
        return self.is_closed

    def _check_open(self, operation: str) -> None:
        if self.is_closed:
            raise fault(f"{operation}: the input port is closed", kind="wrong-type")

    def read_bytes(self, count: int, operation: str) -> bytes:
        """Up to ``count`` bytes (fewer only at the end of the input)."""
        self._check_open(operation)
        data = self.peeked
        self.peeked = b""
        while len(data) < count:
            more = self.file.read(count - len(data))
            if not more:
                break
            data += more
        return data

    def peek_byte(self, operation: str):
        self._check_open(operation)
        if not self.peeked:
            self.peeked = self.file.read(1) or b""
        return self.peeked[0] if self.peeked else EOF_OBJECT

    def close(self) -> None:
        self.is_closed = True
        if self.file not in (getattr(sys.stdin, "buffer", None), getattr(sys.__stdin__, "buffer", None)):
            self.file.close()

    def sx_write(self) -> str:
        return f"#<binary-input-port {self.name}>"


class BytevectorOutputPort(io.BytesIO):
    """What ``open-output-bytevector`` returns: bytes accumulate until ``get-output-bytevector``."""

    def sx_write(self) -> str:
        return "#<binary-output-port bytevector>"


class BinaryFileOutputPort(io.BufferedWriter):
    """What ``open-binary-output-file`` returns: a buffered binary file that prints as a port."""

    def sx_write(self) -> str:
        return f"#<binary-output-port {self.raw.name}>"


def is_binary_output(value) -> bool:
    return isinstance(value, (io.RawIOBase, io.BufferedIOBase)) and not isinstance(value, type)


_standard_inputs: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def binary_input(port, name: str) -> BinaryInputPort:
    """The BinaryInputPort for a port argument (None: the bytes under the current standard input)."""
    if type(port) is BinaryInputPort:
        return port
    if port is None:
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is not None:
            wrapper = _standard_inputs.get(buffer)
            if wrapper is None:
                wrapper = _standard_inputs[buffer] = BinaryInputPort(buffer, "<stdin>")
            return wrapper
    raise fault(f"{name}: expected a binary input port, got {write_string(port)}", kind="wrong-type")


def binary_output(port, current, name: str):
    """The binary file-like object to write to (None: the bytes under the current output port)."""
    if port is None:
        port = current()
        if not is_binary_output(port):
            buffer = getattr(port, "buffer", None)
            if is_binary_output(buffer):
                port.flush()  # text written before must come out first
                return buffer
            raise fault(f"{name}: the current output port is textual; give a binary output port",
                        kind="wrong-type")
    if not is_binary_output(port):
        raise fault(f"{name}: expected a binary output port, got {write_string(port)}", kind="wrong-type")
    if port.closed:
        raise fault(f"{name}: the output port is closed", kind="wrong-type")
    return port


@builtin("open-input-bytevector", types=("bytevector",))
def open_input_bytevector(value):
    return BinaryInputPort(io.BytesIO(bytes(_bytevector(value))), "<bytevector port>")


@builtin("open-output-bytevector")
def open_output_bytevector():
    return BytevectorOutputPort()


@builtin("get-output-bytevector", types=("any",))
def get_output_bytevector(port):
    if not isinstance(port, io.BytesIO):
        raise fault(f"get-output-bytevector: expected a bytevector output port, got {write_string(port)}",
                    kind="wrong-type")
    return bytearray(port.getvalue())


@builtin("read-u8", types=("any",))
def read_u8(port=None):
    data = binary_input(port, "read-u8").read_bytes(1, "read-u8")
    return data[0] if data else EOF_OBJECT


@builtin("peek-u8", types=("any",))
def peek_u8(port=None):
    return binary_input(port, "peek-u8").peek_byte("peek-u8")


@builtin("u8-ready?", types=("any",))
def is_u8_ready(port=None):
    # Bytevector and file ports never block; so a byte (or the end) is always ready.
    binary_input(port, "u8-ready?")._check_open("u8-ready?")
    return True


@builtin("read-bytevector", types=("index", "any"))
def read_bytevector(count, port=None):
    if type(count) is not int or count < 0:
        raise TypeError("expected a count")
    data = binary_input(port, "read-bytevector").read_bytes(count, "read-bytevector")
    if not data and count > 0:
        return EOF_OBJECT
    return bytearray(data)


@builtin("read-bytevector!", types=("bytevector", "any", "index", "index"))
def read_bytevector_into(target, port=None, start=0, end=None):
    start, end = check_range("read-bytevector!", start, end, len(_bytevector(target)), "bytevector")
    data = binary_input(port, "read-bytevector!").read_bytes(end - start, "read-bytevector!")
    if not data and end > start:
        return EOF_OBJECT
    target[start:start + len(data)] = data
    return len(data)


@interpreter_builtin("write-u8", types=("byte", "any"))
def make_write_u8(interpreter):
    current = current_output(interpreter)

    def write_u8(byte, port=None):
        binary_output(port, current, "write-u8").write(bytes((_byte(byte),)))

    return write_u8


@interpreter_builtin("write-bytevector", types=("bytevector", "any", "index", "index"))
def make_write_bytevector(interpreter):
    current = current_output(interpreter)

    def write_bytevector(value, port=None, start=0, end=None):
        start, end = check_range("write-bytevector", start, end, len(_bytevector(value)), "bytevector")
        binary_output(port, current, "write-bytevector").write(bytes(value[start:end]))

    return write_bytevector
