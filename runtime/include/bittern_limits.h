/* Generated from model/limits.py by `python -m bittern.model.limits`; do not edit.
 * Model-file limits shared with the Python reader (docs/format.md). All fit int32
 * except BT_HEAD_LIMIT (int64: the per-class head's coefficients). */
#ifndef BITTERN_LIMITS_H
#define BITTERN_LIMITS_H

#define BT_MAX_LAYERS 64  /* layers per model (n_layers is 1..this) */
#define BT_MAX_INPUT_FEATURES 16777216  /* input pixels in_h*in_w*in_c of the header; each factor is checked on its own first */
#define BT_MAX_IN_C 1048576  /* a layer's in_c (input features of a dense layer) */
#define BT_MAX_OUT_C 65536  /* a layer's out_c */
#define BT_MAX_KERNEL 15  /* a conv layer's kernel */
#define BT_MAX_DIM 65535  /* a conv layer's in_h, in_w, stride and pool */
#define BT_MAX_TENSOR_BYTES 268435456  /* cost h*w*(8*ceil(c/32) + 4*c) of a layer's input and of its output tensor */
#define BT_MAX_LAYER_WEIGHTS 16777216  /* weights out_c*kernel*kernel*in_c of one layer, pruned ones counted */
#define BT_MAX_ACC_BOUND 2147483647  /* a layer's acc_bound (int32 accumulators) */
#define BT_THR_LIMIT 1073741824  /* magnitude of a threshold T_j */
#define BT_HEAD_LIMIT 4611686018427387903LL  /* magnitude of a head coefficient m_c or k_c; also abs(m_c)*acc_bound + abs(k_c) is below 2^63 */
#define BT_HEAD_MAX_FRAC_BITS 62  /* the head's frac_bits F (0..this) */

#endif /* BITTERN_LIMITS_H */
