"""The bundled MongoDB across upgrades: what restarts it, what its probes cost, what fails."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.chart.render import CHART_DIR, RELEASE, render, run_helm, template_args

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tests.chart.render import Manifest, Rendered

pytestmark = pytest.mark.chart

MONGODB = f"{RELEASE}-users-api-mongodb"
VERSION_LABELS = {"helm.sh/chart", "app.kubernetes.io/version"}
# Measured: one mongosh start costs about 130 MB and up to 2.4 s inside MongoDB's limit.
MONGOSH_SECONDS = 2.4
MAX_MONGOSH_PER_MINUTE = 3


def chart_copy(tmp_path: Path, **chart_fields: str) -> Path:
    """A copy of the chart with some Chart.yaml fields replaced (a chart or app release)."""
    copy = tmp_path / "chart"
    shutil.copytree(CHART_DIR, copy)
    chart_file = copy / "Chart.yaml"
    chart: dict[str, Any] = yaml.safe_load(chart_file.read_text())
    chart.update(chart_fields)
    chart_file.write_text(yaml.safe_dump(chart))
    return copy


def pod_template(rendered: Rendered) -> dict[str, Any]:
    template: dict[str, Any] = rendered.get("StatefulSet", MONGODB)["spec"]["template"]
    return template


def mongodb_container(rendered: Rendered) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod_template(rendered)["spec"]["containers"]
    return next(c for c in containers if c["name"] == "mongodb")


# ---------------------------------------------------------------- what restarts MongoDB


def test_chart_and_app_releases_leave_the_mongodb_pod_template_unchanged(tmp_path: Path) -> None:
    before = render()
    after = render(chart_dir=chart_copy(tmp_path, version="9.9.9", appVersion="9.9.9"))
    assert pod_template(after) == pod_template(before)
    # The bump took effect: the app's own pods do roll to the new image.
    app = f"{RELEASE}-users-api"
    deployment_before = before.get("Deployment", app)["spec"]["template"]
    deployment_after = after.get("Deployment", app)["spec"]["template"]
    assert deployment_after != deployment_before


def test_mongodb_pod_template_carries_no_version_labels(default_render: Rendered) -> None:
    labels = pod_template(default_render)["metadata"]["labels"]
    assert not VERSION_LABELS & set(labels)
    statefulset = default_render.get("StatefulSet", MONGODB)
    assert statefulset["metadata"]["labels"]["app.kubernetes.io/version"] == "8.0", (
        "MongoDB's objects carry MongoDB's version, not the app's"
    )


def test_a_change_to_the_init_script_still_restarts_mongodb(tmp_path: Path) -> None:
    copy = chart_copy(tmp_path)
    configmap = copy / "templates" / "mongodb" / "configmap.yaml"
    text = configmap.read_text()
    assert 'role: "readWrite"' in text
    configmap.write_text(text.replace('role: "readWrite"', 'role: "dbOwner"'))
    before = pod_template(render())["metadata"]["annotations"]["checksum/config"]
    after = pod_template(render(chart_dir=copy))["metadata"]["annotations"]["checksum/config"]
    assert after != before


# ---------------------------------------------------------------- probes


def mongosh_probes(container: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The probes of a container that start mongosh, by kind."""
    return {
        kind: probe
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
        if (probe := container.get(kind)) and "mongosh" in probe.get("exec", {}).get("command", [])
    }


def test_liveness_and_startup_are_tcp_checks_of_the_mongodb_port(default_render: Rendered) -> None:
    mongo = mongodb_container(default_render)
    assert mongo["startupProbe"]["tcpSocket"] == {"port": "mongodb"}
    assert mongo["livenessProbe"]["tcpSocket"] == {"port": "mongodb"}
    startup = mongo["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300, "first start: init"


def test_readiness_still_asks_mongod_whether_it_accepts_writes(default_render: Rendered) -> None:
    readiness = mongodb_container(default_render)["readinessProbe"]
    assert readiness["exec"]["command"][0] == "mongosh"
    assert "isWritablePrimary" in readiness["exec"]["command"][-1]


def test_mongosh_starts_at_most_three_times_a_minute_with_room_to_finish(
    default_render: Rendered,
) -> None:
    probes = mongosh_probes(mongodb_container(default_render))
    steady = {kind: p for kind, p in probes.items() if kind != "startupProbe"}
    per_minute = sum(60 / probe["periodSeconds"] for probe in steady.values())
    assert per_minute <= MAX_MONGOSH_PER_MINUTE, f"{per_minute:.0f} mongosh starts a minute"
    for kind, probe in probes.items():
        assert probe["timeoutSeconds"] >= 2 * MONGOSH_SECONDS, kind


# ---------------------------------------------------------------- persistence.size


LIVE_STATEFULSET_CHECK = """\
{{- $live := .Files.Get "live-statefulset.yaml" | fromYaml }}
{{- include "users-api.mongodb.assertVolumeUnchanged" (dict "live" $live "root" .) }}
"""


def upgrade_over(tmp_path: Path, live: Manifest | None, set_values: dict[str, str]) -> str:
    """Render as `helm upgrade` would over a live StatefulSet; helm's stderr ('' on success).

    `helm template` cannot look anything up, so a copy of the chart hands the live object to
    the same check the StatefulSet template runs against its `lookup`.
    """
    copy = chart_copy(tmp_path)
    (copy / "live-statefulset.yaml").write_text(yaml.safe_dump(live or {}))
    (copy / "templates" / "zz-live-check.yaml").write_text(LIVE_STATEFULSET_CHECK)
    result = run_helm(
        "template", RELEASE, str(copy), *template_args(set_values=set_values), "-n", "users"
    )
    return "" if result.returncode == 0 else result.stderr


def test_changing_the_volume_size_of_an_installed_release_fails_saying_how_to_resize(
    tmp_path: Path,
) -> None:
    live = render(set_values={"mongodb.persistence.size": "8Gi"}).get("StatefulSet", MONGODB)
    error = upgrade_over(tmp_path, live, {"mongodb.persistence.size": "20Gi"})
    assert "mongodb.persistence.size cannot change from 8Gi to 20Gi" in error
    assert f"patch PVC data-{MONGODB}-0" in error
    assert "--cascade=orphan" in error


@pytest.mark.parametrize(
    ("live_size", "new_size"),
    [
        pytest.param("8Gi", "8Gi", id="same-size"),
        pytest.param(None, "20Gi", id="fresh-install"),
    ],
)
def test_upgrades_that_keep_the_volume_or_install_afresh_pass(
    tmp_path: Path, live_size: str | None, new_size: str
) -> None:
    live = None
    if live_size:
        rendered = render(set_values={"mongodb.persistence.size": live_size})
        live = rendered.get("StatefulSet", MONGODB)
    assert upgrade_over(tmp_path, live, {"mongodb.persistence.size": new_size}) == ""


def test_changing_the_storage_class_of_an_installed_release_fails_clearly(tmp_path: Path) -> None:
    live = render().get("StatefulSet", MONGODB)
    error = upgrade_over(tmp_path, live, {"mongodb.persistence.storageClass": "fast-ssd"})
    assert 'mongodb.persistence.storageClass cannot change from "" to "fast-ssd"' in error


def test_values_and_chart_readme_say_the_size_is_fixed_after_install() -> None:
    values = (CHART_DIR / "values.yaml").read_text()
    size_comment = values[: values.index("    size: 8Gi")].rsplit("persistence:", 1)[1]
    assert "immutable" in size_comment
    readme = (CHART_DIR / "README.md").read_text()
    assert "## Resizing the MongoDB volume" in readme
    assert "patch pvc data-users-api-mongodb-0" in readme
    assert "--cascade=orphan" in readme
