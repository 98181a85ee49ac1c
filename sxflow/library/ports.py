"""Ports: string and file input ports, reading (read-char, read-line, read…), port predicates, closing.

An output port is any Python text file-like object with a ``write`` method (a
``StringOutputPort``, ``sys.stdout``, an ``io.StringIO``, an open file); an input
port is an ``InputPort`` here, or a Python text file-like object with ``readline``,
wrapped on first use. The output procedures themselves are in ``output.py``.
"""

from __future__ import annotations

import io
import re
import sys
import threading
import weakref

from .. import reader
from ..data import EOF_OBJECT, Char
from ..errors import SxSyntaxError, as_scheme_error
from ..printer import write_string
from ..runtime import apply_procedure, fault, is_procedure
from .binary_ports import BinaryFileOutputPort, BinaryInputPort, BytevectorOutputPort
from .registry import builtin


class StringOutputPort(io.StringIO):
    """What ``open-output-string`` returns: text accumulates until ``get-output-string``."""

    def sx_write(self) -> str:
        return "#<output-port string>"


class InputPort:
    """A textual input port: a buffer of text read so far and a position in it.

    ``more()`` appends text to the buffer and says whether there was any; a string
    port has all its text from the start, a file port reads a line at a time.
    """

    __slots__ = ("text", "position", "closed", "name", "__weakref__")

    def __init__(self, text: str = "", name: str = "<string port>") -> None:
        self.text = text
        self.position = 0
        self.closed = False
        self.name = name

    def more(self) -> bool:
        return False

    def _check_open(self, operation: str) -> None:
        if self.closed:
            raise fault(f"{operation}: the input port is closed", kind="wrong-type")

    def read_char(self):
        self._check_open("read-char")
        if self.position >= len(self.text) and not self.more():
            return EOF_OBJECT
        character = self.text[self.position]
        self.position += 1
        return Char(character)

    def peek_char(self):
        self._check_open("peek-char")
        if self.position >= len(self.text) and not self.more():
            return EOF_OBJECT
        return Char(self.text[self.position])

    def read_line(self):
        """The next line without its line ending (\\n, \\r\\n), or the eof object."""
        self._check_open("read-line")
        while True:
            end = self.text.find("\n", self.position)
            if end >= 0 or not self.more():
                break
        if end < 0:
            if self.position >= len(self.text):
                return EOF_OBJECT
            line = self.text[self.position:]
            self.position = len(self.text)
        else:
            line = self.text[self.position:end]
            self.position = end + 1
        return line[:-1] if line.endswith("\r") else line

    def read_string(self, count: int):
        self._check_open("read-string")
        while len(self.text) - self.position < count and self.more():
            pass
        if self.position >= len(self.text) and count > 0:
            return EOF_OBJECT
        text = self.text[self.position:self.position + count]
        self.position += len(text)
        return text

    def read_datum(self):
        """The next datum, read by sxflow's reader, or the eof object when only blanks and comments remain."""
        self._check_open("read")
        while True:
            status, end = datum_extent(self.text, self.position)
            if status == "complete":
                break
            if self.more():
                continue
            if status == "empty":
                self.position = len(self.text)
                return EOF_OBJECT
            end = len(self.text)  # incomplete at the end of input: the reader explains what is missing
            break
        text = self.text[self.position:end]
        self.position = end
        try:
            return reader.read(text, self.name)
        except SxSyntaxError as error:
            raise as_scheme_error(error) from None

    def close(self) -> None:
        self.closed = True

    def sx_write(self) -> str:
        return f"#<input-port {self.name}>"


class FileInputPort(InputPort):
    """An input port reading a Python text file-like object a line at a time."""

    __slots__ = ("file",)

    def __init__(self, file) -> None:
        super().__init__("", getattr(file, "name", None) or "<input>")
        if not isinstance(self.name, str):
            self.name = str(self.name)
        self.file = file

    def more(self) -> bool:
        line = self.file.readline()
        if not line:
            return False
        self.text = self.text[self.position:] + line
        self.position = 0
        return True

    def close(self) -> None:
        self.closed = True
        if self.file not in (sys.stdin, sys.__stdin__):
            self.file.close()


# -- finding where one datum ends -----------------------------------------------------

_LIST, _PREFIX, _SKIP = "list", "prefix", "skip"
_HASH_PREFIX = re.compile(r"(?P<bytevector>#[uU]8\()|(?P<label>#[0-9]+=)"
                          r"|(?P<directive>#!(?:no-)?fold-case(?![^\s()\[\]{}\";'`,|]))")
_DELIMITERS = frozenset(" \t\n\r\f\v()[]{}\";'`,|")


def _skip_blanks(text: str, index: int) -> int:
    """The index of the next character that is not whitespace or inside a comment (or len(text))."""
    length = len(text)
    while index < length:
        character = text[index]
        if character.isspace():
            index += 1
        elif character == ";":
            end = text.find("\n", index)
            index = length if end < 0 else end + 1
        elif text.startswith("#|", index):
            depth = 1
            index += 2
            while depth and index < length:
                if text.startswith("|#", index):
                    depth -= 1
                    index += 2
                elif text.startswith("#|", index):
                    depth += 1
                    index += 2
                else:
                    index += 1
            if depth:
                return -1  # an unclosed block comment
        else:
            break
    return index


def _quoted_end(text: str, index: int, quote: str) -> int:
    """The index after the closing ``quote`` of a string or |symbol| starting at ``index``, or -1."""
    index += 1
    length = len(text)
    while index < length:
        character = text[index]
        if character == "\\":
            index += 2
        elif character == quote:
            return index + 1
        else:
            index += 1
    return -1


def datum_extent(text: str, start: int):
    """Where the datum starting at ``start`` ends: ("complete", end), ("empty", None) or ("incomplete", None).

    A scanner, not a parser: it tracks nesting, quote marks, datum comments,
    strings and comments, and leaves the checking of the datum to the reader.
    """
    stack: list = []
    index = start
    length = len(text)
    while True:
        index = _skip_blanks(text, index)
        if index < 0:
            return "incomplete", None
        if index >= length:
            return ("incomplete", None) if stack else ("empty", None)
        character = text[index]
        following = text[index + 1] if index + 1 < length else ""
        if character == "(" or (character == "#" and following == "("):
            stack.append(_LIST)
            index += 1 if character == "(" else 2
            continue
        if character == "#":
            # #u8( opens a list; #N= labels the datum after it; #!fold-case is no datum.
            special = _HASH_PREFIX.match(text, index)
            if special is not None:
                kind = special.lastgroup
                if kind == "bytevector":
                    stack.append(_LIST)
                elif kind == "label":
                    stack.append(_PREFIX)
                index = special.end()
                continue
        if character in "'`" or character == ",":
            stack.append(_PREFIX)
            index += 2 if character == "," and following == "@" else 1
            continue
        if character == "#" and following == ";":
            stack.append(_SKIP)
            index += 2
            continue
        if character == ")":
            if not stack or stack[-1] is not _LIST:
                return "complete", index + 1  # a stray ")": the reader reports it
            stack.pop()
            index += 1
        elif character in "[]{}":
            return "complete", index + 1  # reserved characters: the reader reports them
        elif character == '"' or character == "|":
            index = _quoted_end(text, index, character)
            if index < 0:
                return "incomplete", None
        else:
            end = index + 3 if character == "#" and following == "\\" else index + 1
            while end < length and text[end] not in _DELIMITERS:
                end += 1
            atom_is_dot = text[index:end] == "."
            index = min(end, length)
            if atom_is_dot and stack and stack[-1] is _LIST:
                continue
        # A datum just ended: complete the quote marks waiting for it, up to an open list.
        while True:
            if not stack:
                return "complete", index
            top = stack[-1]
            if top is _LIST:
                break
            stack.pop()
            if top is _SKIP:
                break  # the datum was commented out; the one after it is wanted


# -- which port -------------------------------------------------------------------------

_file_ports: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


# The ports with-input-from-file has made current, innermost last (per thread).
_redirected_inputs = threading.local()


def input_redirections() -> list:
    """This thread's stack of input ports made current by ``with-input-from-file``."""
    ports = getattr(_redirected_inputs, "ports", None)
    if ports is None:
        ports = _redirected_inputs.ports = []
    return ports


def input_port(value, name: str) -> InputPort:
    """The InputPort for a port argument (None: the current input port)."""
    if value is None:
        ports = getattr(_redirected_inputs, "ports", None)
        value = ports[-1] if ports else sys.stdin
    if isinstance(value, InputPort):
        return value
    if callable(getattr(value, "readline", None)) and not isinstance(value, StringOutputPort):
        try:
            port = _file_ports.get(value)
        except TypeError:  # not weakly referenceable: a fresh wrapper (no peeked text kept)
            return FileInputPort(value)
        if port is None:
            port = _file_ports[value] = FileInputPort(value)
        return port
    raise fault(f"{name}: expected an input port, got {write_string(value)}", kind="wrong-type")


def _able(value, method: str) -> bool:
    test = getattr(value, method, None)
    if test is None:
        return True
    try:
        return bool(test())
    except ValueError:  # a closed file: still a port
        return True


def is_input_port(value) -> bool:
    if isinstance(value, (InputPort, BinaryInputPort)):
        return True
    if isinstance(value, (StringOutputPort, BytevectorOutputPort, BinaryFileOutputPort)) or isinstance(value, (str, type)):
        return False
    return callable(getattr(value, "readline", None)) and _able(value, "readable")


def is_output_port(value) -> bool:
    if isinstance(value, (InputPort, BinaryInputPort, str, type)):
        return False
    return callable(getattr(value, "write", None)) and _able(value, "writable")


# -- input procedures -----------------------------------------------------------------


@builtin("open-input-string", types=("string",))
def open_input_string(text):
    if type(text) is not str:
        raise TypeError("expected a string")
    return InputPort(text)


@builtin("read-char", types=("any",))
def read_char(port=None):
    return input_port(port, "read-char").read_char()


@builtin("peek-char", types=("any",))
def peek_char(port=None):
    return input_port(port, "peek-char").peek_char()


@builtin("read-line", types=("any",))
def read_line(port=None):
    return input_port(port, "read-line").read_line()


@builtin("read-string", types=("index", "any"))
def read_string(count, port=None):
    if type(count) is not int or count < 0:
        raise TypeError("expected a count")
    return input_port(port, "read-string").read_string(count)


@builtin("read", types=("any",))
def read(port=None):
    return input_port(port, "read").read_datum()


@builtin("char-ready?", types=("any",))
def is_char_ready(port=None):
    input_port(port, "char-ready?")
    return True


@builtin("current-input-port")
def current_input_port():
    return input_port(None, "current-input-port")


@builtin("eof-object")
def eof_object():
    return EOF_OBJECT


@builtin("eof-object?", types=("any",))
def is_eof_object(value):
    return value is EOF_OBJECT


# -- predicates and closing -----------------------------------------------------------


@builtin("input-port?", types=("any",))
def is_input_port_(value):
    return is_input_port(value)


@builtin("output-port?", types=("any",))
def is_output_port_(value):
    return is_output_port(value)


@builtin("port?", types=("any",))
def is_port(value):
    return is_input_port(value) or is_output_port(value)


@builtin("textual-port?", types=("any",))
def is_textual_port(value):
    binary = isinstance(value, (io.RawIOBase, io.BufferedIOBase, BinaryInputPort))
    return not binary and is_port(value)


@builtin("binary-port?", types=("any",))
def is_binary_port(value):
    return isinstance(value, (io.RawIOBase, io.BufferedIOBase, BinaryInputPort))


@builtin("input-port-open?", types=("any",))
def is_input_port_open(value):
    if not is_input_port(value):
        raise TypeError("expected an input port")
    return not getattr(value, "closed", False)


@builtin("output-port-open?", types=("any",))
def is_output_port_open(value):
    if not is_output_port(value):
        raise TypeError("expected an output port")
    return not getattr(value, "closed", False)


_STANDARD_STREAMS = ("stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__")


def close(port) -> None:
    """Close a port; the process's standard streams are flushed instead (closing them would break Python)."""
    if any(port is getattr(sys, stream, None) for stream in _STANDARD_STREAMS):
        flush = getattr(port, "flush", None)
        if flush is not None:
            flush()
        return
    if isinstance(port, InputPort):
        port.close()
        return
    wrapper = _file_ports.get(port) if not isinstance(port, (str, type)) and _weak(port) else None
    if wrapper is not None:
        wrapper.closed = True
    closer = getattr(port, "close", None)
    if closer is not None:
        closer()


def _weak(value) -> bool:
    try:
        weakref.ref(value)
    except TypeError:
        return False
    return True


@builtin("close-port", "close-input-port", "close-output-port", types=("any",))
def close_port(port):
    if not (is_input_port(port) or is_output_port(port)):
        raise fault(f"close-port: expected a port, got {write_string(port)}", kind="wrong-type")
    close(port)


@builtin("call-with-port", types=("any", "procedure"))
def call_with_port(port, procedure):
    if not is_procedure(procedure):
        raise TypeError("expected a procedure")  # explained from the declared types
    result = apply_procedure(procedure, (port,))
    close(port)
    return result
