"""``bittern eval``: golden integer accuracy beside the float fake-quantized accuracy."""

from bittern.cli.options import DEFAULT_ARRAY_TEXT, array_shape, input_file


def register(sub):
    p = sub.add_parser("eval", help="held-out accuracy: golden integer model vs float model",
                       description="Evaluate on the held-out split. With a checkpoint, the float "
                                   "fake-quantized model and its folded integer model are run "
                                   "side by side and must agree on every label.")
    p.add_argument("model", type=input_file, help="checkpoint (.pt) or model file (.bittern)")
    p.add_argument("--data", default=None, help="dataset (default: the one it was trained on)")
    p.add_argument("--array", type=array_shape, default=DEFAULT_ARRAY_TEXT,
                   help=f"systolic array ROWSxCOLSxLANES for the cycle count (default "
                        f"{DEFAULT_ARRAY_TEXT})")
    p.add_argument("--no-cycles", action="store_true",
                   help="skip simulating the bare systolic array (Verilator) for its cycle count")
    p.set_defaults(func=run)


def array_cycles(spec, images, array):
    """Cycles per image on the simulated systolic array (Verilator), checked against golden."""
    import torch
    from bittern.model import golden
    from bittern.sim.layer_sim import simulate_model
    rows, cols, lanes = array
    x = images[:cols]
    run = simulate_model(spec, x, rows=rows, cols=cols, lanes=lanes, simulator="verilator")
    if not torch.equal(torch.as_tensor(run.scores), golden.run(spec, x).scores):
        raise RuntimeError("simulated array scores differ from the golden model")
    return (sum(lr.cycles for lr in run.layers) / len(x),
            sum(lr.ideal_cycles for lr in run.layers) / len(x))


def evaluate(net_or_spec, data):
    """Returns a dict of accuracies and agreement on the held-out split."""
    import numpy as np
    import torch
    from bittern.model import fileformat, golden
    from bittern.model.data import load_dataset
    from bittern.model.fold import export_spec
    from bittern.model.train import float_accuracy
    ds = load_dataset(data)
    out = {"data": ds.name, "images": len(ds.test_x)}
    if isinstance(net_or_spec, torch.nn.Module):
        net = net_or_spec
        out["float_accuracy"] = float_accuracy(net, ds.test_x, ds.test_y)
        spec = export_spec(net)
        with torch.no_grad():
            fscores = net.double().scores(torch.from_numpy(ds.test_x))[0].round().long()
        net.float()
    else:
        spec, fscores = net_or_spec, None
    res = golden.run(spec, ds.test_x)
    out["golden_accuracy"] = float(np.mean(res.labels.numpy() == ds.test_y))
    if fscores is not None:
        out["scores_identical"] = bool(torch.equal(fscores, res.scores))
    out["model_bytes"] = len(fileformat.to_bytes(spec))
    return out


def is_model_file(path):
    """A .bittern model file (by its magic bytes, whatever its name), else a checkpoint."""
    from bittern.model import fileformat
    with open(path, "rb") as f:
        return f.read(len(fileformat.MAGIC)) == fileformat.MAGIC


def run(args):
    from bittern.model import fileformat
    from bittern.model.data import load_dataset
    from bittern.model.fold import export_spec
    from bittern.model.train import load_checkpoint
    model_file = is_model_file(args.model)
    if model_file:
        spec = fileformat.load(args.model)
        r = evaluate(spec, args.data or "mnist5k")
    else:
        net, meta = load_checkpoint(args.model)
        r = evaluate(net, args.data or meta.get("data", "mnist5k"))
    print(f"held-out {r['data']}: {r['images']} images, model {r['model_bytes']} bytes")
    if "float_accuracy" in r:
        print(f"  float fake-quant accuracy : {r['float_accuracy']:.4f}")
    print(f"  golden integer accuracy   : {r['golden_accuracy']:.4f}")
    if not args.no_cycles:
        spec_ = spec if model_file else export_spec(net)
        cyc, ideal = array_cycles(spec_, load_dataset(r["data"]).test_x, args.array)
        shape = "x".join(map(str, args.array))
        print(f"  array cycles/image        : {cyc:,.0f} on a {shape} bare systolic array, "
              f"Python-sequenced (ideal {ideal:,.0f}, {ideal / cyc:.1%}; bit-exact with golden)")
    if "scores_identical" in r:
        same = "identical" if r["scores_identical"] else "DIFFERENT (contract broken)"
        print(f"  class scores float vs int : {same}")
        return 0 if r["scores_identical"] else 1
    return 0
