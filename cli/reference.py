"""The CLI reference, ``docs/cli.md``, generated from the parsers themselves.

``python -m bittern.cli.reference docs/cli.md`` rewrites it; tests/test_docs_cli.py fails when
the file is stale, so a new option or subcommand cannot go undocumented.
"""

import argparse
import os
import sys
from pathlib import Path

__all__ = ["generate_markdown"]

WIDTH = "100"   # argparse wraps help to $COLUMNS: fix it so the text does not depend on a terminal


def _walk(parser, path):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _walk(child, path + [name])


def generate_markdown():
    from bittern.cli.main import build_parser
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        parser = build_parser()
        sections = [(" ".join(["bittern", *p]), sub.format_help()) for p, sub in _walk(parser, [])]
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    out = ["# bittern command reference", "",
           "Generated from the argument parsers by `python -m bittern.cli.reference docs/cli.md`;",
           "do not edit (tests/test_docs_cli.py checks it is current). The guide is",
           "[guide.md](guide.md).", "",
           "Every command also takes `-v` (stream the tools' output) and `--debug` (show the",
           "traceback of an error). Exit status: 0 success, 1 a failed check or tool run, 2 a",
           "user error (one line: `bittern CMD: error: <what and where>`), 3 an internal error.",
           ""]
    out += [f"- [`{title}`](#{title.replace(' ', '-')})" for title, _ in sections[1:]]
    out.append("")
    for title, text in sections:
        out += [f"## {title}", "", "```text", text.rstrip(), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    text = generate_markdown()
    if target:
        target.write_text(text)
    else:
        sys.stdout.write(text)
