# ebr — electronic batch records. `make help` lists every target.
#
# Database: with DATABASE_URL set, every target uses it. Otherwise a
# project-local PostgreSQL cluster is started under .pg/ (git-ignored):
# .pg/dev on port $(EBR_PG_PORT) for `make run`, .pg/test on port
# $(EBR_TEST_PG_PORT) (fsync off) for `make test`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

EBR_PG_PORT ?= 54329
EBR_TEST_PG_PORT ?= 54330
BIND ?= 127.0.0.1:8080
EBR := target/debug/ebr

# The database URL for `run` (and the db-* targets) and for `test`.
DEV_DB_URL = $(if $(DATABASE_URL),$(DATABASE_URL),$(shell scripts/pg.sh url dev $(EBR_PG_PORT)))
TEST_DB_URL = $(if $(DATABASE_URL),$(DATABASE_URL),$(shell scripts/pg.sh url test $(EBR_TEST_PG_PORT)))

# The checkpoint key and log `make run` uses unless EBR__CHECKPOINT__* are set.
CHECKPOINT_ENV = EBR__CHECKPOINT__KEY_FILE=$${EBR__CHECKPOINT__KEY_FILE:-.ebr/checkpoint.key} EBR__CHECKPOINT__LOG_DIR=$${EBR__CHECKPOINT__LOG_DIR:-.ebr/checkpoints}

.PHONY: help
help: ## List every target with what it does
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

.PHONY: run
run: build db-up ## Build, provision the database, seed demo data, serve at http://127.0.0.1:8080 (BIND=addr to change)
	@# Checkpoints: a local signing key and log under .ebr/ (git-ignored) unless configured.
	@mkdir -p .ebr
	@[ -n "$${EBR__CHECKPOINT__KEY_FILE:-}" ] || [ -f .ebr/checkpoint.key ] || { $(EBR) checkpoint keygen -o .ebr/checkpoint.key > .ebr/checkpoint.pub && echo "ebr: checkpoint public key in .ebr/checkpoint.pub"; }
	@DATABASE_URL='$(DEV_DB_URL)' $(EBR) migrate
	@DATABASE_URL='$(DEV_DB_URL)' $(CHECKPOINT_ENV) $(EBR) demo
	@echo "ebr: serving on http://$(BIND)  (pages: http://$(BIND)/ ; API docs: http://$(BIND)/api/docs/ ; demo password ebr-demo-2026! ; Ctrl-C stops; 'make db-down' stops the database)"
	@# Plain HTTP on loopback: the session cookie cannot be Secure here. Behind TLS keep the default (true).
	@DATABASE_URL='$(DEV_DB_URL)' $(CHECKPOINT_ENV) EBR__SECURITY__SECURE_COOKIE=$${EBR__SECURITY__SECURE_COOKIE:-false} exec $(EBR) serve --bind $(BIND)

.PHONY: test
test: build-deps browser-deps test-db-up ## Provision a test database and run every test against it (browser tests in headless Chromium included)
	@if [ -z "$${DATABASE_URL:-}" ]; then scripts/pg.sh clean-tests test $(EBR_TEST_PG_PORT); fi
	@# The run's results stay for `make trace`: nextest's JUnit report, or cargo test's output.
	@rm -f target/nextest/default/junit.xml target/validation/junit.xml target/validation/test.log target/validation/test.status
	@mkdir -p target/validation
	@if cargo nextest --version >/dev/null 2>&1; then \
		DATABASE_URL='$(TEST_DB_URL)' cargo nextest run --workspace --no-fail-fast; status=$$?; \
		cp target/nextest/default/junit.xml target/validation/junit.xml 2>/dev/null; exit $$status; \
	else \
		{ DATABASE_URL='$(TEST_DB_URL)' cargo test --workspace --no-fail-fast 2>&1; echo $$? > target/validation/test.status; } | tee target/validation/test.log; \
		exit $$(cat target/validation/test.status); \
	fi
	@DATABASE_URL='$(TEST_DB_URL)' cargo test --workspace --doc --quiet
	@cargo run --quiet --bin ebr -- validation trace 2>/dev/null | head -n 1 || true

.PHONY: trace
trace: ## The trace matrix: every requirement to the tests that passed on this build (target/validation/trace.md, .json); fails naming each requirement not proven (runs `make test` first when there are no results)
	@if [ ! -f target/validation/junit.xml ] && [ ! -f target/validation/test.log ]; then $(MAKE) --no-print-directory test; fi
	@cargo run --quiet --bin ebr -- validation trace

.PHONY: validation-pack
validation-pack: build db-up ## The validation pack in target/validation/pack: trace matrix (md, json, PDF/A), IQ of `make run`'s database, test report, CycloneDX SBOM, manifest (installs cargo-cyclonedx the first time)
	@if [ ! -f target/validation/junit.xml ] && [ ! -f target/validation/test.log ]; then $(MAKE) --no-print-directory test; fi
	@cargo cyclonedx --version >/dev/null 2>&1 || { echo "validation-pack: installing cargo-cyclonedx $(CYCLONEDX_VERSION) from crates.io (once)"; cargo install --locked --quiet cargo-cyclonedx --version $(CYCLONEDX_VERSION); }
	@mkdir -p target/validation
	@cargo cyclonedx --format json --quiet >/dev/null
	@cp crates/ebr_web/ebr_web.cdx.json target/validation/ebr_web.cdx.json && find crates -maxdepth 2 -name '*.cdx.json' -delete
	@DATABASE_URL='$(DEV_DB_URL)' $(EBR) migrate >/dev/null 2>&1
	@DATABASE_URL='$(DEV_DB_URL)' $(EBR) validation pack -o target/validation/pack

CYCLONEDX_VERSION := 0.5.9

.PHONY: screenshots
screenshots: build-deps browser-deps test-db-up ## Screenshots of the tablet screens (768x1024) into .screenshots/ (git-ignored)
	@mkdir -p .screenshots
	@DATABASE_URL='$(TEST_DB_URL)' EBR_SCREENSHOT_DIR='$(CURDIR)/.screenshots' cargo test -p ebr_web --test browser screens -- --test-threads=2
	@echo "screenshots:"; ls -1 .screenshots/*.png

.PHONY: bench
bench: build-deps test-db-up $(BASELINE_BIN) ## Measure everything and print one table (release build; private databases; ~12 min, +8 min once for the baseline build)
	@rm -rf target/bench-results
	@DATABASE_URL='$(TEST_DB_URL)' EBR_BASELINE_BIN='$(BASELINE_BIN)' cargo bench -p ebr_web --bench pdf
	@DATABASE_URL='$(TEST_DB_URL)' cargo bench -p ebr_web --bench audit_verify
	@cargo bench -p ebr_evidence --bench trend
	@$(MAKE) --no-print-directory prod-bin
	@DATABASE_URL='$(TEST_DB_URL)' EBR_BIN='$(PROD_BIN)' EBR_BASELINE_BIN='$(BASELINE_BIN)' cargo bench -p ebr_evidence --bench system

# The server the system bench compares throughput against in the same run:
# the last commit before the batch command path (built once, kept in
# target/baseline; needs the clone's history).
BASELINE_COMMIT := 9ae47d2
BASELINE_BIN := $(CURDIR)/target/baseline/ebr-$(BASELINE_COMMIT)

$(BASELINE_BIN):
	@scripts/build-baseline.sh $(BASELINE_COMMIT) $@

# The server under measurement: a release build made on its own, so it hashes
# with the production argon2 parameters (`cargo bench`/`cargo test` builds of
# the binary carry the test suite's cheap ones).
PROD_BIN := $(CURDIR)/target/prod/ebr

.PHONY: prod-bin
prod-bin:
	@cargo build --release --bin ebr
	@mkdir -p target/prod && cp target/release/ebr $(PROD_BIN)

VENV := .venv
SCHEMATHESIS_VERSION := 4.32.5

$(VENV)/bin/schemathesis:
	@echo "resilience: installing schemathesis $(SCHEMATHESIS_VERSION) from PyPI into $(VENV) (git-ignored)"
	@python3 -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check 'schemathesis==$(SCHEMATHESIS_VERSION)'

.PHONY: resilience
resilience: build-deps test-db-up $(VENV)/bin/schemathesis ## Load, 20 x kill -9, PostgreSQL restart, failover to a synchronous standby, schemathesis, two nodes: full length, loopback only (~12 min)
	@rm -f target/bench-results/resilience-*.md
	@$(MAKE) --no-print-directory prod-bin
	@DATABASE_URL='$(TEST_DB_URL)' EBR_BIN='$(PROD_BIN)' EBR_RESILIENCE=full \
		cargo test -p ebr_evidence --test resilience -- --include-ignored --test-threads=1 --nocapture
	@echo
	@echo "ebr resilience (one run of \`make resilience\`, release build)"
	@echo
	@echo "| test | result | passed when | |"
	@echo "| --- | --- | --- | --- |"
	@cat target/bench-results/resilience-*.md

.PHONY: scaling
scaling: build-deps ## What one PostgreSQL primary carries: entries and signatures per second with a synchronous standby, storage per row, verify time (release build; own clusters on ports 54334-54335; ~3 min after the build)
	@rm -f target/bench-results/scaling.md
	@$(MAKE) --no-print-directory prod-bin
	@EBR_BIN='$(PROD_BIN)' cargo bench -p ebr_evidence --bench scaling

.PHONY: build
build: build-deps ## Build the ebr binary
	cargo build --bin ebr

.PHONY: build-deps
build-deps: ## Install the system libraries the build needs (libpq) when missing
	@scripts/ensure-build-deps.sh

.PHONY: browser-deps
browser-deps: ## Install Debian's chromium and chromium-driver when missing (for the browser tests)
	@scripts/ensure-build-deps.sh browser

.PHONY: db-up
db-up: ## Start the local development database (no-op when DATABASE_URL is set)
	@if [ -z "$${DATABASE_URL:-}" ]; then MAKE_TARGET=run scripts/pg.sh up dev $(EBR_PG_PORT); fi

.PHONY: test-db-up
test-db-up: ## Start the local test database (fsync off; no-op when DATABASE_URL is set)
	@if [ -z "$${DATABASE_URL:-}" ]; then MAKE_TARGET=test scripts/pg.sh up test $(EBR_TEST_PG_PORT) test; fi

.PHONY: db-down
db-down: ## Stop the local development and test databases (data is kept)
	@scripts/pg.sh down dev $(EBR_PG_PORT)
	@scripts/pg.sh down test $(EBR_TEST_PG_PORT)
	@scripts/pg.sh down resilience 54331
	@scripts/pg.sh down repl-primary 54332
	@scripts/pg.sh down repl-standby 54333
	@scripts/pg.sh down scale-primary 54334
	@scripts/pg.sh down scale-standby 54335

.PHONY: db-reset
db-reset: ## Delete the local development database (and its checkpoint log) and start an empty one
	@scripts/pg.sh reset dev $(EBR_PG_PORT)
	@rm -rf .ebr/checkpoints
	@echo "development database and its checkpoint log reset (the key in .ebr/ stays); 'make run' migrates and seeds it again"

.PHONY: fmt
fmt: ## Format the code
	cargo fmt --all

.PHONY: fmt-check
fmt-check: ## Check formatting (as CI does)
	cargo fmt --all -- --check

.PHONY: lint
lint: build-deps ## Clippy on every target, warnings denied (as CI does)
	cargo clippy --workspace --all-targets -- -D warnings

.PHONY: record-vectors
record-vectors: build-deps test-db-up ## Regenerate fixtures/records/ (a released record and tampered copies) after the record format or PDF layout changed
	DATABASE_URL='$(TEST_DB_URL)' EBR_WRITE_RECORD_VECTORS=1 cargo test -p ebr_web --test api record_vectors

.PHONY: check-deps
check-deps: ## Check the dependency direction web -> persistence -> domain
	@scripts/check-deps.sh

.PHONY: ci
ci: fmt-check lint check-deps test ## Everything CI runs
