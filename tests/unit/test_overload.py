"""The database admission bound: a fixed number of slots, refusal at once beyond them."""

from __future__ import annotations

import pytest

from app.errors import Overloaded
from app.overload import DatabaseAdmission


def test_calls_beyond_the_limit_are_refused_and_counted() -> None:
    shed: list[None] = []
    admission = DatabaseAdmission(limit=2, on_shed=lambda: shed.append(None))
    with admission.admit(), admission.admit():
        assert admission.in_flight == 2
        with pytest.raises(Overloaded), admission.admit():
            pass
    assert len(shed) == 1
    assert admission.in_flight == 0


def test_a_failed_call_frees_its_slot() -> None:
    admission = DatabaseAdmission(limit=1, on_shed=lambda: None)
    with pytest.raises(RuntimeError), admission.admit():
        raise RuntimeError
    with admission.admit():
        assert admission.in_flight == 1
