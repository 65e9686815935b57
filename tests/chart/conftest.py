"""Shared renderings: each value set of the matrix is rendered once per session."""

from __future__ import annotations

import pytest

from tests.chart.render import Rendered, render, scenario_values


@pytest.fixture(scope="session")
def rendered_scenarios() -> dict[str, Rendered]:
    """Scenario name -> parsed `helm template` output, for the defaults and every ci/ file."""
    return {name: render(path) for name, path in scenario_values().items()}


@pytest.fixture(scope="session")
def default_render(rendered_scenarios: dict[str, Rendered]) -> Rendered:
    """The chart rendered with its defaults."""
    return rendered_scenarios["default"]
