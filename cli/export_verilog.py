"""``bittern export-verilog``: the accelerator as plain Verilog for your own SoC, with its
register header, Verilator waivers, a FuseSoC core and an integration page (docs/soc.md)."""

from bittern.cli.options import (DEFAULT_ARRAY, UsageError, array_dim, c_identifier, input_file,
                                 int_in, output_dir)


def register(sub):
    p = sub.add_parser("export-verilog", help="plain Verilog of the accelerator for your SoC",
                       description="Write the accelerator (a Wishbone target, or behind the SPI "
                                   "bridge) as one Verilog-2005 file with bittern_regs.h, "
                                   "Verilator waivers, a FuseSoC core and a README: sized by "
                                   "--rows/--cols and the depths, or for a model with --model.")
    p.add_argument("--top", choices=("wishbone", "spi"), default="wishbone",
                   help="wishbone: the accelerator's Wishbone B4 target and irq (default); "
                        "spi: the board tops' SPI target in front of it")
    p.add_argument("--rows", type=array_dim("rows"), default=DEFAULT_ARRAY[0],
                   help=f"array rows, a power of two (default {DEFAULT_ARRAY[0]})")
    p.add_argument("--cols", type=array_dim("cols"), default=DEFAULT_ARRAY[1],
                   help=f"array columns, a power of two (default {DEFAULT_ARRAY[1]})")
    depth = int_in(2, 32768)
    p.add_argument("--w-depth", type=depth, default=256, help="weight words per row bank")
    p.add_argument("--a-depth", type=depth, default=64, help="activation words per column bank")
    p.add_argument("--t-depth", type=depth, default=16, help="threshold entries per row bank")
    p.add_argument("--s-depth", type=depth, default=16, help="score words per row bank")
    p.add_argument("--model", type=input_file, default=None,
                   help="a .bittern model: size the buffers to hold it (overrides the depths)")
    p.add_argument("--ram", choices=("inferred", "dp16kd", "spram"), default="inferred",
                   help="memories: inferred (portable, default), dp16kd (ECP5), spram (iCE40 UP5K)")
    p.add_argument("--name", type=c_identifier, default="bittern_accel",
                   help="top module and file name (default bittern_accel)")
    p.add_argument("-o", "--out", type=output_dir, default="verilog",
                   help="output folder (default ./verilog)")
    p.set_defaults(func=run)


def run(args):
    from bittern.rtl.export import export_verilog
    depths = dict(w_depth=args.w_depth, a_depth=args.a_depth, t_depth=args.t_depth,
                  s_depth=args.s_depth)
    if args.model:
        from bittern.model.fileformat import load
        from bittern.rtl import loader
        from bittern.sim.tb_accel_host import default_depths
        spec = load(args.model)
        depths = default_depths(spec, args.rows, args.cols)
        loader.plan(spec, loader.Geometry(rows=args.rows, cols=args.cols, lanes=32, **depths))
    try:
        files = export_verilog(args.out, name=args.name, top=args.top, rows=args.rows,
                               cols=args.cols, ram=args.ram, **depths)
    except TypeError as e:   # Amaranth-style parameter checks
        raise UsageError(str(e)) from None
    print(f"{args.top} top {args.name}, {args.rows}x{args.cols} array, buffers "
          + ", ".join(f"{k} {v}" for k, v in depths.items()) + f", {args.ram} memories:")
    for path in files.values():
        print(f"  {path}")
    return 0
