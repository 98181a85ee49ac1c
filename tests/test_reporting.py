"""sxflow.reporting: program files read with clear errors, errors and results printed (cli and repl)."""

from __future__ import annotations

import io

import pytest

from sxflow import Interpreter
from sxflow.reporting import UsageError, read_program, strip_shebang, write_result


def test_read_program_names_the_path_and_the_reason(tmp_path):
    with pytest.raises(UsageError, match=r"cannot read .*missing\.sx: no such file"):
        read_program(str(tmp_path / "missing.sx"))
    with pytest.raises(UsageError, match="it is a directory"):
        read_program(str(tmp_path))
    with pytest.raises(UsageError, match="did you mean the command 'run'"):
        read_program("runn")
    binary = tmp_path / "binary.sx"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(UsageError, match="not UTF-8 text"):
        read_program(str(binary))


def test_a_shebang_line_is_blanked_keeping_the_line_count(tmp_path):
    script = tmp_path / "script.sx"
    script.write_text("#!/usr/bin/env sxflow\n(display 1)\n")
    assert read_program(str(script)) == "\n(display 1)\n"
    assert strip_shebang("#!fold-case\n(x)") == "#!fold-case\n(x)"  # a directive, not a shebang


def test_write_result_writes_each_value_on_a_line_and_nothing_for_unspecified():
    stream = io.StringIO()
    interpreter = Interpreter()
    write_result(interpreter.eval('(values 1 "two" (quote three))'), stream)
    write_result(interpreter.eval("(if #f #f)"), stream)
    assert stream.getvalue() == '1\n"two"\nthree\n'
