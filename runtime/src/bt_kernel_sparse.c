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

#if BT_POPCOUNT == 0 && defined(__GNUC__) && !defined(__clang__) && \
    (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__))
#define BT_SPARSE2_ASM 1
/* ARMv7-M, two packs per output (n = 64) with binary output: `count` outputs in one asm loop
 * with every value in a register (30 instructions per output; GCC's loop took ~45). Output
 * bits enter `inv` inverted from the top (inv >> 1 | the
 * sign of (acc - T) * d), so after 32 outputs output o is bit o of ~inv. Field offsets are
 * the asm's: keep them in step. */
typedef struct {
    const uint32_t *a;    /* 0 */
    const uint16_t *idx;  /* 4: advanced */
    const uint32_t *w;    /* 8: advanced */
    const int32_t *thr;   /* 12: advanced */
    uint32_t count;       /* 16 */
    uint32_t inv;         /* 20: out */
} bt_sparse2_job;

#if defined(__ARM_FEATURE_DSP)
#define BT_SPARSE2_SUM "usad8 r12, r12, r10\n\t" /* r10 = 0 */
#else
#define BT_SPARSE2_SUM "add r12, r12, r12, lsl #8\n\tadd r12, r12, r12, lsl #16\n\tlsr r12, r12, #24\n\t"
#endif

__attribute__((naked, noinline)) static void
bt_sparse2_v7m(bt_sparse2_job *job __attribute__((unused)))
{
    __asm__ volatile(
        "push {r0, r4-r11, lr}\n\t"
        "ldmia r0, {r1, r2, r3, r4, r5}\n\t"
        "mov r6, #0x0F0F0F0F\n\t"
        "movs r7, #0\n\t"
        "mov r8, #0x55555555\n\tmov r9, #0x33333333\n\tmovs r10, #0\n"
        "1:\n\t"
        "ldrh r0, [r2], #2\n\t"
        "ldrh r11, [r2], #2\n\t"
        "ldr r12, [r1, r0, lsl #2]\n\t"
        "ldr lr, [r1, r11, lsl #2]\n\t"
        "ldrd r0, r11, [r3], #8\n\t"
        "eor r12, r12, r0\n\teor lr, lr, r11\n\t"
        "and r0, r8, r12, lsr #1\n\tsub r12, r12, r0\n\t"
        "and r0, r8, lr, lsr #1\n\tsub lr, lr, r0\n\t"
        "and r0, r9, r12, lsr #2\n\tand r12, r12, r9\n\tadd r12, r12, r0\n\t"
        "and r0, r9, lr, lsr #2\n\tand lr, lr, r9\n\tadd lr, lr, r0\n\t"
        "add r12, r12, lr\n\t"  /* nibble counts <= 8 */
        "and r0, r6, r12, lsr #4\n\tand r12, r12, r6\n\tadd r12, r12, r0\n\t" /* bytes <= 16 */
        BT_SPARSE2_SUM
        "ldrd r0, r11, [r4], #8\n\t"
        "add r12, r11, r12, lsl #1\n\t" /* acc - T = 64 - (T + 2 * popcount) */
        "rsb r12, r12, #64\n\t"
        "mul r12, r12, r0\n\t"
        "and r12, r12, #0x80000000\n\t"
        "orr r7, r12, r7, lsr #1\n\t"
        "subs r5, r5, #1\n\t"
        "bne 1b\n\t"
        "pop {r0}\n\t"
        "str r2, [r0, #4]\n\tstr r3, [r0, #8]\n\tstr r4, [r0, #12]\n\tstr r7, [r0, #20]\n\t"
        "pop {r4-r11, pc}\n\t");
}
#endif

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
#if defined(BT_SPARSE2_ASM)
        if (p == 2u) {
            bt_sparse2_job job = {a, idx, w, thr, cnt, 0};
            bt_sparse2_v7m(&job);
            idx = job.idx;
            w = job.w;
            thr = job.thr;
            word = ~job.inv >> (32u - cnt);
        } else
#endif
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
