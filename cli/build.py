"""``bittern build``: a bitstream for a board, with a resource and timing summary.

Yosys and nextpnr come from the YoWASP wheels (no system toolchain). Exit status 0 when the
design fits and meets the board's clock target, 1 otherwise (unless ``--timing-allow-fail``,
which still fails a design that does not fit).
"""

import json
import sys

__all__ = ["register", "main"]


def register(subparsers):
    p = subparsers.add_parser("build", help="build an FPGA bitstream of the accelerator",
                              description="Build an FPGA bitstream of the accelerator and print its resources and Fmax.")
    p.add_argument("--board", required=True, choices=("icebreaker", "ulx3s"))
    p.add_argument("--rows", type=int, default=2, help="array rows (output channels per tile)")
    p.add_argument("--cols", type=int, default=2, help="array columns (images per batch)")
    p.add_argument("--lanes", type=int, default=32, help="bits per PE word (32)")
    p.add_argument("--w-depth", type=int, default=256, help="weight words per row bank")
    p.add_argument("--a-depth", type=int, default=64, help="activation words per column bank")
    p.add_argument("--t-depth", type=int, default=16, help="threshold entries per row bank")
    p.add_argument("--s-depth", type=int, default=16, help="score words per row bank")
    p.add_argument("--model", default=None,
                   help="a .bittern model: size the buffers to hold it (overrides the depths)")
    p.add_argument("--ram", choices=("inferred", "dp16kd", "spram"), default=None,
                   help="buffer memories (default: ulx3s dp16kd; icebreaker spram weights when "
                        "rows <= 2, else inferred EBR)")
    p.add_argument("--stage-levels", type=int, default=2, help="adder levels per PE pipeline stage")
    p.add_argument("--target-mhz", type=float, default=None, help="override the board's clock target")
    p.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    p.add_argument("--out", default=None, help="build directory (default build/<board>_r<R>c<C>)")
    p.add_argument("--timing-allow-fail", action="store_true",
                   help="exit 0 even when the clock target is missed")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=main)


def main(args):
    from bittern.rtl.boards import build_bitstream
    depths = dict(w_depth=args.w_depth, a_depth=args.a_depth, t_depth=args.t_depth,
                  s_depth=args.s_depth)
    if args.model:
        from bittern.model.fileformat import ModelFileError, load
        from bittern.rtl import loader
        from bittern.rtl.loader import default_depths
        try:
            spec = load(args.model)
            depths = default_depths(spec, args.rows, args.cols)
            loader.plan(spec, loader.Geometry(rows=args.rows, cols=args.cols, lanes=args.lanes,
                                              **depths))
        except (OSError, ModelFileError, loader.UnsupportedLayer) as e:
            print(f"bittern build: error: {args.model}: {e}", file=sys.stderr)
            return 2
    s = build_bitstream(args.board, rows=args.rows, cols=args.cols, lanes=args.lanes,
                        stage_levels=args.stage_levels, ram=args.ram, **depths,
                        out_dir=args.out, target_mhz=args.target_mhz, seed=args.seed,
                        timing_allow_fail=True)
    if args.json:
        print(json.dumps(s.as_dict(), indent=2, default=str))
    else:
        print(s.table())
    if not s.fits:
        print(f"bittern build: error: the design does not fit the {s.device}"
              + (f"\n{s.error}" if s.error else ""), file=sys.stderr)
        return 1
    if not s.meets_timing and not args.timing_allow_fail:
        print(f"bittern build: error: post-route Fmax {s.fmax_mhz:.2f} MHz misses the "
              f"{s.target_mhz:.2f} MHz target (use --timing-allow-fail to keep the bitstream)",
              file=sys.stderr)
        return 1
    return 0
