# Keyward: `make run` serves on http://127.0.0.1:8000, `make test` runs the suite.
# Both set everything up on a fresh machine: .venv, pinned packages, .env, database.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint e2e bench setup migrate cluster clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	$(PIP) install --quiet --disable-pip-version-check --no-deps --ignore-requires-python openalgo==2.0.5
	touch $@

.env:
	$(PY) -m config.envfile .env

setup: $(VENV)/.runtime .env

migrate: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_admin

run: migrate
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@$(PY) -m config.banner --host $(HOST) --port $(PORT)
	$(PY) -m config.serve -b $(HOST) -p $(PORT) config.asgi:application

# The production layout over PostgreSQL + Redis (config/cluster.py): HTTP under gunicorn on
# PORT, the WebSocket stream under uvicorn on STREAM_PORT. DATABASE_URL and REDIS_URL from
# the environment or .env, else the local `keyward` database and Redis db 0.
# e.g. `make cluster CLUSTER_ARGS="--http-workers 4 --stream-workers 2"`.
STREAM_PORT ?= 8001
CLUSTER_ARGS ?=
cluster: setup
	$(PY) -m config.cluster --host $(HOST) --http-port $(PORT) --stream-port $(STREAM_PORT) $(CLUSTER_ARGS)

# Parallel workers (pytest-xdist): a module stays on one worker (tests/conftest.py);
# TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2
test: $(VENV)/.dev .env lint
	$(PY) -m pytest -m "not e2e" -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check --config config/ruff.toml .
	$(PY) -m mypy --config-file config/mypy.ini apikeys config trading agents playground

e2e: $(VENV)/.dev .env
	bash tests/e2e/setup.sh
	$(PY) -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

bench: $(VENV)/.dev .env
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
