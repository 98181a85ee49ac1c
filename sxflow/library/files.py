"""Files (R7RS 6.13, 6.14): opening, calling with, redirecting to, testing and deleting files, and load.

File access is a capability of the interpreter: ``Interpreter(allow_files=False)``
turns it off, and then every procedure here (and ``get-environment-variable``)
raises a "file access is disabled" error instead of touching the file system. It
is on by default, for the ``sxflow`` command and embedded use alike. A failure of
the operating system (no such file, no permission…) is an error object that
``file-error?`` recognises.
"""

from __future__ import annotations

import io
import os

from ..compiler import run_forms
from ..errors import SxSyntaxError, as_scheme_error
from ..reader import read_forms
from ..runtime import apply_procedure, fault, is_procedure
from .binary_ports import BinaryFileOutputPort, BinaryInputPort
from .current_output import output_state
from .ports import FileInputPort, close, input_redirections
from .registry import interpreter_builtin


def check_allowed(interpreter, name: str) -> None:
    """Raise the capability error unless the interpreter allows file access."""
    if not getattr(interpreter, "allow_files", True):
        raise fault(f"{name}: file access is disabled in this interpreter (Interpreter(allow_files=False))",
                    kind="file")


def _path(name: str, path) -> str:
    if type(path) is not str:
        raise TypeError("expected a file name (a string)")  # explained from the declared types
    return path


def _file_error(name: str, path: str, error: OSError):
    reason = error.strerror or str(error)
    return fault(f"{name}: cannot open {path}: {reason.lower() if reason else 'failed'}", kind="file")


def open_file(interpreter, name: str, path, mode: str):
    """Open ``path`` for a procedure ``name``: a textual or binary port; a file error on failure."""
    check_allowed(interpreter, name)
    path = _path(name, path)
    try:
        if mode == "r":
            return FileInputPort(open(path, encoding="utf-8", newline=""))
        if mode == "w":
            return open(path, "w", encoding="utf-8", newline="")
        if mode == "rb":
            return BinaryInputPort(open(path, "rb"), path)
        return BinaryFileOutputPort(io.FileIO(path, "w"))
    except OSError as error:
        raise _file_error(name, path, error) from None


def _opener(scheme_name: str, mode: str):
    def make(interpreter):
        def opener(path):
            return open_file(interpreter, scheme_name, path, mode)

        opener.__name__ = scheme_name
        return opener

    make.__name__ = f"make_{scheme_name}"
    return interpreter_builtin(scheme_name, types=("string",))(make)


_opener("open-input-file", "r")
_opener("open-output-file", "w")
_opener("open-binary-input-file", "rb")
_opener("open-binary-output-file", "wb")


def _call_with(scheme_name: str, mode: str):
    def make(interpreter):
        def call_with(path, procedure):
            if not is_procedure(procedure):
                raise TypeError("expected a procedure")  # explained from the declared types
            port = open_file(interpreter, scheme_name, path, mode)
            try:
                result = apply_procedure(procedure, (port,))
            except BaseException:
                close(port)
                raise
            close(port)
            return result

        call_with.__name__ = scheme_name
        return call_with

    make.__name__ = f"make_{scheme_name}"
    return interpreter_builtin(scheme_name, types=("string", "procedure"))(make)


_call_with("call-with-input-file", "r")
_call_with("call-with-output-file", "w")


def _call_redirected(interpreter, name, path, mode, redirections, thunk):
    """Call thunk with the file at path opened as the innermost of redirections; close it however the call ends."""
    port = open_file(interpreter, name, path, mode)
    depth = len(redirections)
    redirections.append(port)
    try:
        return apply_procedure(thunk, ())
    finally:
        del redirections[depth:]
        close(port)


@interpreter_builtin("with-input-from-file", types=("string", "procedure"))
def make_with_input_from_file(interpreter):
    def with_input_from_file(path, thunk):
        if not is_procedure(thunk):
            raise TypeError("expected a procedure")  # explained from the declared types
        return _call_redirected(interpreter, "with-input-from-file", path, "r", input_redirections(), thunk)

    return with_input_from_file


@interpreter_builtin("with-output-to-file", types=("string", "procedure"))
def make_with_output_to_file(interpreter):
    redirections = output_state(interpreter).redirections

    def with_output_to_file(path, thunk):
        if not is_procedure(thunk):
            raise TypeError("expected a procedure")  # explained from the declared types
        return _call_redirected(interpreter, "with-output-to-file", path, "w", redirections, thunk)

    return with_output_to_file


@interpreter_builtin("file-exists?", types=("string",))
def make_file_exists(interpreter):
    def file_exists(path):
        check_allowed(interpreter, "file-exists?")
        return os.path.exists(_path("file-exists?", path))

    return file_exists


@interpreter_builtin("delete-file", types=("string",))
def make_delete_file(interpreter):
    def delete_file(path):
        check_allowed(interpreter, "delete-file")
        path = _path("delete-file", path)
        try:
            os.remove(path)
        except OSError as error:
            reason = error.strerror or str(error)
            raise fault(f"delete-file: cannot delete {path}: {reason.lower()}", kind="file") from None

    return delete_file


@interpreter_builtin("load", types=("string", "environment"))
def make_load(interpreter):
    def load(path, environment=None):
        """(load file [environment]): evaluate the file's forms in the environment (the interaction one)."""
        check_allowed(interpreter, "load")
        path = _path("load", path)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            if isinstance(error, UnicodeDecodeError):
                raise fault(f"load: cannot read {path}: it is not UTF-8 text", kind="file") from None
            raise _file_error("load", path, error) from None
        try:
            forms = read_forms(text, path)
        except SxSyntaxError as error:
            raise as_scheme_error(error) from None
        run_forms([form for form, _ in forms], environment or interpreter.environment,
                  [where for _, where in forms])
        return None

    return load
