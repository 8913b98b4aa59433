# The few commands a newcomer needs; each is a thin call into scripts/ or uv.
# `make` alone lists them.

UV ?= uv
RUN := $(UV) run --frozen
# Every target runs on this machine with the development secrets, which the services accept only
# in an environment named development; an environment set in the shell wins.
export TASKWIRE_ENVIRONMENT ?= development

.DEFAULT_GOAL := help
.PHONY: help setup services run demo test test-unit test-integration test-e2e soak lint fmt \
	migrate reconcile token clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup: ## install uv if missing and sync .venv from uv.lock
	@bash scripts/bootstrap.sh

services: ## start Postgres, RabbitMQ and Redis where not answering
	@bash scripts/services.sh

run: ## run every service (migrated, with its relay and consumers): projects :8001, tasks :8002
	@bash scripts/run.sh

demo: ## with the system running (make run), a guided tour through the gateway and the live feed
	$(RUN) python scripts/demo.py

test: ## the whole suite, every level: services, tools, setup, lint, pytest (ARGS="..." go to pytest)
	@bash scripts/test.sh $(ARGS)

test-unit: ## the unit level (tests/unit): no infrastructure, nothing started, seconds
	$(RUN) pytest tests/unit -q $(ARGS)

test-integration: services ## each service and mechanism against Postgres, RabbitMQ, Redis
	$(RUN) pytest tests/integration -q $(ARGS)

test-e2e: services ## the services together, as processes and behind the gateway (nginx)
	@bash scripts/tools.sh
	$(RUN) pytest tests/e2e -q $(ARGS)

SECONDS ?= 600
soak: services ## faults at random under load, then every guarantee checked (SECONDS=600 SEED=n)
	@bash scripts/tools.sh
	$(RUN) python -m taskwire.testkit.soak.run --seconds $(SECONDS) $(if $(SEED),--seed $(SEED))

lint: ## ruff check, ruff format --check, mypy
	@bash scripts/lint.sh

fmt: ## format and apply safe lint fixes
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

migrate: ## create each service's database if missing and apply its migrations
	$(RUN) taskwire-projects migrate
	$(RUN) taskwire-tasks migrate
	$(RUN) taskwire-aggregator migrate

reconcile: ## recount every project's counts from the tasks service and repair drift (PROJECT=<id> for one)
	$(RUN) taskwire-aggregator reconcile $(if $(PROJECT),--project $(PROJECT))

token: ## mint a development token (EMAIL=..., NAME=...)
	@$(RUN) taskwire-token --email "$(or $(EMAIL),you@example.com)" --name "$(or $(NAME),You)"

clean: ## remove caches and .venv (make setup rebuilds it)
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
