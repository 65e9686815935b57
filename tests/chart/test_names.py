"""Object names and labels stay valid for every release name Helm accepts and any override.

Helm allows release names up to 53 characters. The API server refuses names and label values
over 63, and some controllers derive longer ones: a StatefulSet's pods carry the label
`controller-revision-hash: <statefulset>-<hash of up to 10 characters>`, so a StatefulSet name
over 52 characters is accepted but its pods can never be created; a CronJob names its Jobs
`<cronjob>-<11 digits>`, so the API server refuses CronJob names over 52.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.chart.render import render

if TYPE_CHECKING:
    from tests.chart.render import Manifest, Rendered

pytestmark = pytest.mark.chart

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
MAX_NAME = 63
# The longest revision hash the StatefulSet controller appends (FNV-32a, safe-encoded).
REVISION_HASH = 10
CRONJOB_MAX_NAME = 52
HELM_MAX_RELEASE = 53
# Every optional object that carries a name of its own.
ALL_OBJECTS = {
    "mongoExpress.enabled": "true",
    "mongodb.backup.enabled": "true",
    "migration.enabled": "true",
    "metrics.grafanaDashboard.enabled": "true",
    "metrics.prometheusRule.enabled": "true",
}


def release_name(length: int, *, alphabet: str = "abcdefghij") -> str:
    """A valid release name of exactly that length (Helm refuses a trailing hyphen)."""
    return (alphabet * 8)[:length]


def label_maps(manifest: Manifest) -> list[dict[str, Any]]:
    """Every label map and label selector of an object, pod and job templates included."""
    found: list[dict[str, Any]] = [manifest["metadata"].get("labels", {})]
    spec = manifest.get("spec", {})
    found.append(spec.get("selector", {}).get("matchLabels", {}))
    template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get("template")
    if template:
        found.append(template["metadata"].get("labels", {}))
    found.extend(
        claim["metadata"].get("labels", {}) for claim in spec.get("volumeClaimTemplates", [])
    )
    return found


def own_name_problems(kind: str, name: str) -> list[str]:
    """What the API server, or the controller owning the object, refuses in its name."""
    problems = []
    if len(name) > MAX_NAME or not DNS_LABEL.fullmatch(name):
        problems.append("not a DNS label")
    if kind == "Service" and not DNS_1035_LABEL.fullmatch(name):
        problems.append("not a DNS-1035 label")
    if kind == "StatefulSet" and len(name) + 1 + REVISION_HASH > MAX_NAME:
        problems.append("controller-revision-hash label would exceed 63")
    if kind == "StatefulSet" and len(f"{name}-0") > MAX_NAME:
        problems.append(f"pod name {name}-0 is not a DNS label")
    if kind == "CronJob" and len(name) > CRONJOB_MAX_NAME:
        problems.append("CronJob names are limited to 52")
    return problems


def label_problems(manifest: Manifest) -> list[str]:
    """Label values over 63 characters or with characters a label value may not hold."""
    return [
        f"label {key}={value!r} ({len(str(value))})"
        for labels in label_maps(manifest)
        for key, value in labels.items()
        if len(str(value)) > MAX_NAME or not LABEL_VALUE.fullmatch(str(value))
    ]


def name_problems(rendered: Rendered) -> list[str]:
    """Every name or label the API server or a controller would refuse, and duplicates."""
    problems = []
    seen: set[tuple[str, str]] = set()
    for manifest in rendered.manifests:
        kind, name = manifest["kind"], manifest["metadata"]["name"]
        found = own_name_problems(kind, name) + label_problems(manifest)
        if (kind, name) in seen:
            found.append("duplicate")
        seen.add((kind, name))
        problems += [f"{kind}/{name} ({len(name)}): {problem}" for problem in found]
    return problems


@pytest.mark.parametrize("length", range(1, HELM_MAX_RELEASE + 1))
def test_every_release_name_length_gives_valid_names_and_labels(length: int) -> None:
    rendered = render(set_values=ALL_OBJECTS, release=release_name(length))
    assert not name_problems(rendered)


@pytest.mark.parametrize(
    "set_values",
    [
        pytest.param({"fullnameOverride": release_name(63)}, id="fullname-63"),
        pytest.param({"fullnameOverride": release_name(50)}, id="fullname-50"),
        pytest.param({"nameOverride": release_name(63)}, id="name-63"),
        pytest.param(
            {"nameOverride": release_name(63), "fullnameOverride": release_name(63)}, id="both-63"
        ),
    ],
)
def test_long_overrides_give_valid_names_and_labels(set_values: dict[str, str]) -> None:
    rendered = render(set_values={**ALL_OBJECTS, **set_values}, release=release_name(53))
    assert not name_problems(rendered)


def test_a_release_name_containing_the_chart_name_gives_valid_names() -> None:
    release = release_name(HELM_MAX_RELEASE, alphabet="users-api")
    assert not name_problems(render(set_values=ALL_OBJECTS, release=release))


def test_cut_names_of_releases_sharing_a_long_prefix_stay_distinct() -> None:
    """Two releases in one namespace must never cut their names down to the same object."""
    prefix = release_name(50)

    def names(release: str) -> set[tuple[str, str]]:
        rendered = render(set_values=ALL_OBJECTS, release=release)
        return {(m["kind"], m["metadata"]["name"]) for m in rendered.manifests}

    assert not names(prefix + "abc") & names(prefix + "xyz")
