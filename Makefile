# traceobject: `make run` to try it, `make test` to test it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# `make run` is a local try-out: DEBUG on, embedded database unless DATABASE_URL is set.
LOCAL := DEBUG=true

.PHONY: help install run serve test lint typecheck format bench bench-1m migrations-check clean messages screenshots

help:
	@echo "make run    - install, migrate, load demo data and serve http://127.0.0.1:$(PORT)/"
	@echo "make serve  - gunicorn + Celery worker + beat against DATABASE_URL and REDIS_URL"
	@echo "make test   - the whole test suite"
	@echo "make lint   - ruff (lint and format check), mypy, djhtml --check, makemigrations --check, catalogues"
	@echo "make screenshots - every public page in every language at 360 and 1280 px, into test-results/screenshots/"
	@echo "make bench  - public pages under load, the back office at 1 k and 100 k, the intake, tip grouping"
	@echo "make bench-1m - the back office at 1 M tips and audit entries"
	@echo "make messages - extract new strings into locale/*/django.po (then translate them)"

# Reinstalls only when the pinned versions change, so a second `make run` starts in seconds.
$(STAMP): requirements.txt requirements-dev.txt build-constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "traceobject needs Python 3.11 or newer, found " + sys.version.split()[0])'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# XStatic-Bootstrap is a source-only package whose setup.py needs an older setuptools;
	@# every other package is a wheel, so building without isolation touches only it.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r build-constraints.txt wheel
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-build-isolation -r requirements-dev.txt
	@touch $@

# The translations are compiled by our own Python step (bin/compilemessages, polib): a fresh
# machine needs no GNU gettext. Recompiled whenever a catalogue changes.
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
$(MO_FILES): %.mo: %.po $(STAMP)
	$(BIN)/python bin/compilemessages

install: $(STAMP) $(MO_FILES)

run: $(STAMP) $(MO_FILES)
	$(LOCAL) $(BIN)/python manage.py migrate --noinput
	$(LOCAL) $(BIN)/python manage.py seed_demo
	@echo
	@echo "  traceobject: http://127.0.0.1:$(PORT)/   back office: http://127.0.0.1:$(PORT)/backoffice/"
	@echo "  (back office login: a demo username, its password, and its code above as the OTP token)"
	@echo
	$(LOCAL) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

serve: $(STAMP) $(MO_FILES)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash bin/serve

test: $(STAMP) $(MO_FILES)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# .pre-commit-config.yaml runs the same checks on every commit.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck
	$(BIN)/djhtml --check --tabwidth 2 templates
	$(MAKE) --no-print-directory migrations-check
	$(BIN)/python bin/check_catalogues
	$(BIN)/python bin/lint-migrations

# The django-stubs plugin imports the settings, which need DEBUG=true (or a SECRET_KEY).
typecheck: $(STAMP)
	$(LOCAL) $(BIN)/mypy

migrations-check: $(STAMP)
	$(LOCAL) $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djhtml --tabwidth 2 templates

# Playwright and Debian's Chromium against a throwaway database; LANGS="en fr ar" for a few.
screenshots: $(STAMP) $(MO_FILES)
	SCREENSHOT_LANGUAGES="$(LANGS)" $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/screenshots_all.py

messages: $(STAMP)
	PYTHON=$(BIN)/python bin/makemessages

clean:
	rm -rf $(VENV) var/static

# Needs PostgreSQL and Redis on 127.0.0.1 (trust auth) and wrk; uses database `perf`, Redis db 9.
# bench/tip_grouping.py makes its own SQLite database in a temporary folder (DATABASE_URL unset).
bench: $(STAMP)
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python bench/web.py
	$(BIN)/python bench/backoffice.py 1000 100000
	env -u DATABASE_URL $(LOCAL) $(BIN)/python bench/gallery_render.py
	$(LOCAL) $(BIN)/python bench/intake.py
	env -u DATABASE_URL $(LOCAL) $(BIN)/python bench/tip_grouping.py

# The back office at a million tips and a million audit entries (database `perf_1m`).
bench-1m: $(STAMP)
	$(BIN)/python bench/backoffice.py 1000000
