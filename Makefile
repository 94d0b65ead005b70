# DesignGym — `make run` sets up and runs the main job; `make test` sets up and runs every test.
SWIFT ?= swift
PYTHON ?= python3
SYSTEM_PACKAGES := libzmq3-dev libsqlite3-dev libopenblas-dev liblapacke-dev pkg-config
TEST_PACKAGES := chromium fonts-dejavu-core slurm-wlm munge binutils
DB ?= Logs/gym.sqlite
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: setup setup-test build run test bench check clean scalesim dist

# Installs the Debian packages DesignGym needs, only those missing; the tests also need Chromium, to
# check `gym report`'s page in a real browser, Slurm and munge, to run the Slurm path of
# docs/SCALE_OUT.md on a cluster of one node, and binutils, to read what `make dist`'s gym links.
define install_missing
	@missing=""; \
	for package in $(1); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing system packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
endef

setup:
	$(call install_missing,$(SYSTEM_PACKAGES))

setup-test:
	$(call install_missing,$(SYSTEM_PACKAGES) $(TEST_PACKAGES))

build: setup
	$(SWIFT) build -c release --product gym

# The main job: Bayesian optimisation of ArchGym's ten DRAM controller knobs on MemoryController-v0
# (the random trace, DDR4-2400R), 100 evaluations, logged to $(DB).
run: build
	.build/release/gym run --env MemoryController-v0 --agent bayesian --budget 100 --seed 0 --db $(DB)

# SCALE-Sim 3.0.0 (for Environments/External/SCALESim/scalesim.yaml) in a Python environment of its own,
# since it needs numpy < 2: .venv/scalesim, which scalesim_run.py uses when the Python it is run with cannot.
SCALESIM_VENV := .venv/scalesim
scalesim: $(SCALESIM_VENV)/installed
$(SCALESIM_VENV)/installed: Environments/External/SCALESim/requirements.txt
	$(PYTHON) -m venv $(SCALESIM_VENV)
	$(SCALESIM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

# A relocatable bundle in dist/: gym with the Swift runtime linked in, its data, the libraries it needs.
dist: setup
	scripts/make-dist.sh dist

# Swift tests on an optimised build (no target sets unsafe flags, so the speed comes from here), then the
# Python client's tests against a real `gym serve` (built by `swift test`), then `gym report`'s page in
# headless Chromium. The Python tests run SCALE-Sim and ZigZag (pinned versions) end to end; the
# package tests build Examples/CustomGym, a package of one's own, against this checkout, and `make dist`'s
# bundle, run with the toolchain hidden; the last runs docs/SCALE_OUT.md's Slurm path on a real one-node
# Slurm (started and stopped by the test).
test: setup-test scalesim
	$(SWIFT) test -c release -Xswiftc -enable-testing
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r Agents/python/requirements-test.txt "./Agents/python[test,examples]"
	GYM_BIN=$(CURDIR)/.build/release/gym $(PYTHON) -m pytest Agents/python/tests -q -p no:cacheprovider -W ignore::UserWarning
	GYM_BIN=$(CURDIR)/.build/release/gym $(PYTHON) -m pytest Tests/browser Tests/package Tests/slurm -q -p no:cacheprovider

# Conformance checks of every registered environment and agent, from the command line.
check: build
	.build/release/gym check

# `make bench SECTION=proxy` runs one section (memory-controller, broker, proxy, accelerator, supernet).
bench: setup
	$(SWIFT) run -c release gym-bench $(SECTION)

clean:
	rm -rf .build
