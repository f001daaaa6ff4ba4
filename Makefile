# Duban developer commands. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
# Some machines set PYTHONDONTWRITEBYTECODE: every service process and test subprocess would
# then recompile every import (~10 s each). Let Python cache bytecode.
unexport PYTHONDONTWRITEBYTECODE
RUN := $(UV) run --frozen

.PHONY: install run test test-unit lint format bench docs demo up down clean

install: ## install uv if missing, then the whole workspace (one lock file)
	@command -v uv >/dev/null 2>&1 || [ -x "$(HOME)/.local/bin/uv" ] || \
		(python3 -m pip install --user --quiet uv 2>/dev/null || curl -LsSf https://astral.sh/uv/install.sh | sh)
	$(UV) sync --frozen --all-packages --compile-bytecode

run: install ## the whole system on the embedded defaults (SQLite + embedded broker)
	$(RUN) duban run

test: install ## every test: unit, integration (real broker, SQLite and PostgreSQL), e2e
	$(RUN) pytest

test-unit: install
	$(RUN) pytest -m unit

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy contracts/src libs/common/src libs/planparse/src services/*/src src
	$(RUN) lint-imports

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
