/* Packed binary / ternary activations x binary / ternary weights (not both binary), word by
 * word with the popcount forms of docs/numerics.md section 3. */
#include "bt_kernels.h"

static int32_t acc_packed(const bt_kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    uint32_t nw = k->nw;
    int tern_a = l->in_enc == BT_ENC_TERNARY, tern_w = l->w_enc == BT_W_TERNARY;
    int32_t acc = 0;
    for (uint32_t ky = 0; ky < l->kernel; ky++)
        for (uint32_t kx = 0; kx < l->kernel; kx++) {
            uint32_t y, x;
            if (!bt_tap_at(l, cy, cx, ky, kx, &y, &x))
                continue;
            const uint32_t *a = bt_in_words(k) + (y * l->in_w + x) * nw;
            const uint32_t *w = bt_w_words(k) + ((o * l->kernel + ky) * l->kernel + kx) * nw;
            if (!tern_a && !tern_w) {
                acc += (int32_t)l->in_c - 2 * (int32_t)bt_pop_xor(a, w, nw);
            } else if (!tern_a) {
                const uint32_t *wneg = w + k->w_half;
                for (uint32_t j = 0; j < nw; j++)
                    acc += (int32_t)bt_pop32(w[j]) -
                           2 * (int32_t)bt_pop32(w[j] & ~(a[j] ^ wneg[j]));
            } else if (!tern_w) {
                const uint32_t *aneg = a + k->in_plane;
                for (uint32_t j = 0; j < nw; j++)
                    acc += (int32_t)bt_pop32(a[j]) -
                           2 * (int32_t)bt_pop32(a[j] & (aneg[j] ^ ~w[j]));
            } else {
                const uint32_t *aneg = a + k->in_plane, *wneg = w + k->w_half;
                for (uint32_t j = 0; j < nw; j++) {
                    uint32_t f = a[j] & w[j];
                    acc += (int32_t)bt_pop32(f) - 2 * (int32_t)bt_pop32(f & (aneg[j] ^ wneg[j]));
                }
            }
        }
    return acc;
}

int bt_supports_packed(const bt_layer_t *l)
{
    return bt_packed(l->in_enc) && (l->w_enc == BT_W_BINARY || l->w_enc == BT_W_TERNARY);
}

void bt_kernel_packed(const bt_kctx *k) { bt_each_output(k, acc_packed); }
