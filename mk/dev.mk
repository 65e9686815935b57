# Developer inner loop on a local kind cluster with Skaffold. Included by the main Makefile.
#
# `make dev` is the one command: it installs the pinned tools into .tools/bin, creates the
# kind cluster if needed, then runs `skaffold dev` (see skaffold.yaml). Needs Docker.

KIND_VERSION := v0.32.0
# The node image of the cluster is pinned in k8s-dev/kind-config.yaml (kindest/node v1.36.1,
# the one published with this kind release); kubectl matches it.
KUBECTL_VERSION := v1.36.1
# Built from the Go module proxy (scripts/install-skaffold, wrapper module k8s-dev/skaffold):
# the newest release the proxy serves; it reads skaffold.yaml's skaffold/v4beta13, as do newer
# releases. The binary is cached outside the repository, per version.
SKAFFOLD_VERSION := v2.16.1
SKAFFOLD_CACHE ?= /var/cache/users-api/skaffold

KIND := $(TOOLS_BIN)/kind
KUBECTL := $(TOOLS_BIN)/kubectl
SKAFFOLD := $(TOOLS_BIN)/skaffold

# One name for the cluster everywhere: kind-config.yaml `name`, the kube-context kind derives
# from it, and skaffold.yaml `deploy.kubeContext` (tests/dev checks that they agree).
KIND_CLUSTER := users-dev
KUBE_CONTEXT := kind-$(KIND_CLUSTER)
KIND_CONFIG := k8s-dev/kind-config.yaml
# The Helm release in skaffold.yaml; `make logs` selects its pods.
DEV_RELEASE := users-api

# Release downloads for this machine: linux or darwin, amd64 or arm64.
DEV_OS := $(shell uname -s | tr '[:upper:]' '[:lower:]')
DEV_ARCH := $(patsubst aarch64,arm64,$(patsubst x86_64,amd64,$(shell uname -m)))
KUBECTL_URL = https://dl.k8s.io/release/$(KUBECTL_VERSION)/bin/$(DEV_OS)/$(DEV_ARCH)/kubectl
FETCH_RELEASE_BINARY := k8s-dev/fetch-release-binary

DEV_TOOLS := $(KIND) $(KUBECTL) $(HELM) $(SKAFFOLD)
# tests/e2e/test_skaffold.py runs the pinned Skaffold against the e2e cluster.
TEST_TOOLS += $(SKAFFOLD)
# What `make verify` hands from `skaffold build` to `skaffold verify`.
DEV_BUILD_OUTPUT := $(TOOLS)/skaffold-build.json

##@ Develop on Kubernetes

.PHONY: tools
tools: $(DEV_TOOLS) ## Install the pinned kind, kubectl, helm and skaffold into .tools/bin

# kind, helm (mk/chart.mk) and skaffold build from source with Go, like the other project
# tools; kubectl comes as the official release binary, checked against its .sha256.
$(KIND):
	GOBIN=$(TOOLS_BIN) go install sigs.k8s.io/kind@$(KIND_VERSION)

$(KUBECTL):
	$(FETCH_RELEASE_BINARY) $(KUBECTL_URL) $@

$(SKAFFOLD):
	SKAFFOLD_CACHE=$(SKAFFOLD_CACHE) scripts/install-skaffold $(SKAFFOLD_VERSION) $(TOOLS_BIN)

.PHONY: cluster
cluster: $(KIND) $(KUBECTL) ## Create the kind cluster users-dev if absent (idempotent)
	@if $(KIND) get clusters 2>/dev/null | grep -qx '$(KIND_CLUSTER)'; then \
		echo "kind cluster $(KIND_CLUSTER) already exists"; \
		$(KIND) export kubeconfig --name $(KIND_CLUSTER); \
	else \
		$(KIND) create cluster --config $(KIND_CONFIG) --wait 120s; \
	fi
	$(KUBECTL) --context $(KUBE_CONTEXT) get nodes

.PHONY: dev
dev: cluster $(DEV_TOOLS) ## Build, deploy and redeploy on every save (skaffold dev; Ctrl-C removes the release)
	$(SKAFFOLD) dev --profile dev --kube-context $(KUBE_CONTEXT) --port-forward=user

.PHONY: deploy
deploy: cluster $(DEV_TOOLS) ## Build the prod image and deploy it once (skaffold run)
	$(SKAFFOLD) run --kube-context $(KUBE_CONTEXT)

# Skaffold copies its own environment into the verify Job, so it runs with only what it
# needs: no tokens or secrets from the developer's shell end up in a cluster object.
.PHONY: verify
verify: $(DEV_TOOLS) ## Smoke-test the deployed Service: create and read back a user (skaffold verify)
	$(SKAFFOLD) build --kube-context $(KUBE_CONTEXT) --quiet --file-output=$(DEV_BUILD_OUTPUT)
	env -i HOME="$$HOME" PATH="$$PATH" $${KUBECONFIG:+KUBECONFIG="$$KUBECONFIG"} \
		$${DOCKER_HOST:+DOCKER_HOST="$$DOCKER_HOST"} \
		$(SKAFFOLD) verify --kube-context $(KUBE_CONTEXT) --build-artifacts=$(DEV_BUILD_OUTPUT)

.PHONY: logs
logs: $(KUBECTL) ## Follow the app's logs in the dev cluster
	$(KUBECTL) --context $(KUBE_CONTEXT) logs --follow --prefix --tail=100 \
		--selector app.kubernetes.io/name=users-api,app.kubernetes.io/instance=$(DEV_RELEASE)

.PHONY: down
down: $(KIND) ## Delete the kind cluster with everything in it
	$(KIND) delete cluster --name $(KIND_CLUSTER)
