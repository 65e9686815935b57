# users-api container image. Targets:
#   prod (default): slim Python base + the locked runtime dependencies + app/
#   dev:            prod plus watchfiles, restarting the server when a synced
#                   .py file under /app/app changes (Skaffold file sync)
#
# BuildKit is required (cache and secret mounts). There is deliberately no
# `# syntax=` line: the frontend built into the engine is enough, and naming
# one would make air-gapped builds pull it.
#
# Base images are build arguments so an air-gapped build can point at local
# stand-ins (scripts/build-standin-images). The venv is built on the same base
# as the runtime stages, so its interpreter symlinks resolve in both.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# Keep in step with UV_VERSION in the Makefile (make image passes it).
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS python
# Nothing may write outside /tmp at run time (read-only root filesystem), so
# no .pyc files at run time: the venv's bytecode is compiled at build time.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv
WORKDIR /app

# Dependencies only, from the lock: this layer is rebuilt when pyproject.toml
# or uv.lock change, never when app/ does.
FROM python AS venv-prod
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
# The optional secret `ca-bundle` lets builds behind a TLS-intercepting proxy
# trust it for this step only; it never lands in a layer.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=/app/pyproject.toml \
    --mount=type=bind,source=uv.lock,target=/app/uv.lock \
    --mount=type=secret,id=ca-bundle \
    if [ -f /run/secrets/ca-bundle ]; then export SSL_CERT_FILE=/run/secrets/ca-bundle; fi; \
    uv sync --frozen --no-dev --no-install-project

# The auto-reloader (dependency group `reload`) on top of the prod venv.
FROM venv-prod AS venv-dev
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=pyproject.toml,target=/app/pyproject.toml \
    --mount=type=bind,source=uv.lock,target=/app/uv.lock \
    --mount=type=secret,id=ca-bundle \
    if [ -f /run/secrets/ca-bundle ]; then export SSL_CERT_FILE=/run/secrets/ca-bundle; fi; \
    uv sync --frozen --no-dev --group reload --no-install-project

FROM python AS runtime
ENV PATH=/opt/venv/bin:$PATH
# A numeric user, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001
EXPOSE 8080

FROM runtime AS dev
COPY --from=venv-dev /opt/venv /opt/venv
# Owned by the runtime user so file sync can write into it.
COPY --chown=10001:10001 app/ /app/app/
# watchfiles is PID 1 and restarts `python -m app` when a .py file changes.
ENTRYPOINT ["watchfiles", "--filter", "python", "--target-type", "command", "python -m app", "app"]

FROM runtime AS prod
COPY --from=venv-prod /opt/venv /opt/venv
# Owned by root: the runtime user can read the code but not change it.
COPY app/ /app/app/
# Exec form: Python is PID 1 and receives SIGTERM for the graceful shutdown.
ENTRYPOINT ["python", "-m", "app"]
# Labels last: a new revision must not invalidate any layer above.
ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=
LABEL org.opencontainers.image.title="users-api" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
