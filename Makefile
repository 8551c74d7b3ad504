# The two commands a user needs (README): `make demo` and `make test`. Both install what is missing first.
BUILD ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
# GPU=1: the pinned GPU build of ONNX Runtime (CUDA provider), see docs/gpu.md.
GPU ?= 0
ifeq ($(GPU),1)
DEPS_ARGS := --gpu
CMAKE_ARGS += -DTAGMETRY_GPU=ON
endif

.PHONY: all deps configure build demo test test-unit bench container-test clean

all: build

deps:
	scripts/install-deps.sh $(DEPS_ARGS)

configure: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Tags a small sample folder with the default model (downloaded from Hugging Face), or with a bundled
# demo model when the model cannot be downloaded (this is said plainly in the output).
demo: build
	scripts/demo.sh $(BUILD)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit -j $(JOBS)

bench: build
	scripts/bench.sh $(BUILD)

# Builds the container images (Containerfile) with buildah and checks the cpu one; as root, not part of
# `make test` (~17 minutes the first time on 2 cores with a warm ccache, a few after source changes): scripts/container-test.sh, docs/deploy.md.
container-test:
	scripts/container-test.sh

clean:
	rm -rf $(BUILD)
