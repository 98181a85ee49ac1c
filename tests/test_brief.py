"""sxflow.brief: bounded write text of irritants for error messages."""

from __future__ import annotations

import pytest

from sxflow import Symbol, brief
from sxflow.data import make_list


@pytest.mark.slow
def test_write_brief_bounds_huge_and_cyclic_values():
    huge = make_list(range(1_000_000))
    text = brief.write_brief(huge)
    assert text.startswith("(0 1 2 3") and text.endswith("...")
    assert len(text) <= brief.MAX_IRRITANT_CHARACTERS + 3
    ring = make_list([1, 2, 3])
    ring.cdr.cdr.cdr = ring
    assert len(brief.write_brief(ring)) <= brief.MAX_IRRITANT_CHARACTERS + 3
    assert brief.write_brief(make_list([1, "two", Symbol("three")])) == '(1 "two" three)'
    assert brief.write_brief("x" * 10_000).startswith('"xxx')
