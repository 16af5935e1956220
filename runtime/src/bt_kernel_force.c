/* Host builds only (tests): run one layer with a kernel chosen by the caller, so every
 * kernel that claims a layer is checked against the reference, not only the one the table
 * would pick. */
#include "bt_internal.h"

bt_status_t bt_run_forced(const bt_model_t *model, const uint8_t *image, void *workspace,
                          size_t workspace_bytes, int32_t *scores, uint32_t *label,
                          bt_trace_fn trace, void *trace_ctx, uint32_t layer, uint32_t kernel)
{
    bt_layer_t l;
    bt_cursor_t cur;
    if (!model || !model->data)
        return BT_ERR_NULL;
    if (layer >= model->n_layers || kernel >= bt_kernel_count)
        return BT_ERR_ARG;
    bt_layer_decode(model, layer, &l);
    if (!bt_kernel_table[kernel].supports(&l))
        return BT_ERR_ARG;
    bt_status_t st = bt_run_begin(model, image, workspace, workspace_bytes, &cur);
    if (st != BT_OK)
        return st;
    /* the same steps as bt_run_internal, with the chosen kernel on layer `layer` */
    for (uint32_t i = 0; i < model->n_layers; i++) {
        bt_layer_decode(model, i, &l);
        const void *in = bt_run_input(&cur, &l);
        void *out = bt_run_out(&cur, i);
        if (i == layer) {
            bt_kctx k;
            bt_kctx_init(&k, model, &l, in, cur.plane, out);
            bt_kernel_table[kernel].run(&k);
        } else {
            bt_layer_sw(model, &l, in, cur.plane, out);
        }
        if (trace)
            trace(trace_ctx, i, out);
        bt_run_advance(&cur, i, &l);
    }
    bt_run_finish(model, &cur, scores, label);
    return BT_OK;
}
