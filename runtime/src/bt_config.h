/* Which code a build keeps. A full build keeps everything. A per-model build (bittern's
 * export-c / `make KERNELS="..."`) defines BT_ONLY_KERNELS and BT_K_<UNIT>=1 for each unit a
 * model uses: the kernels of the table in bt_kernels.c (lower-case names there), plus
 * BINARIZE (an input threshold), FLATTEN (a dense layer after a packed tensor of several
 * pixels whose channels are not a multiple of 32) and HEAD (a format-version-2 per-class
 * affine head: its load checks and int64 argmax). The loader rejects a model that needs a
 * unit the build left out (BT_ERR_KERNEL), and skips validating weight encodings that no
 * kept kernel can run. */
#ifndef BT_CONFIG_H
#define BT_CONFIG_H

#ifdef BT_ONLY_KERNELS
#define BT_K_DEFAULT 0
#else
#define BT_K_DEFAULT 1
#endif
#ifndef BT_K_DENSE_BB
#define BT_K_DENSE_BB BT_K_DEFAULT
#endif
#ifndef BT_K_SPARSE_B
#define BT_K_SPARSE_B BT_K_DEFAULT
#endif
#ifndef BT_K_SPARSE
#define BT_K_SPARSE BT_K_DEFAULT
#endif
#ifndef BT_K_DENSE_TER
#define BT_K_DENSE_TER BT_K_DEFAULT
#endif
#ifndef BT_K_DENSE_WRPN
#define BT_K_DENSE_WRPN BT_K_DEFAULT
#endif
#ifndef BT_K_CONV_BB1
#define BT_K_CONV_BB1 BT_K_DEFAULT
#endif
#ifndef BT_K_CONV_BB
#define BT_K_CONV_BB BT_K_DEFAULT
#endif
#ifndef BT_K_DENSE_BYTES
#define BT_K_DENSE_BYTES BT_K_DEFAULT
#endif
#ifndef BT_K_CONV_BYTES_C1
#define BT_K_CONV_BYTES_C1 BT_K_DEFAULT
#endif
#ifndef BT_K_CONV_BYTES
#define BT_K_CONV_BYTES BT_K_DEFAULT
#endif
#ifndef BT_K_PACKED
#define BT_K_PACKED BT_K_DEFAULT
#endif
#ifndef BT_K_REF
#define BT_K_REF BT_K_DEFAULT
#endif
#ifndef BT_K_BINARIZE
#define BT_K_BINARIZE BT_K_DEFAULT
#endif
#ifndef BT_K_FLATTEN
#define BT_K_FLATTEN BT_K_DEFAULT
#endif
#ifndef BT_K_HEAD
#define BT_K_HEAD BT_K_DEFAULT
#endif

/* weight encodings some kept kernel runs (see each kernel's predicate) */
#define BT_HAS_W_TERNARY (BT_K_DENSE_TER || BT_K_DENSE_WRPN || BT_K_DENSE_BYTES || BT_K_PACKED || BT_K_REF)
#define BT_HAS_W_SPARSE (BT_K_SPARSE_B || BT_K_SPARSE || BT_K_REF)
#define BT_HAS_W_INT BT_K_REF

#endif
