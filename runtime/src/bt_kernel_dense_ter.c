/* Dense layers on packed ternary operands (GXNOR: ternary x ternary; ternary x binary, either
 * way round): acc = popcount(f) - 2 * popcount(f & x) per word, f the non-zero products and
 * x the negative ones (docs/numerics.md section 3). Nibble-level popcounts of three words
 * share one fold, as in bt_pop_xor's remainder. */
#include "bt_kernels.h"

enum { TT, BT, TB }; /* input x weights: ter x ter, bin x ter, ter x bin */

/* f (non-zero products) and x (negative products) of word j */
static inline void fx(int mode, const uint32_t *a, const uint32_t *an, const uint32_t *w,
                      const uint32_t *wn, uint32_t j, uint32_t *f, uint32_t *x)
{
    if (mode == TT) {
        *f = a[j] & w[j];
        *x = *f & (an[j] ^ wn[j]);
    } else if (mode == BT) {
        *f = w[j];
        *x = w[j] & ~(a[j] ^ wn[j]);
    } else {
        *f = a[j];
        *x = a[j] & ~(an[j] ^ w[j]);
    }
}

static inline int32_t acc_words(int mode, const uint32_t *a, const uint32_t *an,
                                const uint32_t *w, const uint32_t *wn, uint32_t nw)
{
    uint32_t pf = 0, px = 0, j = 0, f, x;
    for (; j + 3u <= nw; j += 3u) {
        uint32_t nf, nx;
        fx(mode, a, an, w, wn, j, &f, &x);
        nf = bt_pop_nib(f);
        nx = bt_pop_nib(x);
        fx(mode, a, an, w, wn, j + 1u, &f, &x);
        nf += bt_pop_nib(f);
        nx += bt_pop_nib(x);
        fx(mode, a, an, w, wn, j + 2u, &f, &x);
        nf += bt_pop_nib(f);
        nx += bt_pop_nib(x);
        pf += bt_nib_total(nf);
        px += bt_nib_total(nx);
    }
    for (; j < nw; j++) {
        fx(mode, a, an, w, wn, j, &f, &x);
        pf += bt_pop32(f);
        px += bt_pop32(x);
    }
    return (int32_t)pf - 2 * (int32_t)px;
}

static BT_NOINLINE void run_mode(const bt_kctx *k, int mode)
{
    const bt_layer_t *l = k->l;
    const uint32_t *a = bt_in_words(k), *an = a + k->in_plane, *w = bt_w_words(k);
    uint32_t nw = k->nw;
    bt_out_clear(k);
    for (uint32_t o = 0; o < l->out_c; o++, w += nw)
        bt_out_put(k, 0, o, acc_words(mode, a, an, w, w + k->w_half, nw));
}

int bt_supports_dense_ter(const bt_layer_t *l)
{
    return l->kind == BT_KIND_DENSE && bt_packed(l->in_enc) &&
           (l->w_enc == BT_W_TERNARY || (l->w_enc == BT_W_BINARY && l->in_enc == BT_ENC_TERNARY));
}

void bt_kernel_dense_ter(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    if (l->in_enc == BT_ENC_TERNARY && l->w_enc == BT_W_TERNARY)
        run_mode(k, TT);
    else if (l->in_enc == BT_ENC_BINARY)
        run_mode(k, BT);
    else
        run_mode(k, TB);
}
