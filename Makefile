# shelfnet: the two commands of the README quick start are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Real protocol peers the test suite talks to (Debian package names).
# postgresql: the catalogue's PostgreSQL tests start their own cluster (tests/postgres.py).
# chromium: the browser tests (tests/browser) drive it headless with Playwright, which is
# never let download a browser of its own.
TEST_PEERS := yaz yaz-illclient idzebra-2.0 idzebra-2.0-examples postgresql chromium slapd ldap-utils
# socat: the document-delivery benchmark's reference, a raw TCP copy of the same file.
BENCH_PEERS := socat

.PHONY: run test lint typecheck unit interop browser bench peers clean

run: $(BIN)/.installed
	$(BIN)/shelfnet demo --serve

test: peers $(BIN)/.installed lint typecheck
	$(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(BIN)/.installed
	$(BIN)/mypy
	$(BIN)/mypy --strict benchmarks

unit: $(BIN)/.installed
	$(BIN)/python -m pytest -q tests/unit

interop: peers $(BIN)/.installed
	$(BIN)/python -m pytest -q tests/interop

browser: peers $(BIN)/.installed
	$(BIN)/python -m pytest -q tests/browser

bench: peers $(BIN)/.installed
	$(call apt_install,$(BENCH_PEERS))
	$(BIN)/python benchmarks/z3950_fetch.py --write docs/benchmarks.md
	$(BIN)/python benchmarks/server_vs_zebra.py --append docs/benchmarks.md
	$(BIN)/python benchmarks/federated.py --append docs/benchmarks.md
	$(BIN)/python benchmarks/directory_sync.py --append docs/benchmarks.md
	$(BIN)/python benchmarks/directory_probe.py --append docs/benchmarks.md
	$(BIN)/python benchmarks/ill_load.py --append docs/benchmarks.md
	$(BIN)/python benchmarks/ill_messages.py --append docs/benchmarks.md
	$(BIN)/python benchmarks/delivery_throughput.py --append docs/benchmarks.md

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || ( $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q python3-venv )
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

# Install missing Debian packages, running apt-get update first (no-op when all are present).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi
endef

peers:
	$(call apt_install,$(TEST_PEERS))


clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build src/*.egg-info
