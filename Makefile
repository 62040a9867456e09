# SockScope: `make demo` runs the main job, `make test` runs every check. Both install what is
# missing first (scripts/install-deps).
SWIFT ?= swift
BIN = $(shell $(SWIFT) build --show-bin-path)/sockscope
FORMAT_PATHS = Package.swift Sources Tests Resources examples Benchmarks Fuzz

.PHONY: all deps build demo demo-python test lint format bench fuzz clean

all: build

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

## Runs the lecture page's documented run and records it into ./sockscope-out.
demo: build
	$(BIN) demo --out sockscope-out

## The same run with the page's own Python scripts (examples/python), recorded through LD_PRELOAD.
demo-python: build
	$(BIN) demo --program python --python-dir examples/python --out sockscope-out-python

## Lint, then every test (unit and integration; real processes, real sockets).
test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## swift format in lint mode, with the committed .swift-format.
lint:
	$(SWIFT) format lint --strict --recursive $(FORMAT_PATHS)

## Rewrites the sources in the committed style.
format:
	$(SWIFT) format format --in-place --recursive $(FORMAT_PATHS)

clean:
	rm -rf .build .build-fuzz sockscope-out

## Benchmarks (not tests): throughput ratios, recording cost, trace loading; writes docs/performance.md.
bench: deps
	scripts/bench

## Fuzzing (not a test): each fuzz target for FUZZ_RUNS inputs (default 1 000 000); docs/fuzzing.md.
fuzz: deps
	scripts/fuzz
