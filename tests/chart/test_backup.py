"""The optional MongoDB backup CronJob: what it renders, and its script run for real.

The script runs here against a stand-in `mongodump` (the MongoDB Database Tools cannot be
installed on this machine); everything else it does (naming, retention, partial files, where
the connection string goes) is the real script in chart/files.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from typing import TYPE_CHECKING, Any

import pytest

from tests.chart.render import CHART_DIR, RELEASE, render, run_helm, selects, template_args

if TYPE_CHECKING:
    from pathlib import Path

    from tests.chart.render import Rendered

pytestmark = pytest.mark.chart

MONGODB = f"{RELEASE}-users-api-mongodb"
BACKUP = f"{RELEASE}-users-api-mongodb-backup"
SCRIPT = CHART_DIR / "files" / "mongodb-backup.sh"
ENABLED = {"mongodb.backup.enabled": "true"}


def job_pod(rendered: Rendered) -> dict[str, Any]:
    cronjob = rendered.get("CronJob", BACKUP)
    pod: dict[str, Any] = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    return pod


def backup_volume(rendered: Rendered) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = job_pod(rendered)["spec"]["volumes"]
    return next(v for v in volumes if v["name"] == "backup")


# ---------------------------------------------------------------- rendering


def test_backups_are_off_by_default(default_render: Rendered) -> None:
    assert default_render.of_kind("CronJob") == []


def test_cronjob_dumps_as_the_app_user_from_the_mongodb_image_hardened_like_mongodb(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["backup"]
    cronjob = rendered.get("CronJob", BACKUP)["spec"]
    assert cronjob["schedule"] == "15 1 * * *"
    assert cronjob["timeZone"] == "Europe/Berlin"
    assert cronjob["concurrencyPolicy"] == "Forbid"
    pod = job_pod(rendered)["spec"]
    statefulset = rendered.get("StatefulSet", MONGODB)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (mongod,) = statefulset["containers"]
    assert container["image"] == mongod["image"] == "docker.io/library/mongo:8.0"
    assert container["securityContext"] == mongod["securityContext"]
    assert pod["securityContext"] == statefulset["securityContext"]
    assert pod["serviceAccountName"] == statefulset["serviceAccountName"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["restartPolicy"] == "Never"
    env = {e["name"]: e for e in container["env"]}
    assert env["MONGODB_URI"]["valueFrom"]["secretKeyRef"] == {
        "name": MONGODB,
        "key": "mongodb-uri",
    }
    assert env["BACKUP_KEEP"]["value"] == "14"
    assert env["BACKUP_PREFIX"]["value"] == "users"
    assert (
        container["resources"]["limits"]["memory"] == container["resources"]["requests"]["memory"]
    )
    script = rendered.get("ConfigMap", BACKUP)["data"]["mongodb-backup.sh"]
    assert script == SCRIPT.read_text()
    assert "mongodump --config=" in script
    assert "--archive=" in script
    assert "--gzip" in script


def test_default_target_is_a_pvc_the_chart_keeps_on_uninstall(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["backup"]
    assert backup_volume(rendered)["persistentVolumeClaim"] == {"claimName": BACKUP}
    claim = rendered.get("PersistentVolumeClaim", BACKUP)
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"
    assert claim["spec"]["storageClassName"] == "standard"


def test_an_existing_claim_or_a_volume_of_ones_own_replaces_the_chart_pvc(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    existing = rendered_scenarios["backup-existing-claim"]
    assert backup_volume(existing)["persistentVolumeClaim"] == {"claimName": "users-api-backups"}
    assert existing.of_kind("PersistentVolumeClaim") == []
    nfs = rendered_scenarios["backup-nfs"]
    assert backup_volume(nfs) == {
        "name": "backup",
        "nfs": {"server": "nas.example.com", "path": "/exports/users-api"},
    }
    assert nfs.of_kind("PersistentVolumeClaim") == []


def test_backup_pods_reach_only_dns_and_mongodb_and_mongodb_admits_them(
    rendered_scenarios: dict[str, Rendered],
) -> None:
    rendered = rendered_scenarios["backup"]
    labels = job_pod(rendered)["metadata"]["labels"]
    own = rendered.get("NetworkPolicy", BACKUP)["spec"]
    assert selects(own["podSelector"]["matchLabels"], labels)
    assert "ingress" not in own
    assert set(own["policyTypes"]) == {"Ingress", "Egress"}
    mongodb_pod = rendered.get("StatefulSet", MONGODB)["spec"]["template"]["metadata"]["labels"]
    targets = [p["podSelector"]["matchLabels"] for r in own["egress"] for p in r.get("to", [])]
    assert targets
    assert all(selects(t, mongodb_pod) for t in targets)
    peers = rendered.get("NetworkPolicy", MONGODB)["spec"]["ingress"][0]["from"]
    assert any(selects(p["podSelector"]["matchLabels"], labels) for p in peers)


@pytest.mark.parametrize("skip_schema", [False, True], ids=["schema", "template"])
def test_backups_need_the_bundled_mongodb(skip_schema: bool) -> None:  # noqa: FBT001
    values = {**ENABLED, "mongodb.enabled": "false", "externalMongodb.uri": "mongodb://db/"}
    extra = ["--skip-schema-validation"] if skip_schema else []
    result = run_helm("template", "bad", str(CHART_DIR), *extra, *template_args(set_values=values))
    assert result.returncode != 0
    expected = (
        "mongodb.backup.enabled backs up the bundled MongoDB"
        if skip_schema
        else "/mongodb/enabled': value must be true"
    )
    assert expected in result.stderr


@pytest.mark.parametrize(
    ("set_values", "message"),
    [
        pytest.param({"mongodb.backup.keep": "0"}, "/mongodb/backup/keep", id="keep-0"),
        pytest.param({"mongodb.backup.schedule": "daily"}, "/mongodb/backup/schedule", id="cron"),
        pytest.param({"mongodb.backup.keepLast": "3"}, "'keepLast'", id="unknown-key"),
    ],
)
def test_bad_backup_values_are_refused_naming_the_key(
    set_values: dict[str, str], message: str
) -> None:
    result = run_helm(
        "template", "bad", str(CHART_DIR), *template_args(set_values={**ENABLED, **set_values})
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_backup_follows_an_existing_secret_for_its_connection_string() -> None:
    rendered = render(CHART_DIR / "ci" / "existing-secret-values.yaml", set_values=ENABLED)
    env = {e["name"]: e for e in job_pod(rendered)["spec"]["containers"][0]["env"]}
    assert env["MONGODB_URI"]["valueFrom"]["secretKeyRef"] == {
        "name": "users-api-mongodb-credentials",
        "key": "app-uri",
    }


# ---------------------------------------------------------------- the script, run for real

STAND_IN_MONGODUMP = """\
#!/usr/bin/env bash
# Stand-in for mongodump: records how it was called, writes an archive or fails.
printf '%s\\n' "$@" > "$RECORD_DIR/argv"
for arg; do
  case "$arg" in
    --config=*) cp "${arg#--config=}" "$RECORD_DIR/config" ;;
    --archive=*) archive="${arg#--archive=}" ;;
  esac
done
[ -z "${FAIL_DUMP:-}" ] || { echo "stand-in mongodump: failing" >&2; exit 1; }
printf 'gzip archive' > "$archive"
"""


def run_backup(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the chart's backup script with a stand-in mongodump first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stand_in = bin_dir / "mongodump"
    stand_in.write_text(STAND_IN_MONGODUMP)
    stand_in.chmod(0o755)
    (tmp_path / "record").mkdir(exist_ok=True)
    (tmp_path / "backup").mkdir(exist_ok=True)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    environment = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "RECORD_DIR": str(tmp_path / "record"),
        "TMPDIR": str(tmp_path / "tmp"),
        "BACKUP_DIR": str(tmp_path / "backup"),
        "BACKUP_PREFIX": "users",
        "BACKUP_KEEP": "3",
        "MONGODB_URI": "mongodb://users-api:p%40ss'word@db:27017/users?authSource=users",
        **env,
    }
    return subprocess.run(
        ["bash", str(SCRIPT)], env=environment, capture_output=True, text=True, check=False
    )


def archives(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "backup").iterdir())


def test_script_writes_one_archive_and_keeps_the_newest(tmp_path: Path) -> None:
    (tmp_path / "backup").mkdir()
    old = [f"users-2026010{day}T023000Z.archive.gz" for day in range(1, 6)]
    for name in [*old, "unrelated.txt", "other-20200101T000000Z.archive.gz"]:
        (tmp_path / "backup" / name).write_text("old")

    result = run_backup(tmp_path)

    assert result.returncode == 0, result.stderr
    kept = archives(tmp_path)
    new = [n for n in kept if n.startswith("users-") and n not in old]
    assert len(new) == 1, kept
    assert (tmp_path / "backup" / new[0]).read_text() == "gzip archive"
    assert [n for n in kept if n.startswith("users-")] == sorted([*old[-2:], new[0]])
    assert "unrelated.txt" in kept, "only this database's archives are pruned"
    assert "other-20200101T000000Z.archive.gz" in kept
    assert f"backup: wrote {tmp_path}/backup/{new[0]} (12 bytes)" in result.stdout


def test_script_keeps_the_password_off_the_command_line(tmp_path: Path) -> None:
    result = run_backup(tmp_path)
    assert result.returncode == 0, result.stderr
    argv = (tmp_path / "record" / "argv").read_text()
    assert "p%40ss" not in argv
    assert "--gzip" in argv.splitlines()
    config = (tmp_path / "record" / "config").read_text()
    assert config == textwrap.dedent(
        """\
        uri: 'mongodb://users-api:p%40ss''word@db:27017/users?authSource=users'
        """
    )
    assert list((tmp_path / "tmp").iterdir()) == [], "the config file is removed afterwards"


def test_a_failed_dump_leaves_no_partial_file_and_prunes_nothing(tmp_path: Path) -> None:
    (tmp_path / "backup").mkdir()
    old = [f"users-2026010{day}T023000Z.archive.gz" for day in range(1, 6)]
    for name in old:
        (tmp_path / "backup" / name).write_text("old")

    result = run_backup(tmp_path, FAIL_DUMP="1")

    assert result.returncode != 0
    assert archives(tmp_path) == old
    assert list((tmp_path / "tmp").iterdir()) == []
