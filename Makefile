# Two commands do all set-up on a fresh machine:
#   make demo   stylise the bundled sample photo with a built-in style
#   make test   run the test suite
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# CPU build of torch; a bare 'torch' requirement pulls a multi-GB CUDA build.
TORCH   ?= torch==2.13.0

# The Python that has PyTorch with CUDA on a GPU machine (make gpu-check needs no venv).
GPU_PY  ?= python3

.PHONY: demo test venv kernels bench gpu-check clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps tensorrt-stubs
	$(BIN)/python scripts/stage_tensorrt_stubs.py
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/stylert styles
	$(BIN)/stylert stylize stylert/samples/astronaut.jpg -o out/astronaut_styled.jpg
	@echo "wrote out/astronaut_styled.jpg"

test: $(STAMP)
	$(BIN)/python -m pytest -q

# CUDA kernels, the host build of their math, and (with TensorRT_ROOT) the TensorRT plugin
kernels:
	cmake -S . -B build/kernels -DCMAKE_BUILD_TYPE=Release
	cmake --build build/kernels -j2

# On a machine with an NVIDIA GPU: build the kernels, run every gpu test, then the kernel and GPU benchmarks;
# results land in benchmarks/results/ (kernels.*, gpu_bench.*, video_encoder_bound_gpu_host.*) with the GPU,
# driver and package versions. Every step runs even when one before it fails (GPU time is scarce); the
# command fails at the end if any did.
gpu-check:
	@$(GPU_PY) -c "import importlib.util as u, sys; sys.exit(None if u.find_spec('torch') else \
	  'make gpu-check: PyTorch is not installed for $(GPU_PY) (set GPU_PY=.venv/bin/python, or install torch with CUDA)')"
	@$(GPU_PY) -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 'make gpu-check: PyTorch sees no CUDA GPU here')"
	cmake -S . -B build/kernels -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/kernels -j8 >/dev/null
	status=0; \
	STYLERT_KERNELS_DIR=build/kernels/lib $(GPU_PY) -m pytest -m gpu -q || status=1; \
	$(GPU_PY) benchmarks/kernels_bench.py || status=1; \
	$(GPU_PY) benchmarks/gpu_bench.py || status=1; \
	$(GPU_PY) benchmarks/video_encoder_bound.py --name video_encoder_bound_gpu_host || status=1; \
	exit $$status

bench: $(STAMP)
	$(BIN)/stylert bench -o benchmarks/results

clean:
	rm -rf $(VENV) out build
