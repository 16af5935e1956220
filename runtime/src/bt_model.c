/* Validating, zero-copy loader for .bittern files (docs/format.md, versions 1 and 2). */
#include "bt_internal.h"

static const char *const names[BT_ERR_COUNT_] = {
    "BT_OK", "BT_ERR_NULL", "BT_ERR_ALIGN", "BT_ERR_TRUNCATED", "BT_ERR_MAGIC",
    "BT_ERR_VERSION", "BT_ERR_HEADER", "BT_ERR_TRAILING", "BT_ERR_CRC", "BT_ERR_ENUM",
    "BT_ERR_SHAPE", "BT_ERR_BLOB", "BT_ERR_PAD_BITS", "BT_ERR_WEIGHTS", "BT_ERR_SPARSE_INDEX",
    "BT_ERR_THRESHOLDS", "BT_ERR_ACC_BOUND", "BT_ERR_CHAIN", "BT_ERR_WORKSPACE", "BT_ERR_ARG",
    "BT_ERR_NO_ACCEL", "BT_ERR_ACCEL", "BT_ERR_KERNEL",
};

const char *bt_error_name(bt_status_t status)
{
    if ((unsigned)status >= (unsigned)BT_ERR_COUNT_)
        return "BT_ERR_UNKNOWN";
    return names[status];
}

uint32_t bt_crc32(const uint8_t *data, uint32_t n)
{
    /* Bitwise CRC-32 (zlib polynomial): no 1 KiB table in flash; runs once per load. */
    uint32_t crc = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < n; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void bt_layer_decode(const bt_model_t *m, uint32_t index, bt_layer_t *l)
{
    const uint8_t *r = m->data + BT_HEADER_BYTES + index * BT_LAYER_BYTES;
    uint32_t *f = &l->kind;
    /* bt_layer_t is 24 consecutive uint32_t in file order; records are 4-byte aligned. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint32_t *src = (const uint32_t *)(const void *)r;
    for (uint32_t i = 0; i < 24; i++)
        f[i] = src[i];
#else
    for (uint32_t i = 0; i < 24; i++)
        f[i] = bt_rd32(r + 4 * i);
#endif
}

uint32_t bt_act_bytes(uint32_t enc, uint32_t h, uint32_t w, uint32_t c)
{
    uint32_t px = h * w;
    switch (enc) {
    case BT_ENC_BINARY: return px * bt_nwords(c) * 4u;
    case BT_ENC_TERNARY: return 2u * px * bt_nwords(c) * 4u;
    case BT_ENC_UINT: return (px * c + 3u) & ~3u;
    default: return px * c * 4u; /* scores (int32) */
    }
}

static uint32_t n_thresholds(uint32_t enc, uint32_t bits)
{
    switch (enc) {
    case BT_ENC_BINARY: return 1;
    case BT_ENC_TERNARY: return 2;
    case BT_ENC_UINT: return (1u << bits) - 1u;
    default: return 0;
    }
}

/* A weight/threshold blob must be aligned and inside [64, size). */
static int blob_ok(const bt_model_t *m, uint32_t off, uint32_t bytes)
{
    return (off % 4u) == 0 && off >= BT_HEADER_BYTES && (uint64_t)off + bytes <= m->size;
}

static const uint32_t *words_at(const bt_model_t *m, uint32_t off)
{
    return (const uint32_t *)(const void *)(m->data + off);
}

/* Packed [rows][nw] weights with n valid bits per row: any set pad bit is an error. */
static int pad_bits_set(const uint32_t *w, uint32_t rows, uint32_t n)
{
    uint32_t nw = bt_nwords(n), rem = n & 31u;
    if (!rem)
        return 0;
    uint32_t mask = ~((1u << rem) - 1u);
    for (uint32_t r = 0; r < rows; r++)
        if (w[r * nw + nw - 1] & mask)
            return 1;
    return 0;
}

/* h*w*(8*ceil(c/32) + 4*c) <= BT_MAX_TENSOR_BYTES (h, w <= BT_MAX_DIM and c <= 2^20 are
 * checked first, so the 64-bit product below cannot wrap). */
static int tensor_ok(uint32_t h, uint32_t w, uint32_t c)
{
    uint64_t per_px = 8ull * bt_nwords(c) + 4ull * c;
    return (uint64_t)h * w * per_px <= BT_MAX_TENSOR_BYTES;
}

/* The shape rules of model/limits.py layer_shape_error, field by field before any product;
 * on success the pooled output size. */
static int shape_ok(const bt_layer_t *l, uint32_t *oh, uint32_t *ow)
{
    uint32_t k = l->kernel, in_c = l->in_c, out_c = l->out_c;
    if (!bt_in_range(k, 1, BT_MAX_KERNEL) || !bt_in_range(in_c, 1, BT_MAX_IN_C) ||
        !bt_in_range(out_c, 1, BT_MAX_OUT_C) || !bt_in_range(l->in_h, 1, BT_MAX_DIM) ||
        !bt_in_range(l->in_w, 1, BT_MAX_DIM) || !bt_in_range(l->stride, 1, BT_MAX_DIM) ||
        !bt_in_range(l->pool, 1, BT_MAX_DIM))
        return 0;
    if (l->pad > 0 && l->pad >= k)
        return 0;
    *oh = *ow = 1;
    if (l->kind == BT_KIND_DENSE) {
        if (l->in_h != 1 || l->in_w != 1 || k != 1 || l->stride != 1 || l->pad != 0 || l->pool != 1)
            return 0;
    } else {
        /* in_h, in_w <= 65535 and pad < 15: no wrap */
        if (l->in_h + 2 * l->pad < k || l->in_w + 2 * l->pad < k)
            return 0;
        *oh = ((l->in_h + 2 * l->pad - k) / l->stride + 1) / l->pool;
        *ow = ((l->in_w + 2 * l->pad - k) / l->stride + 1) / l->pool;
        if (*oh < 1 || *ow < 1)
            return 0;
    }
    if (!tensor_ok(l->in_h, l->in_w, in_c) || !tensor_ok(*oh, *ow, out_c))
        return 0;
    /* out_c <= 2^16, k*k <= 225, in_c <= 2^20: the product fits 64 bits */
    return (uint64_t)out_c * k * k * in_c <= BT_MAX_LAYER_WEIGHTS;
}

static bt_status_t check_layer(const bt_model_t *m, uint32_t i, const bt_layer_t *l,
                               uint32_t *enc, uint32_t *bits, uint32_t shape[3])
{
    if (l->kind != BT_KIND_DENSE && l->kind != BT_KIND_CONV)
        return BT_ERR_ENUM;
    if (l->w_enc < BT_W_BINARY || l->w_enc > BT_W_INT || l->out_enc > BT_ENC_UINT ||
        l->in_enc > BT_ENC_UINT)
        return BT_ERR_ENUM;
    uint32_t k = l->kernel, in_c = l->in_c, out_c = l->out_c;
    /* encodings and bit widths (before any shift by a bit count) */
    if ((l->in_enc == BT_ENC_U8 && l->in_bits != 8) ||
        (l->in_enc == BT_ENC_BINARY && l->in_bits != 1) ||
        (l->in_enc == BT_ENC_TERNARY && l->in_bits != 2) ||
        (l->in_enc == BT_ENC_UINT && (l->in_bits < 1 || l->in_bits > 8)))
        return BT_ERR_ENUM;
    if (l->out_enc == BT_ENC_UINT && (l->out_bits < 1 || l->out_bits > 8))
        return BT_ERR_ENUM;
    uint32_t oh, ow;
    if (!shape_ok(l, &oh, &ow))
        return BT_ERR_SHAPE;
    /* weights */
    uint32_t taps = out_c * k * k, nw = bt_nwords(in_c);
    uint64_t wmax = 1;
    if (!blob_ok(m, l->w_offset, l->w_bytes))
        return BT_ERR_BLOB;
    const uint32_t *w = words_at(m, l->w_offset);
    switch (l->w_enc) {
    case BT_W_BINARY:
        if ((uint64_t)l->w_bytes != (uint64_t)taps * nw * 4u)
            return BT_ERR_BLOB;
        if (pad_bits_set(w, taps, in_c))
            return BT_ERR_PAD_BITS;
        break;
#if BT_HAS_W_TERNARY
    case BT_W_TERNARY: {
        if ((uint64_t)l->w_bytes != (uint64_t)taps * nw * 8u)
            return BT_ERR_BLOB;
        uint32_t half = taps * nw;
        if (pad_bits_set(w, taps, in_c) || pad_bits_set(w + half, taps, in_c))
            return BT_ERR_PAD_BITS;
        for (uint32_t j = 0; j < half; j++)
            if (w[half + j] & ~w[j])
                return BT_ERR_WEIGHTS;
        break;
    }
#endif
#if BT_HAS_W_SPARSE
    case BT_W_SPARSE: {
        uint32_t p = l->packs;
        if (l->kind != BT_KIND_DENSE || (in_c & 31u) || p < 1 || p > nw)
            return BT_ERR_SHAPE;
        uint64_t idx_bytes = (uint64_t)out_c * p * 2u;
        if ((uint64_t)l->w_bytes != (uint64_t)out_c * p * 4u + ((idx_bytes + 3u) & ~3ull))
            return BT_ERR_BLOB;
        const uint8_t *ix = m->data + l->w_offset + out_c * p * 4u;
        for (uint32_t o = 0; o < out_c; o++) {
            uint32_t prev = 0;
            for (uint32_t j = 0; j < p; j++) {
                const uint8_t *q = ix + 2u * (o * p + j);
                uint32_t v = (uint32_t)q[0] | ((uint32_t)q[1] << 8);
                if (v >= nw || (j > 0 && v <= prev))
                    return BT_ERR_SPARSE_INDEX;
                prev = v;
            }
        }
        break;
    }
#endif
#if BT_HAS_W_INT
    case BT_W_INT: {
        if (l->w_bits < 2 || l->w_bits > 8)
            return BT_ERR_ENUM;
        uint64_t n = (uint64_t)taps * in_c;
        if ((uint64_t)l->w_bytes != ((n + 3u) & ~3ull))
            return BT_ERR_BLOB;
        const int8_t *b = (const int8_t *)(m->data + l->w_offset);
        int32_t lim = (1 << (l->w_bits - 1)) - 1;
        wmax = 0;
        for (uint64_t j = 0; j < n; j++) {
            int32_t v = b[j] < 0 ? -b[j] : b[j];
            if (v > lim)
                return BT_ERR_WEIGHTS;
            if ((uint64_t)v > wmax)
                wmax = (uint64_t)v;
        }
        if (wmax == 0)
            wmax = 1;
        break;
    }
#endif
    default: /* no kernel of this build runs it: bt_model_load rejected it already */
        return BT_ERR_KERNEL;
    }
    /* accumulator bound, exactly as the exporter computes it */
    uint64_t amax = l->in_enc == BT_ENC_U8 ? 255u :
                    l->in_enc == BT_ENC_UINT ? (1u << l->in_bits) - 1u : 1u;
    uint64_t ntaps = l->w_enc == BT_W_SPARSE ? 32ull * l->packs : (uint64_t)k * k * in_c;
    uint64_t bound = ntaps * amax * wmax;
    if (bound > BT_MAX_ACC_BOUND || l->acc_bound != bound)
        return BT_ERR_ACC_BOUND;
    /* thresholds */
    uint32_t L = n_thresholds(l->out_enc, l->out_bits);
    if (l->n_thr != L)
        return BT_ERR_HEADER;
    if (L) {
        if (!blob_ok(m, l->t_offset, l->t_bytes))
            return BT_ERR_BLOB;
        if ((uint64_t)l->t_bytes != (uint64_t)out_c * (1u + L) * 4u)
            return BT_ERR_BLOB;
        const int32_t *t = (const int32_t *)(const void *)(m->data + l->t_offset);
        for (uint32_t o = 0; o < out_c; o++) {
            const int32_t *row = t + o * (1u + L);
            if (row[0] != 1 && row[0] != -1)
                return BT_ERR_THRESHOLDS;
            for (uint32_t j = 1; j <= L; j++)
                if (row[j] > BT_THR_LIMIT || row[j] < -BT_THR_LIMIT)
                    return BT_ERR_THRESHOLDS;
            /* d * T_j never decreases with j, so kernels may binary-search a row */
            for (uint32_t j = 2; j <= L; j++)
                if (row[0] * row[j] < row[0] * row[j - 1])
                    return BT_ERR_THRESHOLDS;
        }
    }
    if (l->out_h != oh || l->out_w != ow)
        return BT_ERR_SHAPE;
    /* chaining: this layer consumes what the previous one produced */
    if (l->in_enc != *enc || l->in_bits != *bits)
        return BT_ERR_CHAIN;
    if (l->kind == BT_KIND_DENSE) {
        if ((uint64_t)in_c != (uint64_t)shape[0] * shape[1] * shape[2])
            return BT_ERR_CHAIN;
    } else if (l->in_h != shape[0] || l->in_w != shape[1] || in_c != shape[2]) {
        return BT_ERR_CHAIN;
    }
    int last = i + 1 == m->n_layers;
    if (last != (l->out_enc == BT_ENC_SCORES))
        return BT_ERR_CHAIN;
    *enc = l->out_enc;
    *bits = l->out_enc == BT_ENC_SCORES ? 32u : l->out_bits;
    shape[0] = oh;
    shape[1] = ow;
    shape[2] = out_c;
    return BT_OK;
}

static int64_t rd64(const uint8_t *p)
{
    return (int64_t)((uint64_t)bt_rd32(p) | ((uint64_t)bt_rd32(p + 4) << 32));
}

int64_t bt_head_logit(const bt_model_t *model, uint32_t c, int32_t score)
{
    if (!model || !model->head_offset || c >= model->n_classes)
        return score;
    const uint8_t *h = model->data + model->head_offset + 8u;
    return rd64(h + 8u * c) * score + rd64(h + 8u * (model->n_classes + c));
}

#if BT_K_HEAD
/* |v| for v >= -(2^63 - 1); the caller has excluded INT64_MIN. */
static uint64_t abs64(int64_t v) { return v < 0 ? (uint64_t)(-v) : (uint64_t)v; }

/* The version-2 head: u32 frac_bits (0..BT_HEAD_MAX_FRAC_BITS), u32 0, i64 mult[n],
 * i64 offset[n], each |coefficient| <= BT_HEAD_LIMIT and |mult| * acc_bound + |offset| < 2^63
 * so logits never overflow. */
static bt_status_t check_head(const bt_model_t *m, const bt_layer_t *last)
{
    uint32_t n = m->n_classes, off = m->head_offset;
    if (n > BT_MAX_OUT_C || !blob_ok(m, off, 8u + 16u * n))
        return BT_ERR_BLOB;
    const uint8_t *h = m->data + off;
    if (bt_rd32(h) > BT_HEAD_MAX_FRAC_BITS || bt_rd32(h + 4) != 0 || last->out_h * last->out_w != 1u)
        return BT_ERR_HEADER;
    const int64_t lim = BT_HEAD_LIMIT;
    const uint64_t max = 0x7FFFFFFFFFFFFFFFull;
    for (uint32_t c = 0; c < n; c++) {
        int64_t mc = rd64(h + 8u + 8u * c), kc = rd64(h + 8u + 8u * (n + c));
        if (mc < -lim || mc > lim || kc < -lim || kc > lim)
            return BT_ERR_ACC_BOUND;
        if (last->acc_bound && abs64(mc) > (max - abs64(kc)) / last->acc_bound)
            return BT_ERR_ACC_BOUND;
    }
    return BT_OK;
}
#endif

bt_status_t bt_model_load(bt_model_t *model, const void *data, size_t size)
{
    if (!model || !data)
        return BT_ERR_NULL;
    bt_model_t m = {0};
    m.data = (const uint8_t *)data;
    m.bad_layer = 0xFFFFFFFFu;
    *model = m;
    if ((uintptr_t)data & 3u)
        return BT_ERR_ALIGN;
    if (size < BT_HEADER_BYTES)
        return BT_ERR_TRUNCATED;
    const uint8_t *h = m.data;
    if (bt_rd32(h) != BT_MAGIC)
        return BT_ERR_MAGIC;
    uint32_t version = bt_rd32(h + 4);
    if (version < 1u || version > BT_FORMAT_VERSION)
        return BT_ERR_VERSION;
    if (bt_rd32(h + 8) != BT_HEADER_BYTES || bt_rd32(h + 12) != BT_LAYER_BYTES)
        return BT_ERR_HEADER;
    uint32_t file_bytes = bt_rd32(h + 20);
    if ((uint64_t)file_bytes > size)
        return BT_ERR_TRUNCATED;
    if ((uint64_t)file_bytes < size)
        return BT_ERR_TRAILING;
    m.size = file_bytes;
    m.n_layers = bt_rd32(h + 16);
    if (m.n_layers < 1 || m.n_layers > BT_MAX_LAYERS ||
        BT_HEADER_BYTES + m.n_layers * BT_LAYER_BYTES > m.size)
        return BT_ERR_HEADER;
    if (bt_crc32(h + BT_HEADER_BYTES, m.size - BT_HEADER_BYTES) != bt_rd32(h + 24))
        return BT_ERR_CRC;
    m.in_h = bt_rd32(h + 28);
    m.in_w = bt_rd32(h + 32);
    m.in_c = bt_rd32(h + 36);
    m.input_threshold = bt_rd32(h + 40);
    m.crop_lo = bt_rd32(h + 44);
    m.crop_hi = bt_rd32(h + 48);
    m.n_classes = bt_rd32(h + 52);
    m.head_offset = bt_rd32(h + 60);  /* reserved (0) in version 1 */
    if ((version == 1u) != (m.head_offset == 0u))
        return BT_ERR_HEADER;
    /* each factor on its own, then the product, checked step by step */
    uint32_t feats;
    if (m.input_threshold > 255 || !bt_in_range(m.in_h, 1, BT_MAX_INPUT_FEATURES) ||
        !bt_in_range(m.in_w, 1, BT_MAX_INPUT_FEATURES) ||
        !bt_in_range(m.in_c, 1, BT_MAX_INPUT_FEATURES) ||
        !bt_mul_le(m.in_h, m.in_w, BT_MAX_INPUT_FEATURES, &feats) ||
        !bt_mul_le(feats, m.in_c, BT_MAX_INPUT_FEATURES, &feats) ||
        (uint64_t)m.crop_lo + m.crop_hi >= feats)
        return BT_ERR_HEADER;
    if (!BT_K_BINARIZE && m.input_threshold)
        return BT_ERR_KERNEL;
    /* tensor 0 is the layer-0 input; tensor t lives in buffer t % 2 */
    uint32_t enc = m.input_threshold ? BT_ENC_BINARY : BT_ENC_U8;
    uint32_t bits = m.input_threshold ? 1u : 8u;
    int cropped = m.crop_lo || m.crop_hi;
    uint32_t shape[3] = {m.in_h, m.in_w, m.in_c};
    if (cropped) {
        shape[0] = shape[1] = 1;
        shape[2] = feats - m.crop_lo - m.crop_hi;
    }
    /* u8 input is read straight from the image; a binarized one is packed into buffer 0 */
    m.buf_bytes[0] = m.input_threshold ? bt_act_bytes(BT_ENC_BINARY, shape[0], shape[1], shape[2]) : 0;
    for (uint32_t i = 0; i < m.n_layers; i++) {
        bt_layer_t l;
        bt_layer_decode(&m, i, &l);
        if (i == 0 && cropped && l.kind != BT_KIND_DENSE) {
            model->bad_layer = 0;
            return BT_ERR_CHAIN;
        }
        /* a per-model build (bt_config.h) first rejects what it has no code for */
        bt_status_t s = BT_OK;
        if (!bt_kernel_select(&l) || (!BT_K_FLATTEN && bt_needs_flatten(&l, enc, shape[0],
                                                                          shape[1], shape[2])))
            s = BT_ERR_KERNEL;
        if (s == BT_OK)
            s = check_layer(&m, i, &l, &enc, &bits, shape);
        if (s != BT_OK) {
            model->bad_layer = i;
            return s;
        }
        uint32_t b = bt_act_bytes(l.out_enc, l.out_h, l.out_w, l.out_c);
        uint32_t slot = (i + 1) & 1u;
        if (b > m.buf_bytes[slot])
            m.buf_bytes[slot] = b;
        if (i + 1 == m.n_layers)
            m.n_scores = l.out_h * l.out_w * l.out_c;
    }
    bt_layer_t last;
    bt_layer_decode(&m, m.n_layers - 1, &last);
    if (m.n_classes != last.out_c)
        return BT_ERR_HEADER;
    if (m.head_offset) {
#if BT_K_HEAD
        bt_status_t s = check_head(&m, &last);
        if (s != BT_OK)
            return s;
#else
        return BT_ERR_KERNEL;
#endif
    }
    m.bad_layer = 0xFFFFFFFFu;
    *model = m;
    return BT_OK;
}

uint32_t bt_workspace_bytes(const bt_model_t *model)
{
    if (!model)
        return 0;
    return ((model->buf_bytes[0] + 3u) & ~3u) + ((model->buf_bytes[1] + 3u) & ~3u);
}

bt_status_t bt_model_layer(const bt_model_t *model, uint32_t index, bt_layer_t *layer)
{
    if (!model || !layer)
        return BT_ERR_NULL;
    if (index >= model->n_layers)
        return BT_ERR_ARG;
    bt_layer_decode(model, index, layer);
    return BT_OK;
}
