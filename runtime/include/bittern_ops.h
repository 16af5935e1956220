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
#define BT_OPS_COUNT 18u
#define BT_OP_NONE (-1)
#define BT_OP_DENSE_XNOR 0
#define BT_OP_DENSE_XNOR_KIND 1u
#define BT_OP_DENSE_XNOR_IN_ENC 1u
#define BT_OP_DENSE_XNOR_W_ENC 1u
#define BT_OP_DENSE_XNOR_OUT_ENCS 0x03u
#define BT_OP_DENSE_XNOR_MAX_FEATURES 65535u
#define BT_OP_CONV_XNOR 1
#define BT_OP_CONV_XNOR_KIND 2u
#define BT_OP_CONV_XNOR_IN_ENC 1u
#define BT_OP_CONV_XNOR_W_ENC 1u
#define BT_OP_CONV_XNOR_OUT_ENCS 0x03u
#define BT_OP_CONV_XNOR_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_U8_BIN 2
#define BT_OP_DENSE_PLANES_U8_BIN_KIND 1u
#define BT_OP_DENSE_PLANES_U8_BIN_IN_ENC 0u
#define BT_OP_DENSE_PLANES_U8_BIN_W_ENC 1u
#define BT_OP_DENSE_PLANES_U8_BIN_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_U8_BIN_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_U8_TER 3
#define BT_OP_DENSE_PLANES_U8_TER_KIND 1u
#define BT_OP_DENSE_PLANES_U8_TER_IN_ENC 0u
#define BT_OP_DENSE_PLANES_U8_TER_W_ENC 2u
#define BT_OP_DENSE_PLANES_U8_TER_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_U8_TER_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_U8_INT 4
#define BT_OP_DENSE_PLANES_U8_INT_KIND 1u
#define BT_OP_DENSE_PLANES_U8_INT_IN_ENC 0u
#define BT_OP_DENSE_PLANES_U8_INT_W_ENC 4u
#define BT_OP_DENSE_PLANES_U8_INT_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_U8_INT_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_BIN_BIN 5
#define BT_OP_DENSE_PLANES_BIN_BIN_KIND 1u
#define BT_OP_DENSE_PLANES_BIN_BIN_IN_ENC 1u
#define BT_OP_DENSE_PLANES_BIN_BIN_W_ENC 1u
#define BT_OP_DENSE_PLANES_BIN_BIN_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_BIN_BIN_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_BIN_TER 6
#define BT_OP_DENSE_PLANES_BIN_TER_KIND 1u
#define BT_OP_DENSE_PLANES_BIN_TER_IN_ENC 1u
#define BT_OP_DENSE_PLANES_BIN_TER_W_ENC 2u
#define BT_OP_DENSE_PLANES_BIN_TER_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_BIN_TER_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_BIN_INT 7
#define BT_OP_DENSE_PLANES_BIN_INT_KIND 1u
#define BT_OP_DENSE_PLANES_BIN_INT_IN_ENC 1u
#define BT_OP_DENSE_PLANES_BIN_INT_W_ENC 4u
#define BT_OP_DENSE_PLANES_BIN_INT_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_BIN_INT_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_TER_BIN 8
#define BT_OP_DENSE_PLANES_TER_BIN_KIND 1u
#define BT_OP_DENSE_PLANES_TER_BIN_IN_ENC 2u
#define BT_OP_DENSE_PLANES_TER_BIN_W_ENC 1u
#define BT_OP_DENSE_PLANES_TER_BIN_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_TER_BIN_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_TER_TER 9
#define BT_OP_DENSE_PLANES_TER_TER_KIND 1u
#define BT_OP_DENSE_PLANES_TER_TER_IN_ENC 2u
#define BT_OP_DENSE_PLANES_TER_TER_W_ENC 2u
#define BT_OP_DENSE_PLANES_TER_TER_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_TER_TER_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_TER_INT 10
#define BT_OP_DENSE_PLANES_TER_INT_KIND 1u
#define BT_OP_DENSE_PLANES_TER_INT_IN_ENC 2u
#define BT_OP_DENSE_PLANES_TER_INT_W_ENC 4u
#define BT_OP_DENSE_PLANES_TER_INT_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_TER_INT_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_UINT_BIN 11
#define BT_OP_DENSE_PLANES_UINT_BIN_KIND 1u
#define BT_OP_DENSE_PLANES_UINT_BIN_IN_ENC 3u
#define BT_OP_DENSE_PLANES_UINT_BIN_W_ENC 1u
#define BT_OP_DENSE_PLANES_UINT_BIN_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_UINT_BIN_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_UINT_TER 12
#define BT_OP_DENSE_PLANES_UINT_TER_KIND 1u
#define BT_OP_DENSE_PLANES_UINT_TER_IN_ENC 3u
#define BT_OP_DENSE_PLANES_UINT_TER_W_ENC 2u
#define BT_OP_DENSE_PLANES_UINT_TER_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_UINT_TER_MAX_FEATURES 65535u
#define BT_OP_DENSE_PLANES_UINT_INT 13
#define BT_OP_DENSE_PLANES_UINT_INT_KIND 1u
#define BT_OP_DENSE_PLANES_UINT_INT_IN_ENC 3u
#define BT_OP_DENSE_PLANES_UINT_INT_W_ENC 4u
#define BT_OP_DENSE_PLANES_UINT_INT_OUT_ENCS 0x0Fu
#define BT_OP_DENSE_PLANES_UINT_INT_MAX_FEATURES 65535u
#define BT_OP_SPARSE_XNOR 14
#define BT_OP_SPARSE_XNOR_KIND 1u
#define BT_OP_SPARSE_XNOR_IN_ENC 1u
#define BT_OP_SPARSE_XNOR_W_ENC 3u
#define BT_OP_SPARSE_XNOR_OUT_ENCS 0x03u
#define BT_OP_SPARSE_XNOR_MAX_FEATURES 65535u
#define BT_OP_CONV_PLANES_U8_BIN 15
#define BT_OP_CONV_PLANES_U8_BIN_KIND 2u
#define BT_OP_CONV_PLANES_U8_BIN_IN_ENC 0u
#define BT_OP_CONV_PLANES_U8_BIN_W_ENC 1u
#define BT_OP_CONV_PLANES_U8_BIN_OUT_ENCS 0x02u
#define BT_OP_CONV_PLANES_U8_BIN_MAX_FEATURES 65535u
#define BT_OP_CONV_PLANES_U8_TER 16
#define BT_OP_CONV_PLANES_U8_TER_KIND 2u
#define BT_OP_CONV_PLANES_U8_TER_IN_ENC 0u
#define BT_OP_CONV_PLANES_U8_TER_W_ENC 2u
#define BT_OP_CONV_PLANES_U8_TER_OUT_ENCS 0x02u
#define BT_OP_CONV_PLANES_U8_TER_MAX_FEATURES 65535u
#define BT_OP_CONV_PLANES_U8_INT 17
#define BT_OP_CONV_PLANES_U8_INT_KIND 2u
#define BT_OP_CONV_PLANES_U8_INT_IN_ENC 0u
#define BT_OP_CONV_PLANES_U8_INT_W_ENC 4u
#define BT_OP_CONV_PLANES_U8_INT_OUT_ENCS 0x02u
#define BT_OP_CONV_PLANES_U8_INT_MAX_FEATURES 65535u

/* The op whose kind and encodings are l's, or BT_OP_NONE. */
static inline int bt_op_find(const bt_layer_t *l)
{
    if (l->kind == BT_OP_DENSE_XNOR_KIND && l->in_enc == BT_OP_DENSE_XNOR_IN_ENC && l->w_enc == BT_OP_DENSE_XNOR_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_XNOR_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_XNOR;
    if (l->kind == BT_OP_CONV_XNOR_KIND && l->in_enc == BT_OP_CONV_XNOR_IN_ENC && l->w_enc == BT_OP_CONV_XNOR_W_ENC && l->out_enc < 8u && ((BT_OP_CONV_XNOR_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_CONV_XNOR;
    if (l->kind == BT_OP_DENSE_PLANES_U8_BIN_KIND && l->in_enc == BT_OP_DENSE_PLANES_U8_BIN_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_U8_BIN_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_U8_BIN_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_U8_BIN;
    if (l->kind == BT_OP_DENSE_PLANES_U8_TER_KIND && l->in_enc == BT_OP_DENSE_PLANES_U8_TER_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_U8_TER_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_U8_TER_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_U8_TER;
    if (l->kind == BT_OP_DENSE_PLANES_U8_INT_KIND && l->in_enc == BT_OP_DENSE_PLANES_U8_INT_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_U8_INT_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_U8_INT_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_U8_INT;
    if (l->kind == BT_OP_DENSE_PLANES_BIN_BIN_KIND && l->in_enc == BT_OP_DENSE_PLANES_BIN_BIN_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_BIN_BIN_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_BIN_BIN_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_BIN_BIN;
    if (l->kind == BT_OP_DENSE_PLANES_BIN_TER_KIND && l->in_enc == BT_OP_DENSE_PLANES_BIN_TER_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_BIN_TER_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_BIN_TER_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_BIN_TER;
    if (l->kind == BT_OP_DENSE_PLANES_BIN_INT_KIND && l->in_enc == BT_OP_DENSE_PLANES_BIN_INT_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_BIN_INT_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_BIN_INT_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_BIN_INT;
    if (l->kind == BT_OP_DENSE_PLANES_TER_BIN_KIND && l->in_enc == BT_OP_DENSE_PLANES_TER_BIN_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_TER_BIN_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_TER_BIN_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_TER_BIN;
    if (l->kind == BT_OP_DENSE_PLANES_TER_TER_KIND && l->in_enc == BT_OP_DENSE_PLANES_TER_TER_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_TER_TER_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_TER_TER_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_TER_TER;
    if (l->kind == BT_OP_DENSE_PLANES_TER_INT_KIND && l->in_enc == BT_OP_DENSE_PLANES_TER_INT_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_TER_INT_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_TER_INT_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_TER_INT;
    if (l->kind == BT_OP_DENSE_PLANES_UINT_BIN_KIND && l->in_enc == BT_OP_DENSE_PLANES_UINT_BIN_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_UINT_BIN_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_UINT_BIN_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_UINT_BIN;
    if (l->kind == BT_OP_DENSE_PLANES_UINT_TER_KIND && l->in_enc == BT_OP_DENSE_PLANES_UINT_TER_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_UINT_TER_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_UINT_TER_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_UINT_TER;
    if (l->kind == BT_OP_DENSE_PLANES_UINT_INT_KIND && l->in_enc == BT_OP_DENSE_PLANES_UINT_INT_IN_ENC && l->w_enc == BT_OP_DENSE_PLANES_UINT_INT_W_ENC && l->out_enc < 8u && ((BT_OP_DENSE_PLANES_UINT_INT_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_DENSE_PLANES_UINT_INT;
    if (l->kind == BT_OP_SPARSE_XNOR_KIND && l->in_enc == BT_OP_SPARSE_XNOR_IN_ENC && l->w_enc == BT_OP_SPARSE_XNOR_W_ENC && l->out_enc < 8u && ((BT_OP_SPARSE_XNOR_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_SPARSE_XNOR;
    if (l->kind == BT_OP_CONV_PLANES_U8_BIN_KIND && l->in_enc == BT_OP_CONV_PLANES_U8_BIN_IN_ENC && l->w_enc == BT_OP_CONV_PLANES_U8_BIN_W_ENC && l->out_enc < 8u && ((BT_OP_CONV_PLANES_U8_BIN_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_CONV_PLANES_U8_BIN;
    if (l->kind == BT_OP_CONV_PLANES_U8_TER_KIND && l->in_enc == BT_OP_CONV_PLANES_U8_TER_IN_ENC && l->w_enc == BT_OP_CONV_PLANES_U8_TER_W_ENC && l->out_enc < 8u && ((BT_OP_CONV_PLANES_U8_TER_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_CONV_PLANES_U8_TER;
    if (l->kind == BT_OP_CONV_PLANES_U8_INT_KIND && l->in_enc == BT_OP_CONV_PLANES_U8_INT_IN_ENC && l->w_enc == BT_OP_CONV_PLANES_U8_INT_W_ENC && l->out_enc < 8u && ((BT_OP_CONV_PLANES_U8_INT_OUT_ENCS >> l->out_enc) & 1u))
        return BT_OP_CONV_PLANES_U8_INT;
    return BT_OP_NONE;
}

/* Footprint: weight words per row bank. */
static inline uint32_t bt_op_w_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL(out_c, rows) * CEIL(in_c, 32) */
    case BT_OP_CONV_XNOR: return (((BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->kernel) * (l)->kernel) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL(out_c, rows) * kernel * kernel * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_UINT_BIN: return ((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 1u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 1 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_UINT_TER: return ((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 2u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 2 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_DENSE_PLANES_UINT_INT: return ((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * ((l)->w_bits + 1u)) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * (w_bits + 1) * CEIL(in_c, 32) */
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->packs);  /* CEIL(out_c, rows) * packs */
    case BT_OP_CONV_PLANES_U8_BIN: return ((((BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->kernel) * (l)->kernel) * 1u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL(out_c, rows) * kernel * kernel * 1 * CEIL(in_c, 32) */
    case BT_OP_CONV_PLANES_U8_TER: return ((((BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->kernel) * (l)->kernel) * 2u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL(out_c, rows) * kernel * kernel * 2 * CEIL(in_c, 32) */
    case BT_OP_CONV_PLANES_U8_INT: return ((((BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->kernel) * (l)->kernel) * ((l)->w_bits + 1u)) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL(out_c, rows) * kernel * kernel * (w_bits + 1) * CEIL(in_c, 32) */
    default: return 0;
    }
}

/* Footprint: threshold entries per row bank. */
static inline uint32_t bt_op_t_entries(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->n_thr);  /* CEIL(out_c, rows) * n_thr */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_DENSE_PLANES_UINT_INT: return BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) */
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_INT: return BT_OPS_CEIL((l)->out_c, (uint32_t)(rows));  /* CEIL(out_c, rows) */
    default: return 0;
    }
}

/* Footprint: input words per column bank. */
static inline uint32_t bt_op_a_in_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_SPARSE_XNOR: return BT_OPS_CEIL((l)->in_c, 32u);  /* CEIL(in_c, 32) */
    case BT_OP_CONV_XNOR: return (((l)->in_h * (l)->in_w) * BT_OPS_CEIL((l)->in_c, 32u));  /* in_h * in_w * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_U8_INT: return (8u * BT_OPS_CEIL((l)->in_c, 32u));  /* 8 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_BIN_INT: return (1u * BT_OPS_CEIL((l)->in_c, 32u));  /* 1 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_TER_INT: return (2u * BT_OPS_CEIL((l)->in_c, 32u));  /* 2 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_DENSE_PLANES_UINT_INT: return (((((uint32_t)((l)->in_bits == 1u) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u))) * BT_OPS_CEIL((l)->in_c, 32u));  /* ((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) * CEIL(in_c, 32) */
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_INT: return ((((l)->in_h * (l)->in_w) * 8u) * BT_OPS_CEIL((l)->in_c, 32u));  /* in_h * in_w * 8 * CEIL(in_c, 32) */
    default: return 0;
    }
}

/* Footprint: output words per column bank. */
static inline uint32_t bt_op_a_out_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, 32u) * (1u - (uint32_t)((l)->out_enc == 0u)));  /* CEIL(out_c, 32) * (1 - (out_enc == 0)) */
    case BT_OP_CONV_XNOR: return ((((l)->out_h * (l)->out_w) * BT_OPS_CEIL((l)->out_c, 32u)) * (1u - (uint32_t)((l)->out_enc == 0u)));  /* out_h * out_w * CEIL(out_c, 32) * (1 - (out_enc == 0)) */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_DENSE_PLANES_UINT_INT: return (BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), 32u) * (1u - (uint32_t)((l)->out_enc == 0u)));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), 32) * (1 - (out_enc == 0)) */
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_INT: return (((l)->out_h * (l)->out_w) * BT_OPS_CEIL((l)->out_c, 32u));  /* out_h * out_w * CEIL(out_c, 32) */
    default: return 0;
    }
}

/* Footprint: score words per row bank. */
static inline uint32_t bt_op_s_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_DENSE_PLANES_UINT_INT:
    case BT_OP_SPARSE_XNOR: return ((BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (uint32_t)(cols)) * (uint32_t)((l)->out_enc == 0u));  /* CEIL(out_c, rows) * cols * (out_enc == 0) */
    case BT_OP_CONV_XNOR: return (((((l)->out_h * (l)->out_w) * BT_OPS_CEIL((l)->out_c, (uint32_t)(rows))) * (uint32_t)(cols)) * (uint32_t)((l)->out_enc == 0u));  /* out_h * out_w * CEIL(out_c, rows) * cols * (out_enc == 0) */
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_INT: return 0u;  /* 0 */
    default: return 0;
    }
}

/* Footprint: pack-index words per row bank. */
static inline uint32_t bt_op_i_words(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_DENSE_PLANES_UINT_INT:
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_INT: return 0u;  /* 0 */
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
    case BT_OP_CONV_XNOR: return ((((((((l)->out_h * (l)->out_w) * (l)->pool) * (l)->pool) * BT_OPS_CEIL((l)->out_c, (uint32_t)(rows))) * (l)->kernel) * (l)->kernel) * BT_OPS_CEIL((l)->in_c, 32u));  /* out_h * out_w * pool * pool * CEIL(out_c, rows) * kernel * kernel * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_U8_BIN: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 1u) * 8u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 1 * 8 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_U8_TER: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 2u) * 8u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 2 * 8 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_U8_INT: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * ((l)->w_bits + 1u)) * 8u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * (w_bits + 1) * 8 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_BIN_BIN: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 1u) * 1u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 1 * 1 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_BIN_TER: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 2u) * 1u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 2 * 1 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_BIN_INT: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * ((l)->w_bits + 1u)) * 1u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * (w_bits + 1) * 1 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_TER_BIN: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 1u) * 2u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 1 * 2 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_TER_TER: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 2u) * 2u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 2 * 2 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_TER_INT: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * ((l)->w_bits + 1u)) * 2u) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * (w_bits + 1) * 2 * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_UINT_BIN: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 1u) * ((((uint32_t)((l)->in_bits == 1u) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u)))) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 1 * ((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_UINT_TER: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * 2u) * ((((uint32_t)((l)->in_bits == 1u) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u)))) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * 2 * ((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) * CEIL(in_c, 32) */
    case BT_OP_DENSE_PLANES_UINT_INT: return (((BT_OPS_CEIL((((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))), (uint32_t)(rows)) * ((l)->w_bits + 1u)) * ((((uint32_t)((l)->in_bits == 1u) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u)))) * BT_OPS_CEIL((l)->in_c, 32u));  /* CEIL((out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))), rows) * (w_bits + 1) * ((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) * CEIL(in_c, 32) */
    case BT_OP_SPARSE_XNOR: return (BT_OPS_CEIL((l)->out_c, (uint32_t)(rows)) * (l)->packs);  /* CEIL(out_c, rows) * packs */
    case BT_OP_CONV_PLANES_U8_BIN: return ((((((((((l)->out_h * (l)->out_w) * (l)->pool) * (l)->pool) * BT_OPS_CEIL((l)->out_c, (uint32_t)(rows))) * (l)->kernel) * (l)->kernel) * 1u) * 8u) * BT_OPS_CEIL((l)->in_c, 32u));  /* out_h * out_w * pool * pool * CEIL(out_c, rows) * kernel * kernel * 1 * 8 * CEIL(in_c, 32) */
    case BT_OP_CONV_PLANES_U8_TER: return ((((((((((l)->out_h * (l)->out_w) * (l)->pool) * (l)->pool) * BT_OPS_CEIL((l)->out_c, (uint32_t)(rows))) * (l)->kernel) * (l)->kernel) * 2u) * 8u) * BT_OPS_CEIL((l)->in_c, 32u));  /* out_h * out_w * pool * pool * CEIL(out_c, rows) * kernel * kernel * 2 * 8 * CEIL(in_c, 32) */
    case BT_OP_CONV_PLANES_U8_INT: return ((((((((((l)->out_h * (l)->out_w) * (l)->pool) * (l)->pool) * BT_OPS_CEIL((l)->out_c, (uint32_t)(rows))) * (l)->kernel) * (l)->kernel) * ((l)->w_bits + 1u)) * 8u) * BT_OPS_CEIL((l)->in_c, 32u));  /* out_h * out_w * pool * pool * CEIL(out_c, rows) * kernel * kernel * (w_bits + 1) * 8 * CEIL(in_c, 32) */
    default: return 0;
    }
}

/* Driver parameter: D_OUT_FEATURES: output channels the array computes. */
static inline uint32_t bt_op_out_features(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_SPARSE_XNOR:
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_INT: return (l)->out_c;  /* out_c */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_DENSE_PLANES_UINT_INT: return (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u))));  /* (out_c * ((out_enc == 0) + (out_enc == 1)) + n_thr * 32 * CEIL(out_c, 32) * ((out_enc == 2) + (out_enc == 3))) */
    default: return 0;
    }
}

/* Driver parameter: the D_PLANES word (plane counts - 1, A_STEP, SCORE_SHIFT). */
static inline uint32_t bt_op_d_planes(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_SPARSE_XNOR: return 0u;  /* 0 */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_BIN: return (((((1u - 1u) * 1u) + ((8u - 1u) * 16u)) + (1u * 256u)) + (1u * 4096u));  /* (1 - 1) * 1 + (8 - 1) * 16 + 1 * 256 + 1 * 4096 */
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_TER: return (((((2u - 1u) * 1u) + ((8u - 1u) * 16u)) + (1u * 256u)) + (2u * 4096u));  /* (2 - 1) * 1 + (8 - 1) * 16 + 1 * 256 + 2 * 4096 */
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_CONV_PLANES_U8_INT: return (((((((l)->w_bits + 1u) - 1u) * 1u) + ((8u - 1u) * 16u)) + (1u * 256u)) + (2u * 4096u));  /* ((w_bits + 1) - 1) * 1 + (8 - 1) * 16 + 1 * 256 + 2 * 4096 */
    case BT_OP_DENSE_PLANES_BIN_BIN: return (((((1u - 1u) * 1u) + ((1u - 1u) * 16u)) + (0u * 256u)) + (0u * 4096u));  /* (1 - 1) * 1 + (1 - 1) * 16 + 0 * 256 + 0 * 4096 */
    case BT_OP_DENSE_PLANES_BIN_TER: return (((((2u - 1u) * 1u) + ((1u - 1u) * 16u)) + (0u * 256u)) + (1u * 4096u));  /* (2 - 1) * 1 + (1 - 1) * 16 + 0 * 256 + 1 * 4096 */
    case BT_OP_DENSE_PLANES_BIN_INT: return (((((((l)->w_bits + 1u) - 1u) * 1u) + ((1u - 1u) * 16u)) + (0u * 256u)) + (1u * 4096u));  /* ((w_bits + 1) - 1) * 1 + (1 - 1) * 16 + 0 * 256 + 1 * 4096 */
    case BT_OP_DENSE_PLANES_TER_BIN: return (((((1u - 1u) * 1u) + ((2u - 1u) * 16u)) + (0u * 256u)) + (1u * 4096u));  /* (1 - 1) * 1 + (2 - 1) * 16 + 0 * 256 + 1 * 4096 */
    case BT_OP_DENSE_PLANES_TER_TER: return (((((2u - 1u) * 1u) + ((2u - 1u) * 16u)) + (0u * 256u)) + (2u * 4096u));  /* (2 - 1) * 1 + (2 - 1) * 16 + 0 * 256 + 2 * 4096 */
    case BT_OP_DENSE_PLANES_TER_INT: return (((((((l)->w_bits + 1u) - 1u) * 1u) + ((2u - 1u) * 16u)) + (0u * 256u)) + (2u * 4096u));  /* ((w_bits + 1) - 1) * 1 + (2 - 1) * 16 + 0 * 256 + 2 * 4096 */
    case BT_OP_DENSE_PLANES_UINT_BIN: return (((((1u - 1u) * 1u) + ((((((uint32_t)((l)->in_bits == 1u) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u))) - 1u) * 16u)) + (((((0u * (uint32_t)((l)->in_bits == 1u)) + (0u * (uint32_t)((l)->in_bits == 2u))) + (0u * (uint32_t)((l)->in_bits == 3u))) + (0u * (uint32_t)((l)->in_bits == 4u))) * 256u)) + (1u * 4096u));  /* (1 - 1) * 1 + (((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) - 1) * 16 + (0 * (in_bits == 1) + 0 * (in_bits == 2) + 0 * (in_bits == 3) + 0 * (in_bits == 4)) * 256 + 1 * 4096 */
    case BT_OP_DENSE_PLANES_UINT_TER: return (((((2u - 1u) * 1u) + ((((((uint32_t)((l)->in_bits == 1u) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u))) - 1u) * 16u)) + (((((0u * (uint32_t)((l)->in_bits == 1u)) + (0u * (uint32_t)((l)->in_bits == 2u))) + (0u * (uint32_t)((l)->in_bits == 3u))) + (0u * (uint32_t)((l)->in_bits == 4u))) * 256u)) + (2u * 4096u));  /* (2 - 1) * 1 + (((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) - 1) * 16 + (0 * (in_bits == 1) + 0 * (in_bits == 2) + 0 * (in_bits == 3) + 0 * (in_bits == 4)) * 256 + 2 * 4096 */
    case BT_OP_DENSE_PLANES_UINT_INT: return (((((((l)->w_bits + 1u) - 1u) * 1u) + ((((((uint32_t)((l)->in_bits == 1u) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u))) - 1u) * 16u)) + (((((0u * (uint32_t)((l)->in_bits == 1u)) + (0u * (uint32_t)((l)->in_bits == 2u))) + (0u * (uint32_t)((l)->in_bits == 3u))) + (0u * (uint32_t)((l)->in_bits == 4u))) * 256u)) + (2u * 4096u));  /* ((w_bits + 1) - 1) * 1 + (((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) - 1) * 16 + (0 * (in_bits == 1) + 0 * (in_bits == 2) + 0 * (in_bits == 3) + 0 * (in_bits == 4)) * 256 + 2 * 4096 */
    default: return 0;
    }
}

/* Driver parameter: the D_PLANES2 word (weight plane p's shift in bits 4p+3..4p). */
static inline uint32_t bt_op_d_planes2(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_SPARSE_XNOR:
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER: return 0u;  /* 0 */
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_DENSE_PLANES_UINT_INT:
    case BT_OP_CONV_PLANES_U8_INT: return (((((((0u * (uint32_t)((l)->w_bits == 1u)) + (16u * (uint32_t)((l)->w_bits == 2u))) + (528u * (uint32_t)((l)->w_bits == 3u))) + (12816u * (uint32_t)((l)->w_bits == 4u))) + (274960u * (uint32_t)((l)->w_bits == 5u))) + (5517840u * (uint32_t)((l)->w_bits == 6u))) + (106181136u * (uint32_t)((l)->w_bits == 7u)));  /* (0 * (w_bits == 1) + 16 * (w_bits == 2) + 528 * (w_bits == 3) + 12816 * (w_bits == 4) + 274960 * (w_bits == 5) + 5517840 * (w_bits == 6) + 106181136 * (w_bits == 7)) */
    default: return 0;
    }
}

/* Driver parameter: weight planes per channel. */
static inline uint32_t bt_op_w_planes(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_SPARSE_XNOR:
    case BT_OP_CONV_PLANES_U8_BIN: return 1u;  /* 1 */
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_CONV_PLANES_U8_TER: return 2u;  /* 2 */
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_DENSE_PLANES_UINT_INT:
    case BT_OP_CONV_PLANES_U8_INT: return ((l)->w_bits + 1u);  /* (w_bits + 1) */
    default: return 0;
    }
}

/* Driver parameter: activation planes of the input. */
static inline uint32_t bt_op_a_planes(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_SPARSE_XNOR: return 1u;  /* 1 */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_INT: return 8u;  /* 8 */
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_TER_INT: return 2u;  /* 2 */
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_DENSE_PLANES_UINT_INT: return ((((uint32_t)((l)->in_bits == 1u) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u)));  /* ((in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) */
    default: return 0;
    }
}

/* Driver parameter: sum over the passes of 2^shift (the array's n-scale). */
static inline uint32_t bt_op_s_total(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_SPARSE_XNOR: return 1u;  /* 1 */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_BIN: return (1u * 255u);  /* 1 * 255 */
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_TER: return (2u * 255u);  /* 2 * 255 */
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_CONV_PLANES_U8_INT: return ((((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u))) * 255u);  /* (2 * (w_bits == 1) + 4 * (w_bits == 2) + 8 * (w_bits == 3) + 16 * (w_bits == 4) + 32 * (w_bits == 5) + 64 * (w_bits == 6) + 128 * (w_bits == 7)) * 255 */
    case BT_OP_DENSE_PLANES_BIN_BIN: return (1u * 1u);  /* 1 * 1 */
    case BT_OP_DENSE_PLANES_BIN_TER: return (2u * 1u);  /* 2 * 1 */
    case BT_OP_DENSE_PLANES_BIN_INT: return ((((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u))) * 1u);  /* (2 * (w_bits == 1) + 4 * (w_bits == 2) + 8 * (w_bits == 3) + 16 * (w_bits == 4) + 32 * (w_bits == 5) + 64 * (w_bits == 6) + 128 * (w_bits == 7)) * 1 */
    case BT_OP_DENSE_PLANES_TER_BIN: return (1u * 2u);  /* 1 * 2 */
    case BT_OP_DENSE_PLANES_TER_TER: return (2u * 2u);  /* 2 * 2 */
    case BT_OP_DENSE_PLANES_TER_INT: return ((((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u))) * 2u);  /* (2 * (w_bits == 1) + 4 * (w_bits == 2) + 8 * (w_bits == 3) + 16 * (w_bits == 4) + 32 * (w_bits == 5) + 64 * (w_bits == 6) + 128 * (w_bits == 7)) * 2 */
    case BT_OP_DENSE_PLANES_UINT_BIN: return (1u * ((((1u * (uint32_t)((l)->in_bits == 1u)) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u))));  /* 1 * (1 * (in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) */
    case BT_OP_DENSE_PLANES_UINT_TER: return (2u * ((((1u * (uint32_t)((l)->in_bits == 1u)) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u))));  /* 2 * (1 * (in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) */
    case BT_OP_DENSE_PLANES_UINT_INT: return ((((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u))) * ((((1u * (uint32_t)((l)->in_bits == 1u)) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u))));  /* (2 * (w_bits == 1) + 4 * (w_bits == 2) + 8 * (w_bits == 3) + 16 * (w_bits == 4) + 32 * (w_bits == 5) + 64 * (w_bits == 6) + 128 * (w_bits == 7)) * (1 * (in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) */
    default: return 0;
    }
}

/* Driver parameter: the activation form's constant Cx (Dx*x = sum 2^sa Q + Cx). */
static inline uint32_t bt_op_cx(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_DENSE_PLANES_BIN_BIN:
    case BT_OP_DENSE_PLANES_BIN_TER:
    case BT_OP_DENSE_PLANES_BIN_INT:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_SPARSE_XNOR: return 0u;  /* 0 */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_CONV_PLANES_U8_BIN:
    case BT_OP_CONV_PLANES_U8_TER:
    case BT_OP_CONV_PLANES_U8_INT: return 255u;  /* 255 */
    case BT_OP_DENSE_PLANES_UINT_BIN:
    case BT_OP_DENSE_PLANES_UINT_TER:
    case BT_OP_DENSE_PLANES_UINT_INT: return ((((1u * (uint32_t)((l)->in_bits == 1u)) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u)));  /* (1 * (in_bits == 1) + 3 * (in_bits == 2) + 7 * (in_bits == 3) + 15 * (in_bits == 4)) */
    default: return 0;
    }
}

/* Driver parameter: Dw*Dx: the scale of the array's output over the layer's accumulator. */
static inline uint32_t bt_op_dwdx(int op, uint32_t rows, uint32_t cols, const bt_layer_t *l)
{
    (void)rows; (void)cols; (void)l;
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_CONV_XNOR:
    case BT_OP_SPARSE_XNOR: return 1u;  /* 1 */
    case BT_OP_DENSE_PLANES_U8_BIN:
    case BT_OP_DENSE_PLANES_TER_BIN:
    case BT_OP_CONV_PLANES_U8_BIN: return (1u * 2u);  /* 1 * 2 */
    case BT_OP_DENSE_PLANES_U8_TER:
    case BT_OP_DENSE_PLANES_TER_TER:
    case BT_OP_CONV_PLANES_U8_TER: return (2u * 2u);  /* 2 * 2 */
    case BT_OP_DENSE_PLANES_U8_INT:
    case BT_OP_DENSE_PLANES_TER_INT:
    case BT_OP_CONV_PLANES_U8_INT: return ((((((((2u * (uint32_t)((l)->w_bits == 1u)) + (2u * (uint32_t)((l)->w_bits == 2u))) + (2u * (uint32_t)((l)->w_bits == 3u))) + (2u * (uint32_t)((l)->w_bits == 4u))) + (2u * (uint32_t)((l)->w_bits == 5u))) + (2u * (uint32_t)((l)->w_bits == 6u))) + (2u * (uint32_t)((l)->w_bits == 7u))) * 2u);  /* (2 * (w_bits == 1) + 2 * (w_bits == 2) + 2 * (w_bits == 3) + 2 * (w_bits == 4) + 2 * (w_bits == 5) + 2 * (w_bits == 6) + 2 * (w_bits == 7)) * 2 */
    case BT_OP_DENSE_PLANES_BIN_BIN: return (1u * 1u);  /* 1 * 1 */
    case BT_OP_DENSE_PLANES_BIN_TER: return (2u * 1u);  /* 2 * 1 */
    case BT_OP_DENSE_PLANES_BIN_INT: return ((((((((2u * (uint32_t)((l)->w_bits == 1u)) + (2u * (uint32_t)((l)->w_bits == 2u))) + (2u * (uint32_t)((l)->w_bits == 3u))) + (2u * (uint32_t)((l)->w_bits == 4u))) + (2u * (uint32_t)((l)->w_bits == 5u))) + (2u * (uint32_t)((l)->w_bits == 6u))) + (2u * (uint32_t)((l)->w_bits == 7u))) * 1u);  /* (2 * (w_bits == 1) + 2 * (w_bits == 2) + 2 * (w_bits == 3) + 2 * (w_bits == 4) + 2 * (w_bits == 5) + 2 * (w_bits == 6) + 2 * (w_bits == 7)) * 1 */
    case BT_OP_DENSE_PLANES_UINT_BIN: return (1u * ((((2u * (uint32_t)((l)->in_bits == 1u)) + (2u * (uint32_t)((l)->in_bits == 2u))) + (2u * (uint32_t)((l)->in_bits == 3u))) + (2u * (uint32_t)((l)->in_bits == 4u))));  /* 1 * (2 * (in_bits == 1) + 2 * (in_bits == 2) + 2 * (in_bits == 3) + 2 * (in_bits == 4)) */
    case BT_OP_DENSE_PLANES_UINT_TER: return (2u * ((((2u * (uint32_t)((l)->in_bits == 1u)) + (2u * (uint32_t)((l)->in_bits == 2u))) + (2u * (uint32_t)((l)->in_bits == 3u))) + (2u * (uint32_t)((l)->in_bits == 4u))));  /* 2 * (2 * (in_bits == 1) + 2 * (in_bits == 2) + 2 * (in_bits == 3) + 2 * (in_bits == 4)) */
    case BT_OP_DENSE_PLANES_UINT_INT: return ((((((((2u * (uint32_t)((l)->w_bits == 1u)) + (2u * (uint32_t)((l)->w_bits == 2u))) + (2u * (uint32_t)((l)->w_bits == 3u))) + (2u * (uint32_t)((l)->w_bits == 4u))) + (2u * (uint32_t)((l)->w_bits == 5u))) + (2u * (uint32_t)((l)->w_bits == 6u))) + (2u * (uint32_t)((l)->w_bits == 7u))) * ((((2u * (uint32_t)((l)->in_bits == 1u)) + (2u * (uint32_t)((l)->in_bits == 2u))) + (2u * (uint32_t)((l)->in_bits == 3u))) + (2u * (uint32_t)((l)->in_bits == 4u))));  /* (2 * (w_bits == 1) + 2 * (w_bits == 2) + 2 * (w_bits == 3) + 2 * (w_bits == 4) + 2 * (w_bits == 5) + 2 * (w_bits == 6) + 2 * (w_bits == 7)) * (2 * (in_bits == 1) + 2 * (in_bits == 2) + 2 * (in_bits == 3) + 2 * (in_bits == 4)) */
    default: return 0;
    }
}

/* The FEATURES bits a build needs for the op (0: every build has it). */
static inline uint32_t bt_op_features(int op)
{
    switch (op) {
    case BT_OP_DENSE_XNOR: return 0x0u;
    case BT_OP_CONV_XNOR: return 0x2u;
    case BT_OP_DENSE_PLANES_U8_BIN: return 0x4u;
    case BT_OP_DENSE_PLANES_U8_TER: return 0x4u;
    case BT_OP_DENSE_PLANES_U8_INT: return 0x4u;
    case BT_OP_DENSE_PLANES_BIN_BIN: return 0x4u;
    case BT_OP_DENSE_PLANES_BIN_TER: return 0x4u;
    case BT_OP_DENSE_PLANES_BIN_INT: return 0x4u;
    case BT_OP_DENSE_PLANES_TER_BIN: return 0x4u;
    case BT_OP_DENSE_PLANES_TER_TER: return 0x4u;
    case BT_OP_DENSE_PLANES_TER_INT: return 0x4u;
    case BT_OP_DENSE_PLANES_UINT_BIN: return 0x4u;
    case BT_OP_DENSE_PLANES_UINT_TER: return 0x4u;
    case BT_OP_DENSE_PLANES_UINT_INT: return 0x4u;
    case BT_OP_SPARSE_XNOR: return 0x1u;
    case BT_OP_CONV_PLANES_U8_BIN: return 0x6u;
    case BT_OP_CONV_PLANES_U8_TER: return 0x6u;
    case BT_OP_CONV_PLANES_U8_INT: return 0x6u;
    default: return 0;
    }
}

/* 1 when l meets the op's limits beyond kind and encodings (descriptor field ranges,
 * plane counts, accumulator range), else 0. */
static inline int bt_op_fits(int op, const bt_layer_t *l)
{
    switch (op) {
    case BT_OP_DENSE_XNOR:
    case BT_OP_SPARSE_XNOR: return (l)->in_c <= 65535u && (l)->out_c <= 65535u;
    case BT_OP_CONV_XNOR: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (((uint32_t)((l)->kernel == 0u) + (uint32_t)((l)->stride == 0u)) + (uint32_t)((l)->pool == 0u)) <= 0u && (l)->kernel <= 5u && (l)->stride <= 2u && (l)->pool <= 4u && (l)->in_h <= 255u && (l)->in_w <= 255u && (l)->out_h <= 255u && (l)->out_w <= 255u;
    case BT_OP_DENSE_PLANES_U8_BIN: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * 1u) * 255u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_U8_TER: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * 2u) * 255u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_U8_INT: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (l)->w_bits <= 7u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * (((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u)))) * 255u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_BIN_BIN: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * 1u) * 1u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_BIN_TER: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * 2u) * 1u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_BIN_INT: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (l)->w_bits <= 7u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * (((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u)))) * 1u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_TER_BIN: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * 1u) * 2u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_TER_TER: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * 2u) * 2u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_TER_INT: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (l)->w_bits <= 7u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * (((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u)))) * 2u) <= 1073741823u;
    case BT_OP_DENSE_PLANES_UINT_BIN: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (l)->in_bits <= 4u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * 1u) * ((((1u * (uint32_t)((l)->in_bits == 1u)) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u)))) <= 1073741823u;
    case BT_OP_DENSE_PLANES_UINT_TER: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (l)->in_bits <= 4u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * 2u) * ((((1u * (uint32_t)((l)->in_bits == 1u)) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u)))) <= 1073741823u;
    case BT_OP_DENSE_PLANES_UINT_INT: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (l)->in_bits <= 4u && (l)->w_bits <= 7u && ((l)->out_bits * (uint32_t)((l)->out_enc == 3u)) <= 4u && (((l)->out_c * ((uint32_t)((l)->out_enc == 0u) + (uint32_t)((l)->out_enc == 1u))) + ((((l)->n_thr * 32u) * BT_OPS_CEIL((l)->out_c, 32u)) * ((uint32_t)((l)->out_enc == 2u) + (uint32_t)((l)->out_enc == 3u)))) <= 65535u && (((l)->in_c * (((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u)))) * ((((1u * (uint32_t)((l)->in_bits == 1u)) + (3u * (uint32_t)((l)->in_bits == 2u))) + (7u * (uint32_t)((l)->in_bits == 3u))) + (15u * (uint32_t)((l)->in_bits == 4u)))) <= 1073741823u;
    case BT_OP_CONV_PLANES_U8_BIN: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (((uint32_t)((l)->kernel == 0u) + (uint32_t)((l)->stride == 0u)) + (uint32_t)((l)->pool == 0u)) <= 0u && (l)->kernel <= 5u && (l)->stride <= 2u && (l)->pool <= 4u && (l)->in_h <= 255u && (l)->in_w <= 255u && (l)->out_h <= 255u && (l)->out_w <= 255u && (((((l)->in_c * (l)->kernel) * (l)->kernel) * 1u) * 255u) <= 1073741823u;
    case BT_OP_CONV_PLANES_U8_TER: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (((uint32_t)((l)->kernel == 0u) + (uint32_t)((l)->stride == 0u)) + (uint32_t)((l)->pool == 0u)) <= 0u && (l)->kernel <= 5u && (l)->stride <= 2u && (l)->pool <= 4u && (l)->in_h <= 255u && (l)->in_w <= 255u && (l)->out_h <= 255u && (l)->out_w <= 255u && (((((l)->in_c * (l)->kernel) * (l)->kernel) * 2u) * 255u) <= 1073741823u;
    case BT_OP_CONV_PLANES_U8_INT: return (l)->in_c <= 65535u && (l)->out_c <= 65535u && (((uint32_t)((l)->kernel == 0u) + (uint32_t)((l)->stride == 0u)) + (uint32_t)((l)->pool == 0u)) <= 0u && (l)->kernel <= 5u && (l)->stride <= 2u && (l)->pool <= 4u && (l)->in_h <= 255u && (l)->in_w <= 255u && (l)->out_h <= 255u && (l)->out_w <= 255u && (l)->w_bits <= 7u && (((((l)->in_c * (l)->kernel) * (l)->kernel) * (((((((2u * (uint32_t)((l)->w_bits == 1u)) + (4u * (uint32_t)((l)->w_bits == 2u))) + (8u * (uint32_t)((l)->w_bits == 3u))) + (16u * (uint32_t)((l)->w_bits == 4u))) + (32u * (uint32_t)((l)->w_bits == 5u))) + (64u * (uint32_t)((l)->w_bits == 6u))) + (128u * (uint32_t)((l)->w_bits == 7u)))) * 255u) <= 1073741823u;
    default: return 0;
    }
}

#endif /* BITTERN_OPS_H */
