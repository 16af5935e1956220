/* Generated from rtl/ops/ by `python -m bittern.rtl.ops`; do not edit. */
#ifndef BITTERN_OPS_H
#define BITTERN_OPS_H

#include <stdint.h>

#include "bittern.h"

/* The layer kinds the accelerator runs, one op each (rtl/ops/<op>.py). An op runs a
 * layer when its kind, in_enc and w_enc are the op's and out_enc is in its mask
 * (bit 1 << out_enc); the driver also checks that only the last layer outputs scores,
 * the feature limit and that the footprints below fit the probed buffer depths. */
#define BT_OPS_CEIL(a, b) (((a) + (b) - 1u) / (b))
#define BT_OPS_COUNT 2u
#define BT_OP_NONE (-1)
#define BT_OP_DENSE_XNOR 0
#define BT_OP_DENSE_XNOR_KIND 1u
#define BT_OP_DENSE_XNOR_IN_ENC 1u
#define BT_OP_DENSE_XNOR_W_ENC 1u
#define BT_OP_DENSE_XNOR_OUT_ENCS 0x03u
#define BT_OP_DENSE_XNOR_MAX_FEATURES 65535u
#define BT_OP_SPARSE_XNOR 1
#define BT_OP_SPARSE_XNOR_KIND 1u
#define BT_OP_SPARSE_XNOR_IN_ENC 1u
#define BT_OP_SPARSE_XNOR_W_ENC 3u
#define BT_OP_SPARSE_XNOR_OUT_ENCS 0x03u
#define BT_OP_SPARSE_XNOR_MAX_FEATURES 65535u

/* The op whose kind and encodings are l's, or BT_OP_NONE. */
static inline int bt_op_find(const bt_layer_t *l)
{
    if (l->kind == BT_OP_DENSE_XNOR_KIND && l->in_enc == BT_OP_DENSE_XNOR_IN_ENC && l->w_enc == BT_OP_DENSE_XNOR_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_XNOR_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_XNOR;
    if (l->kind == BT_OP_SPARSE_XNOR_KIND && l->in_enc == BT_OP_SPARSE_XNOR_IN_ENC && l->w_enc == BT_OP_SPARSE_XNOR_W_ENC && l->out_enc < 8u && ((BT_OP_SPARSE_XNOR_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_SPARSE_XNOR;
    return BT_OP_NONE;
}

/* Footprint: weight words per row bank. */
static inline uint32_t bt_op_w_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL(out_c, rows) * CEIL(in_c, 32) */
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->packs);  /* CEIL(out_c, rows) * packs */
    default: return 0;
    }
}

/* Footprint: threshold entries per row bank. */
static inline uint32_t bt_op_t_entries(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->n_thr);  /* CEIL(out_c, rows) * n_thr */
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->n_thr);  /* CEIL(out_c, rows) * n_thr */
    default: return 0;
    }
}

/* Footprint: input words per column bank. */
static inline uint32_t bt_op_a_in_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR: return BT_OPS_CEIL((l)->in_c, 32u);  /* CEIL(in_c, 32) */
    case BT_OP_SPARSE_XNOR: return BT_OPS_CEIL((l)->in_c, 32u);  /* CEIL(in_c, 32) */
    default: return 0;
    }
}

/* Footprint: output words per column bank. */
static inline uint32_t bt_op_a_out_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR: return (BT_OPS_CEIL((l)->out_c, 32u) * (1u - (uint32_t)((l)->out_enc == 0u)));  /* CEIL(out_c, 32) * (1 - (out_enc == 0)) */
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, 32u) * (1u - (uint32_t)((l)->out_enc == 0u)));  /* CEIL(out_c, 32) * (1 - (out_enc == 0)) */
    default: return 0;
    }
}

/* Footprint: score words per row bank. */
static inline uint32_t bt_op_s_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR: return ((BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (uint32_t)(cols)) * (uint32_t)((l)->out_enc == 0u));  /* CEIL(out_c, rows) * cols * (out_enc == 0) */
    case BT_OP_SPARSE_XNOR: return ((BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (uint32_t)(cols)) * (uint32_t)((l)->out_enc == 0u));  /* CEIL(out_c, rows) * cols * (out_enc == 0) */
    default: return 0;
    }
}

/* Footprint: pack-index words per row bank. */
static inline uint32_t bt_op_i_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR: return 0u;  /* 0 */
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->packs);  /* CEIL(out_c, rows) * packs */
    default: return 0;
    }
}

/* Array-active cycles of the layer per batch (PERF_ACTIVE). */
static inline uint32_t bt_op_active_cycles(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL(out_c, rows) * CEIL(in_c, 32) */
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->packs);  /* CEIL(out_c, rows) * packs */
    default: return 0;
    }
}

#endif /* BITTERN_OPS_H */
