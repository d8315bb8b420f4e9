# Every command a person runs. `make run` and `make test` set everything up on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
VENV_PY     := $(VENV)/bin/python
NODE_BIN    := $(CURDIR)/node_modules/.bin
CDK         := $(NODE_BIN)/cdk
SCAN_VENV   := .venv-scan

# The PATH this make was started with: Python 3.13 and uv are looked up there, never in the project's venvs.
HOST_PATH   := $(PATH)
# uv creates and syncs every venv: the pinned one (tools/bootstrap/requirements.txt), installed with pip,
# hashes required, into .uv/. A uv found on PATH is never used: its version says nothing of its bytes.
UV          := $(CURDIR)/.uv/bin/uv
UV_VERSION  := $(shell sed -n 's/^uv==\([^ ]*\).*/\1/p' tools/bootstrap/requirements.txt)
BOOTSTRAP_PIP_ARGS := --quiet --disable-pip-version-check --require-hashes -r tools/bootstrap/requirements.txt
# A venv is created once with a Python 3.13 found outside it and then only synced in place, so
# overlapping make runs never delete an interpreter another one is using.
define ensure-venv
@$(1)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null || { \
  python=$$(PATH="$(HOST_PATH)" tools/find_python313.sh) && echo "creating $(1) with $$python" && \
  rm -rf $(1) && $(UV) venv --quiet --python "$$python" $(1); }
endef
# `uv pip sync` makes a venv exactly its lock: what a lock drops is uninstalled, every file's hash is checked.
define sync-venv
$(UV) pip sync --quiet --python $(1)/bin/python --require-hashes $(2)
@touch $(1)/.installed
endef

# jsii (under aws-cdk-lib) runs on the pinned, supported Node from package.json, not the system one.
export JSII_NODE := $(NODE_BIN)/node
export PATH := $(NODE_BIN):$(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help setup run token check test lint typecheck pytest synth snapshot-update fmt lock clean scan-setup browser-setup scan diff deploy bench fuzz-deep load docs contract clients cost rightsize tune

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV): tools/bootstrap/requirements.txt tools/find_python313.sh
	@rm -rf .uv; \
	python=$$(PATH="$(HOST_PATH)" tools/find_python313.sh) && echo "installing uv $(UV_VERSION) into .uv/ with $$python" && \
	if "$$python" -m pip --version >/dev/null 2>&1; then \
	  "$$python" -m pip install $(BOOTSTRAP_PIP_ARGS) --target .uv; \
	else \
	  "$$python" -m venv .uv && .uv/bin/python -m pip install $(BOOTSTRAP_PIP_ARGS); \
	fi

# The construct library (library/) is installed editable, as a reuser's pip would install its wheel: without
# dependencies (requirements.txt pins them, hashed) and built by the pinned hatchling of the venv, offline.
$(VENV)/.installed: requirements.txt library/pyproject.toml tools/find_python313.sh | $(UV)
	$(call ensure-venv,$(VENV))
	$(UV) pip sync --quiet --python $(VENV_PY) --require-hashes requirements.txt
	$(UV) pip install --quiet --python $(VENV_PY) --offline --no-deps --no-build-isolation --editable library
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "error: Node.js and npm are required (any version that runs npm; the project then installs its own Node 24 and CDK CLI): install them with your package manager (apt-get install nodejs npm, brew install node) or from nodejs.org" >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@test -x $(NODE_BIN)/node || { echo "error: package.json pins Node 24 for linux x64 and arm64 only (node-linux-<cpu>, integrity-locked); on $$(uname -s)/$$(uname -m) run the make targets on Linux (a container or VM)" >&2; exit 1; }
	@touch $@

# The venv and node_modules install side by side: each waits mostly on disk and network, not on the CPU.
setup: ## Create .venv (Python 3.13) and install the pinned CLI and Node
	@$(MAKE) --no-print-directory -j2 HOST_PATH="$(HOST_PATH)" $(VENV)/.installed node_modules/.installed

# The IaC scanners live in their own venv: checkov's and cfn-lint's dependencies never meet the project's.
$(SCAN_VENV)/.installed: tools/scan/requirements.txt tools/find_python313.sh | $(UV)
	$(call ensure-venv,$(SCAN_VENV))
	$(call sync-venv,$(SCAN_VENV),tools/scan/requirements.txt)

scan-setup: $(SCAN_VENV)/.installed ## Create .venv-scan with the pinned checkov and cfn-lint

.PHONY: drift logs pr-comment-bundle pr-comment

PORT ?= 8000

run: setup ## Synthesize dev and serve it like API Gateway + Lambda on http://127.0.0.1:8000 (PORT=...)
	@$(VENV)/bin/sfcdk local --port $(PORT)

token: ## Print a token for USER=<name> (default: $USER, or developer) from the running `make run`
	@test -x $(VENV_PY) || { echo "error: no .venv yet: start the API with make run first" >&2; exit 1; }
	@$(VENV)/bin/sfcdk token "$(or $(USER),developer)"

# pytest-xdist runs the tests in one worker per core (at most 4: each imports aws-cdk-lib), a module's tests on
# one worker so its module fixtures run once; PYTEST_WORKERS=0 runs them in this process. Assemblies needed
# only as files come from the synthesis cache (tests/support/synthesis_cache.py).
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --maxprocesses 4 --dist loadfile)

check: setup lint typecheck ## Lint, type-check and the fast tests: no synthesis, emulator, fuzzing, load or scanners
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) -m "not slow" --session-timeout 180

test: setup lint typecheck pytest ## Lint, type-check and run every test

lint: setup ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup ## mypy --strict over the constructs, the runtime and the tools
	$(VENV)/bin/mypy

# The load tests run after the rest, alone: what they hold (no error, no lost write under a bounded load)
# is about the code, not about how busy another worker keeps the machine's cores meanwhile.
pytest: setup scan-setup browser-setup
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) -m "not load"
	$(VENV)/bin/pytest -m load

browser-setup: ## Install Debian's chromium for the browser tests when missing (apt-get, as root)
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && echo "browser-setup: installing chromium with apt-get for tests/service/test_browser.py" \
	  && apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } \
	  || { echo "error: the browser tests need Chromium: apt-get install chromium (as root)" >&2; exit 1; }

fmt: setup ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

lock: setup ## Re-compile every hash-locked requirements.txt from its .in with uv; LOCK_ARGS="--upgrade-package x"
	$(VENV_PY) tools/lock_requirements.py $(LOCK_ARGS)

synth: setup ## Synthesize every environment (offline, no AWS credentials) into cdk.out/; CDK_ARGS="-c k=v"
	$(CDK) synth --quiet '**' $(CDK_ARGS)

snapshot-update: setup ## Regenerate the syrupy snapshots of the synthesized templates
	$(VENV)/bin/pytest tests/app/test_snapshots.py tests/constructs/test_github_deploy_roles.py --snapshot-update

docs: setup synth ## Regenerate docs/architecture.svg, the generated tables of the docs and the API contract docs/api/openapi.json
	$(VENV_PY) -m tools.docs cdk.out
	$(VENV_PY) -m tools.constructs_doc
	$(VENV_PY) -m tools.api_contract

contract: setup ## Fail when docs/api/openapi.json is not the contract the code serves
	$(VENV_PY) -m tools.api_contract --check

clients: setup ## Generate the typed Python and TypeScript clients from docs/api/openapi.json into build/clients/
	$(VENV_PY) -m tools.api_contract.clients

REQUESTS ?= 1000000
cost: setup $(if $(ASSEMBLY),,synth) ## Monthly bill of ENV=dev|staging|prod|all at REQUESTS=<per month> (1000000), offline prices
	$(VENV_PY) -m tools.cost $(or $(ENV),all) --requests $(REQUESTS) $(or $(ASSEMBLY),cdk.out)

scan: setup scan-setup synth ## cfn-lint (+ serverless rules) and checkov over cdk.out: fail on unacknowledged findings
	$(VENV_PY) -m tools.scan cdk.out

diff: setup ## Diff every stack and the API contract against BASE=<git ref> (default: merge base with main); writes cdk.out/diff.md
	$(VENV_PY) -m tools.api_contract
	$(VENV)/bin/sfcdk diff $(if $(BASE),--base $(BASE)) $(DIFF_ARGS)

deploy: setup $(if $(ASSEMBLY),,synth) ## Deploy ENV=dev|staging|prod|ci-<env>, wait for its canary; ASSEMBLY=<dir> deploys an earlier synth
	$(VENV_PY) -m tools.deploy $(ENV) $(if $(ASSEMBLY),--assembly $(ASSEMBLY)) $(DEPLOY_ARGS)

drift: setup $(if $(ASSEMBLY),,synth) ## CloudFormation drift detection of ENV=<env>'s stacks; fails on drift
	$(VENV_PY) -m tools.deploy.drift $(ENV) $(if $(ASSEMBLY),--assembly $(ASSEMBLY)) $(DRIFT_ARGS)

logs: setup $(if $(ASSEMBLY),,synth) ## ENV=<env>'s function logs, readable; REQUEST=<id>, SINCE=10m, LOGS_ARGS=--follow
	$(VENV_PY) -m tools.deploy.logs $(ENV) $(if $(ASSEMBLY),--assembly $(ASSEMBLY)) \
	  $(if $(REQUEST),--request-id $(REQUEST)) $(if $(SINCE),--since $(SINCE)) $(LOGS_ARGS)

PR_BUNDLE := cdk.out/pr-comment
pr-comment-bundle: ## CI: put cdk.out/diff.md (or why it is missing) and PR=<number> in cdk.out/pr-comment/
	@mkdir -p $(PR_BUNDLE)
	@if [ -f cdk.out/diff.md ]; then cp cdk.out/diff.md $(PR_BUNDLE)/diff.md; else \
	  echo "# Stack diff: not produced" > $(PR_BUNDLE)/diff.md; \
	  echo "The stack diff failed before writing its report: see the run's log." >> $(PR_BUNDLE)/diff.md; fi
	@echo "$(PR)" > $(PR_BUNDLE)/pr-number

pr-comment: ## CI: post cdk.out/pr-comment/ as the pull request's one sticky comment (GITHUB_TOKEN, HEAD_SHA=)
	python3 -m tools.ci.pr_comment --report $(PR_BUNDLE)/diff.md --pr-file $(PR_BUNDLE)/pr-number \
	  $(if $(HEAD_SHA),--head-sha $(HEAD_SHA))

bench: setup ## Cold start, warm path, artifact size, dev-loop times against their targets -> docs/benchmarks.md (~25 min)
	$(VENV_PY) -m benchmarks $(BENCH_ARGS)

rightsize: setup ## Estimate memory right-sizing: the bench's probes under Lambda's CPU share per size (root) -> docs/benchmarks.md
	$(VENV_PY) -m benchmarks.right_sizing $(RIGHTSIZE_ARGS)

tune: setup $(if $(ASSEMBLY),,synth) ## Tune ENV=<env>'s deployed function: invoke at each memory size, read the billed duration
	$(VENV_PY) -m tools.tune $(ENV) $(if $(ASSEMBLY),--assembly $(ASSEMBLY)) $(TUNE_ARGS)

fuzz-deep: setup ## Schemathesis against the emulated dev stage, 10x make test's examples (>= 10,000 requests)
	FUZZ_SCALE=10 $(VENV)/bin/pytest -p no:cacheprovider --timeout 1800 --session-timeout 3600 tests/service/test_fuzz_contract.py

LOAD_REQUESTS ?= 10000
load: setup ## Bounded load through the emulated dev stage, loopback only: LOAD_REQUESTS (10000) at concurrency 32
	LOAD_REQUESTS=$(LOAD_REQUESTS) $(VENV)/bin/pytest -p no:cacheprovider --timeout 1800 --session-timeout 3600 tests/service/test_load.py

clean: ## Remove build output (keeps .venv and node_modules)
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache build
