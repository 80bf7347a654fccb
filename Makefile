# Task runner. The README's two set-up commands are `make local` and `make test`; both install
# what they need (pinned) first. Every target is a thin wrapper over a documented Python entry.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .tools/checkov
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help local drill test setup lock render check lint typecheck gates unit e2e bench clean

help:  ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-9s %s\n", $$1, $$2}'

local: setup  ## Main job: deploy both regions + peering + plugins, verify, destroy, on the embedded local AWS
	$(PY) -m payinfra local $(ARGS)

drill: setup  ## Disaster-recovery drill on the local AWS: lose the primary, fail over and back, report RTO/RPO
	$(PY) -m payinfra local --drill --report .aws-sam/drill-report.json $(ARGS)

test: setup  ## Whole suite: render check, ruff, mypy, static security gates, unit and e2e tests
	$(PY) render.py --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m payinfra.gates
	$(VENV)/bin/pytest -n auto --dist loadfile $(ARGS)

setup: $(VENV)/.installed $(CHECKOV_VENV)/.installed node_modules/.installed  ## Install the locked tools

# The locks pin every package, direct or not, with its hashes: pip installs exactly those
# (--no-deps: nothing is resolved at install time, https://pip.pypa.io/en/stable/topics/repeatable-installs/),
# then `pip check` proves the set is complete and consistent.
$(VENV)/.installed: requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -qq --require-hashes --no-deps -r requirements/dev.lock
	$(VENV)/bin/pip check
	touch $@

# checkov's pins conflict with aws-sam-cli's: it gets a venv of its own.
$(CHECKOV_VENV)/.installed: requirements/gates.lock
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -qq --require-hashes --no-deps -r requirements/gates.lock
	$(CHECKOV_VENV)/bin/pip check
	touch $@

# pyproject.toml declares the direct dependencies; uv resolves them for the interpreter CI runs
# (CPython 3.11.7 on Linux). The existing locks are preferences: only what pyproject.toml no longer
# allows moves, unless ARGS="--upgrade" or ARGS="--upgrade-package NAME".
LOCK := $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11.7 \
	--python-platform linux --custom-compile-command "make lock"

lock: $(VENV)/.installed  ## Re-resolve requirements/*.lock from pyproject.toml (then `make setup`)
	$(LOCK) pyproject.toml --group dev -o requirements/dev.lock $(ARGS)
	$(LOCK) --group pyproject.toml:gates -o requirements/gates.lock $(ARGS)

# cfn-guard and the AWS Control Tower guard rules ship in one pinned npm package.
node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	npm ci --legacy-peer-deps --no-audit --no-fund --loglevel=error
	touch $@

render: $(VENV)/.installed  ## Render templates/ + context.toml (ARGS="--suffix pr42 --set k=v")
	$(PY) render.py $(ARGS)

check: $(VENV)/.installed  ## Fail if the committed rendered files are stale
	$(PY) render.py --check

lint: $(VENV)/.installed  ## ruff
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed  ## mypy --strict over payinfra/ and functions/ (config: pyproject.toml)
	$(VENV)/bin/mypy

gates: setup  ## sam validate --lint, checkov, cfn-guard and project checks on every template
	$(PY) -m payinfra.gates

unit: setup  ## Tests without the end-to-end pipeline
	$(VENV)/bin/pytest -m "not e2e" $(ARGS)

e2e: setup  ## The end-to-end pipeline test on the embedded local AWS
	$(VENV)/bin/pytest -m e2e $(ARGS)

bench: setup  ## Benchmarks: handler overhead, pipeline phases, two vs three regions (print figures)
	$(PY) bench/payment_bench.py
	$(PY) bench/pipeline_bench.py
	$(PY) bench/regions_bench.py

clean:  ## Remove build output (not the installed tools)
	rm -rf .aws-sam build
