"""One call from a model and images to labels on an emulated Cortex-M core."""

import tempfile
from pathlib import Path

from .build import build_firmware
from .codegen import firmware_c_source, model_bytes
from .memory import elf_sizes, memory_report
from .qemu import run_elf
from bittern.model import fileformat

__all__ = ["run_on_core"]


def run_on_core(cpu, model, images, *, build_dir=None, opt="-O3", timeout=120):
    """Build firmware embedding ``model`` and ``images`` for ``cpu``, run it under QEMU.

    Returns ``(QemuResult, info)`` where info has the memory report and ELF section sizes.
    """
    data = model_bytes(model)
    spec = fileformat.from_bytes(data)
    rep = memory_report(spec)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "fw_data.c"
        src.write_text(firmware_c_source(data, images))
        elf = build_firmware(cpu, src, workspace_bytes=rep["workspace_bytes"],
                             n_scores=spec.layers[-1].out_features,
                             build_dir=build_dir, opt=opt)
        res = run_elf(cpu, elf, timeout=timeout)
        sizes = elf_sizes(elf)
    return res, {"memory": rep, "elf": sizes}
