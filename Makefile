# Retrospector: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
VAR_DIR := $(or $(RETROSPECTOR_VAR_DIR),var)
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres bench fuzz lint venv test-deps clean

# Quiet, and on stderr: `make bench`'s stdout is its JSON, even when this step runs first.
$(BIN)/retrospector: pyproject.toml
	@echo "Installing into $(VENV)" >&2
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip >&2
	@$(BIN)/pip install -q -e '.[test,semantic]' >&2
	@touch $@

venv: $(BIN)/retrospector

# `devenv` writes var/retrospector.env (DEBUG=1, a secret key kept from run to run, the database given, e.g.
# `make run DATABASE_URL=...`): the commands below, and any `retrospector` command run here later, read it.
# The port is checked before anything starts; the worker stops with the server, however the server ends.
run: venv
	@$(BIN)/retrospector devenv
	@$(BIN)/retrospector serve --host $(HOST) --port $(PORT) --check-port
	$(BIN)/retrospector migrate --noinput -v0
	$(BIN)/retrospector demo --if-empty
	@echo ""
	@echo "  Retrospector: http://$(HOST):$(PORT)/ (another port: make run PORT=8001)"
	@echo "  Log in as alice (organization admin), bob or carol; password: retrospector"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs"
	@echo ""
	$(BIN)/retrospector worker > $(VAR_DIR)/worker.log 2>&1 & \
	  WORKER=$$!; trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/retrospector serve --host $(HOST) --port $(PORT)

test-deps: venv
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  (echo "Installing Debian's chromium for the browser tests"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

lint: venv
	$(BIN)/ruff check retrospector tests bench
	$(BIN)/ruff format --check retrospector tests bench
	$(BIN)/lint-imports
	DEBUG=1 RETROSPECTOR_VAR_DIR=$$(mktemp -d) $(BIN)/retrospector makemigrations --check --dry-run

# The two databases' runs side by side (two cores: about the time of the longer one instead of the sum); each run's
# output is printed whole when it ends (-O), not interleaved.
test: test-deps
	$(MAKE) lint
	$(MAKE) -j2 -O test-sqlite test-postgres

test-sqlite:
	$(BIN)/pytest -q -p no:cacheprovider

test-postgres:
	DATABASE_URL=$(PG_URL) RETROSPECTOR_REQUIRE_DB=$${CI:-} $(BIN)/pytest -q -p no:cacheprovider

bench: venv
	@RETROSPECTOR_TESTING=1 $(BIN)/python -m bench

# The API against its document (Schemathesis, see the README): FUZZ_SECONDS long, on SQLite, or on PostgreSQL when
# DATABASE_URL is set (e.g. `make fuzz DATABASE_URL=$(PG_URL)`).
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= 1
fuzz: venv
	RETROSPECTOR_FUZZ_SECONDS=$(FUZZ_SECONDS) RETROSPECTOR_FUZZ_SEED=$(FUZZ_SEED) \
	  $(BIN)/pytest -q -p no:cacheprovider -s tests/api/test_api_contract.py

clean:
	rm -rf $(VENV) var .pytest_cache
