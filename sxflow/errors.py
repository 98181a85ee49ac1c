"""The exceptions sxflow raises to Python and the error objects Scheme programs raise and catch."""

from __future__ import annotations

from .brief import write_brief
from .printer import write_string
from .source import caret_excerpt, format_position

# How many Scheme call frames an error keeps: the innermost ones, plus a count of the rest.
TRACE_LIMIT = 20


class SxError(Exception):
    """Base of everything sxflow raises to Python."""


class SxSyntaxError(SxError):
    """Text that cannot be read: ``.filename``, ``.line``, ``.column``, ``.message``; str shows a caret."""

    def __init__(self, message: str, position) -> None:
        self.message = message
        self.position = position
        if position is not None:
            source, self.line, self.column = position
            self.filename = source.name
        else:
            self.filename, self.line, self.column = "<string>", 0, 0
        super().__init__(message)

    def __str__(self) -> str:
        head = f"{format_position(self.position)}: {self.message}" if self.position else self.message
        excerpt = caret_excerpt(self.position)
        return f"{head}\n{excerpt}" if excerpt else head


class ErrorObject:
    """What ``error`` builds and what runtime faults raise: a message, irritants and where it happened."""

    __slots__ = ("message", "irritants", "kind", "position", "python_exception")

    def __init__(self, message: str, irritants=(), kind: str = "error", position=None,
                 python_exception: BaseException | None = None) -> None:
        self.message = message
        self.irritants = tuple(irritants)
        # "error" for (error ...); for runtime faults a word such as "unbound-variable",
        # "wrong-type", "arity", "not-a-procedure", "python", "recursion".
        self.kind = kind
        self.position = position
        self.python_exception = python_exception

    def describe(self) -> str:
        """The message followed by the irritants, written as Scheme data."""
        if not self.irritants:
            return self.message
        # Irritants are cut short here (a message is for reading); .irritants keeps them whole.
        return " ".join([self.message, *(write_brief(item) for item in self.irritants)])

    def sx_write(self) -> str:
        return "#<error " + " ".join([write_string(self.message), *(write_string(i) for i in self.irritants)]) + ">"

    def __repr__(self) -> str:
        return f"<error-object {self.describe()!r}>"


class SchemeError(SxError):
    """An uncaught Scheme raise: ``.payload`` is the raised value.

    ``.position`` is where the failing form is, ``.trace`` the Scheme call frames
    (innermost first while unwinding; shown innermost last), ``.form`` the failing form.
    """

    # Most errors are raised and caught at once (guard), so construction is Python's own
    # (no __init__: ``SchemeError(payload)``) and every other field is a class-level
    # default until it is set.
    position = None  # (source, line, column) of the failing form
    form = None
    trace: list | tuple = ()  # [position of the call, procedure name, times in a row], innermost first
    trace_dropped = 0
    own_call_skipped = False
    continuable = False
    # Set by the raise machinery (sxflow/handlers.py): the handlers from this index of the
    # handler stack inward were already called; the guard clause chosen at the raise point.
    handlers_passed = None
    guard_choice = None
    # Set by a Python caller that knows more than the raise did (e.g. which store key).
    note: str | None = None

    @property
    def payload(self):
        """The raised value."""
        return self.args[0]

    def add_frame(self, position, name) -> None:
        trace = self.trace
        if trace:
            last = trace[-1]
            # Fold a repeat only while nothing was dropped: then the frames are consecutive.
            if last[1] == name and last[0] is position and not self.trace_dropped:
                last[2] += 1
                return
        elif position is self.position and not self.own_call_skipped:
            self.own_call_skipped = True
            return  # the failing call itself: the first line of the message shows it
        else:
            trace = self.trace = []
        if len(trace) < TRACE_LIMIT:
            trace.append([position, name, 1])
        else:
            self.trace_dropped += 1

    @property
    def message(self) -> str:
        payload = self.payload
        if isinstance(payload, ErrorObject):
            text = payload.describe()
        else:
            text = f"uncaught raise: {write_brief(payload)}"
        return f"{text} ({self.note})" if self.note else text

    @property
    def filename(self):
        return self.position[0].name if self.position else None

    @property
    def line(self):
        return self.position[1] if self.position else None

    @property
    def column(self):
        return self.position[2] if self.position else None

    def __str__(self) -> str:
        lines = [f"{format_position(self.position)}: {self.message}" if self.position else self.message]
        excerpt = caret_excerpt(self.position)
        if excerpt:
            lines.append(excerpt)
        lines.extend(self.trace_lines())
        return "\n".join(lines)

    def trace_lines(self) -> list[str]:
        """The call trace, innermost last, one line per call (repeats folded into one line)."""
        if not self.trace:
            return []
        lines = ["Scheme call trace (innermost last):"]
        if self.trace_dropped:
            lines.append(f"  ... {self.trace_dropped} more")
        for position, name, count in reversed(self.trace):
            where = format_position(position) or "<python>"
            repeat = f" (repeated {count} times)" if count > 1 else ""
            lines.append(f"  {where}: call to {name}{repeat}")
        return lines


def as_scheme_error(error: SxSyntaxError) -> SchemeError:
    """A syntax error met while a program runs (scheme-parse-all, eval, load, read) as a Scheme condition of kind syntax."""
    scheme_error = SchemeError(ErrorObject(error.message, (), "syntax", error.position))
    scheme_error.position = error.position
    scheme_error.__cause__ = error
    return scheme_error
