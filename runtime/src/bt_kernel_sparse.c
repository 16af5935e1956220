/* 3PXNet sparse dense layers: P kept 32-weight packs per output, each with the index of the
 * input word it multiplies (u16 index[out][P] after words[out][P]). */
#include "bt_kernels.h"

static inline const uint16_t *pack_index(const bt_kctx *k)
{
    return (const uint16_t *)(const void *)(k->w + k->l->out_c * k->l->packs * 4u);
}

/* popcount(a[idx[j]] ^ w[j]) over the P kept packs of one sparse output. */
static inline uint32_t pop_xor_idx(const uint32_t *a, const uint16_t *idx, const uint32_t *w,
                                   uint32_t p)
{
    uint32_t total = 0;
#if BT_POPCOUNT == 0
    while (p >= 3u) {
        total += bt_nib_total(bt_pop_nib(a[idx[0]] ^ w[0]) + bt_pop_nib(a[idx[1]] ^ w[1]) +
                              bt_pop_nib(a[idx[2]] ^ w[2]));
        idx += 3;
        w += 3;
        p -= 3u;
    }
    if (p == 2u)
        return total + bt_nib_total(bt_pop_nib(a[idx[0]] ^ w[0]) + bt_pop_nib(a[idx[1]] ^ w[1]));
#endif
    while (p--)
        total += bt_pop32(a[*idx++] ^ *w++);
    return total;
}

int bt_supports_sparse_b(const bt_layer_t *l)
{
    return l->w_enc == BT_W_SPARSE && l->in_enc == BT_ENC_BINARY &&
           (l->out_enc == BT_ENC_BINARY || l->out_enc == BT_ENC_SCORES);
}

/* Binary input with binary / scores output, bits gathered 32 per store. */
void BT_NOINLINE bt_kernel_sparse_b(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    const uint32_t *a = bt_in_words(k), *w = bt_w_words(k);
    const int32_t *thr = k->thr;
    uint32_t p = l->packs, out_c = l->out_c;
    const uint16_t *idx = pack_index(k);
    int32_t n = (int32_t)(32u * p);
    if (l->out_enc == BT_ENC_SCORES) {
        int32_t *s = (int32_t *)k->out;
        for (uint32_t o = 0; o < out_c; o++, idx += p, w += p)
            s[o] = n - 2 * (int32_t)pop_xor_idx(a, idx, w, p);
        return;
    }
    uint32_t *bits = (uint32_t *)k->out;
    for (uint32_t o0 = 0; o0 < out_c; o0 += 32u) {
        uint32_t cnt = out_c - o0 < 32u ? out_c - o0 : 32u, word = 0;
        if (p == 2u) {
            /* the 3PXNet common case: two packs per output, fully inlined */
            for (uint32_t b = 0; b < cnt; b++, idx += 2, w += 2, thr += 2) {
                uint32_t pc = bt_nib_total(bt_pop_nib(a[idx[0]] ^ w[0]) +
                                           bt_pop_nib(a[idx[1]] ^ w[1]));
                word |= bt_out_bit_narrow(thr, n - 2 * (int32_t)pc) << b;
            }
        } else {
            for (uint32_t b = 0; b < cnt; b++, idx += p, w += p, thr += 2)
                word |= bt_out_bit_narrow(thr, n - 2 * (int32_t)pop_xor_idx(a, idx, w, p)) << b;
        }
        *bits++ = word;
    }
}

/* Any input encoding: binary and ternary word-wise, byte codes element by element. */
static int32_t acc_sparse(const bt_kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    uint32_t p = l->packs;
    const uint32_t *w = bt_w_words(k) + o * p;
    const uint16_t *idx = pack_index(k) + o * p;
    int32_t acc = 0;
    (void)cy;
    (void)cx;
    if (l->in_enc == BT_ENC_BINARY) {
        acc = (int32_t)(32u * p) - 2 * (int32_t)pop_xor_idx(bt_in_words(k), idx, w, p);
    } else if (l->in_enc == BT_ENC_TERNARY) {
        const uint32_t *a = bt_in_words(k), *aneg = a + k->in_plane;
        for (uint32_t j = 0; j < p; j++) {
            uint32_t nz = a[idx[j]];
            acc += (int32_t)bt_pop32(nz) - 2 * (int32_t)bt_pop32(nz & (aneg[idx[j]] ^ ~w[j]));
        }
    } else {
        for (uint32_t j = 0; j < p; j++) {
            const uint8_t *x = k->in + 32u * idx[j];
            uint32_t bits = w[j];
            for (uint32_t b = 0; b < 32u; b++, bits >>= 1)
                acc += (bits & 1u) ? x[b] : -(int32_t)x[b];
        }
    }
    return acc;
}

int bt_supports_sparse(const bt_layer_t *l) { return l->w_enc == BT_W_SPARSE; }

void bt_kernel_sparse(const bt_kctx *k) { bt_each_output(k, acc_sparse); }
