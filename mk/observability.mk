# Tracing backend for the observability tests (included by the Makefile).
# Jaeger is a tool of the small Go module tools/jaeger, which pins its version
# and whole dependency graph (go.sum); go's build cache makes a rebuild cheap.
# Prometheus and promtool come from Debian (`make observability-machine`, .ci/run).

JAEGER := $(TOOLS_BIN)/jaeger
JAEGER_MODULE := tools/jaeger

TEST_TOOLS += $(JAEGER)

##@ Observability

.PHONY: tools-jaeger
tools-jaeger: $(JAEGER) ## Build the pinned Jaeger (tools/jaeger/go.mod) into .tools/bin; heavy the first time

$(JAEGER): $(JAEGER_MODULE)/go.mod $(JAEGER_MODULE)/go.sum
	@mkdir -p $(TOOLS_BIN)
	cd $(JAEGER_MODULE) && go build -trimpath -ldflags='-s -w' -o $(JAEGER) github.com/jaegertracing/jaeger/cmd/jaeger
	@touch $@

.PHONY: observability-machine
observability-machine: ## Machine setup (root): apt-get install prometheus (server and promtool) when missing
	@if command -v prometheus >/dev/null && command -v promtool >/dev/null; then \
		echo "observability-machine: prometheus and promtool already installed"; \
	else \
		apt-get update && apt-get install -y --no-install-recommends prometheus; \
	fi
