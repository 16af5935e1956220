"""Train the Brevitas test networks briefly and export them with export_qonnx.

    .venv/bin/python scripts/make_qonnx_models.py [OUT_DIR [NAME ...]]

writes tests/data/qonnx/<name>.onnx for every network of bittern.model.interop.brevitas_nets
(or only the NAMEs given)
(seeded, initial weights included; a few epochs on 2,000 images of mnist5k's training split: the import tests check
exactness, not accuracy). The held-out images are never used.
"""

import sys
from pathlib import Path

from bittern.model.data import load_dataset
from bittern.model.interop import brevitas_nets


def main(out=Path(__file__).resolve().parents[1] / "tests" / "data" / "qonnx", *names):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = load_dataset("mnist5k")
    for i, name in enumerate(brevitas_nets.NETWORKS):
        if names and name not in names:
            continue
        net = brevitas_nets.train_quick(brevitas_nets.build(name, seed=i), data, epochs=2, seed=i,
                                        limit=2000)
        acc = brevitas_nets.accuracy(net, data.test_x, data.test_y)
        brevitas_nets.export(net, out / f"{name}.onnx")
        print(f"{name}: held-out accuracy {acc:.4f} -> {out / (name + '.onnx')}")


if __name__ == "__main__":
    main(*sys.argv[1:])
