"""``bittern export``: fold a checkpoint to integers and write a .bittern model file."""

from pathlib import Path

from bittern.cli.options import input_file, output_file


def register(sub):
    p = sub.add_parser("export", help="fold batch-norm to integer thresholds, write .bittern",
                       description="Fold a trained checkpoint into the integer-only model "
                                   "(docs/numerics.md) and write it in the versioned file "
                                   "format (docs/format.md).")
    p.add_argument("checkpoint", type=input_file, help="checkpoint (.pt) from `bittern train`")
    p.add_argument("-o", "--out", type=output_file, default="model.bittern",
                   help="model file to write (default model.bittern)")
    p.set_defaults(func=run)


def model_bytes_report(spec, file_bytes):
    float_bytes = 4 * sum(int(l.weights.size) for l in spec.layers)
    return (f"{len(spec.layers)} layers, {sum(int(l.weights.size) for l in spec.layers)} weights: "
            f"{file_bytes} bytes packed vs {float_bytes} bytes as float32 "
            f"({float_bytes / file_bytes:.1f}x smaller)")


def run(args):
    from bittern.model import fileformat
    from bittern.model.fold import export_spec
    from bittern.model.train import load_checkpoint
    net, meta = load_checkpoint(args.checkpoint)
    spec = export_spec(net, meta=meta)
    replaced = " (replaced the previous file)" if Path(args.out).exists() else ""
    size = fileformat.save(spec, args.out)
    print(f"exported {args.checkpoint} -> {args.out}{replaced}: {model_bytes_report(spec, size)}")
    return 0
