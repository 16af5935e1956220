/* Popcount self-test firmware (tests/test_runtime_kernels.py::test_pop_xor_on_cores): the
 * library's bt_pop_xor (on Cortex-M the hand-written block loops of src/bt_pop.h) against a
 * bit-by-bit count, at the counts that overflow a narrow sum (all bits differ) and on seeded
 * pseudo-random words, for 0-65 words and the lengths around the 248-word split. Prints
 * "OK", or the length and pattern of the first wrong count (and exits non-zero). */
#include <stdint.h>
#include "bt_internal.h"

void bt_sh_puts(const char *s);

#define MAXW 300u
static uint32_t A[MAXW], B[MAXW];
static uint32_t rs = 16u; /* seed */

static uint32_t rnd(void)
{
    rs = rs * 1664525u + 1013904223u;
    return rs ^ (rs >> 13);
}

static uint32_t bits(const uint32_t *a, const uint32_t *b, uint32_t n)
{
    uint32_t t = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t x = a[i] ^ b[i]; x; x >>= 1)
            t += x & 1u;
    return t;
}

int main(void)
{
    static const uint32_t longer[] = {190, 196, 247, 248, 249, 255, 256, 300};
    for (uint32_t c = 0; c < 66u + 8u; c++) {
        uint32_t n = c < 66u ? c : longer[c - 66u];
        for (int pattern = 0; pattern < 2; pattern++) {
            for (uint32_t i = 0; i < n; i++) {
                A[i] = pattern ? rnd() : 0u;
                B[i] = pattern ? rnd() : ~0u;
            }
            uint32_t got = bt_pop_xor(A, B, n), want = bits(A, B, n);
            if (got != want) { /* n < 1000 */
                char line[] = "BAD n=000 random=0\n";
                line[6] = (char)('0' + n / 100u);
                line[7] = (char)('0' + n / 10u % 10u);
                line[8] = (char)('0' + n % 10u);
                line[17] = (char)('0' + pattern);
                bt_sh_puts(line);
                return 1;
            }
        }
    }
    bt_sh_puts("OK\n");
    return 0;
}
