# Entry points for operators and CI. Every target installs what it needs
# (scripts/setup.sh) and is safe to run again.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

VENV := $(CURDIR)/.venv
export PATH := $(VENV)/bin:$(PATH)
export CONTAINERS_CONF := $(CURDIR)/lab/containers.conf
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# Ansible's and Molecule's state (collection copies, scenario inventories)
# stays in this checkout, so two checkouts on one machine never mix.
export ANSIBLE_HOME := $(CURDIR)/.ansible
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0

.PHONY: help setup demo test lint unit molecule bench prove-controls lab-up lab-down clean

help:
	@echo "make demo      harden a stock Redis in the local lab, with before/after audit"
	@echo "make test      lint, unit tests and Molecule scenarios"
	@echo "make bench     time a cold converge and an idempotent run against apt-get"
	@echo "make prove-controls  switch each control off and see its tests fail"
	@echo "make lab-down  remove every lab container and network"

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh

lab-up: setup
	@ansible-playbook lab/up.yml

lab-down:
	@bash scripts/lab-down.sh

lint: setup
	yamllint --strict .
	ansible-lint --profile production
	ruff check .
	ruff format --check .

unit: setup
	python -m pytest tests/unit

# Stale containers of an earlier, interrupted run would be reused by name.
molecule: setup
	@bash scripts/lab-down.sh
	molecule test --all

test: lint unit molecule

bench: setup
	@bash scripts/bench.sh

# Switches each control off in turn and checks that its tests fail (slow).
prove-controls: setup
	python scripts/prove-controls.py

clean: lab-down
	rm -rf .venv .collections .cache .lab
