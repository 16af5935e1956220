"""ctypes binding of the host shared library (libbittern.so): load, run, errors, and the
accelerator transport, so Python (tests, a co-simulation against the RTL) can drive the C
driver with its own read32/write32."""

import ctypes as C
from types import SimpleNamespace

import numpy as np

from bittern.model.images import check_images

from .build import build_host
from .codegen import model_bytes

__all__ = ["Model", "Transport", "Accel", "Perf", "CApi", "STATUS_NAMES"]

STATUS_NAMES = ["BT_OK", "BT_ERR_NULL", "BT_ERR_ALIGN", "BT_ERR_TRUNCATED", "BT_ERR_MAGIC",
                "BT_ERR_VERSION", "BT_ERR_HEADER", "BT_ERR_TRAILING", "BT_ERR_CRC", "BT_ERR_ENUM",
                "BT_ERR_SHAPE", "BT_ERR_BLOB", "BT_ERR_PAD_BITS", "BT_ERR_WEIGHTS",
                "BT_ERR_SPARSE_INDEX", "BT_ERR_THRESHOLDS", "BT_ERR_ACC_BOUND", "BT_ERR_CHAIN",
                "BT_ERR_WORKSPACE", "BT_ERR_ARG", "BT_ERR_NO_ACCEL", "BT_ERR_ACCEL",
                "BT_ERR_KERNEL"]


class Model(C.Structure):
    _fields_ = [("data", C.c_void_p), ("size", C.c_uint32), ("n_layers", C.c_uint32),
                ("in_h", C.c_uint32), ("in_w", C.c_uint32), ("in_c", C.c_uint32),
                ("input_threshold", C.c_uint32), ("crop_lo", C.c_uint32),
                ("crop_hi", C.c_uint32), ("n_classes", C.c_uint32), ("n_scores", C.c_uint32),
                ("buf_bytes", C.c_uint32 * 2), ("bad_layer", C.c_uint32),
                ("head_offset", C.c_uint32)]


READ32 = C.CFUNCTYPE(C.c_uint32, C.c_void_p, C.c_uint32)
WRITE32 = C.CFUNCTYPE(None, C.c_void_p, C.c_uint32, C.c_uint32)
BURST = C.CFUNCTYPE(None, C.c_void_p, C.c_uint32, C.POINTER(C.c_uint32), C.c_uint32)


class Transport(C.Structure):
    _fields_ = [("ctx", C.c_void_p), ("read32", READ32), ("write32", WRITE32),
                ("write_burst", BURST), ("read_burst", BURST)]


XFER = C.CFUNCTYPE(None, C.c_void_p, C.POINTER(C.c_uint8), C.POINTER(C.c_uint8), C.c_uint32)


class Spi(C.Structure):
    _fields_ = [("xfer", XFER), ("bus", C.c_void_p)]


class Perf(C.Structure):
    _fields_ = [(k, C.c_uint32) for k in ("cycles", "active", "tiles", "starts", "images")]

    def as_dict(self):
        return {k: getattr(self, k) for k, _ in self._fields_}


class Accel(C.Structure):
    _fields_ = [("transport", C.POINTER(Transport)), ("present", C.c_uint32),
                ("id", C.c_uint32), ("version", C.c_uint32), ("rows", C.c_uint32),
                ("cols", C.c_uint32), ("w_depth", C.c_uint32), ("a_depth", C.c_uint32),
                ("t_depth", C.c_uint32), ("s_depth", C.c_uint32), ("features", C.c_uint32),
                ("sparse_words", C.c_uint32), ("i_depth", C.c_uint32), ("poll_limit", C.c_uint32),
                ("sw_fallback", C.c_uint32), ("tag", C.c_uint32), ("hw_layers", C.c_uint64),
                ("seg_ends", C.c_uint64), ("loaded_seg", C.c_uint32), ("pending", C.c_uint32),
                ("perf", Perf), ("layers_hw", C.c_uint32), ("layers_sw", C.c_uint32),
                ("runs_hw", C.c_uint32), ("errors", C.c_uint32), ("timeouts", C.c_uint32),
                ("programs", C.c_uint32), ("last_cause", C.c_uint32)]

    COUNTERS = ("layers_hw", "layers_sw", "runs_hw", "errors", "timeouts", "programs",
                "last_cause", "pending", "tag", "hw_layers", "seg_ends")

    def state(self):
        """The driver's counters and plan, as a dict (for reports and tests)."""
        return {k: getattr(self, k) for k in self.COUNTERS}


class CApi:
    """The shared library plus helpers; keep the object alive while models are in use."""

    def __init__(self, build_dir=None):
        self.lib = C.CDLL(str(build_host(build_dir) / "libbittern.so"))
        L = self.lib
        L.bt_error_name.restype = C.c_char_p
        L.bt_error_name.argtypes = [C.c_int]
        L.bt_model_load.argtypes = [C.POINTER(Model), C.c_void_p, C.c_size_t]
        L.bt_workspace_bytes.restype = C.c_uint32
        L.bt_workspace_bytes.argtypes = [C.POINTER(Model)]
        run_args = [C.POINTER(Model), C.c_void_p, C.c_void_p, C.c_size_t,
                    C.POINTER(C.c_int32), C.POINTER(C.c_uint32)]
        L.bt_run.argtypes = run_args
        L.bt_run_image.argtypes = [C.POINTER(Model), C.c_void_p, C.c_size_t, C.c_void_p,
                                   C.c_size_t, C.POINTER(C.c_int32), C.POINTER(C.c_uint32)]
        L.bt_transport_spi.argtypes = [C.POINTER(Transport), C.POINTER(Spi)]
        L.bt_accel_probe.argtypes = [C.POINTER(Accel), C.POINTER(Transport)]
        L.bt_run_accel.argtypes = [C.POINTER(Accel)] + run_args
        L.bt_accel_supports.argtypes = [C.POINTER(Accel), C.POINTER(Model), C.c_uint32]
        L.bt_accel_layer_why.argtypes = [C.POINTER(Accel), C.POINTER(Model), C.c_uint32]
        L.bt_accel_layer_why.restype = C.c_uint32
        L.bt_accel_program.argtypes = [C.POINTER(Accel), C.POINTER(Model)]
        L.bt_run_accel_batch.argtypes = [C.POINTER(Accel), C.POINTER(Model), C.c_void_p,
                                         C.c_uint32, C.c_void_p, C.c_size_t,
                                         C.POINTER(C.c_int32), C.POINTER(C.c_uint32)]
        L.bt_accel_read_perf.argtypes = [C.POINTER(Accel), C.POINTER(Perf)]
        self._keep = []

    def error_name(self, code):
        return self.lib.bt_error_name(int(code)).decode()

    def load(self, model, *, into=None):
        """bt_model_load of ``model`` (spec, bytes or path) into a new Model, or into the
        existing struct ``into``. Returns (status, model struct)."""
        data = model_bytes(model)
        buf = (C.c_uint32 * ((len(data) + 3) // 4))()
        C.memmove(buf, data, len(data))
        m = Model() if into is None else into
        st = self.lib.bt_model_load(C.byref(m), buf, len(data))
        self._keep.append(buf)
        return st, m

    def _images(self, m, images):
        """The one image check (bittern.model.images) against loaded model ``m``'s input."""
        shape = SimpleNamespace(in_h=m.in_h, in_w=m.in_w, in_c=m.in_c)
        return check_images(images, shape)

    def _run(self, fn, prefix, m, images):
        imgs = self._images(m, images)
        ws_n = self.lib.bt_workspace_bytes(C.byref(m))
        ws = (C.c_uint32 * max(1, (ws_n + 3) // 4))()
        scores = (C.c_int32 * m.n_scores)()
        labels, all_scores = [], []
        for img in imgs:
            lab = C.c_uint32()
            st = fn(*prefix, C.byref(m), img.ctypes.data, ws, ws_n, scores, C.byref(lab))
            if st:
                raise RuntimeError(f"bt_run: {self.error_name(st)}")
            labels.append(lab.value)
            all_scores.append(list(scores))
        return np.array(labels), np.array(all_scores, dtype=np.int64)

    def run(self, m, images):
        """Every image through bt_run_image, which checks its length in C as well."""
        imgs = self._images(m, images)
        feats = imgs.shape[1]
        return self._run(lambda mp, img, *rest: self.lib.bt_run_image(mp, img, feats, *rest),
                         (), m, imgs)

    def run_image(self, m, image, n_bytes=None):
        """One bt_run_image call on raw bytes (``n_bytes`` defaults to their length): the
        status name and the label, for tests of the C-side length check."""
        buf = (C.c_uint8 * max(1, len(image))).from_buffer_copy(bytes(image) or b"\0")
        ws_n = self.lib.bt_workspace_bytes(C.byref(m))
        ws = (C.c_uint32 * max(1, (ws_n + 3) // 4))()
        lab = C.c_uint32()
        st = self.lib.bt_run_image(C.byref(m), buf, len(image) if n_bytes is None else n_bytes,
                                   ws, ws_n, None, C.byref(lab))
        return self.error_name(st), lab.value

    def transport(self, read32, write32, write_burst=None, read_burst=None):
        """A bt_transport_t calling Python functions read32(addr) and write32(addr, value),
        and optionally write_burst(addr, words) and read_burst(addr, n) -> words."""
        r = READ32(lambda ctx, addr: read32(addr) & 0xFFFFFFFF)
        w = WRITE32(lambda ctx, addr, value: write32(addr, value))

        def wb(ctx, addr, words, n):
            write_burst(addr, [words[i] for i in range(n)])

        def rb(ctx, addr, words, n):
            for i, v in enumerate(read_burst(addr, n)):
                words[i] = v & 0xFFFFFFFF
        cbs = (BURST(wb) if write_burst else BURST(), BURST(rb) if read_burst else BURST())
        t = Transport(None, r, w, *cbs)
        self._keep += [r, w, *cbs, t]
        return t

    def spi_transport(self, xfer):
        """A bt_transport_spi over a Python ``xfer(tx: bytes) -> rx: bytes`` (one frame)."""
        def cb(bus, tx, rx, n):
            out = xfer(bytes(tx[:n]))
            for i in range(n):
                rx[i] = out[i]
        f = XFER(cb)
        spi = Spi(f, None)
        t = Transport()
        self.lib.bt_transport_spi(C.byref(t), C.byref(spi))
        self._keep += [f, spi, t]
        return t

    def probe(self, transport):
        a = Accel()
        st = self.lib.bt_accel_probe(C.byref(a), C.byref(transport) if transport else None)
        self._keep.append(a)
        return st, a

    def run_accel(self, accel, m, images):
        return self._run(self.lib.bt_run_accel, (C.byref(accel),), m, images)

    def run_accel_batch(self, accel, m, images, *, slots=None):
        """bt_run_accel_batch on all ``images`` (u8 [n, ...]) with ``slots`` workspace slots
        (default: one per image). Returns (status, labels, scores); on a status other than
        BT_OK labels and scores are None."""
        imgs = np.ascontiguousarray(np.asarray(images, dtype=np.uint8).reshape(len(images), -1))
        n = len(imgs)
        slot = (self.lib.bt_workspace_bytes(C.byref(m)) + 3) // 4 * 4
        k = n if slots is None else slots
        ws = (C.c_uint32 * max(1, k * slot // 4))()
        scores = (C.c_int32 * (n * m.n_scores))()
        labels = (C.c_uint32 * n)()
        st = self.lib.bt_run_accel_batch(C.byref(accel), C.byref(m), imgs.ctypes.data, n, ws,
                                         k * slot, scores, labels)
        if st:
            return st, None, None
        return st, np.array(labels[:], dtype=np.int64), \
            np.array(scores[:], dtype=np.int64).reshape(n, m.n_scores)

    def read_perf(self, accel):
        p = Perf()
        st = self.lib.bt_accel_read_perf(C.byref(accel), C.byref(p))
        return st, p.as_dict()
