# Generative Models Workbook. Two commands matter: `make workbook` and `make test`.
# Both create the project's virtual environment (.venv) on first use.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0

FAST   ?= 0
SEED   ?= 0
DEVICE ?= auto
NB     ?=
JOBS   ?= 2
SEEDS  ?= 1 2
fast_flag := $(if $(filter 1 true True yes,$(FAST)),--fast,)

.PHONY: help venv workbook test unit notebooks lint student lab stamp grade clean seeds html-check release colab-sim

help:
	@echo "make workbook [FAST=1] [SEED=0] [DEVICE=auto|cpu|cuda|mps] [NB='01 06']  execute notebooks, build build/"
	@echo "make test      unit tests, lint, notebook structure, execute every notebook (solution + student)"
	@echo "make seeds [SEEDS='1 2']  execute every notebook with FAST=1 under other seeds (build/seeds/N)"
	@echo "JOBS=2         notebooks executed at once by workbook, notebooks and seeds (one thread each)"
	@echo "make html-check  open build/html/*.html in headless Chromium, network off: is the maths typeset?"
	@echo "make lab       JupyterLab on notebooks/"
	@echo "make student   student release in build/student/"
	@echo "make grade SUBMISSIONS='submissions/*/06-*.ipynb'  grade a class: build/grades/grades.csv + feedback pages"
	@echo "make colab-sim [NB='06 08']  simulate Colab: fresh env, stand-in google.colab, setup cell, notebooks"
	@echo "make release [NB='06 08']  nbgrader course directory in build/nbgrader (sources validated, release generated)"
	@echo "make stamp     write the repository URL (course_utils/_config.py) into every notebook"

# The environment: torch's pinned CPU-capable wheel first, then everything under the lock file:
# the library, the test tools (dev), what runs the notebooks (notebooks: JupyterLab, papermill, nbval)
# and nbgrader (instructor).
$(STAMP): pyproject.toml requirements/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -c requirements/constraints.txt -e ".[dev,notebooks,instructor]"
	touch $@

venv: $(STAMP)

workbook: $(STAMP)
	$(PY) -m course_utils.workbook run $(NB) $(fast_flag) --seed $(SEED) --device $(DEVICE) --jobs $(JOBS)

# Every claim must hold for any seed: run the workbook (FAST) under other seeds; fails if a notebook fails.
seeds: $(STAMP)
	@set -e; for s in $(SEEDS); do \
		$(PY) -m course_utils.workbook run $(NB) --fast --seed $$s --device $(DEVICE) --jobs $(JOBS) \
			--no-progress --output build/seeds/$$s; \
	done

# Everything CI checks. Notebooks run with FAST on; the student versions are generated first.
test: $(STAMP) lint unit notebooks

lint: $(STAMP)
	$(PY) -m ruff check course_utils tests benchmarks tools notebooks

unit: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile tests

notebooks: $(STAMP) student
	WORKBOOK_FAST=1 WORKBOOK_UNATTENDED=1 MPLBACKEND=Agg OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
		MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 $(PY) -m pytest -q -p no:cacheprovider \
		-n $(JOBS) --dist loadfile --nbval-lax --nbval-cell-timeout=600 notebooks build/student

student: $(STAMP)
	rm -rf build/student
	$(PY) -m course_utils.workbook student --output build/student

# The built pages in a real browser with the network off (needs Debian's chromium; run after `make workbook`).
html-check: $(STAMP)
	$(PY) tools/check_html_offline.py

# Colab, as far as it can be tried here: a fresh environment with Colab's packages, a stand-in google.colab,
# the setup cell pointed at a local clone; then notebooks 06 and 08 top to bottom (tools/colab_sim.sh).
colab-sim:
	NOTEBOOKS="$(or $(NB),06 08)" bash tools/colab_sim.sh

# An nbgrader course directory (build/nbgrader): every source validated by nbgrader, the release generated.
# Then, in build/nbgrader: nbgrader collect / autograde NN-name / generate_feedback NN-name / export.
release: $(STAMP)
	$(PY) -m course_utils.workbook release $(NB) --output build/nbgrader --jobs $(JOBS)

# Our grader: FAST runs, 60 s per exercise, JOBS submissions at once; writes build/grades/grades.csv and
# a feedback page per submission (build/grades/feedback/STUDENT/NOTEBOOK.html).
grade: $(STAMP)
	$(PY) -m course_utils.workbook grade $(SUBMISSIONS) --jobs $(JOBS)

stamp: $(STAMP)
	$(PY) -m course_utils.workbook stamp

lab: $(STAMP)
	$(PY) -m jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

clean:
	rm -rf build .pytest_cache .ruff_cache
