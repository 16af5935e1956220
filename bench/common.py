"""What every benchmark table records about where its numbers came from."""

import subprocess
from pathlib import Path

__all__ = ["git_commit"]


def git_commit():
    """Short hash of the checkout this code runs from ("unknown" outside a git checkout)."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
