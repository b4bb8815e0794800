# apiwarden: build, test, run, demo, bench, fuzz, lint.
GO        ?= go
WASM      := build/apiwarden.wasm
PORT      ?= 8080
FUZZTIME  ?= 5s
BENCHTIME ?= 1s
CONFIG    ?= examples/bank/apiwarden.json
export GOFLAGS := -mod=mod

.PHONY: all build test run demo bench fuzz lint check-config openapi oci clean

all: build

# The module: stock Go, WASI reactor (no TinyGo).
build:
	@mkdir -p build
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -ldflags=-checklinkname=0 -o $(WASM) ./filter
	@ls -l $(WASM) | awk '{print "built " $$NF " (" $$5 " bytes)"}'

# Builds the module, checks formatting and vet, and runs every test
# (unit tests natively, end-to-end tests against the built module).
test: build lint
	$(GO) test -count=1 ./...

# Serves the bank API through the module on 127.0.0.1:$(PORT).
run: build
	$(GO) run ./examples/bank/cmd/bank-demo -module $(WASM) -config $(CONFIG) -listen 127.0.0.1:$(PORT)

# Replays legitimate sessions and the attacker of the design seed.
demo: build
	$(GO) run ./examples/bank/cmd/bank-demo -module $(WASM) -config $(CONFIG) -replay

# Per-request cost through the real module against the pass-through module,
# plus native micro-benchmarks.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

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
	$(GO) run ./build/checkconfig $(CONFIG)

# Regenerates the bank configuration from its OpenAPI document (proxies take
# JSON; this turns YAML into the plugin configuration).
openapi:
	$(GO) run ./build/openapi2json -in examples/bank/openapi.yaml -base examples/bank/apiwarden.base.json -out examples/bank/apiwarden.json

# Packages the module as an OCI image layout in build/oci for Istio's
# WasmPlugin; push it with `crane push build/oci <registry>/apiwarden:<tag>`.
oci: build
	$(GO) run ./build/ocipack -in $(WASM) -out build/oci -tag $(or $(TAG),latest)

clean:
	rm -rf build/*.wasm build/oci
