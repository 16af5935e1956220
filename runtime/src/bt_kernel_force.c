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
    /* bt_run_internal's loop, with the chosen kernel on layer `layer` */
    while (cur.next < model->n_layers)
        bt_run_step(model, &cur, cur.next == layer ? &bt_kernel_table[kernel] : 0, trace,
                    trace_ctx);
    bt_run_finish(model, &cur, scores, label);
    return BT_OK;
}
