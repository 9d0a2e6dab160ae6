# Two commands a newcomer needs: `make demo` and `make test`.
# Both create ./.venv on first use; only Python 3.11+ and make are required.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint check-config bench install clean

$(BIN)/consult-bot: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Нужен Python 3.11+ (сейчас %s)" % sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/consult-bot

demo: install
	$(BIN)/consult-bot demo

check-config: install
	$(BIN)/consult-bot check-config

lint: install
	$(BIN)/ruff check .

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data/*.db .pytest_cache .ruff_cache
