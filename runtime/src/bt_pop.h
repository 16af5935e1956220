/* Harley-Seal popcount of a ^ b over n words, inline so that a layer loop (bt_kernel_dense_bin.c)
 * keeps its masks in registers and its state out of memory across outputs; bt_pop_xor
 * (bt_pop.c) is the same code behind a call, for the other kernels. */
#ifndef BT_POP_H
#define BT_POP_H

#include "bt_internal.h"

/* The SWAR masks. Loaded once per layer and hidden from the compiler (bt_pop_masks) so it
 * keeps them in registers: "and r, m, x, lsr #1" is then one Thumb-2 instruction where an
 * immediate mask takes two. */
typedef struct {
    uint32_t m1, m2, m4;
} bt_pop_masks;

static inline bt_pop_masks bt_pop_masks_get(void)
{
    bt_pop_masks m = {0x55555555u, 0x33333333u, 0x0F0F0F0Fu};
#if defined(__GNUC__)
    __asm__("" : "+r"(m.m1), "+r"(m.m2), "+r"(m.m4));
#endif
    return m;
}

/* Nibble-level partial popcount (each nibble: the count of its 4 bits) and the fold of
 * nibble counts (<= 15) into byte counts. */
static inline uint32_t bt_pop_nib_m(uint32_t x, bt_pop_masks m)
{
    x = x - ((x >> 1) & m.m1);
    return (x & m.m2) + ((x >> 2) & m.m2);
}
static inline uint32_t bt_nib_bytes(uint32_t x, bt_pop_masks m)
{
    return (x & m.m4) + ((x >> 4) & m.m4);
}
/* Byte counts (each <= 255) as two 16-bit lane sums (each <= 510). */
static inline uint32_t bt_byte_lanes(uint32_t x)
{
    return (x & 0x00FF00FFu) + ((x >> 8) & 0x00FF00FFu);
}

/* Two adjacent words from a 4-byte aligned address: one LDRD on Cortex-M3/M4/M7 (GCC splits
 * a 64-bit load into two LDRs there), two loads elsewhere. */
#if defined(__GNUC__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__))
#define BT_LD2(x0, x1, p, off)                                                         \
    __asm__("ldrd %0, %1, [%2, #" #off "]"                                             \
            : "=r"(x0), "=r"(x1)                                                       \
            : "r"(p), "m"(*(const struct { uint32_t w_[2]; } *)(const void *)((p) + (off) / 4)))
#else
#define BT_LD2(x0, x1, p, off)          \
    do {                                \
        (x0) = (p)[(off) / 4];          \
        (x1) = (p)[(off) / 4 + 1];      \
    } while (0)
#endif

#define BT_LOAD_XOR2(x0, x1, a, b, off) \
    do {                                \
        uint32_t a0_, a1_, b0_, b1_;    \
        BT_LD2(a0_, a1_, a, off);       \
        BT_LD2(b0_, b1_, b, off);       \
        (x0) = a0_ ^ b0_;               \
        (x1) = a1_ ^ b1_;               \
    } while (0)

/* Carry-save adder: (h, l) = a + b + c bitwise, h the carries (weight 2), l the sums. */
#define BT_CSA(h, l, a, b, c)                     \
    do {                                          \
        uint32_t u_ = (a) ^ (b);                  \
        (h) = ((a) & (b)) | (u_ & (c));           \
        (l) = u_ ^ (c);                           \
    } while (0)

/* popcount(a[i] ^ b[i]) summed over n words. Blocks of 8 words go through a carry-save
 * adder tree into (ones, twos, fours) (5 logic ops per word, no shifts); only each block's
 * "eights" word is counted, its byte counts (<= 8) summed into hi. The 0-7 words left share
 * nibble sums of up to three words. Every byte count stays < 256: lo <= 24 (ones, twos) +
 * 32 (fours) + 56 (7 tail words), hi <= 8 * 31 (n < 256 words: bt_pop_xor splits longer
 * runs, bt_kernel_dense_bb takes no wider layer); their byte sums (up to 992 and 448) are
 * added in 16-bit lanes. One block in the loop body (not unrolled): the code stays small
 * where it is inlined. */
#if defined(__GNUC__) && !defined(__clang__) && \
    (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__))
#define BT_HS_POP_ASM 1
/* ARMv7-M (Cortex-M3/M4/M7): bt_hs_pop_xor's algorithm (same blocks, same bounds) by hand,
 * every value in a register: GCC spilled the loop state and the masks around its block loop.
 * Loads are LDMs (one instruction for up to 4 words), masks are Thumb-2 immediates.
 * In: r0 = a, r1 = b, r2 = n words. Out: r3 = popcount(a ^ b), r0/r1 past the n words,
 * r2 = 0. Clobbers r4-r6, r8-r12, lr and the flags; r7 is left alone (bt_kernel_dense_bb's
 * layer loop keeps its job there). r3 ones, r4 twos, r5 fours, r6 hi (the blocks' eights
 * byte counts), lr lo (the tail's byte counts, later with ones/twos/fours). */
#if defined(__ARM_FEATURE_DSP)
/* byte sums: USAD8 against r2 = 0 */
#define BT_V7M_POP_SUM "usad8 r6, r6, r2\n\tusad8 lr, lr, r2\n\tadd r3, lr, r6, lsl #3\n\t"
#else
/* byte sums in 16-bit lanes: lanes(lo) + 8 lanes(hi), then the two lanes */
#define BT_V7M_POP_SUM                                                             \
    "and r8, r6, #0x00FF00FF\n\tlsr r6, r6, #8\n\tand r6, r6, #0x00FF00FF\n\t"      \
    "add r6, r6, r8\n\t"                                                           \
    "and r8, lr, #0x00FF00FF\n\tlsr lr, lr, #8\n\tand lr, lr, #0x00FF00FF\n\t"      \
    "add lr, lr, r8\n\t"                                                           \
    "add r3, lr, r6, lsl #3\n\t"                                                   \
    "add r3, r3, r3, lsl #16\n\tlsr r3, r3, #16\n\t"
#endif
/* nibble counts of word r9 (temp r10), folded to bytes: one add, as each nibble is <= 4 */
#define BT_V7M_POP_BYTES                                                           \
    "lsr r10, r9, #1\n\tand r10, r10, #0x55555555\n\tsub r9, r9, r10\n\t"           \
    "and r10, r9, #0x33333333\n\tlsr r9, r9, #2\n\tand r9, r9, #0x33333333\n\t"    \
    "add r9, r9, r10\n\tadd r9, r9, r9, lsr #4\n\tand r9, r9, #0x0F0F0F0F\n\t"
/* (h -> H, ones or twos O) += X + Y, carry-save: H = maj(O, X, Y), O ^= X ^ Y */
#define BT_V7M_CSA(H, O, X, Y)                                                     \
    "and " H ", " X ", " Y "\n\teor " X ", " X ", " Y "\n\tand " Y ", " X ", " O "\n\t" \
    "orr " H ", " H ", " Y "\n\teor " O ", " O ", " X "\n\t"
#define BT_V7M_POP_ASM                                                             \
    "movs r3, #0\n\tmovs r4, #0\n\tmovs r5, #0\n\tmovs r6, #0\n\t"                  \
    "subs r2, r2, #8\n\t"                                                          \
    "blo 2f\n"                                                                     \
    "1:\n\t"                                                                       \
    "ldmia r0!, {r8, r9, r10, r11}\n\t"                                            \
    "ldmia r1!, {r12, lr}\n\t"                                                     \
    "eor r8, r8, r12\n\teor r9, r9, lr\n\t"                                        \
    "ldmia r1!, {r12, lr}\n\t"                                                     \
    "eor r10, r10, r12\n\teor r11, r11, lr\n\t"                                    \
    BT_V7M_CSA("r12", "r3", "r8", "r9")      /* twos_a */                          \
    BT_V7M_CSA("lr", "r3", "r10", "r11")     /* twos_b */                          \
    BT_V7M_CSA("r8", "r4", "r12", "lr")      /* fours_a */                         \
    "ldmia r0!, {r9, r10, r11, r12}\n\t"                                           \
    "ldr lr, [r1], #4\n\teor r9, r9, lr\n\t"                                       \
    "ldr lr, [r1], #4\n\teor r10, r10, lr\n\t"                                     \
    "ldr lr, [r1], #4\n\teor r11, r11, lr\n\t"                                     \
    "ldr lr, [r1], #4\n\teor r12, r12, lr\n\t"                                     \
    BT_V7M_CSA("lr", "r3", "r9", "r10")      /* twos_a */                          \
    BT_V7M_CSA("r9", "r3", "r11", "r12")     /* twos_b */                          \
    BT_V7M_CSA("r10", "r4", "lr", "r9")      /* fours_b */                         \
    BT_V7M_CSA("r9", "r5", "r8", "r10")      /* eights */                          \
    BT_V7M_POP_BYTES                                                               \
    "add r6, r6, r9\n\t"                                                           \
    "subs r2, r2, #8\n\t"                                                          \
    "bhs 1b\n"                                                                     \
    "2:\n\t"                                                                       \
    "mov lr, #0\n\t"                                                               \
    "adds r2, r2, #8\n\t"                                                          \
    "beq 4f\n"                                                                     \
    "3:\n\t"                                /* tail words: lo += their byte counts */ \
    "ldr r9, [r0], #4\n\tldr r10, [r1], #4\n\teor r9, r9, r10\n\t"                 \
    BT_V7M_POP_BYTES                                                               \
    "add lr, lr, r9\n\t"                                                           \
    "subs r2, r2, #1\n\t"                                                          \
    "bne 3b\n"                                                                     \
    "4:\n\t"                                /* ones, twos, fours to nibble counts */ \
    "mov r10, #0x55555555\n\tmov r11, #0x33333333\n\tmov r12, #0x0F0F0F0F\n\t"     \
    "and r8, r10, r3, lsr #1\n\tsub r3, r3, r8\n\tand r8, r11, r3, lsr #2\n\t"     \
    "and r3, r3, r11\n\tadd r3, r3, r8\n\t"                                        \
    "and r8, r10, r4, lsr #1\n\tsub r4, r4, r8\n\tand r8, r11, r4, lsr #2\n\t"     \
    "and r4, r4, r11\n\tadd r4, r4, r8\n\t"                                        \
    "and r8, r10, r5, lsr #1\n\tsub r5, r5, r8\n\tand r8, r11, r5, lsr #2\n\t"     \
    "and r5, r5, r11\n\tadd r5, r5, r8\n\t"                                        \
    /* ones + 2 twos (nibbles <= 12) to bytes (<= 24), fours to bytes (<= 8): lo's    \
     * bytes <= 56 + 24 + 32 */                                                    \
    "add r3, r3, r4, lsl #1\n\t"                                                   \
    "and r8, r12, r3, lsr #4\n\tand r3, r3, r12\n\tadd r3, r3, r8\n\t"             \
    "add r5, r5, r5, lsr #4\n\tand r5, r5, r12\n\t"                                \
    "add lr, lr, r3\n\tadd lr, lr, r5, lsl #2\n\t"                                 \
    BT_V7M_POP_SUM
#define BT_V7M_POP_CLOBBERS \
    "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "lr", "cc", "memory"

static inline uint32_t bt_hs_pop_xor_v7m(const uint32_t *a, const uint32_t *b, uint32_t n)
{
    register const uint32_t *ra __asm__("r0") = a;
    register const uint32_t *rb __asm__("r1") = b;
    register uint32_t rn __asm__("r2") = n;
    register uint32_t total __asm__("r3");
    __asm__ volatile(BT_V7M_POP_ASM
                     : "+r"(ra), "+r"(rb), "+r"(rn), "=r"(total)
                     :
                     : BT_V7M_POP_CLOBBERS);
    return total;
}
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__ARM_ARCH_6M__)
#define BT_HS_BLOCKS_ASM 1
/* ARMv6-M (Cortex-M0/M0+), the block loop by hand: Thumb-1 logic is two-operand on r0-r7
 * only, and GCC's version of this loop moved values between low and high registers ~30 times
 * per block (122 instructions; this is 92). The carry-save adders take 7 instructions each;
 * twos_a / fours_a wait in r10 / r11, the eights count goes to r8, the masks come from a
 * literal pool behind the loop, the loop ends when a reaches `end` (r9). */
#define BT_V6M_CSA(H, O, X, Y)                                                      \
    "movs " H ", " X "\n\tands " H ", " Y "\n\teors " X ", " Y "\n\tmovs " Y ", " X "\n\t" \
    "ands " Y ", " O "\n\torrs " H ", " Y "\n\teors " O ", " X "\n\t"
#define BT_V6M_LOAD_XOR2(OFF0, OFF1)                                                \
    "ldm r0!, {r5, r6}\n\tldr r7, [r1, #" OFF0 "]\n\teors r5, r7\n\t"                \
    "ldr r7, [r1, #" OFF1 "]\n\teors r6, r7\n\t"
/* Four words at byte offsets O0-O3 of a / b into ones and twos; their fours carry in r6 */
#define BT_V6M_FOURS(O0, O1, O2, O3)                                                \
    BT_V6M_LOAD_XOR2(O0, O1)                                                        \
    BT_V6M_CSA("r7", "r2", "r5", "r6") /* twos_a */                                 \
    "mov r10, r7\n\t"                                                               \
    BT_V6M_LOAD_XOR2(O2, O3)                                                        \
    BT_V6M_CSA("r7", "r2", "r5", "r6") /* twos_b */                                 \
    "mov r5, r10\n\t"                                                               \
    BT_V6M_CSA("r6", "r3", "r5", "r7")
static inline void bt_hs_blocks_v6m(const uint32_t **a, const uint32_t **b, uint32_t blocks,
                                    uint32_t *ones, uint32_t *twos, uint32_t *fours,
                                    uint32_t *hi)
{
    register const uint32_t *ra __asm__("r0") = *a;
    register const uint32_t *rb __asm__("r1") = *b;
    register uint32_t r_ones __asm__("r2") = *ones;
    register uint32_t r_twos __asm__("r3") = *twos;
    register uint32_t r_fours __asm__("r4") = *fours;
    register uint32_t r_hi __asm__("r8") = *hi;
    register const uint32_t *end __asm__("r9") = *a + 8u * blocks;
    __asm__ volatile(
        ".syntax unified\n"
        "1:\n\t"
        BT_V6M_FOURS("0", "4", "8", "12")   /* fours_a */
        "mov r11, r6\n\t"
        BT_V6M_FOURS("16", "20", "24", "28") /* fours_b */
        "mov r5, r11\n\t"
        BT_V6M_CSA("r7", "r4", "r5", "r6")  /* eights */
        /* hi += byte counts of eights (nibble counts <= 4: one add folds them) */
        "lsrs r5, r7, #1\n\tldr r6, 7f\n\tands r5, r6\n\tsubs r7, r7, r5\n\t"
        "lsrs r5, r7, #2\n\tldr r6, 8f\n\tands r5, r6\n\tands r7, r6\n\tadds r7, r7, r5\n\t"
        "lsrs r5, r7, #4\n\tadds r7, r7, r5\n\tldr r6, 6f\n\tands r7, r6\n\t"
        "add r8, r7\n\t"
        "adds r1, #32\n\t"
        "cmp r0, r9\n\t"
        "bne 1b\n\t"
        "b 9f\n\t"
        ".p2align 2\n"
        "7:\n\t.word 0x55555555\n"
        "8:\n\t.word 0x33333333\n"
        "6:\n\t.word 0x0F0F0F0F\n"
        "9:\n\t"
        : "+l"(ra), "+l"(rb), "+l"(r_ones), "+l"(r_twos), "+l"(r_fours), "+r"(r_hi)
        : "r"(end)
        : "r5", "r6", "r7", "r10", "r11", "cc", "memory");
    *a = ra;
    *b = rb;
    *ones = r_ones;
    *twos = r_twos;
    *fours = r_fours;
    *hi = r_hi;
}
#endif

static inline uint32_t bt_hs_pop_xor(const uint32_t *a, const uint32_t *b, uint32_t n,
                                     bt_pop_masks m)
{
#if defined(BT_HS_POP_ASM)
    (void)m;
    return bt_hs_pop_xor_v7m(a, b, n);
#endif
    uint32_t ones = 0, twos = 0, fours = 0, lo = 0, hi = 0, blocks = n >> 3;
#if defined(BT_HS_BLOCKS_ASM)
    if (blocks)
        bt_hs_blocks_v6m(&a, &b, blocks, &ones, &twos, &fours, &hi);
    blocks = 0;
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 1
#endif
    for (; blocks; blocks--) {
        uint32_t twos_a, twos_b, fours_a, fours_b, eights;
        uint32_t x0, x1, x2, x3, x4, x5, x6, x7;
        BT_LOAD_XOR2(x0, x1, a, b, 0);
        BT_LOAD_XOR2(x2, x3, a, b, 8);
        BT_LOAD_XOR2(x4, x5, a, b, 16);
        BT_LOAD_XOR2(x6, x7, a, b, 24);
        BT_CSA(twos_a, ones, ones, x0, x1);
        BT_CSA(twos_b, ones, ones, x2, x3);
        BT_CSA(fours_a, twos, twos, twos_a, twos_b);
        BT_CSA(twos_a, ones, ones, x4, x5);
        BT_CSA(twos_b, ones, ones, x6, x7);
        BT_CSA(fours_b, twos, twos, twos_a, twos_b);
        BT_CSA(eights, fours, fours, fours_a, fours_b);
        hi += bt_nib_bytes(bt_pop_nib_m(eights, m), m);
        a += 8;
        b += 8;
    }
    n &= 7u;
    while (n >= 3u) {
        lo += bt_nib_bytes(bt_pop_nib_m(a[0] ^ b[0], m) + bt_pop_nib_m(a[1] ^ b[1], m) +
                               bt_pop_nib_m(a[2] ^ b[2], m), m);
        a += 3;
        b += 3;
        n -= 3u;
    }
    uint32_t t = bt_pop_nib_m(ones, m) + 2u * bt_pop_nib_m(twos, m);
    while (n--) {
        /* 1 or 2 words: their nibble counts (<= 8) join fours' bytes below */
        lo += bt_nib_bytes(bt_pop_nib_m(*a++ ^ *b++, m), m);
    }
    lo += bt_nib_bytes(t, m) + 4u * bt_nib_bytes(bt_pop_nib_m(fours, m), m);
    /* the four bytes of hi or lo may sum past 255: add them in 16-bit lanes (<= 8 * 496 +
     * 224 each), then the two lanes with one multiply */
    return ((8u * bt_byte_lanes(hi) + bt_byte_lanes(lo)) * 0x00010001u) >> 16;
}

#endif
