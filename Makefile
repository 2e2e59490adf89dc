# Two entry points: `make run` (the main job on the bundled scenario) and
# `make test` (lint, types, the whole test suite). Both bootstrap what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/flagship.yaml

.PHONY: run test lint typecheck pytest bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# Plots name segments and services in Chinese (全球通VIP, 咨询): install a CJK font
# when none is there (Debian, as root); without one the plots fall back to ids.
$(VENV)/.fonts: | $(BIN)/python
	@if ! (fc-list :lang=zh 2>/dev/null | grep -q .); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null) \
	      || echo "note: could not install a CJK font; plots will label by id"; \
	  else echo "note: no CJK font (apt-get install fonts-wqy-zenhei); plots label by id"; fi; \
	fi
	touch $@

# The monitor's integration tests run the real Prometheus and promtool (Debian).
$(VENV)/.prometheus: | $(BIN)/python
	@if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; \
	  else echo "error: the tests need prometheus and promtool: apt-get install prometheus"; exit 1; fi; \
	fi
	touch $@

run: $(VENV)/.installed $(VENV)/.fonts
	$(BIN)/hallsim run $(SCENARIO) --report out

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check sim monitor tests benchmarks
	$(BIN)/ruff format --check sim monitor tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev $(VENV)/.fonts $(VENV)/.prometheus
	$(BIN)/pytest -n 2 --durations=15

test: lint typecheck pytest

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_staffing.py
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_ingest.py

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
