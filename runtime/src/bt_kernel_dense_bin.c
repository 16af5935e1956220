/* Dense binary x binary with binary or scores output: the MLP hot loop (bt_pop_xor per
 * output neuron), output bits gathered 32 per store. Other outputs: the packed kernel. */
#include "bt_kernels.h"

int bt_supports_dense_bb(const bt_layer_t *l)
{
    return l->kind == BT_KIND_DENSE && l->in_enc == BT_ENC_BINARY && l->w_enc == BT_W_BINARY &&
           (l->out_enc == BT_ENC_BINARY || l->out_enc == BT_ENC_SCORES);
}

void BT_NOINLINE bt_kernel_dense_bb(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    const uint32_t *a = bt_in_words(k), *w = bt_w_words(k);
    const int32_t *thr = k->thr;
    uint32_t nw = k->nw, out_c = l->out_c;
    int32_t n = (int32_t)l->in_c;
    if (l->out_enc == BT_ENC_SCORES) {
        int32_t *s = (int32_t *)k->out;
        for (uint32_t o = 0; o < out_c; o++, w += nw)
            s[o] = n - 2 * (int32_t)bt_pop_xor(a, w, nw);
        return;
    }
    uint32_t *bits = (uint32_t *)k->out;
    for (uint32_t o0 = 0; o0 < out_c; o0 += 32u) {
        uint32_t cnt = out_c - o0 < 32u ? out_c - o0 : 32u, word = 0;
        for (uint32_t b = 0; b < cnt; b++, w += nw, thr += 2)
            word |= bt_out_bit_narrow(thr, n - 2 * (int32_t)bt_pop_xor(a, w, nw)) << b;
        *bits++ = word;
    }
}
