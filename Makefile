# traceobject: `make run` to try it, `make test` to test it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# `make run` is a local try-out: DEBUG on, embedded database unless DATABASE_URL is set.
LOCAL := DEBUG=true

.PHONY: help install run serve test lint format bench migrations-check clean messages

help:
	@echo "make run    - install, migrate, load demo data and serve http://127.0.0.1:$(PORT)/"
	@echo "make serve  - gunicorn + Celery worker + beat against DATABASE_URL and REDIS_URL"
	@echo "make test   - the whole test suite"
	@echo "make lint   - ruff (lint and format check) and makemigrations --check"
	@echo "make bench  - image-intake speed and memory benchmark"
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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory migrations-check

migrations-check: $(STAMP)
	$(LOCAL) $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	PYTHON=$(BIN)/python bin/makemessages

clean:
	rm -rf $(VENV) var/static

bench: $(STAMP)
	$(LOCAL) $(BIN)/python bench/intake.py
