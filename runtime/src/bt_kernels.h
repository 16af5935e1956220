/* Declarations of the kernel families (one file each) for the table in bt_kernels.c. */
#ifndef BT_KERNELS_H
#define BT_KERNELS_H

#include "bt_output.h"

/* Keep each layer loop a function of its own: the compiler then allocates its registers
 * for that loop alone (inlining them into one dispatcher cost the sparse MLP ~3%). */
#if defined(__GNUC__)
#define BT_NOINLINE __attribute__((noinline))
#else
#define BT_NOINLINE
#endif

/* Accumulator of output channel o at conv output position (cy, cx), before max-pool. */
typedef int32_t (*bt_acc_fn)(const bt_kctx *k, uint32_t o, uint32_t cy, uint32_t cx);

/* Every output pixel and channel: fn over the pool window, max, bt_out_put. */
void bt_each_output(const bt_kctx *k, bt_acc_fn fn);

static inline const uint32_t *bt_in_words(const bt_kctx *k)
{
    return (const uint32_t *)(const void *)k->in;
}
static inline const uint32_t *bt_w_words(const bt_kctx *k)
{
    return (const uint32_t *)(const void *)k->w;
}

static inline int bt_packed(uint32_t enc) { return enc == BT_ENC_BINARY || enc == BT_ENC_TERNARY; }

/* Tap (ky, kx) of conv output (cy, cx) -> input pixel, or 0 when it is a zero pad tap. */
static inline int bt_tap_at(const bt_layer_t *l, uint32_t cy, uint32_t cx, uint32_t ky,
                            uint32_t kx, uint32_t *y, uint32_t *x)
{
    int32_t iy = (int32_t)(cy * l->stride + ky) - (int32_t)l->pad;
    int32_t ix = (int32_t)(cx * l->stride + kx) - (int32_t)l->pad;
    if (iy < 0 || ix < 0 || iy >= (int32_t)l->in_h || ix >= (int32_t)l->in_w)
        return 0;
    *y = (uint32_t)iy;
    *x = (uint32_t)ix;
    return 1;
}

#define BT_DECLARE_KERNEL(name)                      \
    int bt_supports_##name(const bt_layer_t *l);     \
    void bt_kernel_##name(const bt_kctx *k)

BT_DECLARE_KERNEL(dense_bb);    /* bt_kernel_dense_bin.c: dense binary x binary */
BT_DECLARE_KERNEL(sparse_b);    /* bt_kernel_sparse.c: 3PXNet packs, binary input */
BT_DECLARE_KERNEL(sparse);      /* bt_kernel_sparse.c: packs, any input */
BT_DECLARE_KERNEL(dense_ter);   /* bt_kernel_dense_ter.c: dense ternary x ternary / binary */
BT_DECLARE_KERNEL(dense_wrpn);  /* bt_kernel_dense_ter.c: dense uint k (k <= 4) x ternary */
BT_DECLARE_KERNEL(conv_bb1);    /* bt_kernel_conv.c: conv binary x binary, C <= 32 */
BT_DECLARE_KERNEL(conv_bb);     /* bt_kernel_conv.c: conv binary x binary */
BT_DECLARE_KERNEL(dense_bytes); /* bt_kernel_bytes.c: dense u8 / uint k x binary */
BT_DECLARE_KERNEL(conv_bytes_c1); /* bt_kernel_conv.c: conv one-channel bytes x binary */
BT_DECLARE_KERNEL(conv_bytes);  /* bt_kernel_conv.c: conv u8 / uint k x binary */
BT_DECLARE_KERNEL(packed);      /* bt_kernel_packed.c: binary / ternary x binary / ternary */
BT_DECLARE_KERNEL(ref);         /* bt_kernel_ref.c: every layer, element by element */

#endif
