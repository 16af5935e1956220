"""Dense multi-bit layers on the XNOR-popcount array as binary passes (bit planes).

Every operand is written as a weighted sum of {-1,+1} planes (the decomposition of
``model/decompose.py``, with the plane forms chosen for the hardware below)::

    Dw * w = sum_p 2^sw[p] P_p          Dx * x = sum_q 2^sa[q] Q_q + Cx

so ``Dw*Dx * acc = sum_{p,q} 2^(sw[p]+sa[q]) dot(P_p, Q_q) + Cx * sum_p 2^sw[p] rowsum(P_p)``.
A *pass* is the layer's reduction over one weight plane and one activation plane (an ordinary
binary x binary reduction); the array accumulates the passes' mismatch counts shifted by
``sw[p] + sa[q]`` (``D_PLANES``/``D_PLANES2``), so it puts out ``n - 2 * sum 2^s mism``. The
rest is a per-channel constant the loader folds (:func:`fold`): into the thresholds
(``T' = Dw*Dx*T - off``) or, for the scores layer, into a per-channel score offset the
write-back adds before shifting right by ``log2(Dw*Dx)`` (exact: the sum is a multiple).

Plane forms (all exact, see ``tests/test_rtl_planes.py``):

* weights: binary ``w`` (Dw 1); ternary ``2w = b1 + b2`` with ``b1 = [w >= 0]``,
  ``b2 = [w > 0]`` as +-1 (Dw 2, two planes, no constant); int-k
  ``2w = sum_j 2^j t_j + ONES`` (bits of ``w + 2^(k-1) - 1``, plus an all-ones plane that runs
  as a real pass: its dot with an activation plane depends on the input);
* activations: binary (Dx 1); ternary the same pair (Dx 2); u8 pixels as 8 bit planes
  ``2x = sum_i 2^i s_i + 255``; uint-k (k <= 4) as ``2^k - 1`` thermometer planes
  ``s_j = [x > j]``, ``2x = sum_j s_j + (2^k - 1)``.
* outputs: binary as one thresholded channel; ternary and uint-k as thermometer planes, one
  thresholded channel per threshold (plane ``j`` is channel ``j*Cp + m``, ``Cp`` the output
  channels rounded up to whole words, the extra channels never fire): exactly the plane form the
  next layer reads, so the write-back needs nothing new; int32 scores (last layer).

Activation plane ``q`` of an input lives at ``A_IN + q*W`` (``W = ceil(in_c/32)``); the weight
words of output tile ``t`` are ``W_BASE + (t*Pw + p)*W + k``.
"""

import numpy as np
import torch

from bittern.model.packing import pack_binary, popcount
from bittern.model.spec import U8, Enc, Kind, WEnc

from .. import regmap as rm
from .base import HwOp

__all__ = ["DensePlanes", "PLANE_OPS", "MAX_W_PLANES", "MAX_A_PLANES", "MAX_SHIFT", "weight_form",
           "act_form", "act_planes", "out_planes", "hw_channels", "fold", "reference", "input_words",
           "PlanesError"]

MAX_W_PLANES = 8        # int-7 weights: 7 bit planes + the ones plane
MAX_A_PLANES = 15       # uint-4 thermometer
MAX_SHIFT = 15          # a pass shift is a 4-bit field
MAX_UINT_BITS = 4       # uint-k activations / outputs run as 2^k - 1 thermometer planes
MAX_INT_BITS = 7
MAX_PASS_SUM = (1 << 30) - 1    # planes builds' PE counts: n * sum of 2^shift over the passes


class PlanesError(ValueError):
    """A layer the plane form cannot hold exactly (e.g. a folded threshold beyond int32)."""


def weight_form(w_enc, w_bits):
    """(plane shifts, Dw) of a weight encoding."""
    if w_enc == WEnc.BINARY:
        return (0,), 1
    if w_enc == WEnc.TERNARY:
        return (0, 0), 2
    if w_enc == WEnc.INT:
        return tuple(range(w_bits)) + (0,), 2
    raise PlanesError(f"no plane form for weight encoding {WEnc(w_enc).name}")


def weight_planes(layer):
    """{-1,+1} int8 planes [Pw, out_c, in_c] with ``Dw * w = sum 2^sw[p] P_p`` on every tap."""
    w = np.asarray(layer.weights).reshape(layer.out_c, -1).astype(np.int64)
    if layer.w_enc == WEnc.BINARY:
        planes = [w]
    elif layer.w_enc == WEnc.TERNARY:
        planes = [np.where(w >= 0, 1, -1), np.where(w > 0, 1, -1)]
    elif layer.w_enc == WEnc.INT:
        u = w + (1 << (layer.w_bits - 1)) - 1
        planes = [2 * ((u >> j) & 1) - 1 for j in range(layer.w_bits)] + [np.ones_like(w)]
    else:
        raise PlanesError(f"no plane form for weight encoding {WEnc(layer.w_enc).name}")
    return np.stack(planes).astype(np.int8)


def act_form(in_enc, in_bits):
    """(plane shifts, Dx, Cx) of an activation encoding."""
    if in_enc == Enc.BINARY:
        return (0,), 1, 0
    if in_enc == Enc.TERNARY:
        return (0, 0), 2, 0
    if in_enc == U8:
        return tuple(range(8)), 2, 255
    if in_enc == Enc.UINT:
        n = (1 << in_bits) - 1
        return (0,) * n, 2, n
    raise PlanesError(f"no plane form for activation encoding {in_enc!r}")


def act_planes(x, in_enc, in_bits):
    """Activation values [B, n] -> {-1,+1} int64 planes [Pa, B, n] (``Dx*x = sum 2^sa Q + Cx``)."""
    x = torch.as_tensor(x).to(torch.int64).reshape(len(x), -1)
    if in_enc == Enc.BINARY:
        planes = [x]
    elif in_enc == Enc.TERNARY:
        planes = [torch.where(x >= 0, 1, -1), torch.where(x > 0, 1, -1)]
    elif in_enc == U8:
        planes = [2 * ((x >> i) & 1) - 1 for i in range(8)]
    elif in_enc == Enc.UINT:
        planes = [torch.where(x > j, 1, -1) for j in range((1 << in_bits) - 1)]
    else:
        raise PlanesError(f"no plane form for activation encoding {in_enc!r}")
    return torch.stack(planes)


def input_words(layer, x):
    """Input values [B, n] of a first layer -> packed words [B, Pa*W], plane-major (what the host
    writes into column bank ``c``: plane ``q`` at words ``q*W .. q*W+W-1``)."""
    planes = act_planes(x, layer.in_enc, layer.in_bits)
    return torch.cat([pack_binary(p) for p in planes], dim=1).numpy()


def out_planes(layer):
    """Thresholded output channels per channel (thermometer planes); 0 for scores."""
    return 0 if layer.out_enc == Enc.SCORES else layer.n_thr


def hw_channels(layer):
    """Output channels the array computes: ``out_c``, or ``L`` planes of whole words."""
    L = out_planes(layer)
    if L <= 1:
        return layer.out_c
    return L * 32 * -(-layer.out_c // 32)


def window(layer):
    """Weights per output channel, the array's ``n``: ``in_c``, a conv's ``K*K*C_in`` (its
    padding taps count: they are zero pixels)."""
    return layer.taps if layer.kind == Kind.CONV else layer.in_c


def fold(layer):
    """The loader's constants: ``(sw, sa, shift, off)``.

    ``sw``/``sa`` are the plane shifts, ``shift = log2(Dw*Dx)`` and ``off[m]`` (int64 per channel)
    what turns the array's output into ``Dw*Dx * acc``: ``Dw*Dx*acc = array + off``, where the
    array puts out ``n - 2 * sum_{p,q} 2^(sw+sa) mismatches``."""
    sw, dw = weight_form(layer.w_enc, layer.w_bits)
    sa, dx, cx = act_form(layer.in_enc, layer.in_bits)
    n = window(layer)
    s_total = sum(1 << (a + b) for a in sw for b in sa)
    planes = weight_planes(layer).astype(np.int64)               # [Pw, out_c, in_c]
    rowsum = sum((1 << s) * planes[p].sum(axis=1) for p, s in enumerate(sw))
    off = n * (s_total - 1) + cx * rowsum
    return sw, sa, (dw * dx).bit_length() - 1, off.astype(np.int64)


def folded_thresholds(layer, index=0):
    """int64 [out_c, L] thresholds on the array's output (``T' = Dw*Dx*T - off``)."""
    _, _, shift, off = fold(layer)
    # A threshold beyond the accumulators' range is "always" or "never": clamped just outside
    # it (same outputs), so that folding keeps it in int32.
    b = int(layer.acc_bound) + 1
    t = np.clip(np.asarray(layer.thresholds, dtype=np.int64), -b, b)
    t = t * (1 << shift) - off[:, None]
    if (np.abs(t) > (1 << 31) - 1).any():
        raise PlanesError(f"{layer.where(index)}: a folded threshold (T * {1 << shift} - offset) "
                          "exceeds int32")
    return t


def reference(layer, x):
    """What the gateware computes for this layer on input values [B, n], on packed words and
    popcounts (passes, shifts, folded constants): the layer's output values, or scores.

    Equal to ``golden.run_layer(...).values`` (``tests/test_rtl_planes.py``); it is the op's
    reference behaviour, not a second numerical contract."""
    sw, sa, shift, off = fold(layer)
    qa = [pack_binary(p).numpy() for p in act_planes(x, layer.in_enc, layer.in_bits)]  # [B, W]
    pw = [pack_binary(torch.from_numpy(p)).numpy() for p in weight_planes(layer)]      # [M, W]
    mism = 0
    for p, wp in enumerate(pw):
        for q, aq in enumerate(qa):
            xor = torch.from_numpy(aq[:, None, :] ^ wp[None, :, :])
            mism = mism + (popcount(xor).sum(-1).numpy().astype(np.int64) << (sw[p] + sa[q]))
    out = layer.in_c - 2 * mism                                    # [B, out_c]
    if layer.out_enc == Enc.SCORES:
        return (out + off[None, :]) >> shift
    t = folded_thresholds(layer)
    d = np.asarray(layer.directions, dtype=np.int64)[:, None]
    planes = (out[:, :, None] * d >= t[None] * d).sum(-1)          # thermometer: plane count
    if layer.out_enc == Enc.BINARY:
        return 2 * planes - 1
    if layer.out_enc == Enc.TERNARY:
        return planes - 1
    return planes


class DensePlanes(HwOp):
    """One (in_enc, w_enc) pair of dense layers run as binary passes; see the module docstring."""

    kind = int(Kind.DENSE)
    out_encs = (int(Enc.SCORES), int(Enc.BINARY), int(Enc.TERNARY), int(Enc.UINT))
    feature = "PLANES"
    build_option = "planes=True"

    _ENC_NAMES = {U8: "U8", int(Enc.BINARY): "BIN", int(Enc.TERNARY): "TER", int(Enc.UINT): "UINT"}
    _W_NAMES = {int(WEnc.BINARY): "BIN", int(WEnc.TERNARY): "TER", int(WEnc.INT): "INT"}
    # Plane counts as formulas (bt_layer_t fields): weights, then activations.
    _W_PLANES = {int(WEnc.BINARY): "1", int(WEnc.TERNARY): "2", int(WEnc.INT): "(w_bits + 1)"}
    _A_PLANES = {U8: "8", int(Enc.BINARY): "1", int(Enc.TERNARY): "2",
                 int(Enc.UINT): "((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + "
                                "15 * (in_bits == 4))"}

    def __init__(self, in_enc, w_enc):
        self.in_enc, self.w_enc = int(in_enc), int(w_enc)
        self.name = f"DENSE_PLANES_{self._ENC_NAMES[self.in_enc]}_{self._W_NAMES[self.w_enc]}"
        ain = {U8: "u8 pixels (8 bit planes)", int(Enc.BINARY): "binary",
               int(Enc.TERNARY): "ternary (2 planes)",
               int(Enc.UINT): f"uint-k (k <= {MAX_UINT_BITS}, 2^k-1 thermometer planes)"}[self.in_enc]
        win = {int(WEnc.BINARY): "binary", int(WEnc.TERNARY): "ternary (2 planes)",
               int(WEnc.INT): f"int-k (k <= {MAX_INT_BITS}, k+1 planes)"}[self.w_enc]
        self.summary = (f"dense, {ain} input x {win} weights as binary passes (planes build); "
                        "binary / ternary / uint-k (thermometer planes) output, or int32 scores")
        pw, pa = self._W_PLANES[self.w_enc], self._A_PLANES[self.in_enc]
        hw = ("(out_c * ((out_enc == 0) + (out_enc == 1)) + "
              "n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3)))")
        words = "CEIL(in_c, 32)"
        self.footprint_formulas = {
            "w": f"CEIL({hw}, rows) * {pw} * {words}",
            "t": f"CEIL({hw}, rows)",
            "a_in": f"{pa} * {words}",
            "a_out": f"CEIL({hw}, 32) * (1 - (out_enc == 0))",
            "s": "CEIL(out_c, rows) * cols * (out_enc == 0)",
        }
        self.cycles_formula = f"CEIL({hw}, rows) * {pw} * {pa} * {words}"
        self.param_formulas = self._param_formulas(hw, pw, pa)
        bits = {int(Enc.UINT): (("in_bits", MAX_UINT_BITS),)}.get(self.in_enc, ()) + \
            {int(WEnc.INT): (("w_bits", MAX_INT_BITS),)}.get(self.w_enc, ())
        self.c_checks = HwOp.c_checks + bits + (
            ("out_bits * (out_enc == 3)", MAX_UINT_BITS), (hw, self.max_features),
            (f"in_c * {self.param_formulas['s_total']}", MAX_PASS_SUM))

    def _param_formulas(self, hw, pw, pa):
        """The driver's parameters (base.PARAMS) as formulas, from the plane forms above: a
        value that depends on the bit width is a table over the widths the op runs."""
        def table(var, top, value):
            return "(" + " + ".join(f"{value(k)} * ({var} == {k})" for k in range(1, top + 1)) + ")"

        def per_w(value):       # value(sw, dw) of the weight form
            if self.w_enc == WEnc.INT:
                return table("w_bits", MAX_INT_BITS, lambda k: value(*weight_form(self.w_enc, k)))
            return str(value(*weight_form(self.w_enc, 1)))

        def per_a(value):       # value(sa, dx, cx) of the activation form
            if self.in_enc == Enc.UINT:
                return table("in_bits", MAX_UINT_BITS, lambda k: value(*act_form(self.in_enc, k)))
            return str(value(*act_form(self.in_enc, 8)))

        f = {name: rm.field_of("D_PLANES", name).lsb
             for name in ("W_PLANES_M1", "A_PLANES_M1", "A_STEP", "SCORE_SHIFT")}
        dw = per_w(lambda sw, dw: dw)
        dx = per_a(lambda sa, dx, cx: dx)
        # log2(Dw*Dx): Dw and Dx do not depend on the bit widths
        score_shift = (weight_form(self.w_enc, 2)[1] * act_form(self.in_enc, 2)[1]).bit_length() - 1
        a_step = per_a(lambda sa, dx, cx: int(len(sa) > 1 and sa[1] == 1))
        return {
            "out_features": hw,
            "d_planes": (f"({pw} - 1) * {1 << f['W_PLANES_M1']} + ({pa} - 1) * {1 << f['A_PLANES_M1']}"
                         f" + {a_step} * {1 << f['A_STEP']} + {score_shift} * {1 << f['SCORE_SHIFT']}"),
            "d_planes2": per_w(lambda sw, dw: sum(s << (4 * p) for p, s in enumerate(sw))),
            "w_planes": pw,
            "a_planes": pa,
            "s_total": f"{per_w(lambda sw, dw: sum(1 << s for s in sw))} * "
                       f"{per_a(lambda sa, dx, cx: sum(1 << s for s in sa))}",
            "cx": per_a(lambda sa, dx, cx: cx),
            "dwdx": f"{dw} * {dx}",
        }

    def input_words(self, layer, x):
        """First layer: input values [B, n] -> the words the host writes (see input_words)."""
        return input_words(layer, x)

    def why_not(self, layer, *, last):
        if layer.kind != self.kind:
            return f"only dense layers run as binary passes, not {Kind(layer.kind).name}"
        return self.planes_why_not(layer, last=last)

    def planes_why_not(self, layer, *, last):
        """The plane form's own limits (encodings, bit widths, pass sums, folded constants)."""
        if int(layer.w_enc) not in self._W_NAMES:
            return (f"only binary, ternary or int-k weights run as binary passes, not "
                    f"{WEnc(layer.w_enc).name}")
        if (int(layer.in_enc), int(layer.w_enc)) != (self.in_enc, self.w_enc):
            return f"{self.name} does not run this kind and encodings"
        if layer.in_enc == Enc.UINT and layer.in_bits > MAX_UINT_BITS:
            return (f"uint{layer.in_bits} inputs need {(1 << layer.in_bits) - 1} planes; the "
                    f"accelerator runs uint-k inputs up to k = {MAX_UINT_BITS}")
        if layer.w_enc == WEnc.INT and layer.w_bits > MAX_INT_BITS:
            return f"int{layer.w_bits} weights: the accelerator runs int-k up to k = {MAX_INT_BITS}"
        if layer.out_enc == Enc.UINT and layer.out_bits > MAX_UINT_BITS:
            return f"uint{layer.out_bits} outputs: the accelerator writes uint-k up to k = {MAX_UINT_BITS}"
        if int(layer.out_enc) not in self.out_encs:
            return f"{Enc(layer.out_enc).name} outputs do not run on the accelerator"
        if (layer.out_enc == Enc.SCORES) != last:
            return "scores are the last layer's output only, and the last layer outputs scores"
        for what, n in (("inputs", layer.in_c), ("outputs", layer.out_c),
                        ("output channels with their thermometer planes", hw_channels(layer))):
            if n > self.max_features:
                return f"{n} {what} exceed the descriptor's {self.max_features}"
        sw, _ = weight_form(layer.w_enc, layer.w_bits)
        sa, _, _ = act_form(layer.in_enc, layer.in_bits)
        if max(sw) + max(sa) > MAX_SHIFT:
            return f"a pass shift of {max(sw) + max(sa)} exceeds {MAX_SHIFT}"
        total = window(layer) * sum(1 << (a + b) for a in sw for b in sa)
        if total > MAX_PASS_SUM:
            return (f"its passes sum to {total} (inputs x sum of 2^shift), more than the "
                    f"accumulators' {MAX_PASS_SUM}: use fewer inputs or bits")
        try:
            if layer.out_enc == Enc.SCORES:
                off = fold(layer)[3]
                if (np.abs(off) > (1 << 31) - 1).any():
                    raise PlanesError("a folded score offset exceeds int32")
            else:
                folded_thresholds(layer)
        except PlanesError as e:
            return str(e).split(": ", 1)[-1]
        return None

    def descriptor(self, layer, place):
        sw, sa, shift, _ = fold(layer)
        step = int(len(sa) > 1 and sa[1] == 1)       # u8 bit planes: plane q shifts by q
        return {**self.base_descriptor(layer, place),
                "D_OUT_FEATURES": hw_channels(layer),    # thermometer planes: L rows a channel
                "D_PLANES": rm.pack("D_PLANES", W_PLANES_M1=len(sw) - 1, A_PLANES_M1=len(sa) - 1,
                                    A_STEP=step, SCORE_SHIFT=shift),
                "D_PLANES2": sum(s << (4 * p) for p, s in enumerate(sw))}

    def writes(self, layer, place, *, rows, cols):
        wb, tb = rm.window("WBUF").base, rm.window("TBUF").base
        planes = [pack_binary(torch.from_numpy(p)).numpy() for p in weight_planes(layer)]
        words = planes[0].shape[1]
        npw, L = len(planes), max(out_planes(layer), 1)
        cp = hw_channels(layer) // L
        ops = []
        for j in range(L):
            for m in range(layer.out_c):
                t, r = divmod(j * cp + m, rows)
                for p, wp in enumerate(planes):
                    for k in range(words):
                        addr = place.w_base + (t * npw + p) * words + k
                        ops.append((wb + 4 * (addr * rows + r), int(wp[m, k])))
        # Extra channels of a plane (m >= out_c) keep weight words 0 (never written: the
        # buffer's reset value is not relied on, so write them) and a never-crossed threshold.
        for j in range(L):
            for m in range(layer.out_c, cp):
                t, r = divmod(j * cp + m, rows)
                for p in range(npw):
                    for k in range(words):
                        ops.append((wb + 4 * ((place.w_base + (t * npw + p) * words + k) * rows + r), 0))
        if layer.out_enc == Enc.SCORES:
            _, _, _, off = fold(layer)
            for m in range(layer.out_c):
                e = place.t_base * rows + m
                ops += [(tb + 8 * e, int(off[m]) & 0xFFFFFFFF), (tb + 8 * e + 4, 0)]
            return ops
        t = folded_thresholds(layer)
        for j in range(L):
            for m in range(cp):
                e = place.t_base * rows + j * cp + m
                if m < layer.out_c:
                    th, neg = int(t[m, j]), int(layer.directions[m] < 0)
                else:
                    th, neg = (1 << 31) - 1, 0          # never crossed: the bit stays 0
                ops += [(tb + 8 * e, th & 0xFFFFFFFF), (tb + 8 * e + 4, neg)]
        return ops


PLANE_OPS = tuple(DensePlanes(i, w) for i in (U8, Enc.BINARY, Enc.TERNARY, Enc.UINT)
                  for w in (WEnc.BINARY, WEnc.TERNARY, WEnc.INT))
