# convsvc: the two commands are `make serve` and `make test`; everything else is what they need.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := $(CURDIR)/.tools
BUF_VERSION := 1.75.0
GRPCURL_VERSION := v1.9.4
HEALTH_PROBE_VERSION := v0.4.61
BUF := $(TOOLS)/npm/node_modules/.bin/buf
GRPCURL := $(TOOLS)/bin/grpcurl
HEALTH_PROBE := $(TOOLS)/bin/grpc-health-probe
export PATH := $(TOOLS)/bin:$(TOOLS)/npm/node_modules/.bin:$(PATH)

.PHONY: help serve test venv stubs check-stubs lint tools docs clean services-start services-stop vectors clients \
	bench bench-smoke fuzz fuzz-smoke soak

help:
	@echo "make serve   set everything up and run the server on 127.0.0.1:50051 (embedded defaults)"
	@echo "make test    set everything up and run the whole test suite"

## The README's first command.
serve: venv stubs
	$(VENV)/bin/convsvc serve

## The README's second command (and what .ci/run calls). Redis and PostgreSQL run on loopback for
## the tests only (scripts/services.sh installs Debian's packages when missing) and stop afterwards.
## Any pytest failure fails make, including exit 5 (no tests collected).
test: venv tools check-stubs lint clients
	scripts/services.sh start
	eval "$$(scripts/services.sh env)"; status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	  scripts/services.sh stop; exit $$status
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory bench-smoke

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

## Build every language's client (clients/<language>/build.sh: stubs generated from proto/ by each
## ecosystem's own tooling; cached, so a build with nothing changed takes seconds). The tests run them.
CLIENTS := python go node java rust cpp
clients: venv tools
	@for language in $(CLIENTS); do \
	  echo "== clients/$$language"; start=$$(date +%s); \
	  log=$(TOOLS)/clients-$$language.log; \
	  bash clients/$$language/build.sh >$$log 2>&1 || { tail -n 60 $$log; echo "clients/$$language/build.sh failed"; exit 1; }; \
	  echo "   built in $$(( $$(date +%s) - start )) s"; \
	done

## Regenerate the Python stubs of proto/ into convsvc/v1 (committed; check-stubs guards drift).
stubs: venv
	scripts/gen_stubs.sh

check-stubs: venv
	scripts/check_stubs.sh

lint: tools
	$(BUF) lint
	$(BUF) format --diff --exit-code

tools: $(BUF) $(GRPCURL) $(HEALTH_PROBE)
	deploy/tools.sh
$(BUF):
	npm install --silent --no-save --no-audit --no-fund --prefix $(TOOLS)/npm @bufbuild/buf@$(BUF_VERSION)
$(GRPCURL):
	GOBIN=$(TOOLS)/bin go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)
$(HEALTH_PROBE):
	GOBIN=$(TOOLS)/bin go install github.com/grpc-ecosystem/grpc-health-probe@$(HEALTH_PROBE_VERSION)

## Benchmarks (bench/README.md): every figure a ratio to a baseline measured in the same run, written to
## bench/results/. The smoke mode (seconds; part of `make test`) only proves every benchmark still runs.
bench: venv
	bench/bench.sh
bench-smoke: venv
	bench/smoke.sh

## Fuzzing (fuzz/README.md): every atheris harness FUZZ_SECONDS each; the smoke (about a minute in all)
## is part of `make test`. The soak (tests/hostile/test_load_and_drain.py) for SOAK_SECONDS.
FUZZ_SECONDS ?= 600
fuzz: venv
	$(PY) fuzz/run.py --seconds $(FUZZ_SECONDS)
fuzz-smoke: venv
	$(PY) fuzz/run.py --smoke
SOAK_SECONDS ?= 300
soak: venv
	CONVSVC_SOAK_SECONDS=$(SOAK_SECONDS) $(PY) -m pytest -q tests/hostile/test_load_and_drain.py

## Regenerate generated docs (issue codes).
docs: venv
	$(PY) -m convsvc.model.codes
	$(PY) scripts/gen_modes_doc.py
	$(PY) scripts/gen_clients_doc.py

services-start:
	scripts/services.sh start
services-stop:
	scripts/services.sh stop

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .hypothesis

## Regenerate corpus/vectors from the engine after an intended change (review the diff like code).
vectors: venv
	$(PY) scripts/gen_vectors.py
