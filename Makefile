# Duban developer commands. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
# Some machines set PYTHONDONTWRITEBYTECODE: every service process and test subprocess would
# then recompile every import (~10 s each). Let Python cache bytecode.
unexport PYTHONDONTWRITEBYTECODE
RUN := $(UV) run --frozen
WORKSPACE_MEMBERS := contracts libs/common libs/planparse libs/cascade services/task-ledger services/deadline-watcher services/notifier

.PHONY: install test-deps run test test-unit lint format bench docs demo up down clean

install: ## install uv if missing, then the whole workspace (one lock file)
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || \
		(python3 -m pip install --user --quiet uv 2>/dev/null || curl -LsSf https://astral.sh/uv/install.sh | sh)
	$(UV) sync --frozen --all-packages --compile-bytecode

run: install ## the whole system on the embedded defaults (SQLite + embedded broker)
	$(RUN) duban run

# The browser tests drive Debian's Chromium (never a downloaded browser) and the pages need CJK
# fonts. Installed with apt when missing; without root or apt, say what to install and go on
# (only the browser tests then fail).
TEST_PACKAGES := chromium fonts-noto-cjk
test-deps: ## Debian packages the tests need (chromium, fonts-noto-cjk), installed when missing
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	{ command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -qi 'noto'; } \
		|| missing="$$missing fonts-noto-cjk"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else sudo="none"; fi; \
	if [ "$$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: missing$$missing; install them (Debian: apt-get install$$missing)," \
			"the browser tests fail without them" >&2; exit 0; fi; \
	echo "installing$$missing (apt-get)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	{ $$sudo apt-get update -qq && $$sudo apt-get install -y -qq $$missing >/dev/null; } \
		|| echo "warning: apt-get could not install$$missing; the browser tests will fail" >&2

# Most tests wait on brokers, services and browsers rather than compute: two worker processes
# (pytest-xdist) halve the suite on a 2-core machine. A test file stays on one worker (its module
# fixtures are set up once); each worker has its own broker and PostgreSQL database.
TEST_WORKERS ?= 2
test: install test-deps lint ## linters, then every test: unit, integration (real broker, SQLite and PostgreSQL), e2e
	$(RUN) pytest -n $(TEST_WORKERS) --dist loadfile

test-unit: install
	$(RUN) pytest -m unit

lint: install ## ruff, ruff format --check, mypy (strict on contracts/ and libs/), import-linter, deptry
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy contracts/src libs/common/src libs/planparse/src libs/cascade/src services/*/src src bench
	$(RUN) lint-imports
	@# runtime dependencies are exactly what each package imports (config: each pyproject.toml)
	@for member in . $(WORKSPACE_MEMBERS); do \
		(cd $$member && $(RUN) deptry src --no-ansi) || exit 1; done

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

bench: install ## every benchmark; prints a table and writes bench/results/latest.json
	$(RUN) python -m bench

docs: install ## JSON Schema for every contract and an AsyncAPI document per service
	$(RUN) duban docs --out docs/generated

demo: install ## three simulated months at accelerated time against the running services
	$(RUN) duban demo

up: ## production-like stack: Apache Kafka, PostgreSQL and the services in Docker
	bash deploy/compose-secrets.sh docker-compose.yml .env
	docker compose up -d --build

down:
	docker compose down

clean:
	rm -rf data test-output .pytest_cache .mypy_cache .ruff_cache
