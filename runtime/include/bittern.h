/*
 * bittern C runtime: the public API (C99, no heap, no floating point).
 *
 * A model is the versioned `.bittern` file (docs/format.md) kept as a const byte array,
 * normally in flash. bt_model_load() validates it in place (no copy) and fills a small
 * bt_model_t. bt_run() runs one image through it in a caller-supplied workspace whose
 * size bt_workspace_bytes() reports. Every call returns a bt_status_t; bt_error_name()
 * gives its readable name. See docs/runtime.md for layouts and the memory model.
 */
#ifndef BITTERN_H
#define BITTERN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "bittern_limits.h" /* BT_MAX_LAYERS and the other model-file limits (generated) */

#define BT_FORMAT_VERSION 2u      /* the newest version read; version 1 files load too */

typedef enum {
    BT_OK = 0,
    BT_ERR_NULL = 1,            /* a required pointer argument is NULL */
    BT_ERR_ALIGN = 2,           /* model data not 4-byte aligned */
    BT_ERR_TRUNCATED = 3,       /* fewer bytes than the header declares (or than a header) */
    BT_ERR_MAGIC = 4,           /* not a bittern model file */
    BT_ERR_VERSION = 5,         /* another format version */
    BT_ERR_HEADER = 6,          /* header_bytes / layer_bytes / n_layers / input fields bad */
    BT_ERR_TRAILING = 7,        /* more bytes than the header declares */
    BT_ERR_CRC = 8,             /* CRC-32 mismatch */
    BT_ERR_ENUM = 9,            /* unknown kind / encoding */
    BT_ERR_SHAPE = 10,          /* implausible or inconsistent shape field */
    BT_ERR_BLOB = 11,           /* blob outside the file, misaligned or of the wrong size */
    BT_ERR_PAD_BITS = 12,       /* a set pad bit in packed weights */
    BT_ERR_WEIGHTS = 13,        /* weight values out of range (ternary neg without nz, int range) */
    BT_ERR_SPARSE_INDEX = 14,   /* sparse pack index out of range or not increasing */
    BT_ERR_THRESHOLDS = 15,     /* direction not +/-1, threshold outside [-2^30, 2^30] or out of order */
    BT_ERR_ACC_BOUND = 16,      /* accumulator bound wrong or >= 2^31 */
    BT_ERR_CHAIN = 17,          /* layer shapes / encodings do not chain */
    BT_ERR_WORKSPACE = 18,      /* workspace too small or misaligned */
    BT_ERR_ARG = 19,            /* bad argument (layer index, buffer size) */
    BT_ERR_NO_ACCEL = 20,       /* no accelerator answered the probe */
    BT_ERR_ACCEL = 21,          /* the accelerator reported an error or timed out */
    BT_ERR_KERNEL = 22,         /* no kernel of this (per-model) build runs a layer */
    BT_ERR_COUNT_ = 23
} bt_status_t;

/* Readable, stable name of a status code ("BT_ERR_CRC"); never NULL. */
const char *bt_error_name(bt_status_t status);

/* Validated model: points into the caller's const data, which must outlive it. */
typedef struct {
    const uint8_t *data;        /* the whole file, 4-byte aligned */
    uint32_t size;
    uint32_t n_layers;
    uint32_t in_h, in_w, in_c;  /* input image, u8 HWC */
    uint32_t input_threshold;   /* 0: u8 input; else pixel >= t is +1 */
    uint32_t crop_lo, crop_hi;
    uint32_t n_classes;         /* out_c of the last layer */
    uint32_t n_scores;          /* elements of the last layer's output (== n_classes for dense) */
    uint32_t buf_bytes[2];      /* the two ping-pong activation buffers */
    uint32_t bad_layer;         /* on a load error: the layer at fault, else 0xFFFFFFFF */
    uint32_t head_offset;       /* version 2: file offset of the per-class head, else 0 */
} bt_model_t;

/* Validate `size` bytes at `data` (a .bittern file) and fill `model`. Checks everything
 * docs/format.md lists, so a hostile file gives an error code, never a crash. A version-2
 * head that lies outside the file or has the wrong size is BT_ERR_BLOB, a bad reserved word
 * or a head on a last layer with several output pixels BT_ERR_HEADER, and coefficients whose
 * logits could overflow int64 BT_ERR_ACC_BOUND. */
bt_status_t bt_model_load(bt_model_t *model, const void *data, size_t size);

/* Bytes of workspace bt_run needs (both activation buffers, 4-byte aligned). */
uint32_t bt_workspace_bytes(const bt_model_t *model);

/* One layer's description, decoded from the model's layer table. */
typedef struct {
    uint32_t kind, in_enc, in_bits, w_enc, w_bits, out_enc, out_bits, n_thr;
    uint32_t in_h, in_w, in_c, out_c, kernel, stride, pad, pool, out_h, out_w, packs;
    uint32_t acc_bound, w_offset, w_bytes, t_offset, t_bytes;
} bt_layer_t;

enum { BT_KIND_DENSE = 1, BT_KIND_CONV = 2 };
enum { BT_ENC_U8 = 0, BT_ENC_SCORES = 0, BT_ENC_BINARY = 1, BT_ENC_TERNARY = 2, BT_ENC_UINT = 3 };
enum { BT_W_BINARY = 1, BT_W_TERNARY = 2, BT_W_SPARSE = 3, BT_W_INT = 4 };

bt_status_t bt_model_layer(const bt_model_t *model, uint32_t index, bt_layer_t *layer);

/* Optional per-layer observer: called after layer `index` with its output tensor in the
 * runtime layout (docs/runtime.md); bt_act_value() decodes one element. */
typedef void (*bt_trace_fn)(void *ctx, uint32_t index, const void *act);

/* Run one image (u8, in_h*in_w*in_c bytes, HWC). `scores` receives n_scores int32 values
 * (may be NULL), `label` the first index of the maximum score (may be NULL); with a per-class
 * head (format version 2), the first index of the maximum logit (bt_head_logit). */
bt_status_t bt_run(const bt_model_t *model, const uint8_t *image, void *workspace,
                   size_t workspace_bytes, int32_t *scores, uint32_t *label);

/* Logit of class `c` through the model's head: mult_c * score + offset_c in int64 (the score
 * itself without a head; docs/numerics.md section 5). `c` must be < n_classes. */
int64_t bt_head_logit(const bt_model_t *model, uint32_t c, int32_t score);

/* bt_run with the image's length: BT_ERR_ARG unless `image_bytes` is exactly
 * in_h*in_w*in_c, so a short (or another model's) image is never read past its end. */
bt_status_t bt_run_image(const bt_model_t *model, const uint8_t *image, size_t image_bytes,
                         void *workspace, size_t workspace_bytes, int32_t *scores,
                         uint32_t *label);

bt_status_t bt_run_traced(const bt_model_t *model, const uint8_t *image, void *workspace,
                          size_t workspace_bytes, int32_t *scores, uint32_t *label,
                          bt_trace_fn trace, void *trace_ctx);

/* Value of flattened (HWC) element `i` of layer `index`'s output tensor `act` (0 for an
 * index or element out of range). */
int32_t bt_act_value(const bt_model_t *model, uint32_t index, const void *act, uint32_t i);

/* ---- accelerator driver ------------------------------------------------------------
 * A transport moves 32-bit register words; `ctx` is the user's. Provided transports:
 * memory-mapped registers (bt_transport_mmio) and SPI frames (bt_transport_spi). */
typedef struct {
    void *ctx;
    uint32_t (*read32)(void *ctx, uint32_t addr);
    void (*write32)(void *ctx, uint32_t addr, uint32_t value);
    /* optional: n words to / from consecutive addresses from `addr` (NULL: word by word) */
    void (*write_burst)(void *ctx, uint32_t addr, const uint32_t *words, uint32_t n);
    void (*read_burst)(void *ctx, uint32_t addr, uint32_t *words, uint32_t n);
} bt_transport_t;

/* Memory-mapped registers at `base` (ctx must point to a uintptr_t holding the base). */
void bt_transport_mmio(bt_transport_t *t, uintptr_t *base);

/* SPI frames for rtl/spi.py's bridge (mode 0, MSB first, one frame per chip select):
 * write 0x02 A2 A1 A0 then words D3 D2 D1 D0 ..., read 0x03 A2 A1 A0 <dummy> then words
 * (24-bit byte address, words big-endian on the wire; the bridge advances the address by 4
 * per word). Bursts go out as frames of up to BT_SPI_BURST_WORDS words. `xfer` exchanges `n`
 * bytes full-duplex (tx, rx) with chip select held low for the whole frame. */
#ifndef BT_SPI_BURST_WORDS
#define BT_SPI_BURST_WORDS 32u
#endif
typedef struct {
    void (*xfer)(void *bus, const uint8_t *tx, uint8_t *rx, uint32_t n);
    void *bus;
} bt_spi_t;
void bt_transport_spi(bt_transport_t *t, bt_spi_t *spi);

/* The accelerator's performance counters (PERF_CYCLES / PERF_ACTIVE / PERF_TILES), summed
 * over `starts` runs (CTRL.START); `images`: the images that ran layers on the hardware. */
typedef struct {
    uint32_t cycles, active, tiles;
    uint32_t starts, images;
} bt_accel_perf_t;

typedef struct {
    const bt_transport_t *transport;  /* NULL: software only */
    uint32_t present;                 /* set by bt_accel_probe */
    uint32_t id, version;
    uint32_t rows, cols;              /* array geometry (CONFIG) */
    uint32_t w_depth, a_depth, t_depth, s_depth;  /* as reported, clamped to the windows */
    /* FEATURES: the build's optional layer kinds (bit 0 the sparse (3PXNet) datapath, with a
     * column store of sparse_words words and i_depth pack-index words per row bank
     * (IBUF_DEPTH, clamped); bit 1 conv; bit 2 planes); 0: dense binary only */
    uint32_t features, sparse_words, i_depth;
    uint32_t poll_limit;              /* STATUS polls before giving up (default 10^7) */
    /* 1 (probe's default): an image whose hardware run fails is finished in software and
     * the call returns BT_OK; 0: the call returns BT_ERR_ACCEL and writes no scores. */
    uint32_t sw_fallback;
    /* The programmed model, known by its content: `tag` (also kept in the device's MODEL_TAG
     * register; 0: none) hashes the model file's header (size, CRC) and the geometry. Bit i
     * of hw_layers: layer i runs on the accelerator; of seg_ends: it ends a hardware stretch
     * (one START). */
    uint32_t tag;
    uint64_t hw_layers, seg_ends;
    uint32_t loaded_seg;              /* first layer of the stretch whose descriptors are loaded */
    uint32_t pending;                 /* a run of ours timed out: touch nothing until !BUSY */
    bt_accel_perf_t perf;             /* the counters of the last call's runs */
    /* counters and the last hardware error (STATUS.CAUSE), for diagnostics */
    uint32_t layers_hw, layers_sw, runs_hw, errors, timeouts, programs, last_cause;
} bt_accel_t;

/* Probe the ID register; BT_OK when an accelerator answers, BT_ERR_NO_ACCEL otherwise. */
bt_status_t bt_accel_probe(bt_accel_t *accel, const bt_transport_t *transport);

/* Whether layer `index` of `model` runs on the probed accelerator: the driver's plan puts
 * every layer the hardware supports on it when it fits the buffers, in stretches of
 * consecutive layers (one START each); the others run in software. */
int bt_accel_supports(const bt_accel_t *accel, const bt_model_t *model, uint32_t index);

/* Why layer `index` runs where it does: BT_ACCEL_LAYER_HW on the accelerator; otherwise in
 * software because no op of the hardware runs its kind and encodings (NO_OP), this build
 * lacks the op (NOT_IN_BUILD: its FEATURES register has no conv / planes / sparse datapath),
 * its shape exceeds the op's limits (LIMITS: kernel, stride, pool, map size, plane counts,
 * folded constants beyond int32, the sparse store), the buffers or the plan leave no room
 * for it (BUFFERS), or no accelerator answered (NO_ACCEL). */
enum {
    BT_ACCEL_LAYER_HW = 0, BT_ACCEL_LAYER_NO_OP = 1, BT_ACCEL_LAYER_NOT_IN_BUILD = 2,
    BT_ACCEL_LAYER_LIMITS = 3, BT_ACCEL_LAYER_BUFFERS = 4, BT_ACCEL_LAYER_NO_ACCEL = 5
};
uint32_t bt_accel_layer_why(const bt_accel_t *accel, const bt_model_t *model, uint32_t index);

/* Write the offloaded layers' weights and thresholds and the model's tag (bt_run_accel does
 * this whenever the device's MODEL_TAG differs from the model's: first use, another model,
 * a reset, another host). BT_OK also when nothing can be offloaded. */
bt_status_t bt_accel_program(bt_accel_t *accel, const bt_model_t *model);

/* bt_run with layers offloaded to `accel` where supported, the rest (or all, when no
 * accelerator answered) in software, with identical results. A hardware error or timeout
 * is counted (errors, timeouts, last_cause); see sw_fallback. After a timeout the run is left
 * alone (no CLEAR while BUSY): later calls use the hardware again once it is idle. */
bt_status_t bt_run_accel(bt_accel_t *accel, const bt_model_t *model, const uint8_t *image,
                         void *workspace, size_t workspace_bytes, int32_t *scores,
                         uint32_t *label);

/* bt_run_accel for `n` images stored back to back (in_h*in_w*in_c bytes each): up to COLS
 * images (and at most BT_ACCEL_MAX_BATCH, default 8, a compile-time option) share each START. The workspace holds one slot of bt_workspace_bytes() (rounded up
 * to 4) per image run together: k slots, k >= 1, run min(k, COLS) images at a time.
 * `scores` receives n * n_scores values (may be NULL), `labels` n labels (may be NULL). */
bt_status_t bt_run_accel_batch(bt_accel_t *accel, const bt_model_t *model,
                               const uint8_t *images, uint32_t n, void *workspace,
                               size_t workspace_bytes, int32_t *scores, uint32_t *labels);

/* Read the device's counters now (those of its last START, whoever wrote it; starts and
 * images are 0). accel->perf holds the sums over the last call's own runs. */
bt_status_t bt_accel_read_perf(const bt_accel_t *accel, bt_accel_perf_t *perf);

#ifdef __cplusplus
}
#endif
#endif /* BITTERN_H */
