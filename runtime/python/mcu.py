"""One call from a model and images to labels on an emulated Cortex-M core (or the host)."""

import tempfile
from pathlib import Path


from bittern.model import fileformat
from bittern.model.images import check_images

from .build import build_firmware
from .codegen import firmware_c_source, model_bytes
from .host import model_units
from .memory import elf_sizes, memory_report
from .qemu import QemuResult, run_elf

__all__ = ["run_on_core", "run_images", "FLASH_FOR_IMAGES"]

# Flash left for test images next to the model and code (micro:bit: 256 KiB in all).
FLASH_FOR_IMAGES = {"cortex-m0": 200 * 1024}


def run_on_core(cpu, model, images, *, build_dir=None, opt="-O3", timeout=120, popcount=None,
                per_model=False):
    """Build firmware embedding ``model`` and ``images`` for ``cpu``, run it under QEMU.

    ``per_model`` links only the code units the model needs (as ``export-c`` builds do).
    Returns ``(QemuResult, info)`` where info has the memory report and ELF section sizes
    (``runtime_code``: bytes of the runtime library's code in the image).
    """
    data = model_bytes(model)
    spec = fileformat.from_bytes(data)
    rep = memory_report(spec)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "fw_data.c"
        src.write_text(firmware_c_source(data, images))
        elf = build_firmware(cpu, src, workspace_bytes=rep["workspace_bytes"],
                             n_scores=spec.layers[-1].out_features, build_dir=build_dir, opt=opt,
                             popcount=popcount,
                             kernels=model_units(data, build_dir=build_dir) if per_model else None)
        res = run_elf(cpu, elf, timeout=timeout)
        sizes = elf_sizes(elf)
    return res, {"memory": rep, "elf": sizes}


def run_images(cpu, model, images, *, build_dir=None, opt="-O3", per_model=False):
    """Like :func:`run_on_core` for any number of images: splits them into firmware-sized
    chunks where flash is small (micro:bit). Returns one merged (QemuResult, info)."""
    data = model_bytes(model)
    imgs = check_images(images, fileformat.from_bytes(data))
    per = imgs.shape[1]
    budget = FLASH_FOR_IMAGES.get(cpu)
    chunk = len(imgs) if budget is None else max(1, (budget - len(data)) // per)
    merged, info = None, None
    for start in range(0, len(imgs), chunk):
        res, info = run_on_core(cpu, data, imgs[start:start + chunk], build_dir=build_dir, opt=opt,
                                per_model=per_model)
        if merged is None:
            merged = res
        else:
            merged = QemuResult(cpu=cpu, labels=merged.labels + res.labels,
                                scores=merged.scores + res.scores, ticks=merged.ticks + res.ticks,
                                workspace_bytes=res.workspace_bytes,
                                stack_bytes=max(merged.stack_bytes, res.stack_bytes),
                                calib_ticks=res.calib_ticks)
    return merged, info
