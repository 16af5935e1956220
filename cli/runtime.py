"""``bittern runtime``: run a model on the C runtime (host or an emulated Cortex-M core), or
export it as C sources with const arrays for an application."""

import time

from bittern.cli.options import UsageError, c_identifier, input_file, output_dir, positive_int

from bittern.runtime.build import CPUS as CORES

CPUS = ("host", *CORES)


def register(sub):
    p = sub.add_parser("runtime", help="run on the C runtime (host / QEMU Cortex-M), export C",
                       description="The C runtime in runtime/: run a .bittern model on the host "
                                   "or on an emulated Cortex-M core and check it bit-exactly "
                                   "against the golden model, or export it as C sources.")
    s = p.add_subparsers(dest="action", metavar="ACTION")
    r = s.add_parser("run", help="run held-out images, compare with the golden model")
    r.add_argument("--cpu", choices=CPUS, default="cortex-m4")
    r.add_argument("--model", required=True, type=input_file, help=".bittern model file")
    r.add_argument("--images", type=positive_int, default=100,
                   help="number of held-out images (default 100)")
    r.add_argument("--data", default="mnist5k", help="dataset (mnist5k, digits, idx:DIR)")
    r.add_argument("--build-dir", type=output_dir, default=None,
                   help="build folder and logs (default build/runtime in the current folder)")
    r.set_defaults(func=run)
    e = s.add_parser("export-c", help="write <name>.c/.h with the model as const arrays")
    e.add_argument("--model", required=True, type=input_file, help=".bittern model file")
    e.add_argument("--out", type=output_dir, default=".", help="output folder (default: here)")
    e.add_argument("--name", type=c_identifier, default="bt_model_data",
                   help="C array name, also the file names <name>.c/.h (default bt_model_data)")
    e.set_defaults(func=export_c)
    m = s.add_parser("mem", help="print the exact flash and RAM the model needs")
    m.add_argument("--model", required=True, type=input_file, help=".bittern model file")
    m.set_defaults(func=mem)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _report_line(rep):
    return (f"model data {rep['model_bytes']} B in flash (weights+thresholds "
            f"{rep['weight_bytes']} B); workspace {rep['workspace_bytes']} B of RAM "
            f"(ping-pong buffers {rep['buffers'][0]} + {rep['buffers'][1]} B)")


def run(args):
    import numpy as np
    from bittern.model import fileformat, golden
    from bittern.model.data import load_dataset
    from bittern.runtime.memory import memory_report

    spec = fileformat.load(args.model)
    ds = load_dataset(args.data)
    n = args.images
    if n > len(ds.test_x):
        raise UsageError(f"--images {n}: {ds.name} has {len(ds.test_x)} held-out images")
    x, y = ds.test_x[:n], np.asarray(ds.test_y[:n])
    t0 = time.time()
    g = golden.run(spec, x)
    if args.cpu == "host":
        from bittern.runtime.host import run_host
        h = run_host(args.model, x, build_dir=args.build_dir)
        labels, scores, extra = h.labels, h.scores, ""
    else:
        from bittern.runtime.mcu import run_images
        res, info = run_images(args.cpu, args.model, x, build_dir=args.build_dir)
        labels, scores = np.array(res.labels), np.array(res.scores, dtype=np.int64)
        ram = info["elf"]["ram_static"] + res.stack_bytes
        extra = (f"\n{args.cpu}: {res.instructions_per_image:.0f} instructions per image "
                 f"(QEMU -icount, SysTick); flash {info['elf']['flash']} B, RAM {ram} B "
                 f"(static {info['elf']['ram_static']} + stack {res.stack_bytes})")
    exact = bool(np.array_equal(scores, g.scores.numpy()))
    acc = float((labels == y).mean())
    print(f"{args.cpu}: {n} images, accuracy {acc:.4f}, bit-exact with golden: "
          f"{'yes' if exact else 'NO'} ({time.time() - t0:.1f} s)")
    print(_report_line(memory_report(spec)) + extra)
    return 0 if exact else 1


def export_c(args):
    from bittern.model import fileformat
    from bittern.runtime.codegen import write_export_c
    from bittern.runtime.memory import memory_report

    spec = fileformat.load(args.model)
    from bittern.runtime.host import model_units

    c, h = write_export_c(args.model, args.out, args.name)
    print(f"wrote {c} and {h}: {_report_line(memory_report(spec))}")
    print(f"per-model runtime: make -C runtime KERNELS=\"{' '.join(model_units(args.model))}\"")
    return 0


def mem(args):
    from bittern.model import fileformat
    from bittern.runtime.memory import memory_report

    spec = fileformat.load(args.model)
    rep = memory_report(spec)
    print(_report_line(rep))
    for i, layer in enumerate(rep["layers"]):
        print(f"  layer {i}: {layer}")
    return 0
