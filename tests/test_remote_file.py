"""lib/flow/remote.sx is the user's flattened seed with its line breaks restored, and it reads as two forms."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sxflow.data import Pair, Symbol, list_to_python
from sxflow.reader import read_all

REPOSITORY = Path(__file__).resolve().parent.parent
REMOTE = REPOSITORY / "lib" / "flow" / "remote.sx"
# The seed as it reached us; the shared directory sits beside the clone.
SHARED_SEED = REPOSITORY.parent / "shared" / "seeds" / "remote.sx.flattened"
# A byte-for-byte copy, so the test also runs where ../shared does not exist.
COMMITTED_SEED = REPOSITORY / "tests" / "data" / "remote.sx.flattened"

DEFINED_IN_SOURCE = [
    "flow-peers", "flow-assoc", "flow-peer-register!", "flow-transport", "remote-node", "flow-failover-step",
    "remote-failover", "flow-replicas", "flow-replicas-remove", "flow-replicate-to", "flow-replica-get",
    "flow-restore-from",
]


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def remote_text() -> str:
    return REMOTE.read_text(encoding="utf-8")


def test_equals_the_committed_seed_up_to_whitespace():
    assert collapse(remote_text()) == collapse(COMMITTED_SEED.read_text(encoding="utf-8"))


def test_equals_the_shared_seed_up_to_whitespace():
    if not SHARED_SEED.exists():
        pytest.skip("../shared/seeds/remote.sx.flattened is not beside this checkout")
    assert collapse(remote_text()) == collapse(SHARED_SEED.read_text(encoding="utf-8"))
    assert SHARED_SEED.read_bytes() == COMMITTED_SEED.read_bytes()


def test_the_seed_really_is_one_line():
    # Why the restoration was needed: read flat, the leading ;; comments out everything.
    seed = COMMITTED_SEED.read_text(encoding="utf-8")
    assert "\n" not in seed.rstrip("\n")
    assert read_all(seed) == []


def test_line_breaks_are_restored():
    lines = remote_text().splitlines()
    comments = [line for line in lines if line.startswith(";;")]
    assert comments and all(line == line.rstrip() for line in comments)
    # Every ;; comment is on a line of its own, and each top-level form starts a line.
    assert all(";;" not in line for line in lines if not line.startswith(";;"))
    assert sum(line.startswith("(define ") for line in lines) == 2


def test_two_define_forms():
    forms = read_all(remote_text(), str(REMOTE))
    assert len(forms) == 2
    assert all(isinstance(form, Pair) and form.car is Symbol("define") for form in forms)
    assert [form.cdr.car for form in forms] == [Symbol("flow-remote-src"), Symbol("flow-load-remote!")]
    assert forms[1].position[1:] == (len(remote_text().splitlines()), 1)


def test_the_source_string_reads_as_scheme():
    first = read_all(remote_text())[0]
    source = first.cdr.cdr.car
    assert isinstance(source, str)
    assert "\n" in source and "\\n" not in source  # real newlines, from the \n escapes
    forms = read_all(source, "flow-remote-src")
    names = []
    for form in forms:
        assert form.car is Symbol("define")
        target = form.cdr.car
        names.append((target.car if isinstance(target, Pair) else target).name)
    assert names == DEFINED_IN_SOURCE
    # Positions inside the string count its own lines.
    assert forms[1].position[1:] == (2, 2)


def test_the_loader_form():
    loader = read_all(remote_text())[1]
    body = list_to_python(loader)[2]
    assert body.car is Symbol("fn")
