/* Dense binary x binary with binary or scores output: the MLP hot loop (the Harley-Seal
 * popcount inlined per output neuron, its masks in registers for the whole layer), output
 * bits gathered 32 per store. Other outputs: the packed kernel. */
#include "bt_kernels.h"
#include "bt_pop.h"

/* bt_hs_pop_xor counts up to 255 words at a time; wider layers run on the packed kernel */
#define BT_DENSE_BB_MAX_IN (255u * 32u)

#if BT_POPCOUNT == 0
#define POP_XOR(a, w, n) bt_hs_pop_xor(a, w, n, m)
#else
#define POP_XOR(a, w, n) ((void)m, bt_pop_xor(a, w, n))
#endif

int bt_supports_dense_bb(const bt_layer_t *l)
{
    return l->kind == BT_KIND_DENSE && l->in_enc == BT_ENC_BINARY && l->w_enc == BT_W_BINARY &&
           (l->out_enc == BT_ENC_BINARY || l->out_enc == BT_ENC_SCORES) &&
           l->in_c <= BT_DENSE_BB_MAX_IN;
}

void BT_NOINLINE bt_kernel_dense_bb(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    const uint32_t *a = bt_in_words(k), *w = bt_w_words(k);
    const int32_t *thr = k->thr;
    uint32_t nw = k->nw, out_c = l->out_c, word = 0;
    int32_t n = (int32_t)l->in_c, *s = l->out_enc == BT_ENC_SCORES ? (int32_t *)k->out : 0;
    uint32_t *bits = (uint32_t *)k->out;
    bt_pop_masks m = bt_pop_masks_get();
    /* one loop for both outputs: the popcount is inlined once */
    for (uint32_t o = 0; o < out_c; o++, w += nw) {
        int32_t acc = n - 2 * (int32_t)POP_XOR(a, w, nw);
        if (s) {
            s[o] = acc;
            continue;
        }
        word |= bt_out_bit_narrow(thr + 2u * o, acc) << (o & 31u);
        if ((o & 31u) == 31u || o + 1u == out_c) {
            *bits++ = word;
            word = 0;
        }
    }
}
