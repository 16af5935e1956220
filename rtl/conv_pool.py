"""Conv pool: the pad correction and max-pool between the array's output and the write-back.

The conv fetch (``rtl/conv_fetch.py``) sends, with each reduction's last word, its pad
correction (padded taps x C_in: the XNOR array counted those taps in ``n``) and whether it is
the first / last offset of its pool window. They wait here in a small FIFO until the reduction
drains out of the array (one column per cycle, ``cols`` cycles), then per row and column
``v = acc - corr`` is kept as a running max (one value per PE, in a ring of ``cols`` entries
that turns with the drain) and only the pool window's last reduction goes on to the
write-back, as one tile. A dense layer (``conv = 0``) passes straight through, one cycle later.
"""

from amaranth import *
from amaranth.lib import data, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

__all__ = ["ConvPool"]


class ConvPool(wiring.Component):
    """Parameters
    ----------
    rows, cols : int
        Array geometry.
    acc_width : int
        Signed width of the array's accumulators.
    in_flight : int
        Largest number of reductions between the array's input and output (FIFO depth).
    """

    def __init__(self, *, rows, cols, acc_width, in_flight):
        for name, v in (("rows", rows), ("cols", cols), ("acc_width", acc_width),
                        ("in_flight", in_flight)):
            if not isinstance(v, int) or v < 1:
                raise TypeError(f"{name} must be a positive integer, not {v!r}")
        self._rows, self._cols, self._aw, self._depth = rows, cols, acc_width, in_flight
        acc = data.ArrayLayout(signed(acc_width), rows)
        super().__init__({
            "conv": In(1),
            # from the conv fetch, with the reduction's last word entering the array
            "i_last": In(1), "i_corr": In(24), "i_pool_first": In(1), "i_pool_last": In(1),
            # from the array
            "o_valid": In(1), "o_first": In(1), "o_last": In(1), "o_acc": In(acc),
            # to the write-back
            "valid": Out(1), "first": Out(1), "last": Out(1), "acc": Out(acc),
            "overflow": Out(1),     # a reduction's facts found the FIFO full (sticky; a bug)
        })

    def elaborate(self, platform):
        m = Module()
        rows, cols, aw = self._rows, self._cols, self._aw
        m.submodules.info = info = SyncFIFO(width=26, depth=self._depth)
        m.d.comb += [info.w_data.eq(Cat(self.i_corr, self.i_pool_first, self.i_pool_last)),
                     info.w_en.eq(self.conv & self.i_last)]
        with m.If(info.w_en & ~info.w_rdy):
            m.d.sync += self.overflow.eq(1)
        corr = info.r_data[:24]
        pool_first, pool_last = info.r_data[24], info.r_data[25]
        # The facts of the draining reduction are at the FIFO's head until its last column.
        m.d.comb += info.r_en.eq(self.conv & self.o_valid & self.o_last)

        ring = [[Signal(signed(aw), name=f"best{c}_{r}") for r in range(rows)] for c in range(cols)]
        v = [Signal(signed(aw + 1), name=f"v{r}") for r in range(rows)]
        best = [Signal(signed(aw), name=f"new{r}") for r in range(rows)]
        for r in range(rows):
            m.d.comb += [v[r].eq(self.o_acc[r] - corr),
                         best[r].eq(Mux(pool_first | (v[r] > ring[0][r]), v[r], ring[0][r]))]
        with m.If(self.o_valid & self.conv):
            for c in range(cols - 1):
                m.d.sync += [ring[c][r].eq(ring[c + 1][r]) for r in range(rows)]
            m.d.sync += [ring[cols - 1][r].eq(best[r]) for r in range(rows)]
        m.d.sync += [self.valid.eq(self.o_valid & (~self.conv | pool_last)),
                     self.first.eq(self.o_first), self.last.eq(self.o_last)]
        for r in range(rows):
            m.d.sync += self.acc[r].eq(Mux(self.conv, best[r], self.o_acc[r]))
        return m
