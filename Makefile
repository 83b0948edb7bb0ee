# The two commands of the quick start: `make demo` and `make test`.
# Both create .venv with Python 3.11 when it is missing and install into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export MPLBACKEND ?= Agg

# Jupyter refuses to run as root without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: setup demo test test-fast test-cuda lab release student-bundle bench prove clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[instructor,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3" >/dev/null
	touch $(STAMP)

demo: setup
	$(BIN)/python -m autograder demo

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not kernel and not browser and not wheel"

# On a machine with a CUDA GPU: the student's path there (the grading engine always uses
# the CPU). The in-process checker tests and tests/test_cuda.py, then every notebook.
CUDA_TESTS := tests/test_cuda.py tests/test_env.py tests/test_checking.py tests/test_exercise_proofs.py \
              tests/test_numpy_nn.py tests/test_data_synthetic.py $(wildcard tests/test_nb*_checks.py)
test-cuda: setup
	COURSE_DEVICE=cuda $(BIN)/python -m pytest -s -m "not kernel and not browser" $(CUDA_TESTS)
	COURSE_DEVICE=cuda $(BIN)/python scripts/check_device.py --log out/cuda-problems.txt

lab: setup
	$(BIN)/jupyter lab notebooks/ $(ROOT_FLAG)

release: setup
	$(BIN)/python -m autograder release

# What students get instead of a clone (whose solutions/ holds every answer): the released
# notebooks, the course wheel and a README, in out/student-bundle.
student-bundle: setup
	$(BIN)/python -m autograder release --student-bundle out/student-bundle

bench: setup
	$(BIN)/python benchmarks/notebook_times.py
	$(BIN)/python benchmarks/check_speed.py

clean:
	rm -rf out .pytest_cache

# Prove one notebook both ways, e.g. `make prove NB=01_tensors`.
prove: setup
	$(BIN)/python -m autograder release $(NB)
	$(BIN)/python -m pytest tests/test_exercise_proofs.py tests/test_notebooks_kernel.py -k "nb$(firstword $(subst _, ,$(NB))) or $(NB)"
