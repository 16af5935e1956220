/* Popcounts: the XNOR-net inner loops shared by the binary kernels. */
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

/* Carry-save adder: (h, l) = a + b + c bitwise, h the carries (weight 2), l the sums. */
#define CSA(h, l, a, b, c)                        \
    do {                                          \
        uint32_t u_ = (a) ^ (b);                  \
        (h) = ((a) & (b)) | (u_ & (c));           \
        (l) = u_ ^ (c);                           \
    } while (0)

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
        eights_nib += bt_pop_nib(eights);                                \
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
            total += 8u * bt_nib_total(eights_nib);
        } while (blocks);
        total += 4u * bt_nib_total(bt_pop_nib(fours)) + bt_nib_total(2u * bt_pop_nib(twos) + bt_pop_nib(ones));
    }
    /* remainder: up to three words share one nibble-level sum */
    while (n >= 3u) {
        total += bt_nib_total(bt_pop_nib(a[0] ^ b[0]) + bt_pop_nib(a[1] ^ b[1]) + bt_pop_nib(a[2] ^ b[2]));
        a += 3;
        b += 3;
        n -= 3u;
    }
#endif
    while (n--)
        total += bt_pop32(*a++ ^ *b++);
    return total;
}

uint32_t bt_pop_words(const uint32_t *a, uint32_t n)
{
    uint32_t total = 0;
    while (n--)
        total += bt_pop32(*a++);
    return total;
}

