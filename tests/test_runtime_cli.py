"""`bittern runtime run|export-c|mem`, and an application compiled against exported C sources."""

import subprocess

import numpy as np

from bittern.cli.main import main
from bittern.model import fileformat, golden
from bittern.runtime.build import RUNTIME_DIR, build_host
from bittern.runtime.cases import mlp768
from bittern.runtime.memory import memory_report

APP = r"""
#include <stdio.h>
#include "bittern.h"
#include "net.h"
static uint32_t ws[NET_WORKSPACE_BYTES / 4];
/* the exported input macros: a 28x28x1 image (fails to compile if they are wrong) */
typedef char input_shape_ok[(NET_INPUT_H == 28 && NET_INPUT_W == 28 && NET_INPUT_C == 1 &&
                             NET_INPUT_BYTES == 784 && NET_INPUT_THRESHOLD <= 255) ? 1 : -1];
int main(void) {
    static uint8_t img[NET_INPUT_BYTES];
    for (int i = 0; i < (int)NET_INPUT_BYTES; i++) img[i] = (uint8_t)((i * 37) & 255);
    bt_model_t m; int32_t s[NET_N_SCORES]; uint32_t label;
    bt_status_t st = bt_model_load(&m, net, net_bytes);
    if (st == BT_OK) st = bt_run(&m, img, ws, sizeof ws, s, &label);
    if (st != BT_OK) { printf("%s\n", bt_error_name(st)); return 1; }
    printf("%u", label);
    for (unsigned j = 0; j < NET_N_SCORES; j++) printf(" %d", s[j]);
    printf("\n");
    return 0;
}
"""


def test_export_c_app(rng, tmp_path, capsys):
    spec = mlp768(rng, packs=3, hidden=64)
    model = tmp_path / "m.bittern"
    fileformat.save(spec, model)
    assert main(["runtime", "export-c", "--model", str(model), "--out", str(tmp_path),
                 "--name", "net"]) == 0
    assert f"workspace {memory_report(spec)['workspace_bytes']} B" in capsys.readouterr().out
    lib = build_host(tmp_path / "build") / "libbittern.a"
    (tmp_path / "app.c").write_text(APP)
    exe = tmp_path / "app"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{RUNTIME_DIR}/include",
                    f"-I{tmp_path}", str(tmp_path / "app.c"), str(tmp_path / "net.c"), str(lib),
                    "-o", str(exe)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.split()
    img = ((np.arange(784) * 37) & 255).astype(np.uint8).reshape(1, 28, 28, 1)
    g = golden.run(spec, img)
    assert [int(v) for v in out] == [int(g.labels[0])] + g.scores[0].tolist()


def test_run_and_mem(rng, tmp_path, capsys):
    spec = mlp768(rng, packs=2, hidden=48)
    model = tmp_path / "m.bittern"
    fileformat.save(spec, model)
    for cpu in ("host", "cortex-m3"):
        assert main(["runtime", "run", "--cpu", cpu, "--model", str(model), "--images", "6",
                     "--build-dir", str(tmp_path / "b")]) == 0
        out = capsys.readouterr().out
        assert "bit-exact with golden: yes" in out, out
    assert "instructions per image" in out
    assert main(["runtime", "mem", "--model", str(model)]) == 0
    assert "layer 1: dense 48->10" in capsys.readouterr().out


def test_bad_model_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.bittern"
    bad.write_bytes(b"BTRN" + bytes(10))
    assert main(["runtime", "mem", "--model", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bittern runtime mem: error:") and "truncated" in err
