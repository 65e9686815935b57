# Live-cluster (e2e) targets. Included by the main Makefile.
#
# The cluster is a single-node Kubernetes v1.36.1 run as host processes by
# scripts/local-cluster: the CI stand-in for kind on machines where kind cannot
# start (no `docker run --privileged`). Linux and root only; binaries build from
# the Go module proxy into /var/cache/users-api/cluster (cached, outside the repo).

LOCAL_CLUSTER := scripts/local-cluster

##@ Live cluster (CI, root)

.PHONY: e2e-cluster
e2e-cluster: ## Machine setup (root): build the pinned cluster binaries (cached) and start the local cluster (idempotent)
	$(LOCAL_CLUSTER) up

.PHONY: e2e-down
e2e-down: ## Machine setup (root): stop the local cluster and restore the host
	$(LOCAL_CLUSTER) down

.PHONY: e2e-status
e2e-status: ## Print the local cluster's kubeconfig path, readiness and component PIDs
	$(LOCAL_CLUSTER) status

.PHONY: test-e2e
test-e2e: deps $(HELM) ## Run the e2e tier against the running local cluster (start it with `make e2e-cluster`)
	$(PYTHON) -m pytest tests/e2e $(PYTEST_ARGS)
