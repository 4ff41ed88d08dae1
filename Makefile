# Every target makes its own virtual environment in .venv (Python 3.11+ and make are all you need).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DIR    ?= coordination
LOG    ?=

.PHONY: run test test-core lint bench faults demo install-service clean help
RUN_AS ?= $(USER)

help:
	@echo "make run    set up and run the daemon on ./$(DIR) (the sample folder; LOG=warning for a quiet terminal)"
	@echo "make test   set up, lint (ruff, mypy --strict) and run the test suite"
	@echo "make test-core  the in-process tests only (about a minute); make lint: ruff and mypy alone"
	@echo "make faults the fault-injection suite at full size: 50 kill -9 rounds, 160 locked writes, 62 hostile cases, 200 model-check walks"
	@echo "make soak   the real daemon for minutes under a hostile day, then a check of the files (SEED=1 DURATION=180)"
	@echo "make bench  benchmark a real daemon against durable-write floor (about 3 minutes)"
	@echo "make demo   watch one whole orchestration, task to report, with simulated masters and workers"
	@echo "make install-service DIR=/srv/coordination RUN_AS=agent   install and print how to start the systemd unit"
	@echo "make web    the live web view of ./$(DIR) at http://127.0.0.1:8080/ (make screenshot: docs/web-view.png)"
	@echo "make eval   the classifier on the labelled corpus (EVAL_ARGS=\"--part dev --errors\")"
	@echo "make stress the whole suite ROUNDS times (5) with both CPUs loaded; make mutate: mutation testing"
	@echo "make browser / make screenshot   chromium for the browser tests / docs/web-view.png again"
	@echo "make clean  remove the virtual environment and runtime files of the sample folder"

# a .venv made by hand (python3 -m venv .venv && .venv/bin/pip install -e '.[test]') has no stamp: kept when it imports
# this checkout's package and the test tools, installed after pyproject.toml last changed (it was made again: 50 s)
VENV_WORKS := import sys, orchestrator, pytest, xdist, hypothesis; sys.exit(not orchestrator.__file__.startswith('$(CURDIR)/src/'))
$(STAMP): pyproject.toml
	@if [ ! -f $@ ] && [ -n "$$(find $(VENV)/lib -maxdepth 3 -name 'orchestrator-*.dist-info' -newer pyproject.toml \
			2>/dev/null)" ] && [ -x $(BIN)/ruff ] && [ -x $(BIN)/mypy ] && $(BIN)/python -c "$(VENV_WORKS)" 2>/dev/null; \
	then echo "$(VENV) is installed already (no $@): kept"; \
	else $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet --upgrade pip && $(BIN)/pip install --quiet -e '.[test]'; \
	fi
	touch $(STAMP)

# the sample queue, where there is one: a folder without either starts empty (the daemon waits for its queue); of a
# folder not made yet `run --init` says it made it, then that it waits (said here, it came before "created the folder")
$(DIR)/task-queue.json:
	@if [ -f $(DIR)/task-queue.sample.json ]; then cp $(DIR)/task-queue.sample.json $@; \
	elif [ -d $(DIR) ]; then echo "no $@ yet: the daemon waits for it (orchestrator submit, scripts/add-task.sh)"; fi

# a folder named on the command line that does not exist yet is made (the daemon alone refuses it: a typo)
run: $(STAMP) $(DIR)/task-queue.json
	$(BIN)/orchestrator run --coordination-dir $(DIR)$(if $(LOG), --log-level $(LOG))$(if $(wildcard $(DIR)),, --init)

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -n 2

# the in-process part only (no daemon, no workers), in two processes: about a minute, for the edit-test loop
test-core: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -m "not process"

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/mypy

install-service: $(STAMP)
	sudo $(BIN)/orchestrator service --install --coordination-dir $(abspath $(DIR)) --user $(RUN_AS)

faults: $(STAMP)
	FAULT_ROUNDS=50 FAULT_WRITES=40 HOSTILE=full ATTACK11_WALKS=200 ATTACK11_STEPS=300 ATTACK25_SWEEP=1 $(BIN)/python -m pytest -q -n 2 \
		tests/test_faults.py tests/test_hostile.py tests/test_attack11.py tests/test_attack25_daemon.py

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

# not part of `make test`: minutes of a real daemon, writers, workers and kill -9 (scripts/soak.py)
.PHONY: soak
SEED     ?= 1
DURATION ?= 180
soak: $(STAMP)
	$(BIN)/python scripts/soak.py --seed $(SEED) --duration $(DURATION)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

clean:
	rm -rf $(VENV) build *.egg-info demo-coordination
	git clean -fdX $(DIR)

# --- added: stress and mutation testing ------------------------------------------------------
.PHONY: stress mutate

# the whole suite ROUNDS times (default 5) under LOAD busy loops (default 2): ROUNDS=1 make stress
stress: $(STAMP)
	bash scripts/stress.sh

# mutation testing (mutmut 3, installed into .venv on first use; not a test dependency) of the
# pure/core modules, against fast in-process tests only: see scripts/mutate.py
#   make mutate MUTATE_MODULES=src/orchestrator/progress.py MUTATE_TESTS="tests/test_liveness.py"
# MUTATE_TESTS is split the way a shell splits (quotes group): the default is every in-process test
MUTATE_MODULES ?= src/orchestrator/progress.py src/orchestrator/liveness.py src/orchestrator/protocol.py \
                  src/orchestrator/dag.py src/orchestrator/intake.py src/orchestrator/outbox.py \
                  src/orchestrator/registry.py src/orchestrator/store.py
MUTATE_TESTS   ?= -m 'not process'
MUTMUT_ARGS    ?=
MUTMUT_STAMP   := $(VENV)/.mutmut-installed

$(MUTMUT_STAMP): $(STAMP)
	$(BIN)/pip install --quiet 'mutmut==3.8.1'
	touch $@

mutate: $(MUTMUT_STAMP)
	$(BIN)/python scripts/mutate.py --modules "$(MUTATE_MODULES)" --tests="$(MUTATE_TESTS)" -- $(MUTMUT_ARGS)

# --- added: classifier evaluation on the labelled corpus (tests/data/corpus) -----------------
.PHONY: eval
EVAL_ARGS ?=

# a report, exit 0: make eval EVAL_ARGS="--part dev --errors"   (add --min-master 0.97 ... to gate)
eval: $(STAMP)
	$(BIN)/python scripts/eval.py $(EVAL_ARGS)

# --- added: the web view (orchestrator web) -----------------------------------------------------
.PHONY: web browser screenshot

# the page for ./$(DIR) at http://127.0.0.1:8080/
web: $(STAMP)
	$(BIN)/orchestrator web --coordination-dir $(DIR)

# Debian's chromium and chromedriver for the browser tests (as root; otherwise says what is missing)
browser:
	bash scripts/install-browser.sh

# docs/web-view.png: the page for the seed's authentication example mid-way
screenshot: $(STAMP) browser
	$(BIN)/python scripts/web_screenshot.py
