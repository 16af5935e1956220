"""``bittern summary``: the per-layer table of a model (encodings, parameters, MACs, bytes,
accelerator support, estimated cycles), like Larq's ``lq.models.summary``."""


from bittern.cli.options import input_file, positive_int


def register(sub):
    p = sub.add_parser("summary", help="per-layer table: bits, params, MACs, bytes, accelerator",
                       description=__doc__)
    p.add_argument("model", type=input_file, help="a .bittern file or a QONNX .onnx graph")
    p.add_argument("--rows", type=positive_int, default=4, help="array rows for the cycle estimate")
    p.add_argument("--cols", type=positive_int, default=4, help="array columns for the cycle estimate")
    p.set_defaults(func=run)


def run(args):
    import bittern
    m = bittern.import_onnx(args.model) if args.model.endswith(".onnx") else bittern.load(args.model)
    print(m.summary(rows=args.rows, cols=args.cols))
    return 0
