/* Binary-weight convolutions, packed binary input (conv_bb1: one-word pixels; conv_bb) or byte codes (conv_bytes: u8
 * pixels, uint k; conv_bytes_c1: one channel, the grayscale first layer). With pool <= 2 the
 * valid-tap rectangle of each conv position is found once per output pixel and reused for
 * every output channel (the eBNN fused loop). */
#include "bt_kernels.h"

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
static int32_t acc_conv_bb(const bt_kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    uint32_t nw = k->nw, K = l->kernel, ky0, ky1, kx0, kx1;
    tap_range(cy, l->stride, l->pad, K, l->in_h, &ky0, &ky1);
    tap_range(cx, l->stride, l->pad, K, l->in_w, &kx0, &kx1);
    if (ky1 <= ky0 || kx1 <= kx0)
        return 0;
    uint32_t row = l->in_w * nw, run = (kx1 - kx0) * nw, pc = 0;
    const uint32_t *a = bt_in_words(k) + ((cy * l->stride + ky0 - l->pad) * l->in_w +
                                          (cx * l->stride + kx0 - l->pad)) * nw;
    const uint32_t *w = bt_w_words(k) + ((o * K + ky0) * K + kx0) * nw;
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

/* Byte codes (u8 / uint k) x binary weights: acc = 2 * sum(x where w=+1) - sum(x). */
static int32_t acc_bytes_binary(const bt_kctx *k, uint32_t o, uint32_t cy, uint32_t cx)
{
    const bt_layer_t *l = k->l;
    int64_t acc = 0;
    for (uint32_t ky = 0; ky < l->kernel; ky++)
        for (uint32_t kx = 0; kx < l->kernel; kx++) {
            uint32_t y, x;
            if (!bt_tap_at(l, cy, cx, ky, kx, &y, &x))
                continue;
            const uint8_t *a = k->in + (y * l->in_w + x) * l->in_c;
            const uint32_t *w = bt_w_words(k) + ((o * l->kernel + ky) * l->kernel + kx) * k->nw;
            uint32_t pos = 0, all = 0, c = 0;
            for (uint32_t j = 0; j < k->nw; j++) {
                uint32_t bits = w[j], end = c + 32u < l->in_c ? c + 32u : l->in_c;
                for (; c < end; c++, bits >>= 1) {
                    uint32_t v = a[c];
                    all += v;
                    pos += (bits & 1u) * v;
                }
            }
            acc += 2 * (int64_t)pos - all;
        }
    return (int32_t)acc; /* |acc| <= acc_bound < 2^31 */
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

static void win_make(const bt_kctx *k, uint32_t cy, uint32_t cx, tap_win *t)
{
    const bt_layer_t *l = k->l;
    uint32_t nw = k->nw, K = l->kernel, ky0, ky1, kx0, kx1;
    tap_range(cy, l->stride, l->pad, K, l->in_h, &ky0, &ky1);
    tap_range(cx, l->stride, l->pad, K, l->in_w, &kx0, &kx1);
    if (ky1 <= ky0 || kx1 <= kx0) {
        t->rows = t->run = t->taps = 0;
        t->n = 0;
        t->a = bt_in_words(k);
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
        t->a = bt_in_words(k) + first * nw;
        t->ab = k->in;
        t->n = (int32_t)(t->rows * t->taps * l->in_c);
        return;
    }
    /* byte codes: the window's code sum is the same for every output channel */
    t->a = bt_in_words(k);
    t->ab = k->in + first * l->in_c;
    uint32_t sum = 0;
    const uint8_t *x = t->ab;
    for (uint32_t r = 0; r < t->rows; r++, x += l->in_w * l->in_c)
        for (uint32_t j = 0; j < t->taps * l->in_c; j++)
            sum += x[j];
    t->n = (int32_t)sum; /* <= acc_bound < 2^31 */
}

/* Byte codes x binary weights over one window: 2 * sum(x where w = +1) - sum(x), in 64 bits
 * (2 * pos alone may pass 2^31 when the bound is near it). */
static inline int32_t win_acc_bytes(const bt_kctx *k, const tap_win *t, const uint32_t *w_o)
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
    return (int32_t)(2 * (int64_t)pos - t->n);
}

static inline int32_t win_acc(const bt_kctx *k, const tap_win *t, const uint32_t *w_o)
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

/* Pool <= 2: windows once per output pixel, every output channel over them. */
static void conv_windows(const bt_kctx *k, int bytes)
{
    const bt_layer_t *l = k->l;
    uint32_t pool = l->pool, w_stride = l->kernel * l->kernel * k->nw;
    tap_win win[4];
    bt_out_clear(k);
    for (uint32_t py = 0; py < l->out_h; py++)
        for (uint32_t px = 0; px < l->out_w; px++) {
            for (uint32_t j = 0; j < pool * pool; j++)
                win_make(k, py * pool + j / pool, px * pool + j % pool, &win[j]);
            for (uint32_t o = 0; o < l->out_c; o++) {
                const uint32_t *w_o = bt_w_words(k) + o * w_stride;
                int32_t acc;
                if (bytes) {
                    acc = win_acc_bytes(k, &win[0], w_o);
                    for (uint32_t j = 1; j < pool * pool; j++) {
                        int32_t v = win_acc_bytes(k, &win[j], w_o);
                        if (v > acc)
                            acc = v;
                    }
                } else {
                    acc = win_acc(k, &win[0], w_o);
                    for (uint32_t j = 1; j < pool * pool; j++) {
                        int32_t v = win_acc(k, &win[j], w_o);
                        if (v > acc)
                            acc = v;
                    }
                }
                bt_out_put(k, py * l->out_w + px, o, acc);
            }
        }
}

/* ---- conv_bb1: binary x binary with one-word input pixels (C <= 32), K*K <= 16, pool <= 2:
 * the cnn-m0 middle layers. Each window's K*K input words are gathered once per output pixel
 * (pad taps: word 0, mask 0), then every output channel is K*K XORs whose nibble popcounts
 * share one fold per three taps. Windows with every tap inside skip the masks. */
#define WIN1_TAPS 16u

typedef struct {
    uint32_t a[WIN1_TAPS], m[WIN1_TAPS]; /* tap ky*K+kx: input word; all ones, or 0 for a pad tap */
    int32_t n;                            /* valid taps * C */
    int full;                             /* no pad tap */
} win1;

static void win1_make(const bt_kctx *k, uint32_t cy, uint32_t cx, win1 *t)
{
    const bt_layer_t *l = k->l;
    uint32_t K = l->kernel, valid = 0;
    const uint32_t *in = bt_in_words(k);
    for (uint32_t ky = 0; ky < K; ky++)
        for (uint32_t kx = 0; kx < K; kx++) {
            uint32_t y, x, j = ky * K + kx;
            int ok = bt_tap_at(l, cy, cx, ky, kx, &y, &x);
            t->a[j] = ok ? in[y * l->in_w + x] : 0u;
            t->m[j] = ok ? ~0u : 0u;
            valid += (uint32_t)ok;
        }
    t->full = valid == K * K;
    t->n = (int32_t)(valid * l->in_c);
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__ARM_ARCH_6M__)
#define WIN1_PC9_ASM 1
/* ARMv6-M, 3x3 windows: popcount of (a[i] ^ w[i]) (& m[i], the pad masks 64 bytes after a)
 * over the 9 taps by hand. Per tap 10 instructions (12 masked): load both words, XOR, the
 * nibble counts with m1 / m2 kept in r6 / r7; three taps share one fold to byte counts, the
 * byte counts (<= 72) are summed in 16-bit lanes (the total reaches 288). GCC spread this
 * over high and low registers: ~153 instructions per window (~171 masked), this is 126
 * (144). Constants from a literal pool behind the code. */
#define W1_TAP(O, MO, MASK, ACC)                                                          \
    "ldr r4, [r0, #" O "]\n\tldr r5, [r1, #" O "]\n\teors r4, r5\n\t"                   \
    MASK("ldr r5, [r0, #" MO "]\n\tands r4, r5\n\t")                                     \
    "lsrs r5, r4, #1\n\tands r5, r6\n\tsubs r4, r4, r5\n\tlsrs r5, r4, #2\n\t"          \
    "ands r4, r7\n\tands r5, r7\n\t" ACC
#define W1_FIRST "adds r3, r4, r5\n\t"
#define W1_NEXT "adds r3, r3, r4\n\tadds r3, r3, r5\n\t"
#define W1_GROUP(O0, O1, O2, M0, M1, M2, MASK)                                            \
    W1_TAP(O0, M0, MASK, W1_FIRST) W1_TAP(O1, M1, MASK, W1_NEXT) W1_TAP(O2, M2, MASK, W1_NEXT)
/* r3's nibble counts (<= 12) to bytes, into r2 */
#define W1_FOLD(ACC) "ldr r6, 6f\n\tlsrs r5, r3, #4\n\tands r3, r6\n\tands r5, r6\n\t" ACC
#define W1_KEEP(x) x
#define W1_DROP(x)
#define W1_BODY(MASK)                                                                     \
    "ldr r6, 7f\n\tldr r7, 8f\n\t"                                                         \
    W1_GROUP("0", "4", "8", "64", "68", "72", MASK)                                         \
    W1_FOLD("adds r2, r3, r5\n\tldr r6, 7f\n\t")                                          \
    W1_GROUP("12", "16", "20", "76", "80", "84", MASK)                                      \
    W1_FOLD("adds r2, r2, r3\n\tadds r2, r2, r5\n\tldr r6, 7f\n\t")                       \
    W1_GROUP("24", "28", "32", "88", "92", "96", MASK)                                      \
    W1_FOLD("adds r2, r2, r3\n\tadds r2, r2, r5\n\t")                                     \
    "ldr r6, 5f\n\tlsrs r5, r2, #8\n\tands r5, r6\n\tands r2, r6\n\tadds r2, r2, r5\n\t"   \
    "lsrs r5, r2, #16\n\tadds r2, r2, r5\n\tuxth r2, r2\n\tb 9f\n\t.p2align 2\n"          \
    "7:\n\t.word 0x55555555\n8:\n\t.word 0x33333333\n6:\n\t.word 0x0F0F0F0F\n"            \
    "5:\n\t.word 0x00FF00FF\n9:\n\t"

static inline uint32_t win1_pc9_v6m(const uint32_t *a, const uint32_t *w, int masked)
{
    register const uint32_t *ra __asm__("r0") = a;
    register const uint32_t *rw __asm__("r1") = w;
    register uint32_t pc __asm__("r2");
    if (masked)
        __asm__(".syntax unified\n\t" W1_BODY(W1_KEEP)
                : "=l"(pc)
                : "l"(ra), "l"(rw), "m"(*(const uint32_t(*)[2 * WIN1_TAPS])a),
                  "m"(*(const uint32_t(*)[9])w)
                : "r3", "r4", "r5", "r6", "r7", "cc");
    else
        __asm__(".syntax unified\n\t" W1_BODY(W1_DROP)
                : "=l"(pc)
                : "l"(ra), "l"(rw), "m"(*(const uint32_t(*)[9])a), "m"(*(const uint32_t(*)[9])w)
                : "r3", "r4", "r5", "r6", "r7", "cc");
    return pc;
}
#endif

/* The window's accumulator for one output channel's K*K weight words w. */
static inline int32_t win1_acc(const win1 *t, const uint32_t *w, uint32_t kk, int masked)
{
#if defined(WIN1_PC9_ASM)
    if (kk == 9u)
        return t->n - 2 * (int32_t)win1_pc9_v6m(t->a, w, masked);
#endif
    const uint32_t *a = t->a, *m = t->m;
    uint32_t pc = 0, j = 0;
#define X(i) (masked ? (a[i] ^ w[i]) & m[i] : a[i] ^ w[i])
    for (; j + 3u <= kk; j += 3u, a += 3, m += 3, w += 3)
        pc += bt_nib_total(bt_pop_nib(X(0)) + bt_pop_nib(X(1)) + bt_pop_nib(X(2)));
    for (; j < kk; j++, a++, m++, w++)
        pc += bt_pop32(X(0));
#undef X
    return t->n - 2 * (int32_t)pc;
}

int bt_supports_conv_bb1(const bt_layer_t *l)
{
    return l->kind == BT_KIND_CONV && l->in_enc == BT_ENC_BINARY && l->w_enc == BT_W_BINARY &&
           l->in_c <= 32u && l->kernel * l->kernel <= WIN1_TAPS && l->pool <= 2u;
}

/* Every output channel of output pixel pix over its np pooled windows. */
static inline void win1_channels(const bt_kctx *k, const win1 *win, uint32_t np, uint32_t pix,
                                 int masked, uint32_t kk)
{
    const uint32_t *w = bt_w_words(k);
    for (uint32_t o = 0; o < k->l->out_c; o++, w += kk) {
        int32_t acc = win1_acc(&win[0], w, kk, masked);
        for (uint32_t j = 1; j < np; j++) {
            int32_t v = win1_acc(&win[j], w, kk, masked);
            if (v > acc)
                acc = v;
        }
        bt_out_put(k, pix, o, acc);
    }
}

/* Binary outputs: max-pool then threshold is an OR over the pool windows (d = +1: some
 * window reaches T) or the negated OR of "some window passes T" (d = -1: max <= T), so the
 * windows stop at the first that decides, and the bits of 32 channels go out in one store. */
static inline void win1_bits(const bt_kctx *k, const win1 *win, uint32_t np, uint32_t pix,
                             int masked, uint32_t kk)
{
    const bt_layer_t *l = k->l;
    const uint32_t *w = bt_w_words(k);
    const int32_t *row = k->thr;
    uint32_t *ow = (uint32_t *)k->out + pix * bt_nwords(l->out_c), bits = 0;
    for (uint32_t o = 0; o < l->out_c; o++, w += kk, row += 2) {
        int32_t t = bt_out_bit_edge(row);
        uint32_t hit = 0;
        for (uint32_t j = 0; j < np && !hit; j++)
            hit = win1_acc(&win[j], w, kk, masked) >= t;
        bits |= (hit ^ bt_out_bit_flip(row)) << (o & 31u);
        if ((o & 31u) == 31u || o + 1u == l->out_c) {
            *ow++ = bits;
            bits = 0;
        }
    }
}

void BT_NOINLINE bt_kernel_conv_bb1(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    uint32_t pool = l->pool, np = pool * pool;
    win1 win[4];
    bt_out_clear(k);
    for (uint32_t py = 0; py < l->out_h; py++)
        for (uint32_t px = 0; px < l->out_w; px++) {
            int full = 1;
            for (uint32_t j = 0; j < np; j++) {
                win1_make(k, py * pool + j / pool, px * pool + j % pool, &win[j]);
                full &= win[j].full;
            }
            /* 3x3 windows without pad taps (most of them) get a fully unrolled loop */
            uint32_t pix = py * l->out_w + px, kk = l->kernel * l->kernel;
            if (l->out_enc == BT_ENC_BINARY) {
                if (kk == 9u && full)
                    win1_bits(k, win, np, pix, 0, 9u);
                else if (kk == 9u)
                    win1_bits(k, win, np, pix, 1, 9u);
                else
                    win1_bits(k, win, np, pix, 1, kk);
            } else {
                win1_channels(k, win, np, pix, 1, kk);
            }
        }
}

int bt_supports_conv_bb(const bt_layer_t *l)
{
    return l->kind == BT_KIND_CONV && l->in_enc == BT_ENC_BINARY && l->w_enc == BT_W_BINARY;
}

void BT_NOINLINE bt_kernel_conv_bb(const bt_kctx *k)
{
    if (k->l->pool <= 2u)
        conv_windows(k, 0);
    else
        bt_each_output(k, acc_conv_bb);
}

int bt_supports_conv_bytes(const bt_layer_t *l)
{
    return l->kind == BT_KIND_CONV && !bt_packed(l->in_enc) && l->w_enc == BT_W_BINARY;
}

void BT_NOINLINE bt_kernel_conv_bytes(const bt_kctx *k)
{
    if (k->l->pool <= 2u)
        conv_windows(k, 1);
    else
        bt_each_output(k, acc_bytes_binary);
}

/* ---- one input channel (a grayscale image), K*K <= 16 taps, pool <= 2 ----------------
 * acc = 2 * sum(codes of taps with weight +1) - sum(codes). The taps fall in groups of three;
 * per output pixel each pool window's 8 subset sums per group are tabled once (doubled; group
 * 0 also minus the window's sum), and each output channel's weight bits become one 3-bit
 * code per group once per layer block. The four windows' entries of one (group, code) sit
 * side by side in 16-bit lanes of two words (biased to stay non-negative), so one output
 * channel costs two word loads and two adds per group for all its pool windows, then the
 * max of the lanes: the u8 x binary first layer as precomputed per-window sums. Pad taps
 * are zero codes. */
#define C1_TAPS 16u
#define C1_GROUPS ((C1_TAPS + 2u) / 3u)
#define C1_BLOCK 32u   /* output channels per block: their offsets take 384 B of stack */
#define C1_BIAS 4096   /* > 16 * 255 >= -(any entry); lane sums <= 6 * (4096 + 1530) */

typedef struct {
    uint32_t e[C1_GROUPS][8][2]; /* [group][code]: windows 0|1 and 2|3 in 16-bit lanes */
} c1_tab;

/* Fill window `win`'s lanes of the table for conv position (cy, cx). */
static void c1_gather(const bt_kctx *k, uint32_t cy, uint32_t cx, uint32_t groups,
                      uint32_t win, c1_tab *g)
{
    const bt_layer_t *l = k->l;
    uint32_t K = l->kernel, t = 0;
    int32_t v[C1_GROUPS * 3u], sum = 0;
    for (uint32_t ky = 0; ky < K; ky++)
        for (uint32_t kx = 0; kx < K; kx++, t++) {
            uint32_t y, x;
            v[t] = 0;
            if (bt_tap_at(l, cy, cx, ky, kx, &y, &x)) {
                v[t] = 2 * (int32_t)k->in[y * l->in_w + x];
                sum += v[t];
            }
        }
    for (; t < 3u * groups; t++)
        v[t] = 0;
    uint16_t *lanes = (uint16_t *)(void *)g->e; /* little-endian: lane 0 is the low half */
    uint32_t at = (win >> 1) * 2u + (win & 1u);
    for (uint32_t j = 0; j < groups; j++, at += 32u) {
        int32_t x0 = v[3u * j], x1 = v[3u * j + 1u], x2 = v[3u * j + 2u];
        int32_t base = C1_BIAS - (j ? 0 : sum / 2);
        lanes[at] = (uint16_t)base;
        lanes[at + 4u] = (uint16_t)(base + x0);
        lanes[at + 8u] = (uint16_t)(base + x1);
        lanes[at + 12u] = (uint16_t)(base + x0 + x1);
        lanes[at + 16u] = (uint16_t)(base + x2);
        lanes[at + 20u] = (uint16_t)(base + x0 + x2);
        lanes[at + 24u] = (uint16_t)(base + x1 + x2);
        lanes[at + 28u] = (uint16_t)(base + x0 + x1 + x2);
    }
}

/* K = 3, pool 2, stride 1: the four windows of output pixel (py, px) read a 4x4 patch. Row r,
 * column c of the patch paired with column c + 1 (windows 0|1 of a pair, 16-bit lanes), doubled,
 * gives both lanes of one tap at once; windows 0|1 take patch rows 0-2, windows 2|3 rows 1-3,
 * and group j is kernel row j. So the whole table is 12 packed taps, their sums and 7 adds
 * per (group, pair). Border patches are copied with zero pad codes first. */
static void c1_gather_p2(const bt_kctx *k, uint32_t py, uint32_t px, c1_tab *g)
{
    const bt_layer_t *l = k->l;
    int32_t y0 = (int32_t)(2u * py) - (int32_t)l->pad, x0 = (int32_t)(2u * px) - (int32_t)l->pad;
    const uint8_t *src;
    uint32_t stride;
    uint8_t patch[16];
    if (y0 >= 0 && x0 >= 0 && y0 + 4 <= (int32_t)l->in_h && x0 + 4 <= (int32_t)l->in_w) {
        src = k->in + (uint32_t)y0 * l->in_w + (uint32_t)x0;
        stride = l->in_w;
    } else {
        for (uint32_t r = 0; r < 4u; r++)
            for (uint32_t c = 0; c < 4u; c++) {
                int32_t y = y0 + (int32_t)r, x = x0 + (int32_t)c;
                patch[r * 4u + c] = (y >= 0 && x >= 0 && y < (int32_t)l->in_h &&
                                     x < (int32_t)l->in_w)
                                        ? k->in[(uint32_t)y * l->in_w + (uint32_t)x]
                                        : 0u;
            }
        src = patch;
        stride = 4u;
    }
    uint32_t q[4][3], rs[4];
    for (uint32_t r = 0; r < 4u; r++, src += stride) {
        uint32_t a = src[0], b = src[1], c = src[2], d = src[3];
        q[r][0] = (a | b << 16) << 1;
        q[r][1] = (b | c << 16) << 1;
        q[r][2] = (c | d << 16) << 1;
        rs[r] = q[r][0] + q[r][1] + q[r][2];
    }
    const uint32_t bias = (uint32_t)C1_BIAS | (uint32_t)C1_BIAS << 16;
    for (uint32_t pair = 0; pair < 2u; pair++) {
        /* lanes: bias minus the window's code sum (group 0), bias (groups 1, 2); the doubled
         * sums are even, so halving the packed word moves no bit across the lanes */
        uint32_t sum = rs[pair] + rs[pair + 1u] + rs[pair + 2u];
        for (uint32_t j = 0; j < 3u; j++) {
            const uint32_t *x = q[pair + j];
            uint32_t e0 = j ? bias : bias - (sum >> 1), e1 = e0 + x[0], e2 = e0 + x[1];
            uint32_t e3 = e1 + x[1];
            g->e[j][0][pair] = e0;
            g->e[j][1][pair] = e1;
            g->e[j][2][pair] = e2;
            g->e[j][3][pair] = e3;
            g->e[j][4][pair] = e0 + x[2];
            g->e[j][5][pair] = e1 + x[2];
            g->e[j][6][pair] = e2 + x[2];
            g->e[j][7][pair] = e3 + x[2];
        }
    }
}

/* Max over the nwin pool windows of one output channel; off[j] = byte offset of its
 * (group j, code) entry pair (groups constant where inlined). */
static inline int32_t c1_pooled(const c1_tab *g, uint32_t nwin, const uint16_t *off,
                                uint32_t groups)
{
    const uint8_t *base = (const uint8_t *)g->e;
    uint32_t l01 = 0, l23 = 0;
    for (uint32_t j = 0; j < groups; j++) {
        const uint32_t *q = (const uint32_t *)(const void *)(base + off[j]);
        l01 += q[0];
        l23 += q[1];
    }
    uint32_t m = l01 & 0xFFFFu;
    if (nwin > 1u) {
        uint32_t v1 = l01 >> 16, v2 = l23 & 0xFFFFu, v3 = l23 >> 16;
        m = v1 > m ? v1 : m;
        m = v2 > m ? v2 : m;
        m = v3 > m ? v3 : m;
    }
    return (int32_t)m - (int32_t)groups * C1_BIAS;
}

int bt_supports_conv_bytes_c1(const bt_layer_t *l)
{
    return bt_supports_conv_bytes(l) && l->in_c == 1u && l->kernel * l->kernel <= C1_TAPS &&
           l->pool <= 2u;
}

void BT_NOINLINE bt_kernel_conv_bytes_c1(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    uint32_t pool = l->pool, nwin = pool * pool, taps = l->kernel * l->kernel;
    uint32_t groups = (taps + 2u) / 3u, nwo = bt_nwords(l->out_c);
    uint16_t off[C1_BLOCK][C1_GROUPS]; /* table offsets of a block of output channels */
    c1_tab tab;
    uint32_t *ow = (uint32_t *)k->out;
    bt_out_clear(k);
    for (uint32_t j = 0; j < groups; j++) /* one window (pool 1): lanes 1-3 stay zero */
        for (uint32_t c = 0; c < 8u; c++)
            tab.e[j][c][0] = tab.e[j][c][1] = 0;
    for (uint32_t o0 = 0; o0 < l->out_c; o0 += C1_BLOCK) {
        uint32_t cnt = l->out_c - o0 < C1_BLOCK ? l->out_c - o0 : C1_BLOCK;
        const uint32_t *w = bt_w_words(k) + o0 * taps; /* one word per tap: in_c == 1 */
        for (uint32_t b = 0; b < cnt; b++) {
            for (uint32_t j = 0; j < groups; j++)
                off[b][j] = (uint16_t)(j * sizeof tab.e[0]);
            for (uint32_t t = 0, j = 0, i = 0; t < taps; t++) {
                off[b][j] = (uint16_t)(off[b][j] + ((*w++ & 1u) << i) * sizeof tab.e[0][0]);
                if (++i == 3u) {
                    i = 0;
                    j++;
                }
            }
        }
        /* binary outputs: the max lane reaches T' (T for d = +1, T + 1 for d = -1, then the
         * bit negated) iff some lane + (2^15 - T' - groups * bias) has bit 15 set, T' clamped
         * to [0, 2^15] (lanes stay in [0, 2^15): see C1_BIAS), so no carry crosses a lane */
        uint32_t kw[C1_BLOCK], flip = 0;
        for (uint32_t b = 0; b < cnt && l->out_enc == BT_ENC_BINARY; b++) {
            const int32_t *row = bt_thr_row(k, o0 + b);
            int32_t t = bt_out_bit_edge(row) + (int32_t)groups * C1_BIAS;
            t = t < 0 ? 0 : t > 32768 ? 32768 : t;
            kw[b] = (32768u - (uint32_t)t) * 0x10001u;
            flip |= bt_out_bit_flip(row) << b;
        }
        for (uint32_t py = 0; py < l->out_h; py++)
            for (uint32_t px = 0; px < l->out_w; px++) {
                uint32_t pix = py * l->out_w + px;
                if (pool == 2u && taps == 9u && l->stride == 1u)
                    c1_gather_p2(k, py, px, &tab);
                else
                    for (uint32_t dy = 0; dy < pool; dy++)
                        for (uint32_t dx = 0; dx < pool; dx++)
                            c1_gather(k, py * pool + dy, px * pool + dx, groups,
                                      dy * pool + dx, &tab);
                if (l->out_enc == BT_ENC_BINARY && groups == 3u) {
                    const uint8_t *base = (const uint8_t *)tab.e;
                    uint32_t bits = 0;
                    for (uint32_t b = 0; b < cnt; b++) {
                        const uint32_t *q0 = (const uint32_t *)(const void *)(base + off[b][0]);
                        const uint32_t *q1 = (const uint32_t *)(const void *)(base + off[b][1]);
                        const uint32_t *q2 = (const uint32_t *)(const void *)(base + off[b][2]);
                        uint32_t s = (q0[0] + q1[0] + q2[0] + kw[b]) |
                                     (q0[1] + q1[1] + q2[1] + kw[b]);
                        bits |= ((s | s << 16) >> 31) << b;
                    }
                    uint32_t *o = ow + pix * nwo + (o0 >> 5);
                    *o |= (bits ^ flip) << (o0 & 31u);
                    continue;
                }
                for (uint32_t b = 0; b < cnt; b++) {
                    uint32_t o = o0 + b;
                    /* 3x3 kernels (three groups) get the loop over groups unrolled */
                    int32_t acc = groups == 3u ? c1_pooled(&tab, nwin, off[b], 3u)
                                               : c1_pooled(&tab, nwin, off[b], groups);
                    if (l->out_enc == BT_ENC_BINARY)
                        ow[pix * nwo + (o >> 5)] |= bt_out_bit(bt_thr_row(k, o), acc) << (o & 31u);
                    else
                        bt_out_put(k, pix, o, acc);
                }
            }
    }
}
