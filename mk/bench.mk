# Benchmarks and profiling (included by the Makefile). Never part of `make test`:
# they take minutes, load the whole machine and their figures are not pass/fail.
# Machine-level prerequisites (PostgreSQL and wrk from Debian) come from the
# explicit `make bench-machine`; py-spy goes into its own venv under .tools/.

PY_SPY_VERSION := 0.4.1
BENCH_VENV := $(TOOLS)/bench-venv
PY_SPY := $(BENCH_VENV)/bin/py-spy
# e.g. BENCH_ARGS=--quick (2 s runs, writes nothing) or BENCH_ARGS='--duration 30'
BENCH_ARGS ?=
# e.g. BENCH_HOSTILE_ARGS='--app-dir /tmp/main-checkout' to measure another revision's app/
BENCH_HOSTILE_ARGS ?=
PROFILE_ARGS ?=
# e.g. SCALING_ARGS='--engine sqlite --sizes 1000,10000 --no-write'
SCALING_ARGS ?=

##@ Benchmarks

.PHONY: bench
bench: deps $(FERRETDB) ## wrk vs raw PyMongo and bare aiohttp, then bench-hostile, the protections', tracing's and auth's cost; writes bench/results/ and the README table
	$(PYTHON) -m bench $(BENCH_ARGS)
	$(PYTHON) -m bench.hostile $(BENCH_HOSTILE_ARGS)
	$(PYTHON) -m bench.protection_costs
	$(PYTHON) -m bench.tracing_cost
	$(PYTHON) -m bench.auth_cost

.PHONY: bench-hostile
bench-hostile: deps $(FERRETDB) ## Hostile clients: worst body, stalled uploads, /healthz under attack; writes bench/results/hostile.md
	$(PYTHON) -m bench.hostile $(BENCH_HOSTILE_ARGS)

.PHONY: bench-tracing
bench-tracing: deps ## Tracing's CPU cost per request, off and on (also printed by `make bench`)
	$(PYTHON) -m bench.tracing_cost

.PHONY: bench-scaling
bench-scaling: deps $(FERRETDB) ## Lookups and pages at 1k/10k/100k users per embedded engine; writes bench/results/scaling.md and README
	$(PYTHON) -m bench.scaling $(SCALING_ARGS)

.PHONY: bench-auth
bench-auth: deps ## CPU that authentication adds per request (in-process, seconds; part of bench)
	$(PYTHON) -m bench.auth_cost

.PHONY: profile
profile: deps $(FERRETDB) $(PY_SPY) ## py-spy the service under load; writes bench/results/profile.md
	$(PYTHON) -m bench.profile --py-spy $(PY_SPY) $(PROFILE_ARGS)

.PHONY: bench-machine
bench-machine: ## Machine setup (root): apt-get install postgresql and wrk when missing
	@if command -v wrk >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "bench-machine: wrk and PostgreSQL already installed"; \
	else \
		apt-get update && apt-get install -y postgresql wrk; \
	fi

$(PY_SPY):
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check py-spy==$(PY_SPY_VERSION)
