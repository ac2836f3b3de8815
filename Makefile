# Two commands matter (see README.md):
#   make rehearsal   - the full rehearsal against the local example stack
#   make test        - every test: unit, sanity, lint, integration against the real stack
.PHONY: deps rehearsal test test-unit test-static test-integration test-remote stack-up stack-down engine-down clean-stack

VENV ?= .venv

deps: $(VENV)/.deps-stamp

$(VENV)/.deps-stamp: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

rehearsal: deps
	scripts/rehearse-local.sh

test: deps
	scripts/test.sh all

test-unit: deps
	scripts/test.sh unit

test-static: deps
	scripts/test.sh static

test-integration: deps
	scripts/test.sh integration

# The rehearsal over SSH against a non-root sudo user whose Python is the target's (root needed).
test-remote: deps
	scripts/test.sh remote

stack-up: deps
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

engine-down:
	scripts/local-engine.sh down
