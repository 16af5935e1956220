"""Long loader fuzz run: seeded mutations of many random models through the sanitized C
loader (ASan + UBSan host build); every verdict must match the Python reader and every model
both accept must give the golden label on a zero image.

    .venv/bin/python bench/fuzz_loader.py [--mutants 20000] [--seed 1]
"""

import argparse
import collections
import sys
import tempfile
import time

import numpy as np

from bittern.model import fileformat, golden
from bittern.runtime.cases import KERNEL_CASES, layer_case
from bittern.runtime.fuzz import mutations, python_verdict
from bittern.runtime.host import load_many
from bittern.bench.common import git_commit


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mutants", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    commit = git_commit()
    names = sorted(KERNEL_CASES)
    per = max(1, args.mutants // len(names))
    blobs, kinds = [], []
    for name in names:
        data = fileformat.to_bytes(layer_case(rng, **KERNEL_CASES[name]))
        for kind, blob in mutations(rng, data, per):
            blobs.append(blob)
            kinds.append(kind)
    t0 = time.time()
    with tempfile.TemporaryDirectory() as build:
        verdicts = []
        for i in range(0, len(blobs), 2000):
            verdicts += load_many(blobs[i:i + 2000], build_dir=build)
    t_c = time.time() - t0
    table = collections.Counter()
    mismatches = wrong = accepted = 0
    for kind, blob, line in zip(kinds, blobs, verdicts):
        parts = line.split()
        spec = python_verdict(blob)
        table[(kind, parts[0])] += 1
        if (parts[0] == "BT_OK") != (spec is not None):
            mismatches += 1
        elif spec is not None:
            accepted += 1
            zero = np.zeros((1, spec.input_features), dtype=np.uint8)
            if parts[3] != "BT_OK" or int(parts[4]) != int(golden.run(spec, zero).labels[0]):
                wrong += 1
    print(f"# fuzz_loader: commit {commit}, seed {args.seed}, {len(blobs)} mutants of "
          f"{len(names)} models, C loader {t_c:.1f} s ({len(blobs) / t_c:.0f} files/s)")
    print(f"{'mutation':<10} {'verdict':<22} {'count':>7} {'share':>7}")
    for (kind, status), n in sorted(table.items()):
        print(f"{kind:<10} {status:<22} {n:>7} {n / len(blobs):>7.3f}")
    print(f"crashes 0 (ASan/UBSan abort the runner), verdict mismatches vs Python {mismatches}, "
          f"accepted {accepted}, wrong results among accepted {wrong}")
    return 0 if mismatches == 0 and wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
