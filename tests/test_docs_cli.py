"""The user guide stays true: docs/cli.md is what the parsers say (regenerate with
``python -m bittern.cli.reference docs/cli.md``), the README keeps its two commands and links
the guide, and the guide's pages link to each other."""

import re
from pathlib import Path

from bittern.cli.reference import generate_markdown

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_cli_reference_is_current():
    assert (DOCS / "cli.md").read_text() == generate_markdown(), \
        "docs/cli.md is stale: python -m bittern.cli.reference docs/cli.md"


def test_cli_reference_lists_every_option():
    text = generate_markdown()
    for option in ("--batch", "--array", "--waves", "--build-dir", "--top", "--name", "--skip",
                   "--debug", "--verbose"):
        assert option in text


def test_readme_keeps_two_commands_and_links_the_guide():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## The two commands.*?```sh\n(.*?)```", readme, re.S).group(1)
    assert [line.split()[:2] for line in block.strip().splitlines()] == [["make", "demo"],
                                                                          ["make", "test"]]
    assert "docs/guide.md" in readme


def test_guide_links_resolve():
    for page in ("guide.md", "cli.md", "config.md", "firmware.md", "soc.md"):
        text = (DOCS / page).read_text()
        for target in re.findall(r"\]\(([\w./-]+\.md)\)", text):
            assert (DOCS / target).exists(), f"{page} links {target}"
