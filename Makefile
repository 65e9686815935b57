# users-api: every developer and CI entry point. `make help` lists the targets.
#
# Tools are pinned and installed into .tools/ (git-ignored) on first use, so a
# fresh clone needs only Python 3.11+, Go and make. Machine-level steps (apt,
# dockerd, stand-in base images) live in explicit targets and in .ci/run.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

TOOLS := $(CURDIR)/.tools
TOOLS_BIN := $(TOOLS)/bin
export PATH := $(TOOLS_BIN):$(PATH)
export UV_PYTHON_DOWNLOADS := never

UV_VERSION := 0.13.8
FERRETDB_VERSION := v1.24.2

UV := $(TOOLS)/uv/bin/uv
FERRETDB := $(TOOLS_BIN)/ferretdb
VENV := $(CURDIR)/.venv
PYTHON := $(VENV)/bin/python

# Extra tools the test suite needs; mk/*.mk files append to it.
TEST_TOOLS := $(FERRETDB)

include $(sort $(wildcard mk/*.mk))

##@ Everyday

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^##@/ {printf "\n\033[1m%s\033[0m\n", substr($$0, 5)} /^[a-zA-Z0-9_.-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: run
run: deps $(FERRETDB) ## Run the service on :8080 (starts a local FerretDB unless MONGODB_URI is set)
	@scripts/run-local

.PHONY: run-machine
run-machine: ## Machine setup (root): apt-get install postgresql, so `make run` puts FerretDB on it
	@if scripts/local-postgresql check; then \
		echo "run-machine: PostgreSQL already installed"; \
	else \
		apt-get update && apt-get install -y --no-install-recommends postgresql; \
	fi

.PHONY: test
test: lint $(TEST_TOOLS) ## Lint, type-check and run every test tier (CI=true turns skips into failures)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: deps ## ruff format --check, ruff check, mypy --strict
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

.PHONY: fmt
fmt: deps ## Format and autofix the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

##@ Setup

.PHONY: deps
deps: $(VENV)/.synced ## Create .venv from uv.lock

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python python3
	@touch $@

uv.lock: pyproject.toml | $(UV)
	$(UV) lock --python python3
	@touch $@

$(UV):
	python3 -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(FERRETDB):
	scripts/install-ferretdb $(FERRETDB_VERSION) $(TOOLS_BIN)

.PHONY: clean
clean: ## Remove caches and the local database (keeps .tools/)
	rm -rf .venv .data .mypy_cache .ruff_cache .pytest_cache
