# Every target installs what it needs into .venv first (a fresh clone works).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The local CPU build; any other torch requirement may pull a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: install grade test lint validate clean bench

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,grade]'
	touch $(STAMP)

grade: $(STAMP)
	$(BIN)/autograder validate problems/hw9 --reference reference/hw9
	$(BIN)/autograder grade submissions --problems problems/hw9 --reference reference/hw9 --out out
	$(BIN)/autograder report out

lint: $(STAMP)
	$(BIN)/ruff check autograder tests bench gradescope
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

validate: $(STAMP)
	$(BIN)/autograder validate problems/hw9 --reference reference/hw9

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

bench: $(STAMP)
	$(BIN)/python bench/bench_grade.py --submissions 1000 --jobs 2
	$(BIN)/python bench/bench_sandbox.py
	$(BIN)/python bench/accuracy.py | tail -n 3

# Gradescope's autograder zip (README, "Gradescope"); validate first so a broken key never ships.
.PHONY: gradescope
gradescope: $(STAMP)
	$(BIN)/autograder validate problems/hw9 --reference reference/hw9
	$(BIN)/autograder gradescope build --problems problems/hw9 --reference reference/hw9 -o dist/autograder.zip

# The zip set up and graded in real Docker containers (README, "Gradescope"); as root, idempotent.
.PHONY: gradescope-docker
# `make gradescope-docker REF=main` builds the zip from that git revision instead of the working tree.
gradescope-docker: $(STAMP)
ifeq ($(REF),)
	$(MAKE) gradescope
	$(PYTHON) gradescope/docker_check.py --zip dist/autograder.zip
else
	$(PYTHON) gradescope/docker_check.py --ref $(REF)
endif

# The students' checker: the specs without answers and the package (torch not needed), one zip.
.PHONY: student-bundle
student-bundle: $(STAMP)
	$(BIN)/autograder bundle --student --problems problems/hw9 -o dist/hw9-checker.zip
