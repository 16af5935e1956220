"""Quiet external tools: their output goes to a log file per run, the terminal shows stages.

Compilers, simulators, Yosys, nextpnr and QEMU print far more than a user wants between
results. Every run of one goes through here: by default its output lands in a log file beside
the run's other outputs (``<folder>/<name>.log``), and a failure raises an error whose message
names the log and carries its last lines. ``set_verbose(True)`` (``bittern -v``, or
``BITTERN_VERBOSE=1``) streams everything to the terminal as well.

:func:`stage` prints one line per long step, with its elapsed time when it ends (and, off a
terminal, a line every minute so that a CI log shows the step is still running).
"""

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

__all__ = ["set_verbose", "verbose", "ToolError", "tail", "run", "stage"]

_verbose = False
TAIL_LINES = 20


def set_verbose(on):
    global _verbose
    _verbose = bool(on)


def verbose():
    return _verbose or os.environ.get("BITTERN_VERBOSE", "") not in ("", "0")


class ToolError(RuntimeError):
    """An external tool failed; the message names it, its log and the log's last lines."""


def tail(path, lines=TAIL_LINES):
    """The last ``lines`` lines of a log file ('' when there is none)."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def failure_message(what, log):
    """``what`` (one line), then the log's path and its last lines."""
    return f"{what} (log: {log})\n{tail(log)}".rstrip()


def run(cmd, *, log, cwd=None, env=None, what=None, check=True):
    """Run ``cmd`` with its stdout and stderr in the file ``log`` (and on the terminal too when
    verbose). Returns the exit status; with ``check``, a non-zero status raises
    :class:`ToolError` with the log's tail."""
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        f.write("$ " + " ".join(map(str, cmd)) + "\n")
        f.flush()
        if verbose():
            p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, errors="replace")
            for line in p.stdout:
                sys.stdout.write(line)
                f.write(line)
            rc = p.wait()
        else:
            rc = subprocess.run(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL).returncode
    if rc and check:
        name = what or Path(str(cmd[0])).name
        raise ToolError(failure_message(f"{name} failed with exit status {rc}", log))
    return rc


@contextmanager
def stage(text, *, heartbeat_s=60, out=None, watch=()):
    """Print ``text ...`` now and ``text: done in N s`` (or ``failed after N s``) at the end.

    On a terminal the line's clock ticks every second; elsewhere a line is printed every
    ``heartbeat_s`` seconds. The body may call the yielded function with a new label to mark
    a sub-step; ``watch`` lists ``(path, label)``: the label is taken when the file appears
    (a tool's output marks the end of its step: Yosys' netlist, then nextpnr's)."""
    out = out or sys.stdout
    tty = out.isatty() and not verbose()
    t0 = time.monotonic()
    label = [text]
    done = threading.Event()

    def show(end="\n"):
        out.write(("\r" if tty else "") + f"{label[0]} ... {time.monotonic() - t0:.0f} s" + end)
        out.flush()

    pending = [(Path(p), lab) for p, lab in watch]

    def tick():
        last = time.monotonic()
        while not done.wait(1):
            while pending and pending[0][0].exists():
                relabel(pending.pop(0)[1])
                last = time.monotonic()
            if tty:
                show("")
            elif time.monotonic() - last >= heartbeat_s:
                show("\n")
                last = time.monotonic()

    def relabel(new):
        out.write(("\r" if tty else "") + f"{label[0]}: done at {time.monotonic() - t0:.0f} s\n")
        label[0] = new
        show("" if tty else "\n")

    show("" if tty else "\n")
    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    ok = False
    try:
        yield relabel
        ok = True
    finally:
        done.set()
        thread.join()
        word = "done in" if ok else "failed after"
        out.write(("\r" if tty else "") + f"{label[0]}: {word} {time.monotonic() - t0:.1f} s\n")
        out.flush()
