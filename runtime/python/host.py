"""Run models through the sanitized host build (tests) and parse scores and layer traces."""

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bittern.model import fileformat
from bittern.model.images import check_images

from .build import build_host
from .codegen import model_bytes

__all__ = ["HostRunError", "HostResult", "run_host", "layer_kernels", "model_units", "load_many"]


class HostRunError(RuntimeError):
    """The sanitized host runner failed or crashed; the message has its output."""


@dataclass
class HostResult:
    labels: np.ndarray          # [N]
    scores: np.ndarray          # [N, n_scores]
    trace: list                 # per image: {layer: int64 values (HWC flat)}
    workspace_bytes: int


def _runner(build_dir):
    return build_host(build_dir) / "host_runner"


def run_host(model, images, *, trace=False, build_dir=None, force=None):
    """Run uint8 images [N, ...] through the C runtime on the host (ASan + UBSan).

    ``force=(layer, kernel_name)`` computes that layer with the named kernel of the kernel
    table instead of the selected one (it must support the layer, see :func:`layer_kernels`).
    """
    data = model_bytes(model)
    imgs = check_images(images, fileformat.from_bytes(data))
    with tempfile.TemporaryDirectory() as tmp:
        mp, ip = Path(tmp) / "m.bittern", Path(tmp) / "x.bin"
        mp.write_bytes(data)
        ip.write_bytes(imgs.tobytes())
        cmd = [str(_runner(build_dir)), "run", str(mp), str(ip), str(imgs.shape[0])]
        if trace or force:
            cmd.append("trace" if trace else "notrace")
        if force:
            cmd += [str(int(force[0])), str(force[1])]
        r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise HostRunError(f"host_runner failed ({r.returncode}):\n{r.stdout[-2000:]}{r.stderr[-4000:]}")
    labels, scores, traces, cur, ws = [], [], [], {}, 0
    for line in r.stdout.splitlines():
        parts = line.split()
        if parts[0] == "T":
            cur[int(parts[1])] = np.array(parts[2:], dtype=np.int64)
        elif parts[0] == "L":
            labels.append(int(parts[1]))
            scores.append([int(v) for v in parts[2:]])
            traces.append(cur)
            cur = {}
        elif parts[0] == "W":
            ws = int(parts[1])
    return HostResult(labels=np.array(labels), scores=np.array(scores, dtype=np.int64),
                      trace=traces, workspace_bytes=ws)


def _kernels_lines(model, build_dir):
    with tempfile.TemporaryDirectory() as tmp:
        mp = Path(tmp) / "m.bittern"
        mp.write_bytes(model_bytes(model))
        r = subprocess.run([str(_runner(build_dir)), "kernels", str(mp)], capture_output=True,
                           text=True)
    if r.returncode:
        raise HostRunError(f"host_runner kernels failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r.stdout.splitlines()


def layer_kernels(model, *, build_dir=None):
    """Per layer, the names of the kernels that support it in the host build: the one the
    runtime selects first, then the others in table order (the reference kernel last)."""
    return [line.split()[2:] for line in _kernels_lines(model, build_dir) if line.startswith("K ")]


def model_units(model, *, build_dir=None):
    """The code units (src/bt_config.h) a per-model build of ``model`` needs: the selected
    kernel of every layer, plus ``binarize`` / ``flatten`` when the model uses them; the C
    runtime decides, so Python never restates its kernel predicates."""
    units = set()
    for line in _kernels_lines(model, build_dir):
        tag, *rest = line.split()
        units.add(rest[1] if tag == "K" else rest[0])
    return sorted(units)


def load_many(blobs, *, build_dir=None):
    """Load each byte string with the C loader; returns one status line per blob."""
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "many.bin"
        with open(p, "wb") as f:
            for b in blobs:
                f.write(len(b).to_bytes(4, "little") + bytes(b))
        r = subprocess.run([str(_runner(build_dir)), "load-many", str(p)], capture_output=True,
                           text=True)
    if r.returncode:
        raise HostRunError(f"host_runner load-many crashed ({r.returncode}):\n{r.stderr[-4000:]}")
    lines = r.stdout.splitlines()
    if len(lines) != len(blobs):
        raise HostRunError(f"host_runner answered {len(lines)} of {len(blobs)} models")
    return lines
