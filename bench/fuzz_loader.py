"""Loader fuzzing at length: the differential over the seed corpus plus seeded mutants (C loader
under ASan + UBSan vs the Python reader: verdicts, and golden labels where both accept), an
optional long coverage-guided libFuzzer run of load + run + the accelerator driver, and the
line coverage of runtime/src that the corpus reaches (llvm-cov).

    .venv/bin/python bench/fuzz_loader.py [--mutants 100000] [--seed 1]
        [--libfuzzer SECONDS] [--runs N] [--coverage] [--corpus DIR]

With --libfuzzer the run starts from the seed corpus (copied into --corpus, default a temporary
folder) on one core (one process); --coverage then measures the grown corpus too.
"""

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bittern.bench.common import git_commit
from bittern.runtime import fuzz
from bittern.runtime.build import RUNTIME_DIR, build_fuzz


def differential(args, build):
    rng = np.random.default_rng(args.seed)
    seeds = [fuzz.decode_input(p.read_bytes()) for p in sorted(fuzz.CORPUS_DIR.glob("*.bin"))]
    per = max(1, args.mutants // len(seeds))
    models, kinds = list(seeds), ["seed"] * len(seeds)
    for data in seeds:
        for kind, blob in fuzz.mutations(rng, data, per):
            models.append(blob)
            kinds.append(kind)
    t0 = time.time()
    res = fuzz.differential(models, build_dir=build)
    dt = time.time() - t0
    print(f"## differential: {len(seeds)} seeds + {len(models) - len(seeds)} mutants, "
          f"{dt:.0f} s ({len(models) / dt:.0f} files/s)")
    print(res.summary())
    table = collections.Counter(kinds)
    print(f"{'mutation':<10} {'count':>7}")
    for kind, n in sorted(table.items()):
        print(f"{kind:<10} {n:>7}")
    for d in res.verdict_diffs[:10] + res.label_diffs[:10]:
        print("DIFF", d)
    return res.ok()


def libfuzzer(args, build, corpus):
    exe = build_fuzz(build)
    art = corpus.parent / "artifacts"
    art.mkdir(exist_ok=True)
    cmd = [str(exe), f"-max_total_time={args.libfuzzer}", f"-seed={args.seed}", "-timeout=20",
           "-rss_limit_mb=2048", f"-artifact_prefix={art}/", "-print_final_stats=1", str(corpus)]
    if args.runs:
        cmd.insert(1, f"-runs={args.runs}")
    t0 = time.time()
    with open(corpus.parent / "libfuzzer.log", "w") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode
    dt = time.time() - t0
    text = (corpus.parent / "libfuzzer.log").read_text()
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", text, re.M))
    findings = sorted(p.name for p in art.iterdir())
    runs = int(stats.get("number_of_executed_units", 0))
    print(f"## libFuzzer: {runs} executions in {dt:.0f} s ({runs / max(dt, 1):.0f}/s), "
          f"{len(list(corpus.iterdir()))} corpus inputs, exit {rc}, findings {len(findings)} "
          f"{findings[:5]}; log {corpus.parent / 'libfuzzer.log'}")
    return rc == 0 and not findings


def coverage(args, build, corpus):
    exe = build_fuzz(build, coverage=True)
    work = Path(tempfile.mkdtemp(prefix="bt_cov_"))
    raw = work / "cov.profraw"
    dirs = [str(fuzz.CORPUS_DIR)] + ([str(corpus)] if corpus and corpus.exists() else [])
    subprocess.run([str(exe), "-runs=0", *dirs], env={"LLVM_PROFILE_FILE": str(raw)},
                   capture_output=True, check=True)
    prof = work / "cov.profdata"
    subprocess.run(["llvm-profdata", "merge", "-sparse", str(raw), "-o", str(prof)], check=True)
    srcs = sorted(str(p) for p in (RUNTIME_DIR / "src").glob("*.c"))
    rep = subprocess.run(["llvm-cov", "report", str(exe), f"-instr-profile={prof}", *srcs],
                         capture_output=True, text=True, check=True).stdout
    print(f"## line coverage of runtime/src from {' + '.join(dirs)} (llvm-cov)")
    print(rep)
    shutil.rmtree(work, ignore_errors=True)
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mutants", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--libfuzzer", type=int, default=0, metavar="SECONDS")
    ap.add_argument("--runs", type=int, default=0, help="stop libFuzzer after this many runs")
    ap.add_argument("--coverage", action="store_true")
    ap.add_argument("--corpus", type=Path, help="libFuzzer's working corpus (kept)")
    args = ap.parse_args(argv)
    print(f"# fuzz_loader: commit {git_commit()}, seed {args.seed}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        corpus = args.corpus or Path(tmp) / "corpus"
        if args.mutants:
            ok &= differential(args, build)
        if args.libfuzzer:
            corpus.mkdir(parents=True, exist_ok=True)
            for p in fuzz.CORPUS_DIR.glob("*.bin"):
                shutil.copy(p, corpus / p.name)
            ok &= libfuzzer(args, build, corpus)
        if args.coverage:
            ok &= coverage(args, build, corpus if args.libfuzzer or args.corpus else None)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
