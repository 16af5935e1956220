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

#if defined(BT_HS_POP_ASM) && BT_POPCOUNT == 0
/* The ARMv7-M layer loop: `count` outputs in one asm loop, its state in a job in memory
 * (r7 points at it through the popcount, which leaves r7 alone), instead of GCC's ~40
 * instructions of spills and reloads per output around the asm popcount. Scores are stored
 * (scores != NULL), or each output bit enters `word` from the top (word >> 1 | bit << 31),
 * so after 32 outputs output o is bit o. Field offsets are the asm's: keep them in step. */
typedef struct {
    const uint32_t *a;   /* 0: the input words */
    const uint32_t *w;   /* 4: the next output's weight words (advanced) */
    uint32_t nw;         /* 8 */
    int32_t n;           /* 12: in_c */
    const int32_t *thr;  /* 16: the next output's (d, T) (advanced) */
    int32_t *scores;     /* 20: the next score (advanced), or NULL */
    uint32_t count;      /* 24: outputs left (counted down to 0) */
    uint32_t word;       /* 28: output bits */
} bt_dense_job;

__attribute__((naked, noinline)) static void bt_dense_bb_v7m(bt_dense_job *job __attribute__((unused)))
{
    __asm__ volatile(
        "push {r4-r11, lr}\n\t"
        "mov r7, r0\n\t"
        "ldr r1, [r7, #4]\n"
        "5:\n\t"
        "ldr r0, [r7, #0]\n\t"
        "ldr r2, [r7, #8]\n\t"
        BT_V7M_POP_ASM
        "ldr r4, [r7, #12]\n\t"
        "sub r3, r4, r3, lsl #1\n\t"  /* acc = n - 2 * popcount */
        "ldr r5, [r7, #20]\n\t"
        "cbz r5, 6f\n\t"
        "str r3, [r5], #4\n\t"
        "str r5, [r7, #20]\n\t"
        "b 7f\n"
        "6:\n\t"                      /* bit = ((acc - T) * d >= 0), as bt_out_bit_narrow */
        "ldr r5, [r7, #16]\n\t"
        "ldrd r4, r6, [r5], #8\n\t"
        "str r5, [r7, #16]\n\t"
        "subs r3, r3, r6\n\t"
        "mul r3, r3, r4\n\t"
        "mvn r3, r3\n\t"
        "and r3, r3, #0x80000000\n\t"
        "ldr r4, [r7, #28]\n\t"
        "orr r4, r3, r4, lsr #1\n\t"
        "str r4, [r7, #28]\n"
        "7:\n\t"
        "ldr r4, [r7, #24]\n\t"
        "subs r4, r4, #1\n\t"
        "str r4, [r7, #24]\n\t"
        "bne 5b\n\t"
        "str r1, [r7, #4]\n\t"
        "pop {r4-r11, pc}\n\t");
}

void BT_NOINLINE bt_kernel_dense_bb(const bt_kctx *k)
{
    const bt_layer_t *l = k->l;
    uint32_t out_c = l->out_c;
    bt_dense_job job = {bt_in_words(k), bt_w_words(k), k->nw, (int32_t)l->in_c, k->thr,
                        l->out_enc == BT_ENC_SCORES ? (int32_t *)k->out : 0, 0, 0};
    if (!out_c)
        return;
    if (job.scores) {
        job.count = out_c;
        bt_dense_bb_v7m(&job);
        return;
    }
    uint32_t *bits = (uint32_t *)k->out;
    for (uint32_t o = 0; o < out_c; o += 32u) {
        uint32_t c = out_c - o < 32u ? out_c - o : 32u;
        job.count = c;
        job.word = 0;
        bt_dense_bb_v7m(&job);
        *bits++ = job.word >> (32u - c);
    }
}
#else
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
#endif
