# Two commands do all set-up on a fresh machine:
#   make demo   stylise the bundled sample photo with a built-in style
#   make test   run the test suite
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# CPU build of torch; a bare 'torch' requirement pulls a multi-GB CUDA build.
TORCH   ?= torch==2.13.0

.PHONY: demo test venv kernels clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/stylert styles
	$(BIN)/stylert stylize stylert/samples/astronaut.jpg -o out/astronaut_styled.jpg
	@echo "wrote out/astronaut_styled.jpg"

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out build
