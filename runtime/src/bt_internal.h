/* Internal helpers shared by the runtime's C files (not part of the public API). */
#ifndef BT_INTERNAL_H
#define BT_INTERNAL_H

#include "bittern.h"
#include "bt_config.h"

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

/* Four bytes as a little-endian word from any address (input pixels, byte codes). */
static inline uint32_t bt_ld32u(const uint8_t *p)
{
#if defined(__GNUC__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__x86_64__))
    uint32_t v; /* one unaligned LDR where the core allows it */
    __builtin_memcpy(&v, p, 4);
    return v;
#else
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
#endif
}

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

/* Nibble-level partial popcount: each 4-bit field holds the count of its bits (max 4). */
static inline uint32_t bt_pop_nib(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    return (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
}

/* Sum of the nibble fields of x (each nibble max 15 so bytes stay below 256 after folding). */
static inline uint32_t bt_nib_total(uint32_t x)
{
    x = (x & 0x0F0F0F0Fu) + ((x >> 4) & 0x0F0F0F0Fu);
    return (x * 0x01010101u) >> 24;
}

/* popcount(a[i] ^ b[i]) summed over n words: the XNOR-net inner loop. The SWAR form keeps
 * per-nibble sums of three words and per-byte sums of up to 30 words before one multiply,
 * so each word costs about 8 simple instructions on Cortex-M3/M4/M7. */
uint32_t bt_pop_xor(const uint32_t *a, const uint32_t *b, uint32_t n);

/* popcount(a[i]) summed over n words. */
uint32_t bt_pop_words(const uint32_t *a, uint32_t n);

uint32_t bt_crc32(const uint8_t *data, uint32_t n);

void bt_layer_decode(const bt_model_t *m, uint32_t index, bt_layer_t *l);

/* A dense layer after a packed tensor of several pixels whose channel count is not a multiple
 * of 32 first flattens that tensor into one contiguous vector (bt_run.c). */
static inline int bt_needs_flatten(const bt_layer_t *l, uint32_t enc, uint32_t h, uint32_t w,
                                   uint32_t c)
{
    return l->kind == BT_KIND_DENSE && (enc == BT_ENC_BINARY || enc == BT_ENC_TERNARY) &&
           h * w > 1u && (c & 31u);
}

/* Bytes of a layer's output tensor in the runtime layout. */
uint32_t bt_act_bytes(uint32_t enc, uint32_t h, uint32_t w, uint32_t c);

/* ---- kernels (bt_kernels.c: the table and the selection) --------------------------------
 * A kernel computes one whole layer. Its predicate says which layers it supports; the table
 * lists the fast kernels first and the reference kernel (every layer) last, and the first
 * kernel whose predicate holds runs the layer. A per-model build (-DBT_ONLY_KERNELS plus
 * -DBT_K_<NAME>=1 for each kernel the model uses) leaves the others out of the table, so the
 * linker drops their code. */
typedef struct {
    const bt_layer_t *l;
    const uint8_t *in;      /* input tensor bytes (or the u8 image for a u8 layer 0) */
    uint32_t in_plane;      /* ternary input: words from the nz plane to the neg plane */
    uint32_t nw;            /* words per input pixel (packed encodings) */
    const uint8_t *w;       /* weight blob */
    uint32_t w_half;        /* ternary weights: words from the nz to the neg plane */
    const int32_t *thr;     /* thresholds [out_c][1 + n_thr] (NULL for scores) */
    void *out;              /* output tensor */
} bt_kctx;

typedef struct {
    const char *name;
    int (*supports)(const bt_layer_t *l);
    void (*run)(const bt_kctx *k);
} bt_kernel_t;

extern const bt_kernel_t bt_kernel_table[];
extern const uint32_t bt_kernel_count;

/* The kernel that runs `l` in this build (NULL: none; the loader then rejects the model). */
const bt_kernel_t *bt_kernel_select(const bt_layer_t *l);

/* Fill the kernel context of layer `l` of model `m`. */
void bt_kctx_init(bt_kctx *k, const bt_model_t *m, const bt_layer_t *l, const void *in,
                  uint32_t in_plane, void *out);

/* Host builds only (src/bt_kernel_force.c): bt_run_traced with layer `layer` computed by
 * bt_kernel_table[kernel]; BT_ERR_ARG when that kernel does not support the layer. */
bt_status_t bt_run_forced(const bt_model_t *model, const uint8_t *image, void *workspace,
                          size_t workspace_bytes, int32_t *scores, uint32_t *label,
                          bt_trace_fn trace, void *trace_ctx, uint32_t layer, uint32_t kernel);

/* Run one layer in software with kernel `kern` (NULL: the table's choice, bt_layer_sw): `in`
 * is the input tensor (or the u8 image for layer 0 with u8 input), `out` its output buffer. */
void bt_layer_run(const bt_model_t *m, const bt_layer_t *l, const bt_kernel_t *kern,
                  const void *in, uint32_t in_plane, void *out);
void bt_layer_sw(const bt_model_t *m, const bt_layer_t *l, const void *in, uint32_t in_plane,
                 void *out);

/* The run loop, in steps, so that bt_run and the accelerator driver share it (the driver
 * runs a stretch of layers on the hardware, or a batch of images in lockstep). A cursor is
 * the state between layers: the workspace's two buffers and layer `next`'s input tensor. */
typedef struct {
    uint8_t *buf[2];
    const uint8_t *in;
    uint32_t enc, h, w, c, plane;
    uint32_t next;
} bt_cursor_t;

/* Check the arguments and prepare layer 0's input (crop, binarize) in the workspace. */
bt_status_t bt_run_begin(const bt_model_t *model, const uint8_t *image, void *workspace,
                         size_t workspace_bytes, bt_cursor_t *cur);
/* Layer `l` (= cur->next)'s input, flattened in place when a dense layer follows a map. */
const void *bt_run_input(bt_cursor_t *cur, const bt_layer_t *l);
/* The buffer layer `index`'s output goes to. */
static inline void *bt_run_out(const bt_cursor_t *cur, uint32_t index)
{
    return cur->buf[(index + 1u) & 1u];
}
/* Layer `index` (`l`) has written bt_run_out(cur, index): it is the next layer's input. */
void bt_run_advance(bt_cursor_t *cur, uint32_t index, const bt_layer_t *l);
/* The whole step for layer cur->next: its input, kernel `kern` (NULL: the table's choice),
 * the trace callback (may be NULL), advance. bt_run and bt_run_forced both loop over it. */
void bt_run_step(const bt_model_t *model, bt_cursor_t *cur, const bt_kernel_t *kern,
                 bt_trace_fn trace, void *trace_ctx);
/* After the last layer: the scores (may be NULL) and the label (may be NULL). */
void bt_run_finish(const bt_model_t *model, const bt_cursor_t *cur, int32_t *scores,
                   uint32_t *label);

bt_status_t bt_run_internal(const bt_model_t *model, const uint8_t *image, void *workspace,
                            size_t workspace_bytes, int32_t *scores, uint32_t *label,
                            bt_trace_fn trace, void *trace_ctx);

#endif
