# Container image targets (included by the Makefile).
#
# Plain `make image` builds against the official base images. On a machine
# without a registry, `make standin-images` once, then `make image STANDIN=1`.
# IMAGE_PLATFORM=linux/arm64 builds for arm64 (emulated on amd64: `make
# arm64-emulation`, and `make standin-images-arm64` for STANDIN=1).

# Debian's docker.io client (20.10) has BuildKit built in; newer clients
# without the buildx plugin cannot build this Dockerfile, so prefer it.
DOCKER ?= $(or $(wildcard /usr/bin/docker),docker)
IMAGE ?= users-api
IMAGE_TAG ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PYTHON_IMAGE ?= python:3.11-slim-bookworm
UV_IMAGE ?= ghcr.io/astral-sh/uv:$(UV_VERSION)
# Extra `docker build` flags for this machine, e.g. --network host.
IMAGE_BUILD_FLAGS ?=
# Trusted by uv during the dependency step only (a BuildKit secret, never in a
# layer); lets builds pass a TLS-intercepting proxy the host already trusts.
CA_BUNDLE ?= $(wildcard /etc/ssl/certs/ca-certificates.crt)
# Empty: the engine's own platform.
IMAGE_PLATFORM ?=

ifeq ($(STANDIN),1)
# The script names the stand-ins; --check builds nothing.
STANDIN_CHECK = UV_VERSION=$(UV_VERSION) DOCKER=$(DOCKER) scripts/build-standin-images --check \
	$(if $(IMAGE_PLATFORM),--arch $(notdir $(IMAGE_PLATFORM)))
STANDIN_IMAGES := $(shell $(STANDIN_CHECK) 2>/dev/null)
PYTHON_IMAGE := $(patsubst PYTHON_IMAGE=%,%,$(filter PYTHON_IMAGE=%,$(STANDIN_IMAGES)))
UV_IMAGE := $(patsubst UV_IMAGE=%,%,$(filter UV_IMAGE=%,$(STANDIN_IMAGES)))
endif

IMAGE_BUILD = $(if $(STANDIN_CHECK),$(STANDIN_CHECK) >/dev/null && )DOCKER_BUILDKIT=1 $(DOCKER) build \
	$(if $(IMAGE_PLATFORM),--platform $(IMAGE_PLATFORM)) \
	--build-arg PYTHON_IMAGE=$(PYTHON_IMAGE) \
	--build-arg UV_IMAGE=$(UV_IMAGE) \
	--build-arg VERSION=$(IMAGE_TAG) \
	--build-arg REVISION=$(or $(shell git rev-parse -q --verify HEAD 2>/dev/null),unknown) \
	--build-arg SOURCE='$(shell git remote get-url origin 2>/dev/null)' \
	$(if $(CA_BUNDLE),--secret id=ca-bundle$(comma)src=$(CA_BUNDLE)) \
	$(IMAGE_BUILD_FLAGS)
comma := ,

##@ Image

.PHONY: image
image: ## Build the prod image users-api:<git describe> (STANDIN=1: use the local stand-in bases)
	$(IMAGE_BUILD) --target prod -t $(IMAGE):$(IMAGE_TAG) .

.PHONY: image-dev
image-dev: ## Build the hot-reload dev image users-api:<git describe>-dev
	$(IMAGE_BUILD) --target dev -t $(IMAGE):$(IMAGE_TAG)-dev .

.PHONY: docker-engine
docker-engine: ## Machine setup (root): install docker.io if missing, start dockerd
	scripts/docker-engine

.PHONY: standin-images
standin-images: ## Machine setup (root): build the stand-in python and uv base images once
	UV_VERSION=$(UV_VERSION) DOCKER=$(DOCKER) scripts/build-standin-images

.PHONY: arm64-emulation
arm64-emulation: ## Machine setup (root): qemu-user-static + binfmt_misc, so arm64 code runs here
	scripts/enable-arm64-emulation

.PHONY: standin-images-arm64
standin-images-arm64: arm64-emulation ## Machine setup (root): the stand-in bases for linux/arm64 (emulated; cached by tag)
	UV_VERSION=$(UV_VERSION) DOCKER=$(DOCKER) scripts/build-standin-images --arch arm64

# The MongoDB stand-in (k8s-dev/mongo-standin): FerretDB behind the official mongo image's
# entrypoint contract, for clusters on machines that cannot pull mongo. Never a chart default.
MONGOSH_VERSION := 2.5.10
# The Node.js that runs mongosh in the stand-in (npm's node-linux-<arch> package).
MONGO_STANDIN_NODE_VERSION := 22.23.5

.PHONY: mongo-standin-image
mongo-standin-image: $(FERRETDB) ## Build the MongoDB stand-in image for the chart's StatefulSet; prints its tag
	@DOCKER=$(DOCKER) MONGOSH_VERSION=$(MONGOSH_VERSION) NODE_VERSION=$(MONGO_STANDIN_NODE_VERSION) \
		scripts/build-mongo-standin $(FERRETDB)

# The name tests/e2e calls.
.PHONY: mongo-standin
mongo-standin: mongo-standin-image
