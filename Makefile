# Two commands a new user runs; each creates or refreshes .venv by itself.
#   make demo   install, then run the pipeline on the embedded default model and bundled data
#   make test   install, then run the test suite
VENV ?= .venv
PY := $(VENV)/bin/python
FLAVOUR ?= cpu

.PHONY: demo test venv data clean
venv:
	@VENV=$(VENV) bash scripts/install.sh $(FLAVOUR)

demo: venv
	$(PY) jobs/pipeline.py --config configs/default.yaml

test: venv
	$(PY) -m pytest

data: venv
	$(PY) jobs/generate_data.py --out data/clinical_prefs

clean:
	rm -rf runs mlflow.db .pytest_cache
