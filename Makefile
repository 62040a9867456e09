# SockScope: `make demo` runs the main job, `make test` runs every check. Both install what is
# missing first (scripts/install-deps).
SWIFT ?= swift
# The demo, the README's examples and `make install` use the optimized build: the debug build runs
# the echo pair about half as fast. Tests build and run the debug build (it has the mocking seam).
RELEASE_BIN_DIR = $(shell $(SWIFT) build -c release --show-bin-path)
BIN = $(RELEASE_BIN_DIR)/sockscope
PREFIX ?= /usr/local
FORMAT_PATHS = Package.swift Sources Tests Resources examples Benchmarks Fuzz

.PHONY: all deps build demo demo-python test release-check lint format install uninstall bench fuzz mutate coverage docs clean gallery docs-images

all: build

deps:
	@scripts/install-deps

## The optimized sockscope and the interposer that `record` loads (libSockScopePreload.so).
build: deps
	$(SWIFT) build -c release --product sockscope
	$(SWIFT) build -c release --product SockScopePreload

## Runs the lecture page's documented run and records it into ./sockscope-out.
demo: build
	$(BIN) demo --out sockscope-out

## The same run with the page's own Python scripts (examples/python), recorded through LD_PRELOAD.
demo-python: build
	$(BIN) demo --program python --python-dir examples/python --out sockscope-out-python

## Lint, then every test (unit and integration; real processes, real sockets), then the demo from
## the optimized build, as a user runs it.
test: deps lint
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory release-check

## The optimized build runs the documented run and the Python pair without a terminal.
release-check: build
	@out=$$(mktemp -d) && trap 'rm -rf "$$out"' EXIT && \
	  $(BIN) demo --out "$$out/swift" </dev/null >"$$out/swift.txt" 2>&1 && \
	  $(BIN) demo --program python --python-dir examples/python --out "$$out/python" </dev/null \
	    >"$$out/python.txt" 2>&1 && \
	  $(BIN) validate "$$out/swift/trace.jsonl" >/dev/null && \
	  $(BIN) validate "$$out/python/trace.jsonl" >/dev/null && \
	  echo "release-check: the optimized build ran the documented run (Swift and Python) and validated both traces" || \
	  { echo "release-check: the optimized build failed the documented run:"; cat "$$out"/*.txt; exit 1; }

## Records every example of examples/python (the gallery tests' own fixture) and writes every view
## of each run into docs/gallery/ (scripts/gallery; docs/gallery/README.md explains them).
gallery: deps
	@scripts/gallery

## Redraws the figures of docs/images/ (docs/diagrams.md, docs/schematic-format.md) from one run of
## `sockscope demo` with the optimized build (scripts/docs-images).
docs-images: build
	@SOCKSCOPE="$(BIN)" scripts/docs-images

## swift format in lint mode, with the committed .swift-format.
lint:
	$(SWIFT) format lint --strict --recursive $(FORMAT_PATHS)

## Rewrites the sources in the committed style.
format:
	$(SWIFT) format format --in-place --recursive $(FORMAT_PATHS)

## Installs sockscope, its interposer, a man page and bash/zsh/fish completions under PREFIX
## (default /usr/local; DESTDIR for staging).
install: build
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/lib" "$(DESTDIR)$(PREFIX)/share/man/man1" \
	  "$(DESTDIR)$(PREFIX)/share/bash-completion/completions" "$(DESTDIR)$(PREFIX)/share/zsh/site-functions" \
	  "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d"
	install -m 755 "$(BIN)" "$(DESTDIR)$(PREFIX)/bin/sockscope"
	install -m 755 "$(RELEASE_BIN_DIR)/libSockScopePreload.so" "$(DESTDIR)$(PREFIX)/lib/libSockScopePreload.so"
	@man=$$(mktemp -d) && trap 'rm -rf "$$man"' EXIT && \
	  $(SWIFT) package --allow-writing-to-directory "$$man" generate-manual --multi-page -o "$$man" >/dev/null && \
	  install -m 644 "$$man"/*.1 "$(DESTDIR)$(PREFIX)/share/man/man1/"
	"$(BIN)" --generate-completion-script bash > "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/sockscope"
	"$(BIN)" --generate-completion-script zsh > "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sockscope"
	"$(BIN)" --generate-completion-script fish > "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sockscope.fish"

## Removes what `make install` put under PREFIX.
uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/sockscope" "$(DESTDIR)$(PREFIX)/lib/libSockScopePreload.so" \
	  "$(DESTDIR)$(PREFIX)"/share/man/man1/sockscope*.1 \
	  "$(DESTDIR)$(PREFIX)/share/bash-completion/completions/sockscope" \
	  "$(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sockscope" \
	  "$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sockscope.fish"

clean:
	rm -rf .build .build-fuzz .build-mutate .build-cov sockscope-out

## Benchmarks (not tests): throughput ratios, recording cost, trace loading; writes docs/performance.md.
bench: deps
	scripts/bench

## Fuzzing (not a test): each fuzz target for FUZZ_RUNS inputs (default 1 000 000); docs/fuzzing.md.
fuzz: deps
	scripts/fuzz

## Mutation testing (not a test): applies each deliberate bug in scripts/mutations.json to a copy
## of HEAD, runs its focused tests and reports caught / missed (docs/architecture.md).
mutate: deps
	scripts/mutate

## DocC sites of the library modules' public API (SockScopeSockets, SockScopeOutput, SockScopeTrace,
## SockScopeMerge, SockScopeStrace, SockScopeGraphviz)
## under .build/docs, with the toolchain's docc.
docs:
	scripts/docs

## Line coverage per module, Swift and C (the interposer included); writes .build-cov/coverage.md.
coverage: deps
	scripts/coverage
