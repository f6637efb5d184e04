# The two commands a newcomer needs: `make run` and `make test`. Everything else is for developers.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
# The real PX4 autopilot the real-autopilot tests fly (tests/px4/); without it they are skipped, with the reason.
PX4_SITL_DIR ?= $(if $(wildcard ../shared/px4-sitl/bin/px4),$(abspath ../shared/px4-sitl),)
export PX4_SITL_DIR

.PHONY: run run-px4 test bench package lock translations sysdeps sysdeps-test clean

$(STAMP): requirements.lock pyproject.toml scripts/find_python.sh
	@py="$$(scripts/find_python.sh)" || exit 1; \
	if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then rm -rf $(VENV); fi; \
	[ -x $(PY) ] || { echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	@touch $(STAMP)

sysdeps:
	@scripts/install_system_deps.sh run

sysdeps-test:
	@scripts/install_system_deps.sh test

## Install everything and open the console on the embedded demo site.
run: $(STAMP) sysdeps
	$(PY) main.py $(ARGS)

## The demo site with real PX4 autopilots (SITL, from PX4_SITL_DIR) flying from docks SN01-SN04, the rest simulated.
run-px4: $(STAMP) sysdeps
	@[ -n "$(PX4_SITL_DIR)" ] || { echo "run-px4: set PX4_SITL_DIR to a PX4 SITL build (bin/px4, etc/)"; exit 2; }
	$(PY) main.py --px4 SN01,SN02,SN03,SN04 --demo-flights 2 $(ARGS)

## Install everything (system packages too) and run the whole test suite, packaging check included.
test: $(STAMP) sysdeps-test
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(ARGS)

## Benchmarks (numbers, not pass/fail): results in bench/results/.
bench: $(STAMP) sysdeps-test
	QT_QPA_PLATFORM=offscreen $(PY) -m bench $(ARGS)

## One-folder offline bundle in dist/qd-console, then a smoke run of the frozen program.
package: $(STAMP) sysdeps-test
	$(PY) scripts/package.py

## Regenerate the full pin list from the current virtual environment.
lock: $(STAMP)
	@{ echo '# Full pinned dependency set (runtime + dev), written by `make lock`. Install with pip -r.'; \
	  $(PY) -m pip freeze --exclude-editable --exclude qd-lowalt-console; } > requirements.lock

## Refresh .ts sources from the code and compile .qm files.
translations: $(STAMP)
	$(PY) scripts/translations.py

clean:
	rm -rf build dist artifacts .pytest_cache
