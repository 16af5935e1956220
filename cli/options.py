"""What every subcommand's arguments share: the parser with one-line errors, ``-v``/``--debug``,
and the argument types that validate values before any work starts.

A value that is wrong is refused by ``argparse`` (``bittern CMD: error: argument --X: ...``,
exit 2), so a mistake costs no training, simulation or synthesis time. Checks that need several
arguments at once raise :class:`UsageError` from the subcommand; ``main()`` prints it as one line.
"""

import argparse
import os
import sys
from pathlib import Path

__all__ = ["UsageError", "Parser", "positive_int", "int_in", "array_shape", "csv_of", "check_geometry",
           "array_dim", "accelerator_shape", "positive_float", "c_identifier",
           "output_file", "output_dir", "input_file", "DEFAULT_ARRAY", "DEFAULT_ARRAY_TEXT"]

# One default systolic array for eval, sim, build and demo: the shape that builds on both
# boards (on the UP5K its weights fit the SPRAMs) and simulates in seconds.
DEFAULT_ARRAY = (2, 2, 32)
DEFAULT_ARRAY_TEXT = "x".join(map(str, DEFAULT_ARRAY))


class UsageError(ValueError):
    """A wrong argument or combination of arguments; the message says which and why."""


class Parser(argparse.ArgumentParser):
    """``argparse`` with a one-line error (no usage dump) and ``-v``/``--debug`` on every
    (sub)command, so they work before or after the subcommand's name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # SUPPRESS: a subcommand's parser must not reset a flag given before its name.
        self.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                          help="stream every tool's output (compilers, simulators, Yosys, QEMU)")
        self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                          help="show the Python traceback of an error")

    def error(self, message):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def positive_int(text):
    return int_in(1)(text)


def int_in(lo, hi=None):
    """An argparse type: an integer in lo..hi (hi None: no upper bound)."""
    def parse(text):
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if v < lo or (hi is not None and v > hi):
            rng = f"at least {lo}" if hi is None else f"{lo}..{hi}"
            raise argparse.ArgumentTypeError(f"must be {rng}, not {v}")
        return v
    parse.__name__ = "integer"
    return parse


def _pow2(v, hi):
    return 1 <= v <= hi and not v & (v - 1)


def _limits():
    # The accelerator's geometry limits have one home: bittern.rtl.accelerator.
    from bittern.rtl.accelerator import MAX_COLS, MAX_ROWS, WORD_BITS
    return {"rows": MAX_ROWS, "cols": MAX_COLS, "lanes": WORD_BITS}


def check_geometry(rows, cols, lanes=None):
    """Refuse an array shape the accelerator cannot be built with. ``lanes`` None: any lane
    count 1..1024 (the bare array of ``sim``/``eval``); else the accelerator's word width."""
    lim = _limits()
    for name, v in (("rows", rows), ("cols", cols)):
        if not _pow2(v, lim[name]):
            raise argparse.ArgumentTypeError(f"{name} must be a power of two in 1..{lim[name]} "
                                             f"(as the accelerator builds them), not {v}")
    if lanes is not None and lanes != lim["lanes"]:
        raise argparse.ArgumentTypeError(f"lanes must be {lim['lanes']} (the accelerator's "
                                         f"buffers hold {lim['lanes']}-bit words), not {lanes}")


def array_dim(name):
    """An argparse type for ``--rows``/``--cols``: a power of two within the accelerator's limit."""
    def parse(text):
        v = int_in(1)(text)
        check_geometry(**{"rows": 1, "cols": 1, name: v})
        return v
    parse.__name__ = "integer"
    return parse


def array_shape(text, *, accelerator_lanes=False):
    """ROWSxCOLSxLANES, rows and cols as the accelerator allows them, lanes 1..1024 (or, with
    ``accelerator_lanes``, the accelerator's word width)."""
    parts = text.lower().split("x")
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r} is not ROWSxCOLSxLANES (e.g. {DEFAULT_ARRAY_TEXT})")
    rows, cols, lanes = map(int, parts)
    check_geometry(rows, cols, lanes if accelerator_lanes else None)
    if lanes > 1024:
        raise argparse.ArgumentTypeError(f"lanes must be 1..1024, not {lanes}")
    return rows, cols, lanes


def accelerator_shape(text):
    """ROWSxCOLSxLANES of an accelerator that is built (lanes = its word width)."""
    return array_shape(text, accelerator_lanes=True)


def positive_float(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, not {text}")
    return v


def c_identifier(text):
    """A C identifier that is not a keyword (the rule lives with the C code generator)."""
    from bittern.runtime.codegen import c_name_problem
    problem = c_name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def csv_of(allowed):
    """An argparse type: a comma-separated subset of ``allowed`` (a list, in the given order)."""
    def parse(text):
        items = [s.strip() for s in text.split(",") if s.strip()]
        bad = [s for s in items if s not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(map(repr, bad))}; choose from "
                                             f"{', '.join(allowed)}")
        return items
    parse.__name__ = "list"
    return parse


def _writable_ancestor(path):
    """The nearest existing ancestor of ``path``, which must be a writable folder."""
    p = path.parent
    while not p.exists():
        p = p.parent
    if not p.is_dir():
        raise argparse.ArgumentTypeError(f"{path}: {p} is a file, not a folder")
    if not os.access(p, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{path}: the folder {p} is not writable")
    return p


def output_file(text):
    """A file to write: its folder must exist and be writable, and it must not be a folder."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; give a file name")
    if not path.parent.exists() and str(path.parent):
        raise argparse.ArgumentTypeError(f"{path}: the folder {path.parent} does not exist")
    _writable_ancestor(path)
    return str(path)


def add_output_file(parser, help):
    """``-o/--out FILE`` (required) and ``--force``: a command that refuses to replace a file
    the user has unless asked to (see :func:`refuse_overwrite`)."""
    parser.add_argument("-o", "--out", type=output_file, required=True, help=help)
    parser.add_argument("--force", action="store_true", help="overwrite an existing output file")


def refuse_overwrite(path, force):
    """One home for 'nothing a user had is overwritten silently' of :func:`add_output_file`."""
    if Path(path).exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to overwrite it")


def output_dir(text):
    """A folder to write into (created if missing): it must not be a file, and the nearest
    existing folder above it must be writable."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a file, not a folder")
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise argparse.ArgumentTypeError(f"the folder {path} is not writable")
    else:
        _writable_ancestor(path)
    return str(path)


def input_file(text):
    """A file to read: it must exist and be a file."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{path}: no such file")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder, not a file")
    return str(path)
