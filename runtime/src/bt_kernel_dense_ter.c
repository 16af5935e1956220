/* Dense layers on packed ternary operands (GXNOR: ternary x ternary; ternary x binary, either
 * way round): acc = popcount(f) - 2 * popcount(f & x) per word, f the non-zero products and
 * x the negative ones (docs/numerics.md section 3). Nibble-level popcounts of three words
 * share one fold, as in bt_pop_xor's remainder; one function per operand pair. */
#include "bt_kernels.h"
#include "bt_pop.h"

/* input x weights: ter x ter, bin x ter, ter x bin, one bit plane of uint k x ter (WRPN) */
enum { TT, BT, TB, WR };

/* f (non-zero products) and x (negative products) of one word */
#define FX(mode, f, x, a, an, w, wn)                                                     \
    do {                                                                                 \
        if ((mode) == TT) {                                                              \
            (f) = (a) & (w);                                                             \
            (x) = (f) & ((an) ^ (wn));                                                   \
        } else if ((mode) == BT) {                                                       \
            (f) = (w);                                                                   \
            (x) = (w) & ~((a) ^ (wn));                                                   \
        } else if ((mode) == TB) {                                                       \
            (f) = (a);                                                                   \
            (x) = (a) & ~((an) ^ (w));                                                   \
        } else { /* neg within nz (loader) */                                            \
            (f) = (a) & (w);                                                             \
            (x) = (a) & (wn);                                                            \
        }                                                                                \
    } while (0)

/* Word j of the four planes (the input's neg plane and the weights' neg plane unused where
 * that operand is binary) into f and x; two words at a time where they are loaded as pairs. */
#define FX_AT(mode, f, x, j)                                                             \
    FX(mode, f, x, a[j], (mode) == BT || (mode) == WR ? 0u : an[j], w[j],              \
       (mode) == TB ? 0u : wn[j])

/* popcount(f) - 2 popcount(x) over nw words: nibble counts of three words share one fold to
 * byte counts (<= 24 each per three words), the byte counts of up to 30 words are summed in
 * 16-bit lanes by one multiply (bt_byte_lanes), the masks held in registers (bt_pop_masks: on
 * Thumb-2 "and t, m, v, lsr #1" is one instruction). */
static inline uint32_t lanes_total(uint32_t bytes)
{
    return (bt_byte_lanes(bytes) * 0x00010001u) >> 16;
}

/* f - 2 x over n <= 30 words (byte counts <= 10 * 24) */
static inline int32_t acc_chunk(int mode, const uint32_t *a, const uint32_t *an,
                                const uint32_t *w, const uint32_t *wn, uint32_t n,
                                bt_pop_masks m)
{
    uint32_t bf = 0, bx = 0, j = 0, f, x, nf, nx;
    for (; j + 3u <= n; j += 3u) {
        FX_AT(mode, f, x, j);
        nf = bt_pop_nib_m(f, m);
        nx = bt_pop_nib_m(x, m);
        FX_AT(mode, f, x, j + 1u);
        nf += bt_pop_nib_m(f, m);
        nx += bt_pop_nib_m(x, m);
        FX_AT(mode, f, x, j + 2u);
        nf += bt_pop_nib_m(f, m);
        nx += bt_pop_nib_m(x, m);
        bf += bt_nib_bytes(nf, m);
        bx += bt_nib_bytes(nx, m);
    }
    if (j < n) { /* 1 or 2 words (n <= 29 here: bytes stay <= 9 * 24 + 16) */
        FX_AT(mode, f, x, j);
        nf = bt_pop_nib_m(f, m);
        nx = bt_pop_nib_m(x, m);
        if (j + 1u < n) {
            FX_AT(mode, f, x, j + 1u);
            nf += bt_pop_nib_m(f, m);
            nx += bt_pop_nib_m(x, m);
        }
        bf += bt_nib_bytes(nf, m);
        bx += bt_nib_bytes(nx, m);
    }
    return (int32_t)lanes_total(bf) - 2 * (int32_t)lanes_total(bx);
}

static inline int32_t acc_words(int mode, const uint32_t *a, const uint32_t *an,
                                const uint32_t *w, const uint32_t *wn, uint32_t nw,
                                bt_pop_masks m)
{
    int32_t acc = 0;
    for (; nw > 30u; nw -= 30u, a += 30, an += 30, w += 30, wn += 30)
        acc += acc_chunk(mode, a, an, w, wn, 30u, m);
    return acc + acc_chunk(mode, a, an, w, wn, nw, m);
}

/* One mode per function (the mode tests out of the inner loop); binary outputs gathered 32
 * bits per store, |acc| <= in_c < 2^30 (bt_out_bit_narrow). */
static inline void run_mode(const bt_kctx *k, int mode)
{
    const bt_layer_t *l = k->l;
    const uint32_t *a = bt_in_words(k), *an = a + k->in_plane, *w = bt_w_words(k);
    const int32_t *thr = k->thr;
    uint32_t nw = k->nw, *bits = (uint32_t *)k->out, word = 0;
    bt_pop_masks m = bt_pop_masks_get();
    if (l->out_enc != BT_ENC_BINARY) {
        bt_out_clear(k);
        for (uint32_t o = 0; o < l->out_c; o++, w += nw)
            bt_out_put(k, 0, o, acc_words(mode, a, an, w, w + k->w_half, nw, m));
        return;
    }
    for (uint32_t o = 0; o < l->out_c; o++, w += nw, thr += 2) {
        int32_t acc = acc_words(mode, a, an, w, w + k->w_half, nw, m);
        word |= bt_out_bit_narrow(thr, acc) << (o & 31u);
        if ((o & 31u) == 31u || o + 1u == l->out_c) {
            *bits++ = word;
            word = 0;
        }
    }
}

static BT_NOINLINE void run_tt(const bt_kctx *k) { run_mode(k, TT); }
static BT_NOINLINE void run_bt(const bt_kctx *k) { run_mode(k, BT); }
static BT_NOINLINE void run_tb(const bt_kctx *k) { run_mode(k, TB); }

int bt_supports_dense_ter(const bt_layer_t *l)
{
    return l->kind == BT_KIND_DENSE && bt_packed(l->in_enc) &&
           (l->w_enc == BT_W_TERNARY || (l->w_enc == BT_W_BINARY && l->in_enc == BT_ENC_TERNARY));
}

void bt_kernel_dense_ter(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    if (l->in_enc == BT_ENC_TERNARY && l->w_enc == BT_W_TERNARY)
        run_tt(k);
    else if (l->in_enc == BT_ENC_BINARY)
        run_bt(k);
    else
        run_tb(k);
}

/* WRPN: uint k codes (k <= 4) x ternary weights, bit-serial. The input's k bit planes are
 * built once per layer on the stack (4 codes per multiply), then per output
 * acc = sum_b 2^b (pop(P_b & nz) - 2 pop(P_b & neg)) with the GXNOR word loop (mode WR):
 * about k/2 of a GXNOR layer's work per MAC instead of two byte-mask sums. */
enum { WRPN_WORDS = 64 }; /* planes on the stack: 256 bytes (k * ceil(in_c / 32) words) */

int bt_supports_dense_wrpn(const bt_layer_t *l)
{
    return l->kind == BT_KIND_DENSE && l->in_enc == BT_ENC_UINT && l->in_bits <= 4u &&
           l->w_enc == BT_W_TERNARY && l->in_bits * bt_nwords(l->in_c) <= WRPN_WORDS;
}

void BT_NOINLINE bt_kernel_dense_wrpn(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    uint32_t planes[WRPN_WORDS], nw = k->nw, kb = l->in_bits, c = 0;
    const uint32_t *w = bt_w_words(k);
    const int32_t *thr = k->thr;
    uint32_t *bits = (uint32_t *)k->out, word = 0;
    bt_pop_masks m = bt_pop_masks_get();
    for (uint32_t j = 0; j < kb * nw; j++)
        planes[j] = 0;
    /* bit b of 4 codes -> 4 adjacent plane bits: (v >> b) & 0x01010101 times 0x01020408
     * puts byte i's bit at 24 + i, with no other partial product on bits 24..27 */
    for (; c + 4u <= l->in_c; c += 4u) {
        uint32_t v = bt_ld32u(k->in + c);
        for (uint32_t b = 0; b < kb; b++)
            planes[b * nw + (c >> 5)] |= ((((v >> b) & 0x01010101u) * 0x01020408u) >> 24)
                                         << (c & 31u);
    }
    for (; c < l->in_c; c++)
        for (uint32_t b = 0; b < kb; b++)
            planes[b * nw + (c >> 5)] |= (uint32_t)((k->in[c] >> b) & 1u) << (c & 31u);
    if (l->out_enc != BT_ENC_BINARY)
        bt_out_clear(k);
    for (uint32_t o = 0; o < l->out_c; o++, w += nw) {
        int32_t acc = 0;
        for (uint32_t b = 0; b < kb; b++)
            acc += acc_words(WR, planes + b * nw, planes, w, w + k->w_half, nw, m) * (1 << b);
        if (l->out_enc != BT_ENC_BINARY) {
            bt_out_put(k, 0, o, acc);
            continue;
        }
        /* |acc| <= 15 * in_c < 2^30 (bt_out_bit_narrow) */
        word |= bt_out_bit_narrow(thr, acc) << (o & 31u);
        thr += 2;
        if ((o & 31u) == 31u || o + 1u == l->out_c) {
            *bits++ = word;
            word = 0;
        }
    }
}
