# The two commands of the README. Both work on a fresh Debian 12 machine.
PORT ?= 8080
HOST ?= 127.0.0.1
DB ?= data/demo.db

.PHONY: deps build portal demo test test-release test-portal test-asan fuzz bench bench-smoke bench-access bench-audit bench-mpi format clean

deps:
	./scripts/install-deps

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release

# The web portal (portal/), built into portal/dist and served by `kangyun serve` at /.
portal: deps
	cd portal && npm run build --silent

demo: build portal
	./scripts/demo $(HOST) $(PORT) $(DB)

test-release: build
	ctest --preset release

# The portal in Debian's Chromium against a real server; screenshots in portal/test-results/.
test-portal: build portal
	cd portal && npx playwright test

test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan
	ctest --preset asan

fuzz: deps
	./scripts/fuzz

bench: build
	./bench/run

# The benchmark on a tiny city, a second per workload, both stores: part of make test, so that
# the benchmark cannot break unnoticed.
bench-smoke: build
	SMOKE=1 ./bench/run

# What the access rules cost a clinician; hidden, visible and missing records read alike.
bench-access: build
	./bench/access

# What the audit trail costs (with and without it), its bytes per read, what a crash loses.
bench-audit: build
	./bench/audit

# The person registry on a million residents: matching quality and Patient/$match latency.
bench-mpi: build
	./bench/mpi

test: test-release bench-smoke test-portal test-asan fuzz

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf build build-asan portal/dist
