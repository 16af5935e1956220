"""``bittern bench``: every benchmark, one report (see bench/run_all.py)."""


def register(sub):
    p = sub.add_parser("bench", help="run every benchmark and write one report",
                       description="Simulator speed, array utilisation, sparse savings, synthesis "
                                   "sweep, Cortex-M instruction counts and memory, accuracy per "
                                   "family, loader fuzzing: one Markdown report.")
    p.add_argument("--out", default="out/bench")
    p.add_argument("--quick", action="store_true", help="small sweeps (minutes, not hours)")
    p.add_argument("--only", default="", help="comma-separated subset: array,sparse,synth,mcu,families,fuzz")
    p.set_defaults(func=run)


def run(args):
    from bittern.bench.run_all import main
    argv = ["--out", args.out] + (["--quick"] if args.quick else []) + \
        (["--only", args.only] if args.only else [])
    return main(argv)
