# quyhoach — `make run` serves the map, `make test` runs the tests. Both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
Q := $(VENV)/bin/quyhoach
HOST ?= 127.0.0.1
PORT ?= 8000
SYSTEM_PACKAGES := postgresql-15 postgresql-15-postgis-3 gdal-bin chromium fonts-dejavu-core \
	poppler-utils wrk nginx-light python3-qgis
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system venv db-up db-down db-url migrate sample serve lint bench bench-scale clean

run: setup sample serve

test: setup
	$(PY) -m pytest -q

setup: system venv db-up migrate

# Debian/Ubuntu packages: installed with apt-get when missing (as root, or through sudo).
system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null; then missing="$$missing python3-venv"; fi; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then \
	    echo "Please install as root: apt-get install -y$$missing"; exit 1; fi; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml maps/package.json maps/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	cd maps && npm ci --no-audit --no-fund --silent
	touch $@

db-up: venv
	$(Q) db up

db-down:
	$(Q) db down

db-url:
	@$(Q) db url

migrate: db-up
	$(Q) db migrate

sample: migrate
	$(Q) load-sample --if-empty

serve:
	$(Q) serve --host $(HOST) --port $(PORT)

lint: venv
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) bench/run.py

# Reads and the import on 10,000, 100,000 and 1,000,000 parcels (about 15 minutes on 2 cores).
bench-scale: setup
	$(PY) bench/scale.py

clean: db-down
	rm -rf "$$($(Q) db path)" $(VENV) .pgdata maps/node_modules
