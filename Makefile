# Keyward: `make run` serves on http://127.0.0.1:8000, `make test` runs the suite.
# Both set everything up on a fresh machine: .venv, pinned packages, .env, database.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test e2e bench setup migrate cluster clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	touch $@

.env:
	$(PY) -m config.envfile .env

setup: $(VENV)/.runtime .env

migrate: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_admin

run: migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Keyward on http://$(HOST):$(PORT)/  (admin: /admin/, API docs: /api/docs/)"
	$(PY) -m config.serve -b $(HOST) -p $(PORT) config.asgi:application

# Two (or CLUSTER_PORTS) daphne processes over PostgreSQL + Redis: DATABASE_URL and
# REDIS_URL from the environment or .env, else the local `keyward` database and Redis db 0.
# `make cluster CLUSTER_ARGS=--pin-cpus` runs each process on a CPU of its own.
CLUSTER_PORTS ?= 8001 8002
CLUSTER_ARGS ?=
cluster: setup
	$(PY) -m config.cluster --host $(HOST) --ports $(CLUSTER_PORTS) $(CLUSTER_ARGS)

test: $(VENV)/.dev .env
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

e2e: $(VENV)/.dev .env
	bash tests/e2e/setup.sh
	$(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

bench: $(VENV)/.dev .env
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
