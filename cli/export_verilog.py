"""``bittern export-verilog``: the accelerator as plain Verilog for your own SoC, with its
register header, Verilator waivers, a FuseSoC core and an integration page (docs/soc.md)."""

from bittern.cli.build import add_geometry_arguments, check_accelerator, sized_depths
from bittern.cli.options import c_identifier, output_dir


def register(sub):
    p = sub.add_parser("export-verilog", help="plain Verilog of the accelerator for your SoC",
                       description="Write the accelerator (a Wishbone target, or behind the SPI "
                                   "bridge) as one Verilog-2005 file with bittern_regs.h, "
                                   "Verilator waivers, a FuseSoC core and a README: sized by "
                                   "--rows/--cols and the depths, or for a model with --model.")
    p.add_argument("--top", choices=("wishbone", "spi"), default="wishbone",
                   help="wishbone: the accelerator's Wishbone B4 target and irq (default); "
                        "spi: the board tops' SPI target in front of it")
    add_geometry_arguments(p)
    p.add_argument("--ram", choices=("inferred", "dp16kd", "spram"), default="inferred",
                   help="memories: inferred (portable, default), dp16kd (ECP5), spram (iCE40 UP5K)")
    p.add_argument("--name", type=c_identifier, default="bittern_accel",
                   help="top module and file name (default bittern_accel)")
    p.add_argument("-o", "--out", type=output_dir, default="verilog",
                   help="output folder (default ./verilog)")
    p.set_defaults(func=run)


def run(args):
    from bittern.rtl.export import export_verilog
    from pathlib import Path
    depths = sized_depths(args)
    check_accelerator(args, depths, args.ram)
    out = Path(args.out)
    had = {p.resolve() for p in out.iterdir()} if out.is_dir() else set()
    files = export_verilog(args.out, name=args.name, top=args.top, rows=args.rows,
                           cols=args.cols, ram=args.ram, **depths)
    print(f"{args.top} top {args.name}, {args.rows}x{args.cols} array, buffers "
          + ", ".join(f"{k} {v}" for k, v in depths.items()) + f", {args.ram} memories:")
    for path in files.values():     # nothing the user had is replaced silently
        print(f"  {path}" + (" (replaced the previous file)" if Path(path).resolve() in had else ""))
    return 0
