"""``bittern import``: a QONNX graph (Brevitas ``export_qonnx``, FINN) as a .bittern model."""

from bittern.cli.options import add_output_file, input_file, refuse_overwrite


def register(sub):
    p = sub.add_parser("import", help="QONNX/Brevitas/FINN graph -> .bittern (exact)",
                       description="Import a QONNX graph (what Brevitas' export_qonnx writes, or a "
                                   "FINN graph with MultiThreshold) into the integer-only model: "
                                   "thresholds read off qonnx's own executor on every reachable "
                                   "accumulator, the last layer's per-class affine as the exact "
                                   "head (docs/numerics.md 5.1). The graph input is taken to be "
                                   "float32(pixel) / 255.")
    p.add_argument("onnx", type=input_file, help="the .onnx file")
    add_output_file(p, "the .bittern file to write")
    p.set_defaults(func=run)


def run(args):
    from bittern.model import fileformat
    from bittern.model.interop.onnx_import import import_qonnx
    refuse_overwrite(args.out, args.force)
    spec, report = import_qonnx(args.onnx)
    size = fileformat.save(spec, args.out)
    print(f"imported {args.onnx} -> {args.out}: {len(spec.layers)} layers, {size} bytes")
    for line in report.layers:
        print(f"  {line}")
    print(f"  {report.head}")
    return 0
