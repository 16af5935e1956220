/* Popcounts: the XNOR-net inner loops shared by the binary kernels. */
#include "bt_pop.h"

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

uint32_t bt_pop_xor(const uint32_t *a, const uint32_t *b, uint32_t n)
{
#if BT_POPCOUNT == 0
    /* bt_hs_pop_xor's byte counts hold 31 blocks */
    bt_pop_masks m = bt_pop_masks_get();
    uint32_t total = 0;
    for (; n > 248u; n -= 248u, a += 248, b += 248)
        total += bt_hs_pop_xor(a, b, 248u, m);
    return total + bt_hs_pop_xor(a, b, n, m);
#else
    uint32_t total = 0;
    while (n--)
        total += bt_pop32(*a++ ^ *b++);
    return total;
#endif
}

uint32_t bt_pop_words(const uint32_t *a, uint32_t n)
{
    uint32_t total = 0;
    while (n--)
        total += bt_pop32(*a++);
    return total;
}

