# The two set-up commands of the README:  `make demo`  and  `make test`.
# Both create .venv with the Python found on PATH and install basin into it.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= out

.PHONY: demo test lint install clean

$(BIN)/basin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	@touch $(BIN)/basin

install: $(BIN)/basin

demo: install
	$(BIN)/basin demo -o $(OUT)

test: install
	$(BIN)/python -m pytest -n 2 -q

# The CI gates (configured in pyproject.toml): ruff on the code, the tests and the scripts; mypy on basin/.
lint: install
	$(BIN)/ruff check basin tests scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(OUT)
