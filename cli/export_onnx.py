"""``bittern export-onnx``: a .bittern model as a QONNX graph (qonnx runs it exactly)."""

from bittern.cli.options import add_output_file, input_file, refuse_overwrite


def register(sub):
    p = sub.add_parser("export-onnx", help=".bittern -> QONNX graph with identical labels/scores",
                       description="Write a .bittern model as a QONNX graph: MatMul/Conv on the "
                                   "integer weights, MaxPool, MultiThreshold, and the per-class "
                                   "head as int64 Mul/Add, so qonnx's executor gives the same "
                                   "labels and scores (docs/interop.md).")
    p.add_argument("model", type=input_file, help="the .bittern file")
    add_output_file(p, "the .onnx file to write")
    p.set_defaults(func=run)


def run(args):
    from bittern.model import fileformat
    from bittern.model.interop.onnx_export import export_qonnx
    refuse_overwrite(args.out, args.force)
    spec = fileformat.load(args.model)
    size = export_qonnx(spec, args.out)
    print(f"exported {args.model} -> {args.out}: {len(spec.layers)} layers, {size} bytes")
    return 0
