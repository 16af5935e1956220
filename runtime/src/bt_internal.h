/* Internal helpers shared by the runtime's C files (not part of the public API). */
#ifndef BT_INTERNAL_H
#define BT_INTERNAL_H

#include "bittern.h"

#define BT_HEADER_BYTES 64u
#define BT_LAYER_BYTES 96u
#define BT_MAGIC 0x4E525442u

/* Fields are little-endian; reading bytes keeps the loader portable and alignment-safe. */
static inline uint32_t bt_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Words of n packed bits; never wraps (n + 31 would for n > 2^32 - 32). */
static inline uint32_t bt_nwords(uint32_t n) { return (n >> 5) + ((n & 31u) != 0u); }

/* ---- checked size arithmetic (every size the loader derives from a file goes through these)
 * A product of two 32-bit values formed in 64 bits cannot wrap; it is accepted only when it is
 * at most `limit` (< 2^32), so a chain of these stays exact on 32- and 64-bit hosts alike. */
static inline int bt_mul_le(uint32_t a, uint32_t b, uint32_t limit, uint32_t *out)
{
    uint64_t p = (uint64_t)a * b;
    if (p > limit)
        return 0;
    *out = (uint32_t)p;
    return 1;
}

/* a <= v <= b */
static inline int bt_in_range(uint32_t v, uint32_t a, uint32_t b) { return v >= a && v <= b; }

/* ---- popcount -------------------------------------------------------------------------
 * BT_POPCOUNT selects the form: 0 SWAR, with Harley-Seal carry-save blocks in bt_pop_xor
 * (default; measured fastest on M0/M3/M4/M7), 1 byte lookup table (per-word popcounts; an
 * option for cores where loads are cheaper than shifts), 2 compiler builtin (hosts). */
#ifndef BT_POPCOUNT
#define BT_POPCOUNT 0
#endif

#if BT_POPCOUNT == 1
extern const uint8_t bt_pop8[256];
static inline uint32_t bt_pop32(uint32_t x)
{
    return (uint32_t)bt_pop8[x & 0xFFu] + bt_pop8[(x >> 8) & 0xFFu] +
           bt_pop8[(x >> 16) & 0xFFu] + bt_pop8[x >> 24];
}
#elif BT_POPCOUNT == 2
static inline uint32_t bt_pop32(uint32_t x) { return (uint32_t)__builtin_popcount(x); }
#else
static inline uint32_t bt_pop32(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return (x * 0x01010101u) >> 24;
}
#endif

/* popcount(a[i] ^ b[i]) summed over n words: the XNOR-net inner loop. The SWAR form keeps
 * per-nibble sums of three words and per-byte sums of up to 30 words before one multiply,
 * so each word costs about 8 simple instructions on Cortex-M3/M4/M7. */
uint32_t bt_pop_xor(const uint32_t *a, const uint32_t *b, uint32_t n);

/* popcount(a[i]) summed over n words. */
uint32_t bt_pop_words(const uint32_t *a, uint32_t n);

uint32_t bt_crc32(const uint8_t *data, uint32_t n);

void bt_layer_decode(const bt_model_t *m, uint32_t index, bt_layer_t *l);

/* Bytes of a layer's output tensor in the runtime layout. */
uint32_t bt_act_bytes(uint32_t enc, uint32_t h, uint32_t w, uint32_t c);

/* Run one layer in software: `in` is the input tensor (or the u8 image for layer 0 with
 * u8 input), `out` its output buffer. */
void bt_layer_sw(const bt_model_t *m, const bt_layer_t *l, const void *in, uint32_t in_plane,
                 void *out);

/* The run loop shared by bt_run and bt_run_accel: `hook` (may be NULL) is asked first for
 * every layer and returns 1 when it produced the layer's output itself (the accelerator). */
typedef int (*layer_hook)(void *ctx, const bt_model_t *m, uint32_t index, const bt_layer_t *l,
                          const void *in, uint32_t in_plane, void *out);
bt_status_t bt_run_internal(const bt_model_t *model, const uint8_t *image, void *workspace,
                            size_t workspace_bytes, int32_t *scores, uint32_t *label,
                            bt_trace_fn trace, void *trace_ctx, layer_hook hook, void *hook_ctx);

#endif
