# Helm chart: pinned tools, lint, render and score. Included by the main Makefile.

HELM_VERSION := v3.22.0
KUBE_SCORE_VERSION := v1.20.0

HELM := $(TOOLS_BIN)/helm
KUBE_SCORE := $(TOOLS_BIN)/kube-score
CHART := chart
# The oldest Kubernetes the chart supports; a go-installed helm would otherwise assume v1.20.
CHART_KUBE_VERSION := 1.29.0
CHART_VALUE_SETS := $(sort $(wildcard $(CHART)/ci/*-values.yaml))

TEST_TOOLS += $(HELM) $(KUBE_SCORE)

##@ Chart

.PHONY: tools-chart
tools-chart: $(HELM) $(KUBE_SCORE) ## Install the pinned helm and kube-score into .tools/bin

$(HELM):
	GOBIN=$(TOOLS_BIN) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

$(KUBE_SCORE):
	GOBIN=$(TOOLS_BIN) go install github.com/zegl/kube-score/cmd/kube-score@$(KUBE_SCORE_VERSION)

.PHONY: chart-lint
chart-lint: $(HELM) ## helm lint --strict with the defaults and every chart/ci/*-values.yaml
	$(HELM) lint --strict $(CHART) --kube-version $(CHART_KUBE_VERSION)
	@for values in $(CHART_VALUE_SETS); do \
		echo "== $$values"; \
		$(HELM) lint --strict $(CHART) --kube-version $(CHART_KUBE_VERSION) --values $$values; \
	done

.PHONY: chart-template
chart-template: $(HELM) ## Render the chart with its defaults (VALUES=file to add a value set)
	$(HELM) template users-api $(CHART) --kube-version $(CHART_KUBE_VERSION) $(if $(VALUES),--values $(VALUES))

.PHONY: chart-score
chart-score: $(HELM) $(KUBE_SCORE) deps ## kube-score every value set under the policy in .kube-score.yml
	@flags="$$($(PYTHON) -m tests.chart.render kube-score-args | tr '\n' ' ')"; \
	for values in "" $(CHART_VALUE_SETS); do \
		echo "== $${values:-defaults}"; \
		$(HELM) template users-api $(CHART) --kube-version $(CHART_KUBE_VERSION) $${values:+--values $$values} \
			| $(KUBE_SCORE) score --output-format ci --exit-one-on-warning $$flags - \
			| { grep -v '^\[OK\]\|^\[SKIPPED\]' || true; }; \
	done

.PHONY: test-chart
test-chart: deps $(HELM) $(KUBE_SCORE) $(FERRETDB) ## Only the chart tests (lint, schemas, kube-score, rendered rules, contract)
	$(PYTHON) -m pytest tests/chart $(PYTEST_ARGS)
