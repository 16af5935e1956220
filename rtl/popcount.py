"""Pipelined balanced adder trees: the popcount of the XNOR/XOR PEs and the lane sum of WRPN PEs.

A ripple ``sum()`` of ``lanes`` values is both slow in silicon and slow to simulate (Icarus ran
~18x slower on it); an explicit balanced tree of pairwise adders keeps the logic depth at
``ceil(log2(n))`` adders and lets us put a register every ``stage_levels`` levels so the PE meets
its clock target (>= 40 MHz on iCE40 UP5K, >= 150 MHz on ECP5).
"""

from amaranth.hdl import Shape, Signal, Module, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["AdderTree", "Popcount", "tree_levels", "tree_latency"]


def tree_levels(n):
    """Adder levels of a balanced tree over ``n`` inputs (0 for one input)."""
    levels = 0
    while n > 1:
        n = (n + 1) // 2
        levels += 1
    return levels


def tree_latency(n, stage_levels):
    """Register stages of an :class:`AdderTree`: one every ``stage_levels`` levels, output always
    registered (so at least 1)."""
    return max(1, -(-tree_levels(n) // stage_levels))


def _check_pos_int(name, value, lo=1):
    if not isinstance(value, int) or isinstance(value, bool) or value < lo:
        raise TypeError(f"{name} must be an integer >= {lo}, not {value!r}")


class AdderTree(wiring.Component):
    """Sum of ``count`` values of shape ``shape`` through a balanced, pipelined adder tree.

    Parameters
    ----------
    count : int
        Number of inputs (>= 1).
    shape : Shape
        Shape of each input (signed or unsigned).
    stage_levels : int
        Adder levels between pipeline registers (>= 1). The output is always registered.

    Members
    -------
    i : In(ArrayLayout(shape, count))
        The values; sampled every cycle.
    o : Out(sum_shape)
        Their sum, ``latency`` cycles after ``i`` was presented.

    Properties ``latency`` (cycles from ``i`` to ``o``) and ``sum_shape`` (exact width: it never
    overflows) are what users align their pipelines with.
    """

    def __init__(self, *, count, shape=unsigned(1), stage_levels=2):
        _check_pos_int("count", count)
        _check_pos_int("stage_levels", stage_levels)
        try:
            shape = Shape.cast(shape)
        except TypeError:
            raise TypeError(f"shape must be an Amaranth shape, not {shape!r}") from None
        self._count = count
        self._shape = shape
        self._stage_levels = stage_levels
        super().__init__({
            "i": In(data.ArrayLayout(shape, count)),
            "o": Out(self.sum_shape),
        })

    @property
    def count(self):
        return self._count

    @property
    def shape(self):
        return self._shape

    @property
    def stage_levels(self):
        return self._stage_levels

    @property
    def levels(self):
        return tree_levels(self._count)

    @property
    def latency(self):
        return tree_latency(self._count, self._stage_levels)

    @property
    def sum_shape(self):
        # The exact range of a sum of `count` values of `shape`.
        s = self._shape
        if s.signed:
            lo, hi = -(1 << (s.width - 1)), (1 << (s.width - 1)) - 1
        else:
            lo, hi = 0, (1 << s.width) - 1
        return Shape.cast(range(lo * self._count, hi * self._count + 1))

    def elaborate(self, platform):
        m = Module()
        values = [self.i[k] for k in range(self._count)]
        level = 0
        regs = 0
        while True:
            last = len(values) == 1
            # Register at every stage boundary and at the output.
            if last or (level > 0 and level % self._stage_levels == 0):
                staged = []
                for k, v in enumerate(values):
                    r = Signal(Shape.cast(v.shape()), name=f"l{level}_r{k}")
                    m.d.sync += r.eq(v)
                    staged.append(r)
                values = staged
                regs += 1
            if last:
                break
            nxt = []
            for k in range(0, len(values) - 1, 2):
                a, b = values[k], values[k + 1]
                # Named signal: Amaranth does not share subexpressions, and the next level slices it.
                s = Signal(Shape.cast(range(_lo(a) + _lo(b), _hi(a) + _hi(b) + 1)),
                           name=f"l{level + 1}_s{k // 2}")
                m.d.comb += s.eq(a + b)
                nxt.append(s)
            if len(values) % 2:
                nxt.append(values[-1])
            values = nxt
            level += 1
        assert regs == self.latency, (regs, self.latency)
        m.d.comb += self.o.eq(values[0])
        return m


def _lo(v):
    s = v.shape()
    return -(1 << (s.width - 1)) if s.signed else 0


def _hi(v):
    s = v.shape()
    return (1 << (s.width - 1)) - 1 if s.signed else (1 << s.width) - 1


class Popcount(AdderTree):
    """Number of set bits of a ``width``-bit word: an :class:`AdderTree` over 1-bit values.

    ``i`` is a plain ``width``-bit word here (bit k = input k); ``o`` the count.
    """

    def __init__(self, *, width, stage_levels=2):
        _check_pos_int("width", width)
        super().__init__(count=width, shape=unsigned(1), stage_levels=stage_levels)

    @property
    def width(self):
        return self.count
