/* Software kernels with the golden model's exact numerics (docs/numerics.md section 3-5).
 *
 * Every layer is computed per output pixel and output channel: accumulate (conv taps or
 * dense words), max-pool over accumulators, threshold, write the code -- the eBNN fused
 * schedule, so no accumulator tensor is ever stored. Fast paths: dense binary x binary,
 * sparse (3PXNet) packs, packed conv, u8 x binary first layers; a value-level path covers
 * every other combination (int weights, k-bit codes). */
#include "bt_internal.h"

#if BT_POPCOUNT == 1
const uint8_t bt_pop8[256] = {
#define B2(n) n, n + 1, n + 1, n + 2
#define B4(n) B2(n), B2(n + 1), B2(n + 1), B2(n + 2)
#define B6(n) B4(n), B4(n + 1), B4(n + 1), B4(n + 2)
    B6(0), B6(1), B6(1), B6(2)
#undef B2
#undef B4
#undef B6
};
#endif

#define M1 0x55555555u
#define M2 0x33333333u
#define M4 0x0F0F0F0Fu

/* Carry-save adder: (h, l) = a + b + c bitwise, h the carries (weight 2), l the sums. */
#define CSA(h, l, a, b, c)                        \
    do {                                          \
        uint32_t u_ = (a) ^ (b);                  \
        (h) = ((a) & (b)) | (u_ & (c));           \
        (l) = u_ ^ (c);                           \
    } while (0)

/* Nibble-level partial popcount: each 4-bit field holds the count of its bits (max 4). */
static inline uint32_t pop_nib(uint32_t x)
{
    x = x - ((x >> 1) & M1);
    return (x & M2) + ((x >> 2) & M2);
}

/* Sum of the nibble fields of x (each nibble max 15 so bytes stay below 256 after folding). */
static inline uint32_t nib_total(uint32_t x)
{
    x = (x & M4) + ((x >> 4) & M4);
    return (x * 0x01010101u) >> 24;
}

/* x0 = a[i] ^ b[i], x1 = a[i+1] ^ b[i+1]; with GCC on Cortex-M3/4/7 as 64-bit loads
 * (LDRD needs only 4-byte alignment there: half the load instructions). */
#if defined(__GNUC__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__))
typedef uint64_t bt_u64_a4 __attribute__((may_alias, aligned(4)));
#define LOAD_XOR2(x0, x1, a, b, i)                                    \
    do {                                                              \
        uint64_t pa_ = *(const bt_u64_a4 *)(const void *)((a) + (i)); \
        uint64_t pb_ = *(const bt_u64_a4 *)(const void *)((b) + (i)); \
        (x0) = (uint32_t)pa_ ^ (uint32_t)pb_;                         \
        (x1) = (uint32_t)(pa_ >> 32) ^ (uint32_t)(pb_ >> 32);         \
    } while (0)
#else
#define LOAD_XOR2(x0, x1, a, b, i)                                    \
    do {                                                              \
        (x0) = (a)[(i)] ^ (b)[(i)];                                   \
        (x1) = (a)[(i) + 1] ^ (b)[(i) + 1];                           \
    } while (0)
#endif

/* One Harley-Seal block of 8 words into the (ones, twos, fours) carry-save state;
 * returns the nibble-level popcount of the block's "eights" word. */
#define HS_BLOCK(a, b)                                                \
    do {                                                              \
        uint32_t twos_a, twos_b, fours_a, fours_b, eights;            \
        uint32_t x0, x1, x2, x3, x4, x5, x6, x7;                      \
        LOAD_XOR2(x0, x1, a, b, 0);                                   \
        LOAD_XOR2(x2, x3, a, b, 2);                                   \
        LOAD_XOR2(x4, x5, a, b, 4);                                   \
        LOAD_XOR2(x6, x7, a, b, 6);                                   \
        CSA(twos_a, ones, ones, x0, x1);                              \
        CSA(twos_b, ones, ones, x2, x3);                              \
        CSA(fours_a, twos, twos, twos_a, twos_b);                     \
        CSA(twos_a, ones, ones, x4, x5);                              \
        CSA(twos_b, ones, ones, x6, x7);                              \
        CSA(fours_b, twos, twos, twos_a, twos_b);                     \
        CSA(eights, fours, fours, fours_a, fours_b);                  \
        eights_nib += pop_nib(eights);                                \
        a += 8;                                                       \
        b += 8;                                                       \
    } while (0)

uint32_t bt_pop_xor(const uint32_t *a, const uint32_t *b, uint32_t n)
{
    uint32_t total = 0;
#if BT_POPCOUNT == 0
    /* Harley-Seal: blocks of 8 words go through a carry-save adder tree (5 logic ops per
     * word, no shifts); only the "eights" word of each block is (partly) popcounted, its
     * nibble sums folded to a count every 3 blocks (nibbles hold at most 15). */
    uint32_t blocks = n >> 3;
    if (blocks) {
        uint32_t ones = 0, twos = 0, fours = 0;
        n &= 7u;
        do {
            uint32_t eights_nib = 0, g = blocks < 3u ? blocks : 3u;
            blocks -= g;
            do {
                HS_BLOCK(a, b);
            } while (--g);
            total += 8u * nib_total(eights_nib);
        } while (blocks);
        total += 4u * nib_total(pop_nib(fours)) + nib_total(2u * pop_nib(twos) + pop_nib(ones));
    }
    /* remainder: up to three words share one nibble-level sum */
    while (n >= 3u) {
        total += nib_total(pop_nib(a[0] ^ b[0]) + pop_nib(a[1] ^ b[1]) + pop_nib(a[2] ^ b[2]));
        a += 3;
        b += 3;
        n -= 3u;
    }
#endif
    while (n--)
        total += bt_pop32(*a++ ^ *b++);
    return total;
}

/* popcount(a[idx[j]] ^ w[j]) over the P kept packs of one sparse output. */
static inline uint32_t pop_xor_idx(const uint32_t *a, const uint16_t *idx, const uint32_t *w,
                                   uint32_t p)
{
    uint32_t total = 0;
#if BT_POPCOUNT == 0
    while (p >= 3u) {
        total += nib_total(pop_nib(a[idx[0]] ^ w[0]) + pop_nib(a[idx[1]] ^ w[1]) +
                           pop_nib(a[idx[2]] ^ w[2]));
        idx += 3;
        w += 3;
        p -= 3u;
    }
    if (p == 2u)
        return total + nib_total(pop_nib(a[idx[0]] ^ w[0]) + pop_nib(a[idx[1]] ^ w[1]));
#endif
    while (p--)
        total += bt_pop32(a[*idx++] ^ *w++);
    return total;
}

uint32_t bt_pop_words(const uint32_t *a, uint32_t n)
{
    uint32_t total = 0;
    while (n--)
        total += bt_pop32(*a++);
    return total;
}

/* Keep each layer loop a function of its own: the compiler then allocates its registers
 * for that loop alone (inlining them into one dispatcher cost the sparse MLP ~3%). */
#if defined(__GNUC__)
#define BT_NOINLINE __attribute__((noinline))
#else
#define BT_NOINLINE
#endif

typedef struct kctx kctx;
typedef int32_t (*acc_fn)(const kctx *k, uint32_t o, uint32_t cy, uint32_t cx);

struct kctx {
    const bt_layer_t *l;
    const uint8_t *in;       /* input tensor bytes */
    uint32_t in_plane;       /* ternary input: words from the nz plane to the neg plane */
    uint32_t nw;             /* words per input pixel (packed encodings) */
    const uint8_t *w;        /* weight blob */
    uint32_t w_half;         /* ternary weights: words from nz to neg plane */
    int32_t xsum;            /* dense byte input: sum of all input codes */
};

static inline const uint32_t *in_words(const kctx *k) { return (const uint32_t *)(const void *)k->in; }
static inline const uint32_t *w_words(const kctx *k) { return (const uint32_t *)(const void *)k->w; }

/* Value of input element c at pixel (y, x). */
static int32_t act_value(const kctx *k, uint32_t y, uint32_t x, uint32_t c)
{
    const bt_layer_t *l = k->l;
    uint32_t p = y * l->in_w + x;
    switch (l->in_enc) {
    case BT_ENC_BINARY:
        return ((in_words(k)[p * k->nw + (c >> 5)] >> (c & 31u)) & 1u) ? 1 : -1;
    case BT_ENC_TERNARY: {
        const uint32_t *a = in_words(k) + p * k->nw + (c >> 5);
        uint32_t nz = (a[0] >> (c & 31u)) & 1u, neg = (a[k->in_plane] >> (c & 31u)) & 1u;
        return nz ? (neg ? -1 : 1) : 0;
    }
    default:
        return k->in[p * l->in_c + c];
    }
}

/* Value of weight (o, ky, kx, c); not for sparse. */
static int32_t w_value(const kctx *k, uint32_t o, uint32_t ky, uint32_t kx, uint32_t c)
{
    const bt_layer_t *l = k->l;
    uint32_t t = (o * l->kernel + ky) * l->kernel + kx;
    switch (l->w_enc) {
    case BT_W_BINARY:
        return ((w_words(k)[t * k->nw + (c >> 5)] >> (c & 31u)) & 1u) ? 1 : -1;
    case BT_W_TERNARY: {
        const uint32_t *w = w_words(k) + t * k->nw + (c >> 5);
        uint32_t nz = (w[0] >> (c & 31u)) & 1u, neg = (w[k->w_half] >> (c & 31u)) & 1u;
        return nz ? (neg ? -1 : 1) : 0;
    }
    default:
        return ((const int8_t *)k->w)[t * l->in_c + c];
    }
}

/* Tap (ky, kx) of conv output (cy, cx) -> input pixel, or 0 when it is a zero pad tap. */
static inline int tap_at(const bt_layer_t *l, uint32_t cy, uint32_t cx, uint32_t ky, uint32_t kx,
                         uint32_t *y, uint32_t *x)
{
    int32_t iy = (int32_t)(cy * l->stride + ky) - (int32_t)l->pad;
    int32_t ix = (int32_t)(cx * l->stride + kx) - (int32_t)l->pad;
    if (iy < 0 || ix < 0 || iy >= (int32_t)l->in_h || ix >= (int32_t)l->in_w)
        return 0;
    *y = (uint32_t)iy;
    *x = (uint32_t)ix;
    return 1;
}

/* Any encoding pair, element by element (int weights, k-bit codes, u8 x ternary, ...). */
static int32_t acc_values(const kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    int32_t acc = 0;
    for (uint32_t ky = 0; ky < l->kernel; ky++)
        for (uint32_t kx = 0; kx < l->kernel; kx++) {
            uint32_t y, x;
            if (!tap_at(l, cy, cx, ky, kx, &y, &x))
                continue;
            for (uint32_t c = 0; c < l->in_c; c++) {
                int32_t a = act_value(k, y, x, c);
                if (a)
                    acc += a * w_value(k, o, ky, kx, c);
            }
        }
    return acc;
}

/* Byte codes (u8 / uint k) x binary weights: acc = 2 * sum(x where w=+1) - sum(x). */
static int32_t acc_bytes_binary(const kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    int32_t acc = 0;
    for (uint32_t ky = 0; ky < l->kernel; ky++)
        for (uint32_t kx = 0; kx < l->kernel; kx++) {
            uint32_t y, x;
            if (!tap_at(l, cy, cx, ky, kx, &y, &x))
                continue;
            const uint8_t *a = k->in + (y * l->in_w + x) * l->in_c;
            const uint32_t *w = w_words(k) + ((o * l->kernel + ky) * l->kernel + kx) * k->nw;
            int32_t pos = 0, all = 0;
            uint32_t c = 0;
            for (uint32_t j = 0; j < k->nw; j++) {
                uint32_t bits = w[j], end = c + 32u < l->in_c ? c + 32u : l->in_c;
                for (; c < end; c++, bits >>= 1) {
                    int32_t v = a[c];
                    all += v;
                    pos += (int32_t)(bits & 1u) * v;
                }
            }
            acc += 2 * pos - all;
        }
    return acc;
}

/* Byte masks for 4 weight bits: bit i set -> byte i = 0xFF. */
static const uint32_t nib_mask[16] = {
    0x00000000u, 0x000000FFu, 0x0000FF00u, 0x0000FFFFu, 0x00FF0000u, 0x00FF00FFu, 0x00FFFF00u,
    0x00FFFFFFu, 0xFF000000u, 0xFF0000FFu, 0xFF00FF00u, 0xFF00FFFFu, 0xFFFF0000u, 0xFFFF00FFu,
    0xFFFFFF00u, 0xFFFFFFFFu,
};

static inline uint32_t ld32u(const uint8_t *p)
{
#if defined(__GNUC__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__x86_64__))
    uint32_t v; /* unaligned LDR where the core allows it */
    __builtin_memcpy(&v, p, 4);
    return v;
#else
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
#endif
}

/* Dense byte input (u8 pixels / uint codes) x binary weights, the binary-weight first layer:
 * acc = 2 * sum(x where w = +1) - sum(x). Four bytes at a time: a 4-bit slice of the weight
 * word selects bytes through a mask table, and the selected bytes add up in two 16-bit lane
 * pairs (flushed before they could overflow). */
static int32_t acc_dense_bytes_binary(const kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    const uint8_t *x = k->in;
    const uint32_t *w = w_words(k) + o * k->nw;
    uint32_t n = l->in_c, c = 0, pos = 0, lanes = 0, groups = 0;
    (void)cy;
    (void)cx;
    for (; c + 32u <= n; c += 32u, x += 32) {
        uint32_t bits = *w++;
        for (uint32_t b = 0; b < 32u; b += 4u) {
            uint32_t sel = ld32u(x + b) & nib_mask[(bits >> b) & 0xFu];
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
    /* pos <= xsum <= acc_bound < 2^31: pos - (xsum - pos) cannot overflow, 2 * pos could */
    return (int32_t)pos - (k->xsum - (int32_t)pos);
}

/* Packed binary/ternary activations x binary/ternary weights, word by word. */
static int32_t acc_packed(const kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    uint32_t nw = k->nw;
    int tern_a = l->in_enc == BT_ENC_TERNARY, tern_w = l->w_enc == BT_W_TERNARY;
    int32_t acc = 0;
    for (uint32_t ky = 0; ky < l->kernel; ky++)
        for (uint32_t kx = 0; kx < l->kernel; kx++) {
            uint32_t y, x;
            if (!tap_at(l, cy, cx, ky, kx, &y, &x))
                continue;
            const uint32_t *a = in_words(k) + (y * l->in_w + x) * nw;
            const uint32_t *w = w_words(k) + ((o * l->kernel + ky) * l->kernel + kx) * nw;
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

/* Valid kernel rows/columns [lo, hi) of conv output coordinate c (zero pad taps skipped). */
static inline void tap_range(uint32_t c, uint32_t stride, uint32_t pad, uint32_t kernel,
                             uint32_t size, uint32_t *lo, uint32_t *hi)
{
    int32_t start = (int32_t)(c * stride) - (int32_t)pad;
    int32_t a = start < 0 ? -start : 0;
    int32_t b = (int32_t)size - start;
    *lo = (uint32_t)a;
    *hi = b < (int32_t)kernel ? (uint32_t)(b < a ? a : b) : kernel;
}

/* Binary x binary conv: the valid taps form a rectangle, walked with plain pointer steps;
 * acc = (valid taps) * C - 2 * popcount(a XOR w). */
static int32_t acc_conv_bb(const kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    uint32_t nw = k->nw, K = l->kernel, ky0, ky1, kx0, kx1;
    tap_range(cy, l->stride, l->pad, K, l->in_h, &ky0, &ky1);
    tap_range(cx, l->stride, l->pad, K, l->in_w, &kx0, &kx1);
    if (ky1 <= ky0 || kx1 <= kx0)
        return 0;
    uint32_t row = l->in_w * nw, run = (kx1 - kx0) * nw, pc = 0;
    const uint32_t *a = in_words(k) + ((cy * l->stride + ky0 - l->pad) * l->in_w +
                                       (cx * l->stride + kx0 - l->pad)) * nw;
    const uint32_t *w = w_words(k) + ((o * K + ky0) * K + kx0) * nw;
    for (uint32_t ky = ky0; ky < ky1; ky++, a += row, w += K * nw) {
        if (l->in_c == 1u) {
            /* one channel (a binarized grayscale image): a word holds one bit, its own
             * popcount */
            for (uint32_t j = 0; j < run; j++)
                pc += a[j] ^ w[j];
        } else if (nw == 1u) {
            for (uint32_t j = 0; j < run; j++)
                pc += bt_pop32(a[j] ^ w[j]);
        } else {
            /* taps of a kernel row are adjacent pixels: one contiguous run of words */
            pc += bt_pop_xor(a, w, run);
        }
    }
    return (int32_t)((ky1 - ky0) * (kx1 - kx0) * l->in_c) - 2 * (int32_t)pc;
}

/* The valid-tap rectangle of one conv output position, found once per output pixel and
 * reused for every output channel. */
typedef struct {
    const uint32_t *a;   /* first input word of the rectangle (packed input) */
    const uint8_t *ab;   /* first input byte of the rectangle (byte input) */
    uint32_t w_off;      /* its word offset inside one output channel's weights */
    uint32_t rows, run;  /* kernel rows, words per row (packed) */
    uint32_t taps;       /* taps per kernel row */
    int32_t n;           /* valid taps * C (packed); sum of the input codes (bytes) */
} tap_win;

static void win_make(const kctx *k, uint32_t cy, uint32_t cx, tap_win *t)
{
    const bt_layer_t *l = k->l;
    uint32_t nw = k->nw, K = l->kernel, ky0, ky1, kx0, kx1;
    tap_range(cy, l->stride, l->pad, K, l->in_h, &ky0, &ky1);
    tap_range(cx, l->stride, l->pad, K, l->in_w, &kx0, &kx1);
    if (ky1 <= ky0 || kx1 <= kx0) {
        t->rows = t->run = t->taps = 0;
        t->n = 0;
        t->a = in_words(k);
        t->ab = k->in;
        t->w_off = 0;
        return;
    }
    uint32_t first = (cy * l->stride + ky0 - l->pad) * l->in_w + (cx * l->stride + kx0 - l->pad);
    t->w_off = (ky0 * K + kx0) * nw;
    t->rows = ky1 - ky0;
    t->taps = kx1 - kx0;
    t->run = t->taps * nw;
    if (l->in_enc == BT_ENC_BINARY) {
        t->a = in_words(k) + first * nw;
        t->ab = k->in;
        t->n = (int32_t)(t->rows * t->taps * l->in_c);
        return;
    }
    /* byte codes: the window's code sum is the same for every output channel */
    t->a = in_words(k);
    t->ab = k->in + first * l->in_c;
    int32_t sum = 0;
    const uint8_t *x = t->ab;
    for (uint32_t r = 0; r < t->rows; r++, x += l->in_w * l->in_c)
        for (uint32_t j = 0; j < t->taps * l->in_c; j++)
            sum += x[j];
    t->n = sum;
}

/* Byte codes x binary weights over one window: 2 * sum(x where w = +1) - sum(x). */
static inline int32_t win_acc_bytes(const kctx *k, const tap_win *t, const uint32_t *w_o)
{
    const bt_layer_t *l = k->l;
    uint32_t C = l->in_c, nw = k->nw, pos = 0;
    const uint8_t *x = t->ab;
    const uint32_t *w = w_o + t->w_off;
    for (uint32_t r = 0; r < t->rows; r++, x += l->in_w * C, w += l->kernel * nw) {
        const uint8_t *xt = x;
        const uint32_t *wt = w;
        for (uint32_t j = 0; j < t->taps; j++, xt += C, wt += nw) {
            if (C == 1u) {
                pos += xt[0] & (0u - (wt[0] & 1u));
                continue;
            }
            for (uint32_t c = 0; c < C; c++)
                pos += xt[c] & (0u - ((wt[c >> 5] >> (c & 31u)) & 1u));
        }
    }
    return (int32_t)pos - (t->n - (int32_t)pos); /* no 2 * pos: it can pass 2^31 */
}

static inline int32_t win_acc(const kctx *k, const tap_win *t, const uint32_t *w_o)
{
    const bt_layer_t *l = k->l;
    const uint32_t *a = t->a, *w = w_o + t->w_off;
    uint32_t row = l->in_w * k->nw, wrow = l->kernel * k->nw, pc = 0;
    for (uint32_t r = 0; r < t->rows; r++, a += row, w += wrow) {
        if (l->in_c == 1u) {
            for (uint32_t j = 0; j < t->run; j++)
                pc += a[j] ^ w[j];
        } else if (k->nw == 1u) {
            for (uint32_t j = 0; j < t->run; j++)
                pc += bt_pop32(a[j] ^ w[j]);
        } else {
            pc += bt_pop_xor(a, w, t->run);
        }
    }
    return t->n - 2 * (int32_t)pc;
}

/* 3PXNet sparse dense layer: P kept packs per output, each with its input word index. */
static int32_t acc_sparse(const kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    uint32_t p = l->packs;
    const uint32_t *w = w_words(k) + o * p;
    const uint16_t *idx = (const uint16_t *)(const void *)(k->w + l->out_c * p * 4u) + o * p;
    int32_t acc = 0;
    (void)cy;
    (void)cx;
    if (l->in_enc == BT_ENC_BINARY) {
        const uint32_t *a = in_words(k);
        acc = (int32_t)(32u * p) - 2 * (int32_t)pop_xor_idx(a, idx, w, p);
    } else if (l->in_enc == BT_ENC_TERNARY) {
        const uint32_t *a = in_words(k), *aneg = a + k->in_plane;
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

/* code = #{j : d*acc >= d*T_j}; ties count as crossed for either direction. */
static inline uint32_t threshold_code(const int32_t *row, uint32_t n_thr, int32_t acc)
{
    uint32_t code = 0;
    if (row[0] > 0) {
        for (uint32_t j = 1; j <= n_thr; j++)
            code += acc >= row[j];
    } else {
        for (uint32_t j = 1; j <= n_thr; j++)
            code += acc <= row[j];
    }
    return code;
}

/* d*(acc - T) >= 0 for a binary output with direction d = row[0], threshold T = row[1].
 * Only for binary x binary/sparse layers, where |acc| < 2^28 and |T| <= 2^30 keep the
 * difference inside int32. */
static inline uint32_t bin_bit(const int32_t *row, int32_t acc)
{
    return (uint32_t)~((acc - row[1]) * row[0]) >> 31;
}

/* Dense binary x binary fast path (the MLP hot loop). */
static BT_NOINLINE void dense_bb(const kctx *k, const int32_t *thr, void *out)
{
    const bt_layer_t *l = k->l;
    const uint32_t *a = in_words(k), *w = w_words(k);
    uint32_t nw = k->nw, out_c = l->out_c;
    int32_t n = (int32_t)l->in_c;
    if (l->out_enc == BT_ENC_SCORES) {
        int32_t *s = (int32_t *)out;
        for (uint32_t o = 0; o < out_c; o++, w += nw)
            s[o] = n - 2 * (int32_t)bt_pop_xor(a, w, nw);
        return;
    }
    uint32_t *bits = (uint32_t *)out;
    for (uint32_t o0 = 0; o0 < out_c; o0 += 32u) {
        uint32_t cnt = out_c - o0 < 32u ? out_c - o0 : 32u, word = 0;
        for (uint32_t b = 0; b < cnt; b++, w += nw, thr += 2)
            word |= bin_bit(thr, n - 2 * (int32_t)bt_pop_xor(a, w, nw)) << b;
        *bits++ = word;
    }
}

/* Sparse binary-input fast path with binary/scores output. */
static BT_NOINLINE void dense_sparse_b(const kctx *k, const int32_t *thr, void *out)
{
    const bt_layer_t *l = k->l;
    const uint32_t *a = in_words(k), *w = w_words(k);
    uint32_t p = l->packs, out_c = l->out_c;
    const uint16_t *idx = (const uint16_t *)(const void *)(k->w + out_c * p * 4u);
    int32_t n = (int32_t)(32u * p);
    if (l->out_enc == BT_ENC_SCORES) {
        int32_t *s = (int32_t *)out;
        for (uint32_t o = 0; o < out_c; o++, idx += p, w += p)
            s[o] = n - 2 * (int32_t)pop_xor_idx(a, idx, w, p);
        return;
    }
    uint32_t *bits = (uint32_t *)out;
    for (uint32_t o0 = 0; o0 < out_c; o0 += 32u) {
        uint32_t cnt = out_c - o0 < 32u ? out_c - o0 : 32u, word = 0;
        if (p == 2u) {
            /* the 3PXNet common case: two packs per output, fully inlined */
            for (uint32_t b = 0; b < cnt; b++, idx += 2, w += 2, thr += 2) {
                uint32_t pc = nib_total(pop_nib(a[idx[0]] ^ w[0]) + pop_nib(a[idx[1]] ^ w[1]));
                word |= bin_bit(thr, n - 2 * (int32_t)pc) << b;
            }
        } else {
            for (uint32_t b = 0; b < cnt; b++, idx += p, w += p, thr += 2)
                word |= bin_bit(thr, n - 2 * (int32_t)pop_xor_idx(a, idx, w, p)) << b;
        }
        *bits++ = word;
    }
}

static BT_NOINLINE void layer_generic(const kctx *kp, const int32_t *thr, void *out);

void bt_layer_sw(const bt_model_t *m, const bt_layer_t *l, const void *in, uint32_t in_plane,
                 void *out)
{
    kctx k;
    k.l = l;
    k.in = (const uint8_t *)in;
    k.in_plane = in_plane;
    k.nw = bt_nwords(l->in_c);
    k.w = m->data + l->w_offset;
    k.w_half = l->out_c * l->kernel * l->kernel * k.nw;
    int packed_in = l->in_enc == BT_ENC_BINARY || l->in_enc == BT_ENC_TERNARY;
    k.xsum = 0;
    if (l->kind == BT_KIND_DENSE && !packed_in)
        for (uint32_t c = 0; c < l->in_c; c++)
            k.xsum += k.in[c];
    const int32_t *thr = l->n_thr ? (const int32_t *)(const void *)(m->data + l->t_offset) : 0;
    int bin_out = l->out_enc == BT_ENC_BINARY || l->out_enc == BT_ENC_SCORES;

    if (l->kind == BT_KIND_DENSE && l->in_enc == BT_ENC_BINARY && bin_out) {
        if (l->w_enc == BT_W_BINARY) {
            dense_bb(&k, thr, out);
            return;
        }
        if (l->w_enc == BT_W_SPARSE) {
            dense_sparse_b(&k, thr, out);
            return;
        }
    }
    layer_generic(&k, thr, out);
}

/* Every other layer: per output pixel and channel, accumulate (fn), max-pool, threshold. */
static void layer_generic(const kctx *kp, const int32_t *thr, void *out)
{
    kctx k = *kp;
    const bt_layer_t *l = k.l;
    int packed_in = l->in_enc == BT_ENC_BINARY || l->in_enc == BT_ENC_TERNARY;
    acc_fn fn;
    if (l->w_enc == BT_W_SPARSE)
        fn = acc_sparse;
    else if (l->in_enc == BT_ENC_BINARY && l->w_enc == BT_W_BINARY)
        fn = acc_conv_bb;
    else if (packed_in && l->w_enc != BT_W_INT)
        fn = acc_packed;
    else if (!packed_in && l->w_enc == BT_W_BINARY && l->kind == BT_KIND_DENSE)
        fn = acc_dense_bytes_binary;
    else if (!packed_in && l->w_enc == BT_W_BINARY)
        fn = acc_bytes_binary;
    else
        fn = acc_values;

    uint32_t npx = l->out_h * l->out_w, nwo = bt_nwords(l->out_c);
    uint32_t out_plane = npx * nwo;
    uint32_t *ow = (uint32_t *)out;
    if (l->out_enc == BT_ENC_BINARY || l->out_enc == BT_ENC_TERNARY) {
        uint32_t n = l->out_enc == BT_ENC_TERNARY ? 2u * out_plane : out_plane;
        for (uint32_t j = 0; j < n; j++)
            ow[j] = 0;
    }
    uint32_t pool = l->pool, L = l->n_thr;
    /* binary conv with pool <= 2: tap rectangles once per output pixel (eBNN fused loop) */
    tap_win win[4];
    int by_win = (fn == acc_conv_bb || fn == acc_bytes_binary) && pool <= 2u;
    int bytes_win = fn == acc_bytes_binary;
    uint32_t w_stride = l->kernel * l->kernel * k.nw;
    for (uint32_t py = 0; py < l->out_h; py++)
        for (uint32_t px = 0; px < l->out_w; px++) {
            uint32_t pix = py * l->out_w + px;
            if (by_win)
                for (uint32_t j = 0; j < pool * pool; j++)
                    win_make(&k, py * pool + j / pool, px * pool + j % pool, &win[j]);
            for (uint32_t o = 0; o < l->out_c; o++) {
                int32_t acc;
                if (by_win) {
                    const uint32_t *w_o = w_words(&k) + o * w_stride;
                    if (bytes_win) {
                        acc = win_acc_bytes(&k, &win[0], w_o);
                        for (uint32_t j = 1; j < pool * pool; j++) {
                            int32_t v = win_acc_bytes(&k, &win[j], w_o);
                            if (v > acc)
                                acc = v;
                        }
                    } else {
                        acc = win_acc(&k, &win[0], w_o);
                        for (uint32_t j = 1; j < pool * pool; j++) {
                            int32_t v = win_acc(&k, &win[j], w_o);
                            if (v > acc)
                                acc = v;
                        }
                    }
                } else {
                    acc = fn(&k, o, py * pool, px * pool);
                    for (uint32_t dy = 0; dy < pool; dy++)
                        for (uint32_t dx = 0; dx < pool; dx++) {
                            if (dy == 0 && dx == 0)
                                continue;
                            int32_t v = fn(&k, o, py * pool + dy, px * pool + dx);
                            if (v > acc)
                                acc = v;
                        }
                }
                if (l->out_enc == BT_ENC_SCORES) {
                    ((int32_t *)out)[pix * l->out_c + o] = acc;
                    continue;
                }
                uint32_t code = threshold_code(thr + o * (1u + L), L, acc);
                uint32_t wi = pix * nwo + (o >> 5), bit = 1u << (o & 31u);
                switch (l->out_enc) {
                case BT_ENC_BINARY:
                    if (code)
                        ow[wi] |= bit;
                    break;
                case BT_ENC_TERNARY:
                    if (code != 1u)
                        ow[wi] |= bit;
                    if (code == 0u)
                        ow[out_plane + wi] |= bit;
                    break;
                default:
                    ((uint8_t *)out)[pix * l->out_c + o] = (uint8_t)code;
                    break;
                }
            }
        }
}
