"""The one check every entry point applies to input images before running a model.

A batch is ``uint8`` ``[N, features]``, ``[N, in_h, in_w, in_c]`` or, for one channel,
``[N, in_h, in_w]``, with N >= 1. Nothing is cast: a float, int or bool array is refused
(``np.uint8(300)`` would silently become 44), and so is a shape that merely has the right
number of elements in another arrangement.
"""

import numpy as np

from .spec import SpecError

__all__ = ["ImageError", "check_images"]


class ImageError(SpecError):
    """Images a model cannot take; the message says what is wrong and what was expected."""


def check_images(images, spec, *, where="images"):
    """``images`` checked against ``spec`` (a ModelSpec) -> contiguous ``uint8 [N, features]``.

    Accepts numpy arrays and torch tensors (read without a copy where possible)."""
    if hasattr(images, "detach") and hasattr(images, "numpy"):  # a torch tensor
        images = images.detach().cpu().numpy()
    if not isinstance(images, np.ndarray):
        raise ImageError(f"{where}: expected a uint8 array [N, ...], not {type(images).__name__}")
    if images.dtype != np.uint8:
        raise ImageError(f"{where}: images must be uint8 (0..255), not {images.dtype}; convert "
                         f"explicitly, nothing is cast")
    h, w, c = spec.in_h, spec.in_w, spec.in_c
    feats = h * w * c
    shapes = [(feats,), (h, w, c)] + ([(h, w)] if c == 1 else [])
    if images.ndim < 2 or tuple(images.shape[1:]) not in shapes:
        want = " or ".join(f"[N, {', '.join(map(str, s))}]" for s in dict.fromkeys(shapes))
        raise ImageError(f"{where}: shape {list(images.shape)} does not fit the model's input: "
                         f"expected {want}")
    if images.shape[0] < 1:
        raise ImageError(f"{where}: no images (the batch is empty)")
    return np.ascontiguousarray(images.reshape(images.shape[0], feats))
