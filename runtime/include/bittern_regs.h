/* Generated from rtl/regmap.py by `python -m bittern.rtl.regmap`; do not edit. */
#ifndef BITTERN_REGS_H
#define BITTERN_REGS_H

#include <stdint.h>  /* BT_ACC_DESC() casts to uint32_t */

#define BT_ACC_ID_VALUE 0x41525442u
#define BT_ACC_MAP_VERSION 2u
#define BT_ACC_ADDR_BITS 20u
#define BT_ACC_MAX_LAYERS 16u
#define BT_ACC_DESC_BASE 0x100u
#define BT_ACC_DESC_STRIDE 0x40u
#define BT_ACC_DESC_WORDS 16u
#define BT_ACC_DESC(i, reg) (BT_ACC_DESC_BASE + (uint32_t)(i) * BT_ACC_DESC_STRIDE + (reg))

/* Registers (byte offsets) */
#define BT_ACC_ID 0x000u  /* RO */
#define BT_ACC_VERSION 0x004u  /* RO */
#define BT_ACC_CONFIG 0x008u  /* RO */
#define BT_ACC_CONFIG_ROWS_SHIFT 0u
#define BT_ACC_CONFIG_ROWS_MASK 0x000000FFu
#define BT_ACC_CONFIG_COLS_SHIFT 8u
#define BT_ACC_CONFIG_COLS_MASK 0x0000FF00u
#define BT_ACC_CONFIG_LANES_SHIFT 16u
#define BT_ACC_CONFIG_LANES_MASK 0x00FF0000u
#define BT_ACC_WBUF_DEPTH 0x00Cu  /* RO */
#define BT_ACC_ABUF_DEPTH 0x010u  /* RO */
#define BT_ACC_TBUF_DEPTH 0x014u  /* RO */
#define BT_ACC_SBUF_DEPTH 0x018u  /* RO */
#define BT_ACC_MODEL_TAG 0x01Cu  /* RW */
#define BT_ACC_CTRL 0x020u  /* WO */
#define BT_ACC_CTRL_START_SHIFT 0u
#define BT_ACC_CTRL_START_MASK 0x00000001u
#define BT_ACC_CTRL_CLEAR_SHIFT 1u
#define BT_ACC_CTRL_CLEAR_MASK 0x00000002u
#define BT_ACC_STATUS 0x024u  /* RO */
#define BT_ACC_STATUS_BUSY_SHIFT 0u
#define BT_ACC_STATUS_BUSY_MASK 0x00000001u
#define BT_ACC_STATUS_DONE_SHIFT 1u
#define BT_ACC_STATUS_DONE_MASK 0x00000002u
#define BT_ACC_STATUS_ERROR_SHIFT 2u
#define BT_ACC_STATUS_ERROR_MASK 0x00000004u
#define BT_ACC_STATUS_CAUSE_SHIFT 8u
#define BT_ACC_STATUS_CAUSE_MASK 0x00003F00u
#define BT_ACC_STATUS_LAYER_SHIFT 16u
#define BT_ACC_STATUS_LAYER_MASK 0x000F0000u
#define BT_ACC_N_LAYERS 0x028u  /* RW */
#define BT_ACC_FEATURES 0x02Cu  /* RO */
#define BT_ACC_FEATURES_SPARSE_SHIFT 0u
#define BT_ACC_FEATURES_SPARSE_MASK 0x00000001u
#define BT_ACC_FEATURES_SPARSE_WORDS_SHIFT 4u
#define BT_ACC_FEATURES_SPARSE_WORDS_MASK 0x0000FFF0u
#define BT_ACC_PERF_CYCLES 0x030u  /* RO */
#define BT_ACC_PERF_ACTIVE 0x034u  /* RO */
#define BT_ACC_PERF_TILES 0x038u  /* RO */
#define BT_ACC_IBUF_DEPTH 0x03Cu  /* RO */

/* Descriptor registers (offsets inside one descriptor) */
#define BT_ACC_D_CFG 0x00u
#define BT_ACC_D_CFG_KIND_SHIFT 0u
#define BT_ACC_D_CFG_KIND_MASK 0x0000000Fu
#define BT_ACC_D_CFG_IN_ENC_SHIFT 4u
#define BT_ACC_D_CFG_IN_ENC_MASK 0x000000F0u
#define BT_ACC_D_CFG_W_ENC_SHIFT 8u
#define BT_ACC_D_CFG_W_ENC_MASK 0x00000F00u
#define BT_ACC_D_CFG_OUT_ENC_SHIFT 12u
#define BT_ACC_D_CFG_OUT_ENC_MASK 0x0000F000u
#define BT_ACC_D_IN_FEATURES 0x04u
#define BT_ACC_D_OUT_FEATURES 0x08u
#define BT_ACC_D_W_BASE 0x0Cu
#define BT_ACC_D_A_IN 0x10u
#define BT_ACC_D_A_OUT 0x14u
#define BT_ACC_D_T_BASE 0x18u
#define BT_ACC_D_CONV_IN 0x1Cu
#define BT_ACC_D_CONV_GEOM 0x20u
#define BT_ACC_D_CONV_OUT 0x24u
#define BT_ACC_D_PLANES 0x28u
#define BT_ACC_D_PLANES2 0x2Cu
#define BT_ACC_D_SPARSE 0x30u
#define BT_ACC_D_SPARSE_PACKS_SHIFT 0u
#define BT_ACC_D_SPARSE_PACKS_MASK 0x00000FFFu
#define BT_ACC_D_SPARSE2 0x34u
#define BT_ACC_D_SPARSE2_I_BASE_SHIFT 0u
#define BT_ACC_D_SPARSE2_I_BASE_MASK 0x0000FFFFu
#define BT_ACC_D_RESERVED0 0x38u
#define BT_ACC_D_RESERVED1 0x3Cu

/* Buffer windows (byte base addresses and sizes) */
#define BT_ACC_WBUF_BASE 0x40000u
#define BT_ACC_WBUF_SIZE 0x40000u
#define BT_ACC_ABUF_BASE 0x80000u
#define BT_ACC_ABUF_SIZE 0x20000u
#define BT_ACC_TBUF_BASE 0xA0000u
#define BT_ACC_TBUF_SIZE 0x20000u
#define BT_ACC_SBUF_BASE 0xC0000u
#define BT_ACC_SBUF_SIZE 0x20000u
#define BT_ACC_IBUF_BASE 0xE0000u
#define BT_ACC_IBUF_SIZE 0x20000u

/* Window word indices (byte address = window base + 4 * index) */
#define BT_ACC_WBUF_INDEX(rows, w_base, words, m, k) (((w_base) + ((m) / (rows)) * (words) + (k)) * (rows) + (m) % (rows))
#define BT_ACC_ABUF_INDEX(cols, a, k, c) (((a) + (k)) * (cols) + (c))
#define BT_ACC_TBUF_ENTRY(rows, t_base, m) ((t_base) * (rows) + (m))
#define BT_ACC_IBUF_INDEX(rows, i_base, packs, m, q) (((i_base) + ((m) / (rows)) * (packs) + (q)) * (rows) + (m) % (rows))
#define BT_ACC_SBUF_INDEX(rows, cols, a_out, m, c) (((a_out) + ((m) / (rows)) * (cols) + (c)) * (rows) + (m) % (rows))

/* Error causes (STATUS.CAUSE) */
#define BT_ACC_CAUSE_NONE 0u
#define BT_ACC_CAUSE_START_WHILE_BUSY 1u
#define BT_ACC_CAUSE_UNSUPPORTED_LAYER 2u
#define BT_ACC_CAUSE_WBUF_OVERFLOW 3u
#define BT_ACC_CAUSE_ABUF_OVERFLOW 4u
#define BT_ACC_CAUSE_TBUF_OVERFLOW 5u
#define BT_ACC_CAUSE_SBUF_OVERFLOW 6u
#define BT_ACC_CAUSE_BAD_LAYER_COUNT 7u
#define BT_ACC_CAUSE_BAD_SHAPE 8u
#define BT_ACC_CAUSE_BAD_ADDRESS 9u
#define BT_ACC_CAUSE_BUS_WHILE_BUSY 10u
#define BT_ACC_CAUSE_SCORES_NOT_LAST 11u
#define BT_ACC_CAUSE_BAD_PACKS 20u
#define BT_ACC_CAUSE_IBUF_OVERFLOW 21u
#define BT_ACC_CAUSE_BAD_PACK_INDEX 22u
#define BT_ACC_CAUSE_SPARSE_STORE_OVERFLOW 23u

#endif /* BITTERN_REGS_H */
