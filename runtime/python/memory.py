"""The exact RAM and flash a model needs on the C runtime (mirrors runtime/src/bt_model.c)."""

import subprocess
from pathlib import Path

from bittern.model import fileformat
from bittern.model.packing import n_words
from bittern.model.spec import Enc, ModelSpec

__all__ = ["act_bytes", "buffer_bytes", "memory_report", "elf_sizes", "runtime_code_bytes"]


def act_bytes(enc, h, w, c):
    """Bytes of a tensor in the runtime layout (docs/runtime.md)."""
    px = h * w
    if enc == Enc.BINARY:
        return px * n_words(c) * 4
    if enc == Enc.TERNARY:
        return 2 * px * n_words(c) * 4
    if enc == Enc.UINT:
        return (px * c + 3) // 4 * 4
    return px * c * 4  # scores


def buffer_bytes(spec: ModelSpec):
    """The two ping-pong buffers: tensor t (0 = layer-0 input) lives in buffer t % 2."""
    bufs = [0, 0]
    if spec.input_threshold:
        feats = spec.input_features - spec.crop_lo - spec.crop_hi
        if spec.crop_lo or spec.crop_hi:
            bufs[0] = act_bytes(Enc.BINARY, 1, 1, feats)
        else:
            bufs[0] = act_bytes(Enc.BINARY, spec.in_h, spec.in_w, spec.in_c)
    for i, layer in enumerate(spec.layers):
        slot = (i + 1) % 2
        bufs[slot] = max(bufs[slot], act_bytes(layer.out_enc, layer.out_h, layer.out_w, layer.out_c))
    return bufs


def memory_report(spec: ModelSpec):
    """Flash (model data) and RAM (workspace) in bytes, exactly as the C runtime needs them."""
    data = fileformat.to_bytes(spec)
    bufs = buffer_bytes(spec)
    weights = sum(_blob_sizes(layer) for layer in spec.layers)
    return {"model_bytes": len(data), "weight_bytes": weights, "buffers": bufs,
            "workspace_bytes": sum((b + 3) // 4 * 4 for b in bufs),
            "layers": [f"{l.kind.name.lower()} {l.in_features}->{l.out_features}"
                       for l in spec.layers]}


def _blob_sizes(layer):
    w = len(fileformat._weight_blob(layer))
    t = len(fileformat._threshold_blob(layer))
    return w + t


def runtime_code_bytes(map_path):
    """Flash bytes of the runtime library's code and constants in a linked firmware: the
    .text*/.rodata* input sections from libbittern.a that the linker kept (its map file),
    without the test harness, startup code or compiler helpers."""
    text = Path(map_path).read_text()
    text = text[text.index("Linker script and memory map"):]
    total, pending = 0, None
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 1 and line.startswith(" ."):
            pending = parts[0]
            continue
        if pending and len(parts) == 3 and parts[0].startswith("0x"):
            parts = [pending] + parts
        pending = None
        if (len(parts) == 4 and parts[0].startswith((".text", ".rodata")) and
                "libbittern.a(" in parts[3]):
            total += int(parts[2], 16)
    return total


def elf_sizes(elf):
    """Section sizes of an ELF (arm-none-eabi-size): flash = code + model + .data image (test
    images in .bt_images are left out), static RAM = .data + .bss (add the stack)."""
    r = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True,
                       check=True)
    sec = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0].startswith(".") and parts[1].isdigit():
            sec[parts[0]] = int(parts[1])
    flash = sum(v for k, v in sec.items() if k in (".text", ".bt_model", ".ARM.exidx", ".data"))
    ram = sec.get(".data", 0) + sec.get(".bss", 0)
    map_path = Path(elf).with_suffix(".map")
    runtime = runtime_code_bytes(map_path) if map_path.exists() else None
    return {"sections": sec, "flash": flash, "code": sec.get(".text", 0), "runtime_code": runtime,
            "model": sec.get(".bt_model", 0), "images": sec.get(".bt_images", 0), "ram_static": ram}
