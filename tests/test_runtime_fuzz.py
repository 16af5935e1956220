"""Coverage-guided fuzzing of load + run (libFuzzer, ASan + UBSan) from the checked-in seed
corpus, and the differential: the Python reader and the C loader give the same verdict on every
input, and the golden label where both accept. Any exception of the Python reader other than
ModelFileError propagates and fails the test (a finding, never a verdict)."""

import os
import subprocess
import zlib

import pytest

from bittern.runtime import fuzz
from bittern.runtime.build import build_fuzz
from bittern.runtime.host import load_many

SMOKE_SECONDS = 20


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("rt_fuzz")


def _corpus():
    files = sorted(fuzz.CORPUS_DIR.glob("*.bin"))
    assert len(files) >= 40
    return files


def test_fuzz_corpus_is_current(tmp_path):
    # regenerating must give the same seeds: a format change shows up here (and then
    # `python -m bittern.runtime.fuzz corpus` rewrites them)
    fresh = fuzz.write_corpus(tmp_path)
    assert [p.name for p in fresh] == [p.name for p in _corpus()]


def test_fuzz_corpus_loads_in_both_loaders(build_dir):
    models = [fuzz.decode_input(p.read_bytes()) for p in _corpus()]
    assert all(line.startswith("BT_OK") for line in load_many(models, build_dir=build_dir))
    res = fuzz.differential(models, build_dir=build_dir)
    assert res.both_accept == len(models) and res.ok(), res.summary()
    families = {p.name.split("-")[0] for p in _corpus()}
    assert {"family_binary", "family_cnn", "family_sparse", "family_wrpn", "family_gxnor",
            "family_decompose"} <= families


def test_fuzz_differential_on_mutants(rng, build_dir):
    models = []
    for p in _corpus():
        data = fuzz.decode_input(p.read_bytes())
        models += [data] + [blob for _, blob in fuzz.mutations(rng, data, 60)]
    res = fuzz.differential(models, build_dir=build_dir)
    print(res.summary())
    assert res.ok(), (res.summary(), res.verdict_diffs[:5], res.label_diffs[:5])
    assert res.both_accept > 100 and res.both_reject > len(models) // 2


def _run_target(exe, args, **kw):
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, **kw)


def test_libfuzzer_smoke_and_differential_on_what_it_found(tmp_path, build_dir):
    exe = build_fuzz(build_dir)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in _corpus():
        (corpus / p.name).write_bytes(p.read_bytes())
    seed = 17
    print(f"seed={seed}")
    r = _run_target(exe, [f"-seed={seed}", f"-max_total_time={SMOKE_SECONDS}", "-timeout=20",
                          "-rss_limit_mb=2048", f"-artifact_prefix={tmp_path}/", "-print_final_stats=1",
                          corpus], timeout=SMOKE_SECONDS + 120)
    stats = [line for line in r.stderr.splitlines() if line.startswith("stat::")]
    print("\n".join(stats))
    assert r.returncode == 0, r.stderr[-4000:]
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("leak-*"))
    runs = int(next(s.split()[-1] for s in stats if "number_of_executed_units" in s))
    assert runs > 5000
    # every input libFuzzer kept: the target's own verdict (BT_FUZZ_PRINT) is the C loader's
    # on decode_input of it, and the Python reader agrees with both
    found = sorted(corpus.iterdir())
    inputs = [p.read_bytes() for p in found]
    r = _run_target(exe, found, env={**os.environ, "BT_FUZZ_PRINT": "1"}, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    printed = {int(h, 16): (st, int(lab)) for h, st, lab in map(str.split, r.stdout.splitlines())}
    inputs = [d for d in inputs if d]  # the target skips an empty input
    models = [fuzz.decode_input(d) for d in inputs]
    for d, line in zip(inputs, load_many(models, build_dir=build_dir)):
        parts = line.split()
        label = int(parts[4]) if parts[0] == "BT_OK" else -1
        assert printed[zlib.crc32(d)] == (parts[0], label), line
    res = fuzz.differential(models, build_dir=build_dir)
    print(f"libFuzzer corpus of {len(found)}: {res.summary()}")
    assert res.ok(), (res.verdict_diffs[:5], res.label_diffs[:5])
