# Two commands a new user runs; each creates or refreshes .venv by itself.
#   make demo   install, then run the pipeline on the embedded default model and bundled data
#   make test   install, then run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
FLAVOUR ?= cpu
# Two test processes, each test file whole on one (its shared fixtures with it), the long files first
# (LONG_FILES in tests/conftest.py): the suite is CPU-bound, and two keep both cores of a 2-core machine busy.
TEST_WORKERS ?= 2

.PHONY: demo test venv data clean
venv:
	@VENV=$(VENV) bash scripts/install.sh $(FLAVOUR)

demo: venv
	$(PY) jobs/pipeline.py --config configs/default.yaml

test: venv
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

data: venv
	$(PY) jobs/generate_data.py --out data/clinical_prefs

clean:
	rm -rf runs mlflow.db .pytest_cache
