"""Footprint and cycle formulas written once, evaluated in Python and emitted as C.

An op states how many buffer words a layer needs as a short arithmetic expression over the
layer's fields (``in_c``, ``out_c``, ``n_thr``, ``out_enc``, ...) and the array geometry
(``rows``, ``cols``): ``+``, ``-``, ``*``, ``==``, integers and ``CEIL(a, b)`` (round-up
division). :func:`evaluate` computes it for a :class:`~bittern.model.spec.LayerSpec`;
:func:`to_c` turns the same text into a C expression over a ``const bt_layer_t *l`` and
``rows``/``cols``, so the driver's buffer sizing is generated from the formula the loader uses.
"""

import ast

__all__ = ["FormulaError", "LAYER_FIELDS", "GEOMETRY", "evaluate", "to_c"]

# Names a formula may use: fields shared by LayerSpec and the C runtime's bt_layer_t ...
LAYER_FIELDS = ("kind", "in_enc", "in_bits", "w_enc", "w_bits", "out_enc", "out_bits", "n_thr",
                "in_h", "in_w", "in_c", "out_c", "kernel", "stride", "pad", "pool", "out_h",
                "out_w", "packs")
# ... and the array geometry.
GEOMETRY = ("rows", "cols")

_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*"}


class FormulaError(ValueError):
    """A formula uses something outside the small language above; the message names it."""


def _check(node, text):
    if isinstance(node, ast.Expression):
        return _check(node.body, text)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _check(node.left, text) and _check(node.right, text)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
        return _check(node.left, text) and _check(node.comparators[0], text)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "CEIL" \
            and len(node.args) == 2 and not node.keywords:
        return all(_check(a, text) for a in node.args)
    if isinstance(node, ast.Name) and node.id in LAYER_FIELDS + GEOMETRY:
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and node.value >= 0:
        return True
    raise FormulaError(f"formula {text!r}: {ast.unparse(node)!r} is not allowed "
                       f"(use + - * ==, CEIL(a, b), integers, {', '.join(LAYER_FIELDS + GEOMETRY)})")


def _parse(text):
    tree = ast.parse(text, mode="eval")
    _check(tree, text)
    return tree


def evaluate(text, layer, *, rows, cols):
    """The value of formula ``text`` for ``layer`` on a ``rows`` x ``cols`` array."""
    env = {name: int(getattr(layer, name)) for name in LAYER_FIELDS}
    env.update(rows=rows, cols=cols, CEIL=lambda a, b: -(-a // b))
    return int(eval(compile(_parse(text), text, "eval"), {"__builtins__": {}}, env))


def _c(node):
    if isinstance(node, ast.BinOp):
        return f"({_c(node.left)} {_OPS[type(node.op)]} {_c(node.right)})"
    if isinstance(node, ast.Compare):
        return f"(uint32_t)({_c(node.left)} == {_c(node.comparators[0])})"
    if isinstance(node, ast.Call):
        return f"BT_OPS_CEIL({_c(node.args[0])}, {_c(node.args[1])})"
    if isinstance(node, ast.Name):
        return f"(uint32_t)({node.id})" if node.id in GEOMETRY else f"(l)->{node.id}"
    return f"{node.value}u"


def to_c(text):
    """Formula ``text`` as a C expression over ``const bt_layer_t *l``, ``rows`` and ``cols``."""
    return _c(_parse(text).body)
