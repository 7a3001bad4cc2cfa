# Two commands set everything up: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test bench install install-test clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/nn-playground --server.port $(PORT)

test: install-test
	$(BIN)/python -m pytest -q

bench: install-test
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/learn.py
	$(BIN)/python benchmarks/modelfile.py
	$(BIN)/python benchmarks/hostile.py
	$(BIN)/python benchmarks/ui.py
	$(BIN)/python benchmarks/compare.py
	$(BIN)/python benchmarks/digits.py
	$(BIN)/python benchmarks/draw.py
	$(BIN)/python benchmarks/bigpicture.py
	$(BIN)/python benchmarks/classroom.py --workers 2
	$(BIN)/python benchmarks/classroom.py --workers 2 --heavy 3
	$(BIN)/python benchmarks/classroom.py --workers 2 --sessions 100 --class sqlite
	$(BIN)/python benchmarks/classroom.py --workers 2 --sessions 100 --class redis

clean:
	rm -rf $(VENV) build *.egg-info
