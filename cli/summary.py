"""``bittern summary``: the per-layer table of a model (encodings, parameters, MACs, bytes,
accelerator support, estimated cycles), like Larq's ``lq.models.summary``."""


def register(sub):
    p = sub.add_parser("summary", help="per-layer table: bits, params, MACs, bytes, accelerator",
                       description=__doc__)
    p.add_argument("model", help="a .bittern file or a QONNX .onnx graph")
    p.add_argument("--rows", type=int, default=4, help="array rows for the cycle estimate")
    p.add_argument("--cols", type=int, default=4, help="array columns for the cycle estimate")
    p.set_defaults(func=run)


def run(args):
    from pathlib import Path

    import bittern
    if not Path(args.model).exists():
        raise FileNotFoundError(f"{args.model}: no such file")
    for name in ("rows", "cols"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be >= 1, not {getattr(args, name)}")
    m = bittern.import_onnx(args.model) if args.model.endswith(".onnx") else bittern.load(args.model)
    print(m.summary(rows=args.rows, cols=args.cols))
    return 0
