"""`make profile`: sample the service with py-spy while wrk drives one scenario at c=64.

Writes bench/results/profile.md (where the time goes, by component) and keeps
the raw stacks as bench/results/profile-<scenario>.raw (git-ignored).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.database import backend
from bench.machine import describe_machine
from bench.processes import STOP_SECONDS
from bench.run import RESULTS_DIR
from bench.seed import drop_database, seed_users, wait_until_quiet
from bench.service import Service, users_api
from bench.stacks import Profile, read_raw, render_profile
from bench.wrk import Load, run_wrk

CONCURRENCY = 64
SAMPLES_PER_SECOND = 250


def _loads(users: int) -> list[Load]:
    return [
        Load("GET /users/{id}", "/", "get_user.lua", (str(users),)),
        Load("GET /healthz", "/healthz", "static.lua"),
    ]


def profile_one(py_spy: Path, service: Service, load: Load, *, seconds: int) -> Path:
    """Sample the service for `seconds` while wrk keeps it busy for a little longer."""
    slug = load.script.removesuffix(".lua") if load.path == "/" else load.path.strip("/")
    raw = RESULTS_DIR / f"profile-{slug}.raw"
    argv = [str(py_spy), "record", "--pid", str(service.pid), "--format", "raw"]
    argv += ["--rate", str(SAMPLES_PER_SECOND), "--duration", str(seconds), "--nonblocking"]
    argv += ["--output", str(raw)]
    run_wrk(load, base_url=service.base_url, connections=CONCURRENCY, seconds=2)  # warm-up
    with subprocess.Popen(argv, stdout=subprocess.DEVNULL) as sampler:  # noqa: S603
        try:
            run_wrk(load, base_url=service.base_url, connections=CONCURRENCY, seconds=seconds + 2)
            if sampler.wait(timeout=STOP_SECONDS) != 0:
                raise RuntimeError(f"py-spy exited {sampler.returncode}")
        finally:
            if sampler.poll() is None:
                sampler.kill()
    return raw


def main(argv: list[str] | None = None) -> int:
    """Profile each scenario in turn and write profile.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--py-spy", type=Path, required=True, help="the py-spy binary")
    parser.add_argument("--duration", type=int, default=15, help="seconds sampled per scenario")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--database", default="bench", help="DROPPED and re-created (bench)")
    args = parser.parse_args(argv)
    profiles: list[Profile] = []
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="users-api-profile-") as tmp, backend(Path(tmp)) as db:
        drop_database(db.uri, args.database)
        with users_api(Path(tmp), mongodb_uri=db.uri, database=args.database) as service:
            seed_users(service.base_url, args.users)
            for load in _loads(args.users):
                wait_until_quiet(db.uri, args.database)
                print(f"profile: {load.scenario} at c={CONCURRENCY}", file=sys.stderr)  # noqa: T201
                raw = profile_one(args.py_spy, service, load, seconds=args.duration)
                profiles.append(Profile(load.scenario, CONCURRENCY, read_raw(raw)))
        backend_description = db.description
    markdown = render_profile(profiles, machine=describe_machine(), backend=backend_description)
    (RESULTS_DIR / "profile.md").write_text(markdown, encoding="utf-8")
    print(markdown)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
