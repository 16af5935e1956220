"""Amaranth layouts of the registers and descriptor words, derived from ``rtl/regmap.py``.

The gateware views a 32-bit register or descriptor word through these layouts
(``data.View(register_layout("D_CFG"), word).KIND``) instead of slicing or ``Cat``-ing the
fields by hand, so a field moved in the register map moves in the gateware too.
"""

from amaranth.hdl import unsigned
from amaranth.lib import data

from . import regmap as rm

__all__ = ["register_layout"]

_CACHE = {}


def register_layout(name):
    """A 32-bit :class:`~amaranth.lib.data.FlexibleLayout` with the fields of register ``name``
    (a register or a descriptor register) at their bit positions."""
    if name not in _CACHE:
        _CACHE[name] = data.FlexibleLayout(32, {f.name.lower(): data.Field(unsigned(f.width), f.lsb)
                                                for f in rm.fields_of(name)})
    return _CACHE[name]
