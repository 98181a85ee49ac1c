"""The interactive prompt: reads complete forms across lines, writes results, survives errors and Ctrl-C.

Whether the input so far is a complete form is decided by the reader itself: a
syntax error it marks ``incomplete`` (an open parenthesis, string, block comment…
at the end of the text) means "read another line"; any other syntax error is
reported and the pending input discarded.
"""

from __future__ import annotations

import difflib
import os
import sys

from . import __version__
from .compiler import SPECIAL_FORMS
from .errors import SxError, SxSyntaxError
from .library.system import SchemeExit
from .reader import read_all, read_forms
from .reporting import UsageError, print_error, print_internal_error, read_program, write_result

PROMPT = "sx> "
CONTINUATION_PROMPT = "..> "
HISTORY_LENGTH = 1000
HISTORY_VARIABLE = "SXFLOW_HISTORY"

COMMAND_HELP = [
    (",help", "show this help"),
    (",load FILE", "evaluate the forms of FILE"),
    (",flow", "load the flow library (when started with --no-flow)"),
    (",quit", "leave (so does Ctrl-D)"),
]

HELP_TEXT = "\n".join(
    [f"  {name:<12} {text}" for name, text in COMMAND_HELP]
    + [
        "Type Scheme forms to evaluate them; a form may span several lines (the prompt",
        "becomes '..> ' while it is open). Ctrl-C cancels the input or a running",
        "evaluation, Tab completes global names, history is kept in " + "~/.sxflow_history",
        f"(or the file named by ${HISTORY_VARIABLE}; set it empty to keep no history).",
    ]
)

COMMAND_NAMES = {
    "help": "help", "h": "help", "?": "help",
    "load": "load", "l": "load",
    "flow": "flow",
    "quit": "quit", "q": "quit", "exit": "quit",
}


def history_path() -> str | None:
    """Where the history lives: $SXFLOW_HISTORY (empty: nowhere), else ~/.sxflow_history."""
    configured = os.environ.get(HISTORY_VARIABLE)
    if configured is not None:
        return os.path.expanduser(configured) if configured else None
    return os.path.join(os.path.expanduser("~"), ".sxflow_history")


class _LineTracker:
    """Stands in for sys.stdout while a form runs, to know whether its output ended a line."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.at_line_start = True

    def write(self, text):
        if text:
            self.at_line_start = text.endswith("\n")
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Repl:
    """A read-eval-print loop over one interpreter; ``run()`` returns the exit status."""

    def __init__(self, interpreter, *, debug: bool = False, flow_loaded: bool | None = None,
                 interactive: bool | None = None) -> None:
        self.interpreter = interpreter
        self.debug = debug
        self.flow_loaded = interpreter.flow_loaded if flow_loaded is None else flow_loaded
        if interactive is None:
            interactive = sys.stdin is not None and sys.stdin.isatty()
        self.interactive = interactive
        self.entries = 0
        self.readline = None
        self.history_file: str | None = None
        self._saved_history_length = 0
        self._matches: list[str] = []
        self._pending: list[str] = []

    # -- the loop ----------------------------------------------------------------

    def run(self) -> int:
        if self.interactive:
            self._setup_readline()
            flow = "with the flow library loaded" if self.flow_loaded else "without the flow library (,flow loads it)"
            print(f"sxflow {__version__} {flow}. ,help for help, Ctrl-D to leave.")
        try:
            return self._loop()
        except SchemeExit as exit_request:
            return exit_request.status & 0xFF
        finally:
            self._save_history()

    def _loop(self) -> int:
        while True:
            try:
                status = self._step()
            except KeyboardInterrupt:
                # Ctrl-C at the prompt cancels whatever was typed so far; one arriving while a
                # result or an error is being printed only cuts that short.
                self._pending.clear()
                print("", flush=True)
                continue
            if status is not None:
                return status

    def _step(self) -> int | None:
        """Read one line and act on it; the exit status once the session is over, else None."""
        pending = self._pending
        line = self._read_line(CONTINUATION_PROMPT if pending else PROMPT)
        if line is None:  # end of input (Ctrl-D)
            if pending:
                self._report_unfinished("\n".join(pending))
            if self.interactive:
                print("", flush=True)
            return 0
        if not pending and line.lstrip().startswith(","):
            if self._command(line.strip()) == "quit":
                return 0
            self._remember_history()
            return None
        pending.append(line)
        text = "\n".join(pending)
        try:
            forms = read_forms(text, self._entry_name())
        except SxSyntaxError as error:
            if getattr(error, "incomplete", False):
                return None  # an open parenthesis, string or comment: read another line
            pending.clear()
            self._remember_history()
            print_error(error, self.debug)
            return None
        pending.clear()
        self._remember_history()
        if forms:
            self.entries += 1
            self.evaluate(forms)
        return None

    def _read_line(self, prompt: str) -> str | None:
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = sys.stdin.readline()
        if not line:
            return None
        return line[:-1] if line.endswith("\n") else line

    def _entry_name(self) -> str:
        return f"<repl-{self.entries + 1}>"

    def _report_unfinished(self, text: str) -> None:
        try:
            read_all(text, self._entry_name())
        except SxSyntaxError as error:
            print_error(error, self.debug)

    # -- evaluation -------------------------------------------------------------

    def evaluate(self, forms, show: bool = True) -> None:
        """Run each form and write its value (when ``show``); an error or Ctrl-C abandons the rest."""
        for form, position in forms:
            tracker = _LineTracker(sys.stdout)
            sys.stdout = tracker
            try:
                value = self.interpreter.eval_forms([form], positions=[position])
            except SchemeExit:
                raise
            except SxError as error:
                self._restore_stdout(tracker)
                print_error(error, self.debug)
                return
            except KeyboardInterrupt:
                self._restore_stdout(tracker)
                print("interrupted", file=sys.stderr, flush=True)
                return
            except Exception as error:
                self._restore_stdout(tracker)
                print_internal_error(error, self.debug)
                return
            finally:
                if sys.stdout is tracker:
                    self._restore_stdout(tracker)
            if show:
                write_result(value)

    @staticmethod
    def _restore_stdout(tracker: _LineTracker) -> None:
        sys.stdout = tracker._stream
        if not tracker.at_line_start:
            # Output without a final newline: end its line so the next prompt starts cleanly.
            tracker.at_line_start = True
            sys.stdout.write("\n")
        sys.stdout.flush()

    # -- commands ---------------------------------------------------------------

    def _command(self, line: str) -> str | None:
        word, _, argument = line[1:].partition(" ")
        argument = argument.strip()
        command = COMMAND_NAMES.get(word)
        if command is None:
            close = difflib.get_close_matches(word, [name for name in COMMAND_NAMES if len(name) > 2], n=1)
            hint = f" (did you mean ,{close[0]}?)" if close else ""
            print(f"unknown command ,{word}{hint}; ,help lists the commands", file=sys.stderr, flush=True)
            return None
        if command == "help":
            print(HELP_TEXT, flush=True)
        elif command == "load":
            self._load(argument)
        elif command == "flow":
            self._load_flow()
        return command

    def _load(self, argument: str) -> None:
        if not argument:
            print(",load needs a file name: ,load FILE", file=sys.stderr, flush=True)
            return
        path = os.path.expanduser(argument)
        try:
            text = read_program(path)
        except UsageError as error:
            print(str(error), file=sys.stderr, flush=True)
            return
        self._run_text(text, path)

    def _load_flow(self) -> None:
        if self.flow_loaded:
            print("the flow library is already loaded", flush=True)
            return
        try:
            self.interpreter.load_flow()
        except SxError as error:
            print_error(error, self.debug)
            return
        except Exception as error:
            print_internal_error(error, self.debug)
            return
        self.flow_loaded = True
        print("flow library loaded", flush=True)

    def _run_text(self, text: str, name: str) -> None:
        try:
            forms = read_forms(text, name)
        except SxSyntaxError as error:
            print_error(error, self.debug)
            return
        self.evaluate(forms, show=False)

    # -- readline: history and completion ----------------------------------------------

    def _setup_readline(self) -> None:
        try:
            import readline
        except ImportError:  # e.g. Windows without pyreadline: no history, no completion
            return
        self.readline = readline
        readline.set_completer(self.complete)
        # Scheme names contain - ! ? * < > = / + : keep them inside a word.
        readline.set_completer_delims(" \t\n()'\"`;[]{}")
        if "libedit" in (readline.__doc__ or ""):
            readline.parse_and_bind("bind ^I rl_complete")
        else:
            readline.parse_and_bind("tab: complete")
        self.history_file = history_path()
        readline.set_history_length(HISTORY_LENGTH)
        if self.history_file and os.path.exists(self.history_file):
            try:
                readline.read_history_file(self.history_file)
            except OSError:
                pass
        self._saved_history_length = readline.get_current_history_length()

    def _remember_history(self) -> None:
        """Append the lines typed since the last call to the history file (so a crash loses nothing)."""
        readline = self.readline
        if readline is None or not self.history_file:
            return
        length = readline.get_current_history_length()
        new = length - self._saved_history_length
        if new <= 0:
            self._saved_history_length = length
            return
        try:
            with open(self.history_file, "a", encoding="utf-8"):
                pass  # append_history_file needs the file to exist
            readline.append_history_file(new, self.history_file)
        except OSError:
            return
        self._saved_history_length = length

    def _save_history(self) -> None:
        """At the end: keep the history file to its last HISTORY_LENGTH lines."""
        readline = self.readline
        if readline is None or not self.history_file:
            return
        self._remember_history()
        try:
            with open(self.history_file, encoding="utf-8", errors="replace") as handle:
                count = sum(1 for _ in handle)
            if count > HISTORY_LENGTH:
                readline.write_history_file(self.history_file)
        except OSError:
            pass

    def complete(self, text: str, state: int):
        """readline completer: global names and special forms, or REPL commands after a leading comma."""
        if state == 0:
            self._matches = self.completions(text)
        return self._matches[state] if state < len(self._matches) else None

    def completions(self, text: str) -> list[str]:
        line = self.readline.get_line_buffer() if self.readline is not None else text
        if not self._pending and text.startswith(",") and line.lstrip().startswith(text):
            return sorted(f",{name}" for name in COMMAND_NAMES if len(name) > 2 and f",{name}".startswith(text))
        prefix = ""
        for mark in (",@", ",", "#"):
            if text.startswith(mark):
                prefix, text = mark, text[len(mark):]
                break
        return sorted(prefix + name for name in self.names() if name.startswith(text))

    def names(self) -> set[str]:
        names = set(self.interpreter.keys())
        names.update(symbol.name for symbol in SPECIAL_FORMS)
        return names
