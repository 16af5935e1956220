"""``python -m bittern.rtl.ops [ROOT]``: rewrite the files generated from the op registry."""

import sys
from pathlib import Path

from .generate import write_generated

write_generated(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
