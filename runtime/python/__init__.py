"""bittern.runtime: Python glue for the C runtime in runtime/ (build, codegen, memory, QEMU).

Submodules: :mod:`.build` (host and Cortex-M builds), :mod:`.codegen` (const model arrays),
:mod:`.memory` (exact RAM/flash), :mod:`.qemu` (run ELFs, parse labels and instruction
counts), :mod:`.host` (sanitized host runs), :mod:`.mcu` (one call: model + images -> core).
"""
