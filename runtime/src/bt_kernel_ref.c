/* The reference kernel: every layer, element by element, straight from docs/numerics.md
 * section 3. Last in the kernel table; tests run every other kernel against it. */
#include "bt_kernels.h"

/* Value of input element c at pixel (y, x). */
static int32_t act_value(const bt_kctx *k, uint32_t y, uint32_t x, uint32_t c)
{
    const bt_layer_t *l = k->l;
    uint32_t p = y * l->in_w + x;
    switch (l->in_enc) {
    case BT_ENC_BINARY:
        return ((bt_in_words(k)[p * k->nw + (c >> 5)] >> (c & 31u)) & 1u) ? 1 : -1;
    case BT_ENC_TERNARY: {
        const uint32_t *a = bt_in_words(k) + p * k->nw + (c >> 5);
        uint32_t nz = (a[0] >> (c & 31u)) & 1u, neg = (a[k->in_plane] >> (c & 31u)) & 1u;
        return nz ? (neg ? -1 : 1) : 0;
    }
    default:
        return k->in[p * l->in_c + c];
    }
}

/* Value of weight (o, ky, kx, c); a sparse layer's dense weight is 0 outside its packs. */
static int32_t w_value(const bt_kctx *k, uint32_t o, uint32_t ky, uint32_t kx, uint32_t c)
{
    const bt_layer_t *l = k->l;
    uint32_t t = (o * l->kernel + ky) * l->kernel + kx;
    switch (l->w_enc) {
    case BT_W_BINARY:
        return ((bt_w_words(k)[t * k->nw + (c >> 5)] >> (c & 31u)) & 1u) ? 1 : -1;
    case BT_W_TERNARY: {
        const uint32_t *w = bt_w_words(k) + t * k->nw + (c >> 5);
        uint32_t nz = (w[0] >> (c & 31u)) & 1u, neg = (w[k->w_half] >> (c & 31u)) & 1u;
        return nz ? (neg ? -1 : 1) : 0;
    }
    case BT_W_SPARSE: {
        uint32_t p = l->packs;
        const uint16_t *idx = (const uint16_t *)(const void *)(k->w + l->out_c * p * 4u) + o * p;
        for (uint32_t j = 0; j < p; j++)
            if (idx[j] == c >> 5)
                return ((bt_w_words(k)[o * p + j] >> (c & 31u)) & 1u) ? 1 : -1;
        return 0;
    }
    default:
        return ((const int8_t *)k->w)[t * l->in_c + c];
    }
}

static int32_t acc_values(const bt_kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    int32_t acc = 0;
    for (uint32_t ky = 0; ky < l->kernel; ky++)
        for (uint32_t kx = 0; kx < l->kernel; kx++) {
            uint32_t y, x;
            if (!bt_tap_at(l, cy, cx, ky, kx, &y, &x))
                continue;
            for (uint32_t c = 0; c < l->in_c; c++) {
                int32_t a = act_value(k, y, x, c);
                if (a)
                    acc += a * w_value(k, o, ky, kx, c);
            }
        }
    return acc;
}

int bt_supports_ref(const bt_layer_t *l)
{
    (void)l;
    return 1;
}

void bt_kernel_ref(const bt_kctx *k) { bt_each_output(k, acc_values); }
