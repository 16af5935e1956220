# The two commands of the README: `make demo` (the main job) and `make test` (every check).
# Both set everything up first (scripts/setup.sh is idempotent).
.PHONY: setup demo test bench clean

OUT ?= out/demo
PYTEST_WORKERS ?= 2

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/bittern demo --out $(OUT)

# worksteal: a worker that runs out of tests takes the other's queued ones (the bitstream
# builds are queued first on one worker: tests/conftest.py).
test: setup
	.venv/bin/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=15

bench: setup
	.venv/bin/bittern bench --out out/bench

clean:
	rm -rf out build .pytest_cache
