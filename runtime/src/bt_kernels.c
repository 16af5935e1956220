/* The kernel table and its one selection function; the shared per-output loop.
 *
 * Every layer is computed per output pixel and output channel: accumulate (conv taps or
 * dense words), max-pool over accumulators, transform (bt_output.h) -- the eBNN fused
 * schedule, so no accumulator tensor is ever stored. Each kernel family lives in its own
 * file (bt_kernel_*.c) and names the layers it supports; the reference kernel
 * (bt_kernel_ref.c) supports every layer and comes last. */
#include "bt_kernels.h"

/* BT_K_<NAME>: src/bt_config.h */
#define KERNEL(name) {#name, bt_supports_##name, bt_kernel_##name}

/* First match wins: fast kernels first, the reference last. */
const bt_kernel_t bt_kernel_table[] = {
#if BT_K_DENSE_BB
    KERNEL(dense_bb),
#endif
#if BT_K_SPARSE_B
    KERNEL(sparse_b),
#endif
#if BT_K_SPARSE
    KERNEL(sparse),
#endif
#if BT_K_DENSE_TER
    KERNEL(dense_ter),
#endif
#if BT_K_DENSE_WRPN
    KERNEL(dense_wrpn),
#endif
#if BT_K_CONV_BB1
    KERNEL(conv_bb1),
#endif
#if BT_K_CONV_BB
    KERNEL(conv_bb),
#endif
#if BT_K_DENSE_BYTES
    KERNEL(dense_bytes),
#endif
#if BT_K_CONV_BYTES_C1
    KERNEL(conv_bytes_c1),
#endif
#if BT_K_CONV_BYTES
    KERNEL(conv_bytes),
#endif
#if BT_K_PACKED
    KERNEL(packed),
#endif
#if BT_K_REF
    KERNEL(ref),
#endif
    {0, 0, 0}};

const uint32_t bt_kernel_count = sizeof bt_kernel_table / sizeof bt_kernel_table[0] - 1u;

const bt_kernel_t *bt_kernel_select(const bt_layer_t *l)
{
    for (const bt_kernel_t *k = bt_kernel_table; k->run; k++)
        if (k->supports(l))
            return k;
    return 0;
}

void bt_kctx_init(bt_kctx *k, const bt_model_t *m, const bt_layer_t *l, const void *in,
                  uint32_t in_plane, void *out)
{
    k->l = l;
    k->in = (const uint8_t *)in;
    k->in_plane = in_plane;
    k->nw = bt_nwords(l->in_c);
    k->w = m->data + l->w_offset;
    k->w_half = l->out_c * l->kernel * l->kernel * k->nw;
    k->thr = l->n_thr ? (const int32_t *)(const void *)(m->data + l->t_offset) : 0;
    k->out = out;
}

void bt_layer_run(const bt_model_t *m, const bt_layer_t *l, const bt_kernel_t *kern,
                  const void *in, uint32_t in_plane, void *out)
{
    bt_kctx k;
    if (!kern)
        kern = bt_kernel_select(l);
    if (!kern)
        return; /* not reached: the loader rejects a layer no kernel of this build supports */
    bt_kctx_init(&k, m, l, in, in_plane, out);
    kern->run(&k);
}

void bt_layer_sw(const bt_model_t *m, const bt_layer_t *l, const void *in, uint32_t in_plane,
                 void *out)
{
    bt_layer_run(m, l, 0, in, in_plane, out);
}

void bt_each_output(const bt_kctx *k, bt_acc_fn fn)
{
    const bt_layer_t *l = k->l;
    uint32_t pool = l->pool;
    bt_out_clear(k);
    for (uint32_t py = 0; py < l->out_h; py++)
        for (uint32_t px = 0; px < l->out_w; px++)
            for (uint32_t o = 0; o < l->out_c; o++) {
                int32_t acc = fn(k, o, py * pool, px * pool);
                for (uint32_t j = 1; j < pool * pool; j++) {
                    int32_t v = fn(k, o, py * pool + j / pool, px * pool + j % pool);
                    if (v > acc)
                        acc = v;
                }
                bt_out_put(k, py * l->out_w + px, o, acc);
            }
}
