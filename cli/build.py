"""``bittern build``: a bitstream for a board, with a resource and timing summary.

Yosys and nextpnr come from the YoWASP wheels (no system toolchain). Exit status 0 when the
design fits and meets the board's clock target, 1 otherwise (unless ``--timing-allow-fail``,
which still fails a design that does not fit).
"""

import json
import sys

from bittern.cli.options import (DEFAULT_ARRAY, UsageError, array_dim, input_file, int_in, output_dir,
                                 positive_float, positive_int)

__all__ = ["register", "main"]


def register(subparsers):
    p = subparsers.add_parser("build", help="build an FPGA bitstream of the accelerator",
                              description="Build an FPGA bitstream of the accelerator and print its resources and Fmax.")
    from bittern.rtl.boards import BOARDS
    p.add_argument("--board", required=True, choices=BOARDS)
    add_geometry_arguments(p)
    p.add_argument("--lanes", type=int_in(32, 32), default=32, help="bits per PE word (only 32)")
    p.add_argument("--ram", choices=("inferred", "dp16kd", "spram"), default=None,
                   help="buffer memories (default: ulx3s dp16kd; icebreaker spram weights when "
                        "rows <= 2, else inferred EBR)")
    p.add_argument("--stage-levels", type=positive_int, default=2,
                   help="adder levels per PE pipeline stage")
    p.add_argument("--target-mhz", type=positive_float, default=None,
                   help="override the board's clock target")
    p.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    p.add_argument("--out", type=output_dir, default=None,
                   help="build folder (default build/<board>_r<R>c<C> in the current folder)")
    p.add_argument("--timing-allow-fail", action="store_true",
                   help="exit 0 even when the clock target is missed")
    p.add_argument("--conv", action="store_true",
                   help="also run conv2d layers in hardware (op CONV_XNOR; more logic)")
    p.add_argument("--planes", action="store_true",
                   help="also run multi-bit layers as binary passes (ops DENSE_PLANES_*; with "
                        "--conv also CONV_PLANES_U8_*, a u8 first conv; more logic)")
    p.add_argument("--estimate", action="store_true",
                   help="run no tool: estimate LCs/LUTs, FFs, block RAMs, SPRAMs (and with "
                        "--model cycles per image) from the calibrated model, in under a second")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=main)


def add_geometry_arguments(p):
    """--rows/--cols, the four buffer depths and --model: an accelerator's size (shared with
    ``export-verilog``)."""
    p.add_argument("--rows", type=array_dim("rows"), default=DEFAULT_ARRAY[0],
                   help=f"array rows (output channels per tile), a power of two (default {DEFAULT_ARRAY[0]})")
    p.add_argument("--cols", type=array_dim("cols"), default=DEFAULT_ARRAY[1],
                   help=f"array columns (images per batch), a power of two (default {DEFAULT_ARRAY[1]})")
    depth = int_in(2, 32768)
    p.add_argument("--w-depth", type=depth, default=256, help="weight words per row bank")
    p.add_argument("--a-depth", type=depth, default=64, help="activation words per column bank")
    p.add_argument("--t-depth", type=depth, default=16, help="threshold entries per row bank")
    p.add_argument("--s-depth", type=depth, default=16, help="score words per row bank")
    p.add_argument("--model", type=input_file, default=None,
                   help="a .bittern model: size the buffers to hold it (overrides the depths)")


def sized_depths(args):
    """The buffer depths: the arguments', or the smallest that hold ``--model`` (refused, with
    the layer and a hint, when the accelerator cannot run that model)."""
    depths = dict(w_depth=args.w_depth, a_depth=args.a_depth, t_depth=args.t_depth,
                  s_depth=args.s_depth)
    if not args.model:
        return depths
    from bittern.model.fileformat import load
    from bittern.model.spec import Enc
    from bittern.rtl import loader
    from bittern.rtl import regmap as rm
    from bittern.rtl.loader import default_depths
    spec = load(args.model)
    depths = default_depths(spec, args.rows, args.cols)
    try:
        features = rm.pack("FEATURES", CONV=int(getattr(args, "conv", False)),
                           PLANES=int(getattr(args, "planes", False)))
        loader.plan(spec, loader.Geometry(rows=args.rows, cols=args.cols, lanes=getattr(args, "lanes", 32),
                                          features=features, **depths))
    except loader.UnsupportedLayer as e:
        hint = ""
        if spec.layers[0].in_enc != Enc.BINARY and "build it with" not in str(e):
            hint = ("; train with `--net mlp-bin` (binarized input pixels) for an MLP the "
                    "accelerator runs, or run this one with `bittern runtime run`")
        raise UsageError(f"{args.model}: {e}{hint}") from None
    return depths


def check_accelerator(args, depths, ram):
    """Refuse a geometry the accelerator's own checks refuse (a buffer past its register
    window, too many SPRAMs) before any synthesis or conversion."""
    from bittern.rtl.accelerator import Accelerator
    # Built only for its checks, so Amaranth must not warn that it was never elaborated: not
    # about this one, nor about the half-built one a failed check leaves in its frame.
    try:
        probe = Accelerator(rows=args.rows, cols=args.cols, ram=ram,
                            stage_levels=getattr(args, "stage_levels", 2),
                            conv=getattr(args, "conv", False),
                            planes=getattr(args, "planes", False), **depths)
        probe._MustUse__silence = True
    except (TypeError, ValueError) as e:   # Amaranth-style parameter checks raise TypeError
        tb = e.__traceback__
        while tb is not None:
            if isinstance(tb.tb_frame.f_locals.get("self"), Accelerator):
                tb.tb_frame.f_locals["self"]._MustUse__silence = True
            tb = tb.tb_next
        given = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in depths.items())
        raise UsageError(f"a {args.rows}x{args.cols} array with {given} (ram {ram}): {e}") from None


def _estimate(args, depths):
    from bittern.rtl.estimate import EstimateError, estimate
    try:
        e = estimate(args.board, args.rows, args.cols, model=args.model, depths=depths,
                     conv=args.conv, planes=args.planes, ram=args.ram)
    except EstimateError as err:
        raise UsageError(str(err)) from None
    print(json.dumps(e.as_dict(), indent=2, default=str) if args.json else e.table())
    if not e.fits:
        print(f"bittern build: error: the estimate does not fit the {e.device}", file=sys.stderr)
        return 1
    return 0


def _tail(text, lines=20):
    return "\n".join("  " + line for line in text.splitlines()[-lines:])


def main(args):
    from bittern.rtl.boards import build_bitstream, default_ram
    depths = sized_depths(args)
    check_accelerator(args, depths, args.ram or default_ram(args.board, args.rows))
    if args.estimate:
        return _estimate(args, depths)
    s = build_bitstream(args.board, rows=args.rows, cols=args.cols, lanes=args.lanes,
                        stage_levels=args.stage_levels, ram=args.ram, **depths,
                        out_dir=args.out, target_mhz=args.target_mhz, seed=args.seed,
                        timing_allow_fail=True, conv=args.conv, planes=args.planes)
    if args.json:
        print(json.dumps(s.as_dict(), indent=2, default=str))
    else:
        print(s.table())
    if not s.fits:
        print(f"bittern build: error: the design does not fit the {s.device} (logs: "
              f"{s.out_dir}/top.rpt, top.tim)" + (f"\n{_tail(s.error)}" if s.error else ""),
              file=sys.stderr)
        return 1
    if not s.meets_timing and not args.timing_allow_fail:
        print(f"bittern build: error: post-route Fmax {s.fmax_mhz:.2f} MHz misses the "
              f"{s.target_mhz:.2f} MHz target (use --timing-allow-fail to keep the bitstream)",
              file=sys.stderr)
        return 1
    return 0
