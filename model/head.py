"""Fold a float per-class affine on the class scores into the integer head, with a proof.

A float head ``y_c = a_c * s_c + b_c`` (a batch-norm or a scale on the scores of the last layer,
as Brevitas, FINN and 3PXNet models end) becomes ``logit_c = m_c * s_c + k_c`` in int64
(``docs/numerics.md`` section 5). :func:`fold_head` first tries the exact form: every float64 is
a dyadic rational, so with ``F`` fraction bits ``m = a * 2^F`` and ``k = b * 2^F`` are integers and
the logits are the float head times ``2^F``, identically. When those integers do not fit, it
rounds at the largest ``F`` that fits and proves, pair of classes by pair of classes and for every
reachable pair of scores, that the integer comparison equals the exact one (which makes the first
argmax equal). Either way it also counts the reachable score pairs where a float32 evaluation of
the head, ``fl32(fl32(a * s) + b)``, orders two classes differently from exact arithmetic.
"""

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .limits import HEAD_LIMIT, HEAD_MAX_FRAC_BITS
from .spec import Head, SpecError

__all__ = ["HeadProof", "fold_head", "float_head", "ENUMERATE_LIMIT"]

ENUMERATE_LIMIT = 1 << 15   # score values per class the proofs enumerate at most


@dataclass
class HeadProof:
    exact: bool                 # logits == 2^F * (a*s + b) exactly, for every s
    frac_bits: int
    pairs_checked: int          # (class pair, score pair) points compared exactly
    float32_count: int | None = 0  # reachable score pairs where float32 orders two classes
    # differently from exact arithmetic (None: too many scores to enumerate)
    float32_disagreements: list = field(default_factory=list)  # first few (i, j, s_i, s_j)

    def summary(self):
        how = "exact (logits = 2^%d x float head)" % self.frac_bits if self.exact else \
            f"rounded at F={self.frac_bits}, argmax proven on {self.pairs_checked} near-tie points"
        if self.float32_count is None:
            return f"head {how}; float32 check skipped (score range too large to enumerate)"
        return f"head {how}; float32 evaluation disagrees with exact arithmetic on " \
               f"{self.float32_count} reachable score pair(s)"


def _fits(m, k, bound):
    return all(abs(mc) <= HEAD_LIMIT and abs(kc) <= HEAD_LIMIT and
               abs(mc) * bound + abs(kc) <= (1 << 63) - 1 for mc, kc in zip(m, k))


def _dyadic_bits(v):
    """Fraction bits that make the float64 ``v`` an integer."""
    q = Fraction(v).denominator
    return q.bit_length() - 1


def _near_ties(a, b, i, j, bound, slack):
    """Score pairs (s_i, s_j) in [-bound, bound]^2 where |y_i - y_j| may be <= slack(s)."""
    s = np.arange(-bound, bound + 1, dtype=np.float64)
    # enumerate the class with the larger |a| on the other axis: fewer candidates per step
    swap = abs(a[i]) > abs(a[j])
    p, q = (j, i) if swap else (i, j)
    if a[q] == 0:
        if a[p] == 0:
            return [(0, 0)] if abs(b[i] - b[j]) <= slack(0.0, 0.0) else []
        p, q = q, p
        swap = not swap
    out = []
    centre = (a[p] * s + b[p] - b[q]) / a[q]          # s_q where y_p == y_q
    width = np.array([slack(sv, bound) for sv in s]) / abs(a[q]) + 1.0
    lo = np.maximum(np.floor(centre - width), -bound).astype(np.int64)
    hi = np.minimum(np.ceil(centre + width), bound).astype(np.int64)
    for sp, l, h in zip(range(-bound, bound + 1), lo.tolist(), hi.tolist()):
        for sq in range(l, h + 1):
            out.append((sq, sp) if swap else (sp, sq))
    return out


class _Exact:
    """The float64 coefficients as integers over one common 2^E: exact comparisons, fast."""

    def __init__(self, a, b):
        e = max(_dyadic_bits(v) for v in a + b)
        self.A = [int(Fraction(v) * (1 << e)) for v in a]
        self.B = [int(Fraction(v) * (1 << e)) for v in b]

    def ge(self, i, j, si, sj):
        return self.A[i] * si + self.B[i] >= self.A[j] * sj + self.B[j]


def _f32(a, s, b):
    """fl32(fl32(a * s) + b) elementwise over the integer array ``s``."""
    p = (np.float32(a) * np.asarray(s).astype(np.float32)).astype(np.float32)
    return (p + np.float32(b)).astype(np.float32)


def fold_head(a, b, *, acc_bound, max_report=20):
    """Float64 per-class ``a``, ``b`` and the scores' bound -> (:class:`Head`, :class:`HeadProof`).

    Raises :class:`SpecError` when no integer head with int64 logits reproduces the argmax.
    """
    a = [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]
    b = [float(v) for v in np.asarray(b, dtype=np.float64).ravel()]
    if len(a) != len(b) or not a:
        raise SpecError(f"head: {len(a)} scales but {len(b)} offsets")
    if not all(math.isfinite(v) for v in a + b):
        raise SpecError("head: scale or offset is not finite")
    bound = int(acc_bound)
    f_exact = max(_dyadic_bits(v) for v in a + b)
    exact = False
    for f in range(min(f_exact, HEAD_MAX_FRAC_BITS), -1, -1):
        m = [round(Fraction(v) * (1 << f)) for v in a]
        k = [round(Fraction(v) * (1 << f)) for v in b]
        if _fits(m, k, bound):
            exact = f == f_exact
            break
    else:
        raise SpecError("head: no fraction width gives int64 logits for these scales")
    head = Head(mult=np.array(m, dtype=np.int64), offset=np.array(k, dtype=np.int64), frac_bits=f)
    n = len(a)
    ex = _Exact(a, b)
    checked = 0
    if not exact and 2 * bound + 1 > ENUMERATE_LIMIT:
        raise SpecError(f"head: the scales need rounding and scores of up to +/-{bound} are too "
                        f"many to prove the argmax on; use a smaller last layer")
    if not exact:
        da = [abs(Fraction(mc, 1 << f) - Fraction(v)) for mc, v in zip(m, a)]
        db = [abs(Fraction(kc, 1 << f) - Fraction(v)) for kc, v in zip(k, b)]
        for i in range(n):
            for j in range(i + 1, n):
                err = float((da[i] + da[j]) * bound + db[i] + db[j]) * (1 + 1e-9)
                tol = 8 * 2.0 ** -52 * (max(abs(a[i]), abs(a[j])) * bound + abs(b[i]) + abs(b[j]))
                for si, sj in _near_ties(a, b, i, j, bound, lambda s, _: err + tol):
                    checked += 1
                    zi, zj = m[i] * si + k[i], m[j] * sj + k[j]
                    if (zi >= zj) != ex.ge(i, j, si, sj):
                        raise SpecError(f"head: classes {i} and {j} at scores ({si}, {sj}): the "
                                        f"integer head at {f} fraction bits orders them unlike "
                                        f"the float head")
    report, count = [], 0
    if 2 * bound + 1 > ENUMERATE_LIMIT:
        count = None
    for i in range(n if count is not None else 0):
        for j in range(i + 1, n):
            def slack32(s, _, i=i, j=j):
                return 2.0 ** -22 * (abs(a[i] * s) + abs(a[j]) * bound + abs(b[i]) + abs(b[j])) \
                    + 2.0 ** -22 * abs(a[i]) * bound
            pts = np.array(_near_ties(a, b, i, j, bound, slack32), dtype=np.int64).reshape(-1, 2)
            si, sj = pts[:, 0], pts[:, 1]
            f32 = _f32(a[i], si, b[i]) >= _f32(a[j], sj, b[j])
            d64 = (a[i] * si + b[i]) - (a[j] * sj + b[j])
            tol = 8 * 2.0 ** -52 * (np.abs(a[i] * si) + abs(b[i]) + np.abs(a[j] * sj) + abs(b[j]))
            exact_ge = d64 >= 0
            for t in np.flatnonzero(np.abs(d64) <= tol):   # float64 unsure: exact integers
                exact_ge[t] = ex.ge(i, j, int(si[t]), int(sj[t]))
            for t in np.flatnonzero(f32 != exact_ge):
                count += 1
                if len(report) < max_report:
                    report.append((i, j, int(si[t]), int(sj[t])))
    return head, HeadProof(exact=exact, frac_bits=f, pairs_checked=checked,
                           float32_count=count, float32_disagreements=report)


def float_head(head: Head, scores):
    """The float64 values the integer logits stand for, ``logit / 2^F`` (for reports)."""
    return head.logits(scores).double() / float(1 << head.frac_bits)
