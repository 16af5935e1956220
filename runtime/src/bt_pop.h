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
static inline uint32_t bt_hs_pop_xor(const uint32_t *a, const uint32_t *b, uint32_t n,
                                     bt_pop_masks m)
{
    uint32_t ones = 0, twos = 0, fours = 0, lo = 0, hi = 0, blocks = n >> 3;
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
