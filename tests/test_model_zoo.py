"""The reference networks of the zoo: each builds and folds into a valid model, with the shape
its comment promises; the binarized-input MLPs run every layer on the accelerator."""

import pytest
import torch

from bittern.model.fold import export_spec
from bittern.model.layers import BitNet
from bittern.model.zoo import NETWORKS, network_config
from bittern.rtl import ops

EXPORTABLE = sorted(n for n in NETWORKS if n != "float")


@pytest.fixture(scope="module", params=EXPORTABLE)
def zoo_spec(request):
    torch.manual_seed(0)
    return request.param, export_spec(BitNet(network_config(request.param)).eval())


def test_zoo_networks_fold_into_valid_models(zoo_spec):
    name, spec = zoo_spec
    assert spec.layers[-1].out_c == 10, name
    assert spec.input_features == 784, name


def test_zoo_tfc_is_finns_784_64_64_64_10():
    spec = export_spec(BitNet(network_config("tfc-w1a1")).eval())
    assert [(l.in_c, l.out_c) for l in spec.layers] == [(784, 64), (64, 64), (64, 64), (64, 10)]


@pytest.mark.parametrize("name", ["mlp-bin", "tfc-w1a1"])
def test_zoo_binarized_mlps_run_every_layer_on_the_accelerator(name):
    spec = export_spec(BitNet(network_config(name)).eval())
    last = len(spec.layers) - 1
    assert [ops.why_not(l, last=i == last) for i, l in enumerate(spec.layers)] == \
        [None] * len(spec.layers)
