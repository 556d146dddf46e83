# appcat — build, run and test. `make run` and `make test` work on a fresh
# machine: missing tools are installed first (idempotently).

SHELL := /bin/bash
.DEFAULT_GOAL := run

export CARGO_BUILD_JOBS ?= 2
# The bundle's name. Deliberately not exported to the compiler: when
# LEPTOS_OUTPUT_NAME is set at build time, Leptos asks for `<name>.wasm`
# (cargo-leptos' naming) instead of wasm-bindgen's `<name>_bg.wasm`.
LEPTOS_OUTPUT_NAME := appcat
export LEPTOS_SITE_ROOT := target/site
PROFILE ?= debug
CARGO_PROFILE_FLAG := $(if $(filter release,$(PROFILE)),--release,)
WASM_PROFILE_FLAG := $(if $(filter release,$(PROFILE)),--profile wasm-release,)
WASM_DIR := target/wasm32-unknown-unknown/$(if $(filter release,$(PROFILE)),wasm-release,debug)
WASM_BINDGEN_VERSION := $(shell grep -A1 '^name = "wasm-bindgen"$$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
APPCAT := target/$(PROFILE)/appcat
SHARED_DATA ?= $(or $(APPCAT_SHARED_DATA),../shared/data)
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
NPM_CACHE := $(HOME)/.cache/appcat-npm

.PHONY: run serve build site tools tool-wasm tool-bindgen tool-e2e test test-sqlite test-postgres \
        test-e2e test-glareclient screenshots lint bench bench-scale tool-oha tool-nginx clean \
        fuzz fuzz-ci fuzz-run tool-fuzz

## Tools ---------------------------------------------------------------------

tools: tool-wasm tool-bindgen

tool-wasm:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# wasm-bindgen-cli must be exactly the wasm-bindgen in Cargo.lock.
tool-bindgen:
	@if ! wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$"; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

# Browser tests: Debian's chromium and npm's playwright-core (no browser download).
# npm packages: playwright-core, and oidc-provider (a real OpenID Connect
# provider for the sign-in tests); reinstalled when the lockfile changes.
tool-e2e: end2end/node_modules/.installed
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

end2end/node_modules/.installed: end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund --cache $(NPM_CACHE)
	touch $@

## Build ---------------------------------------------------------------------

build: tools
	cargo build -p server $(CARGO_PROFILE_FLAG)
	cargo build -p frontend --lib --target wasm32-unknown-unknown $(WASM_PROFILE_FLAG)
	$(MAKE) --no-print-directory site

site:
	mkdir -p $(LEPTOS_SITE_ROOT)/pkg
	cp -r public/. $(LEPTOS_SITE_ROOT)/
	cp style/main.css $(LEPTOS_SITE_ROOT)/pkg/$(LEPTOS_OUTPUT_NAME).css
	wasm-bindgen --target web --out-dir $(LEPTOS_SITE_ROOT)/pkg --out-name $(LEPTOS_OUTPUT_NAME) \
	  $(WASM_DIR)/frontend.wasm

## Run -----------------------------------------------------------------------

# Builds, migrates, loads the demo catalog from $(SHARED_DATA) when that
# folder exists and the catalog is empty, and serves on http://127.0.0.1:3000
# with an SQLite database and blobs under ./data (APPCAT_DATA_DIR).
run: build
	$(APPCAT) demo --data $(SHARED_DATA)
	$(APPCAT) serve

serve:
	$(APPCAT) serve

## Tests ---------------------------------------------------------------------

test: lint test-sqlite test-postgres test-e2e test-glareclient fuzz-ci

lint: tool-wasm
	cargo fmt --all -- --check
	cargo clippy -p server -p migrations --all-targets -- -D warnings
	cargo clippy -p frontend -p app --target wasm32-unknown-unknown --features app/hydrate -- -D warnings

test-sqlite: tools
	cargo test -p server -p migrations
	cargo test -p app --features ssr

# Every test again on PostgreSQL: each test creates and drops its own database.
test-postgres:
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || psql "$(PG_URL)" -c 'select 1' >/dev/null 2>&1; then \
	  APPCAT_TEST_DATABASE_URL="$(PG_URL)" cargo test -p server; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL is not reachable at $(PG_URL)"; exit 1; \
	else echo "skipping PostgreSQL tests: no server at $(PG_URL)"; fi

# Pages in headless Chromium against the real server (screenshots go to
# target/screenshots; `make screenshots` refreshes the ones in docs/).
test-e2e: build tool-e2e
	cd end2end && LEPTOS_SITE_ROOT=$(CURDIR)/target/site APPCAT_BIN=$(CURDIR)/$(APPCAT) APPCAT_SCREENSHOT_DIR=$(CURDIR)/target/screenshots npm test

# The unmodified OpenStack client (python-glareclient from PyPI) against the
# real server.
test-glareclient: build
	APPCAT_BIN=$(CURDIR)/$(APPCAT) server/tests/compat/glareclient.sh

screenshots: build tool-e2e
	cd end2end && LEPTOS_SITE_ROOT=$(CURDIR)/target/site APPCAT_BIN=$(CURDIR)/$(APPCAT) APPCAT_SCREENSHOT_DIR=$(CURDIR)/docs/screenshots npm test

## Fuzzing -------------------------------------------------------------------

# cargo-fuzz targets of every parser of user input (fuzz/, its own workspace
# and target dir; fuzz/README.md). Targets run one after another, each for
# FUZZ_SECS seconds, from fuzz/seeds/<target> plus what earlier runs found
# (fuzz/corpus/<target>, git-ignored); the Murano manifests and the CSAR of
# $(SHARED_DATA) are extra seeds. A crash, a failed property or an input
# slower than FUZZ_TIMEOUT seconds fails the run (reproducer in
# fuzz/artifacts/<target>/). Per target the number of executions is printed.
FUZZ_SECS ?= 300
FUZZ_TIMEOUT ?= 30
FUZZ_SANITIZER ?= address
FUZZ_TARGETS := version_spec list_filter json_patch murano type_file bundle markdown
FUZZ_LOGS := fuzz/target/logs
# `make fuzz` builds optimised binaries (cargo-fuzz's release profile, one
# codegen unit: slow to build, fast to run); `make fuzz-ci` builds them
# unoptimised (`--dev`), which takes a fraction of the build time and is
# plenty for 20 s a target.
FUZZ_PROFILE ?= release
FUZZ_BUILD_FLAGS := $(if $(filter dev,$(FUZZ_PROFILE)),--dev,)
# The binaries `cargo fuzz build` made, run as they are (what `cargo fuzz run`
# does, without a rebuild between targets).
FUZZ_BIN = target/x86_64-unknown-linux-gnu/$(if $(filter dev,$(FUZZ_PROFILE)),debug,release)

tool-fuzz:
	@rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
	@cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked

fuzz: tool-fuzz
	$(MAKE) --no-print-directory fuzz-run FUZZ_SECS=$(FUZZ_SECS)

fuzz-ci: tool-fuzz
	$(MAKE) --no-print-directory fuzz-run FUZZ_SECS=20 FUZZ_PROFILE=dev

fuzz-run:
	cd fuzz && cargo +nightly fuzz build $(FUZZ_BUILD_FLAGS) -s $(FUZZ_SANITIZER)
	@mkdir -p $(FUZZ_LOGS) fuzz/corpus/murano
	@if [ -d "$(SHARED_DATA)" ]; then \
	  find "$(SHARED_DATA)/murano" -name manifest.yaml -size -64k 2>/dev/null | while read -r f; do \
	    { printf '\001'; cat "$$f"; } > "fuzz/corpus/murano/shared-$$(printf '%s' "$$f" | sha1sum | cut -c1-16)"; done; \
	  find "$(SHARED_DATA)" -name '*.zip' -size -64k 2>/dev/null | while read -r f; do \
	    { printf '\000'; cat "$$f"; } > "fuzz/corpus/murano/shared-$$(printf '%s' "$$f" | sha1sum | cut -c1-16)"; done; \
	fi
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t fuzz/artifacts/$$t; \
	  echo "== fuzz $$t for $(FUZZ_SECS) s"; \
	  (cd fuzz && ASAN_OPTIONS=detect_odr_violation=0 $(FUZZ_BIN)/$$t corpus/$$t seeds/$$t \
	    -artifact_prefix=artifacts/$$t/ -max_total_time=$(FUZZ_SECS) -timeout=$(FUZZ_TIMEOUT) \
	    -print_final_stats=1) > $(FUZZ_LOGS)/$$t.log 2>&1 \
	    || { tail -n 60 $(FUZZ_LOGS)/$$t.log; echo "fuzz target $$t FAILED (log: $(FUZZ_LOGS)/$$t.log)"; exit 1; }; \
	  echo "$$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_LOGS)/$$t.log | tail -n 1) executions in $(FUZZ_SECS) s"; \
	done

## Benchmarks ----------------------------------------------------------------

# Criterion (in-process API) and the real server under load (release build):
# a 1 GiB blob upload/download with peak RSS, and list/get with oha; then the
# scale run below.
bench: tool-oha
	cargo bench -p server --bench catalog
	cargo build -p server --release
	mkdir -p target/bench
	APPCAT_BIN=$(RELEASE_BIN) server/benches/blob_transfer.sh | tee target/bench/report.md
	$(MAKE) --no-print-directory bench-scale

# List and search at 10 k, 100 k and 1 M artifacts (`appcat generate`) on
# SQLite and on PostgreSQL ($(PG_URL), a fresh database per run), Glare 5.0.1
# on the same 10 k data (cached virtualenv target/bench/venv-glare) and an
# nginx static-file floor; Markdown report in target/bench/scale.md. Sizes
# and durations are variables (SCALE_SIZES, SCALE_DBS, ...: see the head of
# server/benches/scale/run.sh and docs/BENCHMARKS.md). Long: not a test.
RELEASE_BIN = $(or $(CARGO_TARGET_DIR),target)/release/appcat
bench-scale: tool-oha tool-nginx
	cargo build -p server --release
	mkdir -p target/bench
	APPCAT_BIN=$(RELEASE_BIN) SCALE_PG_URL=$(patsubst %/postgres,%,$(PG_URL)) server/benches/scale/run.sh

tool-oha:
	@command -v oha >/dev/null || cargo install oha --locked

tool-nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

clean:
	cargo clean
