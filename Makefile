# Two entry points: `make run` (the main job on the bundled scenario) and
# `make test` (lint, types, the whole test suite). Both bootstrap what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/flagship.yaml

.PHONY: run demo test test-fast lint typecheck pytest docs docs-check bench bench-soak bench-province bench-windows clean system-tools

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

# The integration tests run real Debian programs: Prometheus and promtool,
# Alertmanager and amtool, headless Chromium (the live pages) and
# systemd-analyze (the unit file). Installed when missing (as root); CI is a
# fresh machine, so this is what makes `make test` work there.
SYSTEM_TOOLS := prometheus:prometheus promtool:prometheus \
	prometheus-alertmanager:prometheus-alertmanager amtool:prometheus-alertmanager \
	chromium:chromium systemd-analyze:systemd
system-tools:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "error: the tests need these Debian packages: apt-get install$$missing"; exit 1; fi; \
	fi

run: $(VENV)/.installed $(VENV)/.fonts
	$(BIN)/hallsim run $(SCENARIO) --report out

# The live side on the bundled halls: exporter, replays, pages (and Prometheus
# and Alertmanager when installed); Ctrl-C stops everything it started.
demo: $(VENV)/.installed $(VENV)/.fonts
	$(BIN)/hallmon demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check sim monitor tests benchmarks docs/manualgen
	$(BIN)/ruff format --check sim monitor tests benchmarks docs/manualgen

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev $(VENV)/.fonts system-tools
	$(BIN)/pytest -n 2 --durations=15

test: lint typecheck docs-check pytest

# The inner loop: lint, types and every test that is neither slow nor starts a
# real server (under a minute on 2 cores).
test-fast: lint typecheck docs-check
	$(BIN)/pytest -n 2 -q -m "not slow and not integration"

# The manual (mkdocs.yml, docs/). `docs-check` builds it in strict mode, so a
# broken link, an unknown anchor or a page missing from the nav fails; `docs`
# builds it the same way, then serves it with live reload on 127.0.0.1. Both
# work offline. NO_MKDOCS_2_WARNING quiets Material's banner about MkDocs 2.
DOCS_PORT ?= 8000
MKDOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs

docs-check: $(VENV)/.installed-dev
	$(MKDOCS) build --strict --quiet

docs: docs-check
	$(MKDOCS) serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT)

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_sim.py
	$(BIN)/python benchmarks/bench_staffing.py
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_roster.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_ingest_breakdown.py
	$(BIN)/python benchmarks/bench_callin.py
	$(BIN)/python benchmarks/bench_eta.py
	$(BIN)/python benchmarks/bench_no_events.py

# Ten minutes of steady ingest with scrapes: memory and latency must stay flat.
bench-soak: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/bench_soak.py --minutes 10

# A province on one machine: 2,000 halls replayed at real-time rates, a real
# Prometheus with the rules, the nowcast each minute, for 30 minutes after the
# start-up forecasts (not in CI). Shorter: make bench-province ARGS="--minutes 5 --halls 500".
bench-province: $(VENV)/.installed-dev system-tools
	$(BIN)/python benchmarks/bench_province.py $(or $(ARGS),--minutes 30)

# The rules late in the day: six hours of a province's series backfilled into a
# real Prometheus with the repository's rules, every range they read full
# (not in CI, a few minutes). Smaller: make bench-windows ARGS="--halls 500".
bench-windows: $(VENV)/.installed-dev system-tools
	$(BIN)/python benchmarks/bench_windows.py $(ARGS)

clean:
	rm -rf $(VENV) out site .pytest_cache .mypy_cache .ruff_cache
