/* Host builds only (tests): run one layer with a kernel chosen by the caller, so every
 * kernel that claims a layer is checked against the reference, not only the one the table
 * would pick. */
#include "bt_internal.h"

typedef struct {
    uint32_t layer;
    const bt_kernel_t *kernel;
} forced;

static int force_hook(void *ctx, const bt_model_t *m, uint32_t index, const bt_layer_t *l,
                      const void *in, uint32_t in_plane, void *out)
{
    const forced *f = (const forced *)ctx;
    bt_kctx k;
    if (index != f->layer)
        return 0;
    bt_kctx_init(&k, m, l, in, in_plane, out);
    f->kernel->run(&k);
    return 1;
}

bt_status_t bt_run_forced(const bt_model_t *model, const uint8_t *image, void *workspace,
                          size_t workspace_bytes, int32_t *scores, uint32_t *label,
                          bt_trace_fn trace, void *trace_ctx, uint32_t layer, uint32_t kernel)
{
    bt_layer_t l;
    forced f;
    if (!model || !model->data)
        return BT_ERR_NULL;
    if (layer >= model->n_layers || kernel >= bt_kernel_count)
        return BT_ERR_ARG;
    bt_layer_decode(model, layer, &l);
    if (!bt_kernel_table[kernel].supports(&l))
        return BT_ERR_ARG;
    f.layer = layer;
    f.kernel = &bt_kernel_table[kernel];
    return bt_run_internal(model, image, workspace, workspace_bytes, scores, label, trace,
                           trace_ctx, force_hook, &f);
}
