"""The pass loop of a multi-bit layer (planes builds): which binary pass the fetch is on.

A layer of ``Pw`` weight planes and ``Pa`` activation planes (``D_PLANES``, see
``rtl/ops/dense_planes.py``) runs, per output tile, the passes ``(p, q)`` for ``p`` in
``0..Pw-1`` (outer) and ``q`` in ``0..Pa-1`` (inner), each over the layer's reduction words.
The fetch asks this loop at the end of each pass (``step``) whether the tile goes on with the
same weight plane (``same_w``: the next activation plane) or the next one, and marks the tile's
first and last words with ``first``/``last``. ``shift`` is the current pass's shift,
``WSHIFT[p] + (A_STEP ? q : 0)``, which travels with the words to the PEs.
"""

from amaranth import *
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .ops.dense_planes import MAX_SHIFT
from .seq_decode import layer_fields

__all__ = ["PassLoop", "SHIFT_BITS"]

SHIFT_BITS = MAX_SHIFT.bit_length()    # a pass shift, 0..MAX_SHIFT (the decoder refuses larger)


class PassLoop(wiring.Component):
    """``load`` starts a layer; ``step`` ends the current pass (after its last word).

    Parameters
    ----------
    rows : int
        Array rows (for the shared ``fields`` layout).
    """

    def __init__(self, *, rows):
        super().__init__({
            "load": In(1), "fields": In(layer_fields(rows)), "step": In(1),
            "first": Out(1), "last": Out(1), "same_w": Out(1), "shift": Out(SHIFT_BITS),
        })

    def elaborate(self, platform):
        m = Module()
        f = self.fields
        r_pw_m1, r_pa_m1 = Signal(4), Signal(4)
        r_step, r_wshift = Signal(), Signal(32)
        p, q = Signal(4), Signal(4)
        p_last, q_last = Signal(), Signal()     # registered: p == Pw-1, q == Pa-1
        wshift = Signal(32)                     # WSHIFT >> 4p: plane p's shift in the low nibble
        m.d.comb += [self.first.eq((p == 0) & (q == 0)), self.last.eq(p_last & q_last),
                     self.same_w.eq(~q_last),
                     self.shift.eq(wshift[:SHIFT_BITS] + Mux(r_step, q, 0))]
        with m.If(self.step):
            with m.If(~q_last):
                m.d.sync += [q.eq(q + 1), q_last.eq(q + 1 == r_pa_m1)]
            with m.Else():
                m.d.sync += [q.eq(0), q_last.eq(r_pa_m1 == 0)]
                with m.If(~p_last):
                    m.d.sync += [p.eq(p + 1), p_last.eq(p + 1 == r_pw_m1), wshift.eq(wshift >> 4)]
                with m.Else():
                    m.d.sync += [p.eq(0), p_last.eq(r_pw_m1 == 0), wshift.eq(r_wshift)]
        with m.If(self.load):
            m.d.sync += [r_pw_m1.eq(f.w_planes_m1), r_pa_m1.eq(f.a_planes_m1), r_step.eq(f.a_step),
                         r_wshift.eq(f.w_shifts), wshift.eq(f.w_shifts), p.eq(0), q.eq(0),
                         p_last.eq(f.w_planes_m1 == 0), q_last.eq(f.a_planes_m1 == 0)]
        return m
