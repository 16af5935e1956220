"""What every hardware op states about the layer kind it runs (FINN's per-layer op as model)."""

from dataclasses import dataclass

from . import expr

__all__ = ["BANKS", "PARAMS", "Footprint", "HwOp"]

# Buffer banks a layer occupies, in words per bank:
#   w     weight words per row bank           t     threshold entries per row bank
#   a_in  input words per column bank         a_out output words per column bank
#   s     score words per row bank            i     pack-index words per row bank (sparse)
BANKS = ("w", "t", "a_in", "a_out", "s", "i")

# What a driver needs besides the footprint to write a layer's descriptor, weights and
# folded constants (formulas as the footprint's; ops without planes keep the defaults):
PARAMS = {
    "out_features": ("out_c", "D_OUT_FEATURES: output channels the array computes"),
    "d_planes": ("0", "the D_PLANES word (plane counts - 1, A_STEP, SCORE_SHIFT)"),
    "d_planes2": ("0", "the D_PLANES2 word (weight plane p's shift in bits 4p+3..4p)"),
    "w_planes": ("1", "weight planes per channel"),
    "a_planes": ("1", "activation planes of the input"),
    "s_total": ("1", "sum over the passes of 2^shift (the array's n-scale)"),
    "cx": ("0", "the activation form's constant Cx (Dx*x = sum 2^sa Q + Cx)"),
    "dwdx": ("1", "Dw*Dx: the scale of the array's output over the layer's accumulator"),
}


@dataclass(frozen=True)
class Footprint:
    w: int
    t: int
    a_in: int
    a_out: int
    s: int
    i: int = 0


class HwOp:
    """One layer kind the accelerator runs.

    A subclass sets the class attributes and implements :meth:`writes`; the registry
    (:mod:`bittern.rtl.ops`) and the generated C table read the attributes, so nothing about
    the op is repeated elsewhere.

    Attributes
    ----------
    name : str
        Identifier (C: ``BT_OP_<NAME>``).
    summary : str
        One line for the docs' "what runs in hardware" table.
    kind, in_enc, w_enc : int
        The layer kind and encodings (the model file's enum values) the op runs.
    out_encs : tuple of int
        The output encodings it writes.
    footprint_formulas : dict
        Bank name -> formula (:mod:`bittern.rtl.ops.expr`) of words per bank (a bank left out
        is ``"0"``: the op does not use it).
    cycles_formula : str
        Array-active cycles of one layer for one batch (what ``PERF_ACTIVE`` counts).
    max_features : int
        Largest input or output feature count.
    feature : str, tuple of str, or None
        The ``FEATURES`` register field(s) a build that has this op sets (None: every build has
        it; a tuple: the build needs all of them).
    build_option : str or None
        What to build with to get it (for the refusal of a build without it).
    """

    name = None
    summary = None
    kind = in_enc = w_enc = None
    out_encs = ()
    footprint_formulas = {}
    cycles_formula = None
    max_features = 0xFFFF       # the descriptor's feature counts are 16-bit fields
    feature = None
    build_option = None
    param_formulas = {}
    # (formula, largest value) pairs a layer must meet besides matching kind and encodings:
    # the limits the C driver checks (generated, bt_op_fits); the sentences are why_not's
    c_checks = (("in_c", 0xFFFF), ("out_c", 0xFFFF))

    def param_formula(self, name):
        """The formula of driver parameter ``name`` (see :data:`PARAMS`)."""
        return self.param_formulas.get(name, PARAMS[name][0])

    def param(self, name, layer, *, rows=1, cols=1):
        return expr.evaluate(self.param_formula(name), layer, rows=rows, cols=cols)

    def feature_names(self):
        """The ``FEATURES`` fields a build must set for this op (empty: every build)."""
        if self.feature is None:
            return ()
        return (self.feature,) if isinstance(self.feature, str) else tuple(self.feature)

    def feature_mask(self):
        """The ``FEATURES`` bits a build must have for this op (0: every build)."""
        from .. import regmap as rm
        mask = 0
        for name in self.feature_names():
            mask |= rm.field_of("FEATURES", name).mask
        return mask

    def in_build(self, features):
        """Whether a build whose ``FEATURES`` register reads ``features`` has this op
        (``features`` None: any build)."""
        if features is None:
            return True
        mask = self.feature_mask()
        return features & mask == mask

    def matches(self, layer):
        """Whether the layer's kind and encodings are this op's (the table the C side gets)."""
        return (int(layer.kind), int(layer.in_enc), int(layer.w_enc)) == \
            (self.kind, self.in_enc, self.w_enc) and int(layer.out_enc) in self.out_encs

    def why_not(self, layer, *, last):
        """None when this op runs ``layer`` (``last``: it is the model's last layer), else the
        reason, a sentence a user can act on."""
        if not self.matches(layer):
            return f"{self.name} does not run this kind and encodings"
        return None

    def base_descriptor(self, layer, place):
        """Descriptor words 0..6, which every layer kind has (the op's kind and encodings, the
        feature counts and where the layer's banks start)."""
        from .. import regmap as rm
        return {"D_CFG": rm.pack("D_CFG", KIND=self.kind, IN_ENC=self.in_enc, W_ENC=self.w_enc,
                                 OUT_ENC=int(layer.out_enc)),
                "D_IN_FEATURES": layer.in_c, "D_OUT_FEATURES": layer.out_c,
                "D_W_BASE": place.w_base, "D_A_IN": place.a_in, "D_A_OUT": place.a_out,
                "D_T_BASE": place.t_base}

    def binary_why_not(self, layer, *, last, on="the accelerator", what="layer"):
        """The reason a layer is not this op's binary x binary kind (``on``: where it would
        run, ``what``: its noun in the u8 hint), None if its encodings are this op's."""
        from bittern.model.spec import Enc, WEnc
        if layer.in_enc != self.in_enc:
            return (f"only binary inputs run on {on} (in_enc={int(layer.in_enc)}); "
                    f"a u8 first {what} needs input_threshold in the model header")
        if layer.w_enc != self.w_enc:
            return f"only binary weights run on {on}, not {WEnc(layer.w_enc).name}"
        if layer.out_enc not in self.out_encs:
            return f"only binary or scores outputs run on {on}, not {Enc(layer.out_enc).name}"
        if (layer.out_enc == Enc.SCORES) != last:
            return "scores are the last layer's output only, and the last layer outputs scores"
        return None

    def why_not_on(self, layer, geom):
        """None when the build ``geom`` (a :class:`~bittern.rtl.loader.Geometry`) has what the
        op needs for ``layer`` (a build option), else the reason."""
        return None

    def build_options(self, layer):
        """Build options (``Accelerator`` keyword -> smallest value) the op needs for ``layer``;
        :func:`~bittern.rtl.loader.default_depths` takes the largest over a model's layers."""
        return {}

    def footprint(self, layer, *, rows, cols):
        return Footprint(**{bank: expr.evaluate(self.formula(bank), layer, rows=rows, cols=cols)
                            for bank in BANKS})

    def formula(self, bank):
        """The footprint formula of ``bank`` (``"0"`` for a bank the op does not use)."""
        return self.footprint_formulas.get(bank, "0")

    def cycles(self, layer, *, rows, cols):
        return expr.evaluate(self.cycles_formula, layer, rows=rows, cols=cols)

    def descriptor(self, layer, place):
        """Descriptor register name -> value (see ``rtl/regmap.py``) for a placed layer."""
        raise NotImplementedError

    def writes(self, layer, place, *, rows, cols):
        """(byte address, word) writes of the layer's weights and thresholds."""
        raise NotImplementedError
