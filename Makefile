# The two set-up commands of the README:  `make demo`  and  `make test`.
# Both create .venv with the Python found on PATH and install basin into it.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= out

.PHONY: demo test install clean

$(BIN)/basin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(BIN)/basin

install: $(BIN)/basin

demo: install
	$(BIN)/basin demo -o $(OUT)

test: install
	$(BIN)/python -m pytest -n 2 -q

clean:
	rm -rf $(VENV) $(OUT)
