"""How the command line and the REPL report to the user: program files read with clear errors, errors and results printed."""

from __future__ import annotations

import difflib
import sys
import traceback

from .data import MultipleValues
from .printer import write_string

COMMANDS = ("run", "eval", "check", "repl", "serve", "runs", "resume")


class UsageError(Exception):
    """A problem with the command line or its files: reported in one line, exit status 2."""


# ---------------------------------------------------------------------------
# Files


def read_program(path: str) -> str:
    """The text of a program file ('-' is standard input); UsageError naming the path if unreadable."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
    except FileNotFoundError:
        raise UsageError(f"cannot read {path}: no such file{_command_hint(path)}") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {path}: it is a directory") from None
    except PermissionError:
        raise UsageError(f"cannot read {path}: permission denied") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"cannot read {path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    return strip_shebang(text)


def strip_shebang(text: str) -> str:
    """Blank a '#!/...' first line (keeping the line count) so executable scripts read as Scheme."""
    if text.startswith("#!/") or text.startswith("#! "):
        end = text.find("\n")
        return "" if end < 0 else text[end:]
    return text


def _command_hint(path: str) -> str:
    close = difflib.get_close_matches(path, COMMANDS, n=1, cutoff=0.7)
    return f" (did you mean the command '{close[0]}'?)" if close else ""


# ---------------------------------------------------------------------------
# Reporting


def print_error(error: BaseException, debug: bool = False) -> None:
    """An SxError as the user sees it everywhere: position, caret excerpt, Scheme call trace."""
    flush_quietly(sys.stdout)
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    print(str(error), file=sys.stderr)
    sys.stderr.flush()


def print_internal_error(error: BaseException, debug: bool = False) -> None:
    flush_quietly(sys.stdout)
    if debug:
        traceback.print_exception(error, file=sys.stderr)
    text = str(error)
    print(f"sxflow: internal error: {type(error).__name__}{': ' + text if text else ''}", file=sys.stderr)
    if not debug:
        print("This is a bug in sxflow; run again with --debug to see the Python traceback.", file=sys.stderr)
    sys.stderr.flush()


def flush_quietly(stream) -> None:
    """Flush ``stream``, ignoring a closed or broken one (an error report must still go out)."""
    try:
        stream.flush()
    except (OSError, ValueError):
        pass


def write_result(value, stream=None) -> None:
    """Write a result with ``write``, one line per value; the unspecified value writes nothing."""
    stream = stream or sys.stdout
    values = value.values if type(value) is MultipleValues else (value,)
    for item in values:
        if item is not None:
            stream.write(write_string(item) + "\n")
    stream.flush()
