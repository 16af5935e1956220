/* Dense byte input (u8 pixels / uint k codes) x binary or ternary weights: the binary-weight
 * first layer, acc = 2 * sum(x where w = +1) - sum(x), and WRPN (uint k x ternary),
 * acc = sum(x where w != 0) - 2 * sum(x where w = -1) -- the loader guarantees neg within nz,
 * so both sums are sum_selected over one weight plane each. */
#include "bt_kernels.h"

/* Byte masks for 4 weight bits: bit i set -> byte i = 0xFF. */
static const uint32_t bt_byte_mask[16] = {
    0x00000000u, 0x000000FFu, 0x0000FF00u, 0x0000FFFFu, 0x00FF0000u, 0x00FF00FFu, 0x00FFFF00u,
    0x00FFFFFFu, 0xFF000000u, 0xFF0000FFu, 0xFF00FF00u, 0xFF00FFFFu, 0xFFFF0000u, 0xFFFF00FFu,
    0xFFFFFF00u, 0xFFFFFFFFu,
};

/* sum(x where w = +1) for one output: four bytes at a time, a 4-bit slice of the weight word
 * selects bytes through the mask table, and the selected bytes add up in two 16-bit lane
 * pairs (flushed before they could overflow). */
static uint32_t sum_selected(const uint8_t *x, const uint32_t *w, uint32_t n)
{
    uint32_t c = 0, pos = 0, lanes = 0, groups = 0;
    for (; c + 32u <= n; c += 32u, x += 32) {
        uint32_t bits = *w++;
        for (uint32_t b = 0; b < 32u; b += 4u) {
            uint32_t sel = bt_ld32u(x + b) & bt_byte_mask[(bits >> b) & 0xFu];
            lanes += (sel & 0x00FF00FFu) + ((sel >> 8) & 0x00FF00FFu);
        }
        /* each group of 8 adds at most 8 * 2 * 255 = 4080 per 16-bit lane */
        if (++groups == 16u) {
            pos += (lanes & 0xFFFFu) + (lanes >> 16);
            lanes = 0;
            groups = 0;
        }
    }
    pos += (lanes & 0xFFFFu) + (lanes >> 16);
    if (c < n) {
        uint32_t bits = *w;
        for (; c < n; c++, bits >>= 1)
            pos += (bits & 1u) ? *x++ : (x++, 0u);
    }
    return pos;
}

int bt_supports_dense_bytes(const bt_layer_t *l)
{
    return l->kind == BT_KIND_DENSE && !bt_packed(l->in_enc) &&
           (l->w_enc == BT_W_BINARY || l->w_enc == BT_W_TERNARY);
}

void BT_NOINLINE bt_kernel_dense_bytes(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    uint32_t xsum = 0;
    bt_out_clear(k);
    if (l->w_enc == BT_W_TERNARY) {
        const uint32_t *nz = bt_w_words(k), *neg = nz + k->w_half;
        for (uint32_t o = 0; o < l->out_c; o++, nz += k->nw, neg += k->nw) {
            int64_t acc = (int64_t)sum_selected(k->in, nz, l->in_c) -
                          2 * (int64_t)sum_selected(k->in, neg, l->in_c);
            bt_out_put(k, 0, o, (int32_t)acc); /* |acc| <= acc_bound < 2^31 (loader) */
        }
        return;
    }
    for (uint32_t c = 0; c < l->in_c; c++)
        xsum += k->in[c];
    for (uint32_t o = 0; o < l->out_c; o++) {
        uint32_t pos = sum_selected(k->in, bt_w_words(k) + o * k->nw, l->in_c);
        bt_out_put(k, 0, o, (int32_t)(2 * (int64_t)pos - xsum)); /* |acc| < 2^31 */
    }
}
