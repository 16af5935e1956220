/* Accelerator driver: transports, probe, the per-layer plan, programming, and runs that mix
 * hardware and software layers. The register map is the generated bittern_regs.h
 * (rtl/regmap.py, docs/registers.md).
 *
 * Plan: every layer the hardware supports (bt_accel_layer_supported) and that fits the
 * buffers runs on it, in stretches of consecutive layers; each stretch is one START on up to
 * COLS images. Its first layer reads activation row 0; activations ping-pong between the two
 * halves of the activation buffer; its last layer writes int32 scores to score row 0 (the
 * hardware ends every run with a scores layer): the scores of the model, or, for a hidden
 * layer, accumulators that the driver thresholds into the next layer's binary input.
 * Weights of all offloaded layers sit back to back in the weight buffer, thresholds of the
 * layers inside a stretch back to back in the threshold buffer; both are written once per
 * model. Descriptors are those of one stretch at a time (the hardware starts at descriptor 0).
 *
 * Identity: the model's tag (a CRC of its file header, which holds the file's size and CRC,
 * and of the geometry) is written to MODEL_TAG after programming; every call reads it back,
 * so a reset (MODEL_TAG = 0) or another host's model is seen and the model re-programmed. */
#include "bt_internal.h"
#include "bittern_ops.h"
#include "bittern_regs.h"
#include "bt_output.h"

#define DEFAULT_POLL_LIMIT 10000000u
#define PLAN_VERSION 3u         /* in the tag: a driver that places layers differently re-programs */
#define NO_SEG 0xFFFFFFFFu
#define QUEUE_WORDS 32u
#ifndef BT_ACCEL_MAX_BATCH
#define BT_ACCEL_MAX_BATCH 8u   /* images per START at most (their cursors live on the stack) */
#endif

/* ---- memory-mapped registers ---- */
static uint32_t mmio_read32(void *ctx, uint32_t addr)
{
    uintptr_t base = *(const uintptr_t *)ctx;
    return *(volatile const uint32_t *)(base + addr);
}

static void mmio_write32(void *ctx, uint32_t addr, uint32_t value)
{
    uintptr_t base = *(const uintptr_t *)ctx;
    *(volatile uint32_t *)(base + addr) = value;
}

void bt_transport_mmio(bt_transport_t *t, uintptr_t *base)
{
    if (!t)
        return;
    t->ctx = base;
    t->read32 = mmio_read32;
    t->write32 = mmio_write32;
    t->write_burst = 0;
    t->read_burst = 0;
}

/* ---- SPI frames, as rtl/spi.py's bridge takes them (see bittern.h) ---- */
static void put_be(uint8_t *p, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static void spi_write_burst(void *ctx, uint32_t addr, const uint32_t *words, uint32_t n)
{
    bt_spi_t *spi = (bt_spi_t *)ctx;
    uint8_t tx[4u + 4u * BT_SPI_BURST_WORDS], rx[sizeof tx];
    while (n) {
        uint32_t k = n < BT_SPI_BURST_WORDS ? n : BT_SPI_BURST_WORDS;
        tx[0] = 0x02;
        put_be(tx + 1, addr, 3);
        for (uint32_t i = 0; i < k; i++)
            put_be(tx + 4u + 4u * i, words[i], 4);
        spi->xfer(spi->bus, tx, rx, 4u + 4u * k);
        addr += 4u * k;
        words += k;
        n -= k;
    }
}

static void spi_read_burst(void *ctx, uint32_t addr, uint32_t *words, uint32_t n)
{
    bt_spi_t *spi = (bt_spi_t *)ctx;
    uint8_t tx[5u + 4u * BT_SPI_BURST_WORDS] = {0}, rx[sizeof tx];
    while (n) {
        uint32_t k = n < BT_SPI_BURST_WORDS ? n : BT_SPI_BURST_WORDS;
        tx[0] = 0x03;
        put_be(tx + 1, addr, 3);
        spi->xfer(spi->bus, tx, rx, 5u + 4u * k);
        for (uint32_t i = 0; i < k; i++) {
            const uint8_t *p = rx + 5u + 4u * i;
            words[i] = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
        }
        addr += 4u * k;
        words += k;
        n -= k;
    }
}

static uint32_t spi_read32(void *ctx, uint32_t addr)
{
    uint32_t v;
    spi_read_burst(ctx, addr, &v, 1);
    return v;
}

static void spi_write32(void *ctx, uint32_t addr, uint32_t value)
{
    spi_write_burst(ctx, addr, &value, 1);
}

void bt_transport_spi(bt_transport_t *t, bt_spi_t *spi)
{
    if (!t)
        return;
    t->ctx = spi;
    t->read32 = spi_read32;
    t->write32 = spi_write32;
    t->write_burst = spi_write_burst;
    t->read_burst = spi_read_burst;
}

/* ---- bus access: single words, a write queue that merges consecutive addresses into
 * bursts, and burst reads ---- */
static uint32_t rd(const bt_accel_t *a, uint32_t addr)
{
    return a->transport->read32(a->transport->ctx, addr);
}

static void wr(const bt_accel_t *a, uint32_t addr, uint32_t v)
{
    a->transport->write32(a->transport->ctx, addr, v);
}

static void rd_words(const bt_accel_t *a, uint32_t addr, uint32_t *w, uint32_t n)
{
    const bt_transport_t *t = a->transport;
    if (t->read_burst) {
        t->read_burst(t->ctx, addr, w, n);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        w[i] = t->read32(t->ctx, addr + 4u * i);
}

typedef struct {
    const bt_transport_t *t;
    uint32_t addr, n;
    uint32_t w[QUEUE_WORDS];
} wqueue;

static void wq_flush(wqueue *q)
{
    if (!q->n)
        return;
    if (q->t->write_burst)
        q->t->write_burst(q->t->ctx, q->addr, q->w, q->n);
    else
        for (uint32_t i = 0; i < q->n; i++)
            q->t->write32(q->t->ctx, q->addr + 4u * i, q->w[i]);
    q->n = 0;
}

static void wq_put(wqueue *q, uint32_t addr, uint32_t v)
{
    if (q->n && (q->n == QUEUE_WORDS || addr != q->addr + 4u * q->n))
        wq_flush(q);
    if (!q->n)
        q->addr = addr;
    q->w[q->n++] = v;
}

/* ---- probe ---- */
static uint32_t clamp_depth(uint32_t depth, uint32_t window_bytes, uint32_t entry_bytes,
                            uint32_t banks)
{
    uint32_t most = window_bytes / entry_bytes / banks;
    return depth < most ? depth : most;
}

/* Read ID, VERSION, CONFIG and the depths; 0 when no accelerator of this map answers. Every
 * depth is clamped to its window (a device or a bus fault reporting more must never make
 * the driver write past a window into the next one). */
static int read_geometry(bt_accel_t *a)
{
    uint32_t r[7];
    rd_words(a, BT_ACC_ID, r, 7);   /* ID .. SBUF_DEPTH are consecutive */
    a->id = r[0];
    a->version = r[1];
    if (a->id != BT_ACC_ID_VALUE || a->version != BT_ACC_MAP_VERSION)
        return 0;
    a->rows = (r[2] & BT_ACC_CONFIG_ROWS_MASK) >> BT_ACC_CONFIG_ROWS_SHIFT;
    a->cols = (r[2] & BT_ACC_CONFIG_COLS_MASK) >> BT_ACC_CONFIG_COLS_SHIFT;
    if (!a->rows || !a->cols)
        return 0;
    a->w_depth = clamp_depth(r[3], BT_ACC_WBUF_SIZE, 4u, a->rows);
    a->a_depth = clamp_depth(r[4], BT_ACC_ABUF_SIZE, 4u, a->cols);
    a->t_depth = clamp_depth(r[5], BT_ACC_TBUF_SIZE, 8u, a->rows);  /* two words per entry */
    a->s_depth = clamp_depth(r[6], BT_ACC_SBUF_SIZE, 4u, a->rows);
    /* optional layer kinds; a build without them reads 0 */
    a->features = rd(a, BT_ACC_FEATURES);
    if (a->features & BT_ACC_FEATURES_SPARSE_MASK) {
        a->sparse_words = (a->features & BT_ACC_FEATURES_SPARSE_WORDS_MASK) >>
                          BT_ACC_FEATURES_SPARSE_WORDS_SHIFT;
        a->i_depth = clamp_depth(rd(a, BT_ACC_IBUF_DEPTH), BT_ACC_IBUF_SIZE, 4u, a->rows);
    }
    return 1;
}

bt_status_t bt_accel_probe(bt_accel_t *accel, const bt_transport_t *transport)
{
    if (!accel)
        return BT_ERR_NULL;
    bt_accel_t z = {0};
    *accel = z;
    accel->transport = transport;
    accel->poll_limit = DEFAULT_POLL_LIMIT;
    accel->sw_fallback = 1;
    accel->loaded_seg = NO_SEG;
    if (!transport || !transport->read32 || !transport->write32)
        return BT_ERR_NO_ACCEL;
    if (!read_geometry(accel))
        return BT_ERR_NO_ACCEL;
    accel->present = 1;
    return BT_OK;
}

/* ---- what the hardware runs ---- */

/* A layer in the form the hardware runs it: as itself (inside a stretch) or as a scores
 * layer (ending one), its op and footprint, in words (entries) per bank. */
typedef struct {
    int op;
    uint32_t words_in, words_out;
    uint32_t w;         /* weight words */
    uint32_t t;         /* threshold entries (folded thresholds, or a plane op's score offsets) */
    uint32_t i;         /* pack-index words (sparse layers) */
    uint32_t s;         /* score words */
} footprint;

static int is_planes(int op)
{
    return (bt_op_features(op) & BT_ACC_FEATURES_PLANES_MASK) != 0u;
}

static void as_scores(bt_layer_t *l)
{
    l->out_enc = BT_ENC_SCORES;
    l->out_bits = 0;
    l->n_thr = 0;
}

/* Kernel taps of a layer (1 for dense): a weight row of the plane ops is one tap's in_c. */
static uint32_t taps_of(const bt_layer_t *l)
{
    return l->kind == BT_KIND_CONV ? l->kernel * l->kernel : 1u;
}

/* A plane op's folded constants (thresholds T*Dw*Dx - offset, score offsets) must fit int32:
 * a bound over any weights (|rowsum| <= n * s_total, n = taps * in_c), so the check needs no
 * weights. */
static int planes_fold_fits(const bt_layer_t *l, int op)
{
    uint64_t s = bt_op_s_total(op, 1u, 1u, l), n = (uint64_t)l->in_c * taps_of(l);
    uint64_t off = n * (s - 1u) + (uint64_t)bt_op_cx(op, 1u, 1u, l) * s * n;
    uint64_t t = l->out_enc == BT_ENC_SCORES ? 0u :
                 (uint64_t)bt_op_dwdx(op, 1u, 1u, l) * ((uint64_t)l->acc_bound + 1u);
    return off + t <= 0x7FFFFFFFu;
}

/* THE decision whether the accelerator runs layer `l` in this form (on its own: whether the
 * stretch around it fits is the planner's), and what it takes from each buffer: the op
 * registry's generated table (bittern_ops.h, rtl/ops/): the op, the FEATURES it needs, its
 * limits and footprint; plus what the table leaves to the driver: the sparse store, an input
 * that fits half the activation buffer, weights that fit the weight buffer.
 * BT_ACCEL_LAYER_HW when it can run there, else why not. */
static uint32_t layer_form(const bt_accel_t *a, const bt_layer_t *l, footprint *f)
{
    footprint z = {0};
    *f = z;
    int op = bt_op_find(l);
    f->op = op;
    f->s = 0xFFFFFFFFu;
    if (op == BT_OP_NONE)
        return BT_ACCEL_LAYER_NO_OP;
    uint32_t need = bt_op_features(op);
    if ((a->features & need) != need)
        return BT_ACCEL_LAYER_NOT_IN_BUILD;
    if (!bt_op_fits(op, l) || (is_planes(op) && !planes_fold_fits(l, op)))
        return BT_ACCEL_LAYER_LIMITS;
    /* sparse layers: a store that holds the input (the model loader has checked
     * in_c % 32 == 0 and 1 <= packs <= in_c / 32) */
    if (op == BT_OP_SPARSE_XNOR && (a->sparse_words < l->in_c / 32u || l->packs < 1u ||
                                    l->packs > (BT_ACC_D_SPARSE_PACKS_MASK >> BT_ACC_D_SPARSE_PACKS_SHIFT)))
        return BT_ACCEL_LAYER_LIMITS;
    uint32_t rows = a->rows, cols = a->cols;
    f->words_in = bt_op_a_in_words(op, rows, cols, l);
    f->words_out = bt_op_a_out_words(op, rows, cols, l);
    f->w = bt_op_w_words(op, rows, cols, l);
    f->t = bt_op_t_entries(op, rows, cols, l);
    f->i = bt_op_i_words(op, rows, cols, l);
    f->s = bt_op_s_words(op, rows, cols, l);
    if (f->words_in > a->a_depth / 2u || f->w > a->w_depth || f->i > a->i_depth)
        return BT_ACCEL_LAYER_BUFFERS;
    return BT_ACCEL_LAYER_HW;
}

/* Layer i decoded into *l, in the form it runs in (end: as the scores layer that ends a
 * stretch), with its footprint; the form's verdict. */
static uint32_t form_of(const bt_accel_t *a, const bt_model_t *m, uint32_t i, int end,
                        bt_layer_t *l, footprint *f)
{
    bt_layer_decode(m, i, l);
    if (end)
        as_scores(l);
    return layer_form(a, l, f);
}

/* Whether layer i's output (hidden form) can feed layer i + 1 on the chip: a conv's map
 * only a conv or (flattened, when the write-back can pack it so) a dense layer; a dense
 * vector only a dense layer (a conv reads pixels padded to whole words). */
static int feeds(const bt_accel_t *a, const bt_layer_t *prev, const bt_layer_t *next)
{
    if (prev->out_enc == BT_ENC_SCORES)
        return 0;
    if (prev->kind == BT_KIND_CONV)
        return next->kind == BT_KIND_CONV || (prev->out_c % a->rows) == 0u || (prev->out_c & 31u) == 0u;
    return next->kind == BT_KIND_DENSE;
}

typedef struct {
    uint64_t hw, end;
    uint32_t wsum, tsum, isum;
} plan_t;

/* Close the stretch first..last: its last layer writes the score buffer; drop layers from
 * its end until one fits there as a scores layer (the dropped ones run in software). The
 * sums count every layer's hidden form, never smaller than its scores form. */
static void close_stretch(const bt_accel_t *a, const bt_model_t *m, uint32_t first,
                          uint32_t last, plan_t *p)
{
    for (uint32_t e = last + 1u; e-- > first;) {
        bt_layer_t l;
        footprint f;
        if (form_of(a, m, e, 1, &l, &f) == BT_ACCEL_LAYER_HW && f.s <= a->s_depth) {
            p->end |= 1ull << e;
            return;
        }
        form_of(a, m, e, 0, &l, &f);
        p->hw &= ~(1ull << e);
        p->wsum -= f.w;
        p->tsum -= f.t;
        p->isum -= f.i;
    }
}

/* Greedy, in layer order: a supported layer that fits the buffers joins the stretch of the
 * layer before when that layer can feed it on the chip (its output fits half the activation
 * buffer, at most MAX_LAYERS per stretch). */
static void plan_model(const bt_accel_t *a, const bt_model_t *m, plan_t *p)
{
    uint32_t n = m->n_layers, run = 0, half = a->a_depth / 2u;
    footprint prev = {0};
    bt_layer_t prev_l = {0};
    p->hw = p->end = 0;
    p->wsum = p->tsum = p->isum = 0;
    for (uint32_t i = 0; i <= n; i++) {
        bt_layer_t l;
        footprint f = {0};
        int ok = 0;
        if (i < n && i < 64u)
            ok = form_of(a, m, i, 0, &l, &f) == BT_ACCEL_LAYER_HW;
        int fits = ok && p->wsum + f.w <= a->w_depth && p->tsum + f.t <= a->t_depth &&
                   p->isum + f.i <= a->i_depth;
        int joins = fits && run && run < BT_ACC_MAX_LAYERS && feeds(a, &prev_l, &l) &&
                    prev.words_out <= half;
        if (run && !joins) {
            close_stretch(a, m, i - run, i - 1u, p);
            run = 0;
            fits = ok && p->wsum + f.w <= a->w_depth && p->tsum + f.t <= a->t_depth &&
                   p->isum + f.i <= a->i_depth;
        }
        if (fits) {
            p->hw |= 1ull << i;
            p->wsum += f.w;
            p->tsum += f.t;
            p->isum += f.i;
            run++;
            prev = f;
            prev_l = l;
        }
    }
}

static uint32_t popcount64(uint64_t x)
{
    return bt_pop32((uint32_t)x) + bt_pop32((uint32_t)(x >> 32));
}

uint32_t bt_accel_layer_why(const bt_accel_t *accel, const bt_model_t *model, uint32_t index)
{
    if (!accel || !accel->present)
        return BT_ACCEL_LAYER_NO_ACCEL;
    if (!model || !model->data || index >= model->n_layers || index >= 64u)
        return BT_ACCEL_LAYER_NO_OP;
    plan_t p;
    plan_model(accel, model, &p);
    if ((p.hw >> index) & 1u)
        return BT_ACCEL_LAYER_HW;
    bt_layer_t l;
    footprint f;
    uint32_t why = form_of(accel, model, index, 0, &l, &f);
    return why == BT_ACCEL_LAYER_HW ? BT_ACCEL_LAYER_BUFFERS : why;   /* the plan left it out */
}

int bt_accel_supports(const bt_accel_t *accel, const bt_model_t *model, uint32_t index)
{
    return bt_accel_layer_why(accel, model, index) == BT_ACCEL_LAYER_HW;
}

/* ---- identity ---- */
static void put_le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint32_t model_tag(const bt_accel_t *a, const bt_model_t *m)
{
    uint8_t b[BT_HEADER_BYTES + 40u];
    for (uint32_t i = 0; i < BT_HEADER_BYTES; i++)
        b[i] = m->data[i];
    const uint32_t g[10] = {a->rows, a->cols, a->w_depth, a->a_depth, a->t_depth, a->s_depth,
                            PLAN_VERSION, a->sparse_words, a->i_depth, a->features};
    for (uint32_t i = 0; i < 10u; i++)
        put_le(b + BT_HEADER_BYTES + 4u * i, g[i]);
    uint32_t tag = bt_crc32(b, sizeof b);
    return tag ? tag : 1u;      /* 0 means "nothing programmed" */
}

/* ---- programming ---- */

static uint32_t valid_mask(uint32_t n, uint32_t k)
{
    uint32_t rem = n - 32u * k;
    return rem >= 32u ? 0xFFFFFFFFu : (1u << rem) - 1u;
}

/* Word k of weight plane p of weight row `row` (output channel m's tap t is row m*taps + t:
 * the file's [out][kh][kw][in] order), as rtl/ops/dense_planes.py weight_planes forms it:
 * binary itself; ternary [w >= 0], [w > 0]; int-k the bits of w + 2^(k-1) - 1, then the
 * all-ones plane. Pad bits 0. */
static uint32_t weight_plane_word(const bt_model_t *m, const bt_layer_t *l, uint32_t row,
                                  uint32_t p, uint32_t k)
{
    const uint8_t *wd = m->data + l->w_offset;
    const uint32_t *w = (const uint32_t *)(const void *)wd;
    uint32_t nw = bt_nwords(l->in_c), valid = valid_mask(l->in_c, k);
    if (l->w_enc == BT_W_BINARY)
        return w[row * nw + k];
    if (l->w_enc == BT_W_TERNARY) {
        uint32_t nz = w[row * nw + k], neg = w[l->out_c * taps_of(l) * nw + row * nw + k];
        return (p == 0u ? ~(nz & neg) : nz & ~neg) & valid;
    }
    if (p == l->w_bits)
        return valid;
    const int8_t *q = (const int8_t *)(const void *)wd + row * l->in_c + 32u * k;
    uint32_t word = 0;
    for (uint32_t b = 0; b < 32u && 32u * k + b < l->in_c; b++)
        word |= (((uint32_t)((int32_t)q[b] + (1 << (l->w_bits - 1u)) - 1) >> p) & 1u) << b;
    return word;
}

/* A plane op's constant of channel ch: Dw*Dx*acc = array output + off, with
 * off = n*(S-1) + Cx * sum_p 2^sw[p] rowsum(P_p) over every tap, n = taps * in_c
 * (rtl/ops/dense_planes.py fold; a conv's padding taps are zero pixels, no border term). */
static int64_t plane_offset(const bt_model_t *m, const bt_layer_t *l, int op, uint32_t ch)
{
    uint32_t shifts = bt_op_d_planes2(op, 1u, 1u, l), nw = bt_nwords(l->in_c), taps = taps_of(l);
    int64_t rowsum = 0;
    for (uint32_t t = 0; t < taps; t++)
        for (uint32_t p = 0; p < bt_op_w_planes(op, 1u, 1u, l); p++)
            for (uint32_t k = 0; k < nw; k++) {
                uint32_t word = weight_plane_word(m, l, ch * taps + t, p, k);
                int64_t ones = bt_pop32(word), bits = bt_pop32(valid_mask(l->in_c, k));
                rowsum += (2 * ones - bits) * ((int64_t)1 << ((shifts >> (4u * p)) & 15u));
            }
    return (int64_t)l->in_c * taps * ((int64_t)bt_op_s_total(op, 1u, 1u, l) - 1) +
           (int64_t)bt_op_cx(op, 1u, 1u, l) * rowsum;
}

/* Output planes of a layer's form (thermometer outputs: one thresholded channel per
 * threshold; channel j*cp + m of plane j), cp = channels per plane. */
static uint32_t out_planes(const bt_layer_t *l, int op)
{
    return is_planes(op) && l->out_enc != BT_ENC_SCORES && l->n_thr > 1u ? l->n_thr : 1u;
}

/* Weight word kk (of the w/tiles the channel takes per tile) of hardware channel hc. */
static uint32_t weight_word(const bt_model_t *m, const bt_layer_t *l, int op, uint32_t hc,
                            uint32_t kk, uint32_t words)
{
    uint32_t cp = bt_op_out_features(op, 1u, 1u, l) / out_planes(l, op), ch = hc % cp;
    if (hc >= bt_op_out_features(op, 1u, 1u, l) || ch >= l->out_c)
        return 0u;              /* channels of the last tile beyond the layer, extra plane channels */
    if (!is_planes(op))         /* binary [out][k][k][words]: the fetch's order */
        return ((const uint32_t *)(const void *)(m->data + l->w_offset))[ch * words + kk];
    /* [tap][plane][word] (a dense layer: one tap), as rtl/ops/conv_planes.py lays it out */
    uint32_t nw = bt_nwords(l->in_c), per_tap = bt_op_w_planes(op, 1u, 1u, l) * nw;
    uint32_t t = kk / per_tap, pk = kk % per_tap;
    return weight_plane_word(m, l, ch * taps_of(l) + t, pk / nw, pk % nw);
}

/* The threshold entry (threshold, direction bit) of hardware channel hc. */
static void threshold_entry(const bt_model_t *m, const bt_layer_t *l, int op, uint32_t hc,
                            uint32_t e[2])
{
    const int32_t *thr = (const int32_t *)(const void *)(m->data + l->t_offset);
    uint32_t L = out_planes(l, op), cp = bt_op_out_features(op, 1u, 1u, l) / L;
    uint32_t j = hc / cp, ch = hc % cp;
    if (!is_planes(op)) {
        e[0] = (uint32_t)thr[2u * hc + 1u];
        e[1] = thr[2u * hc] < 0 ? 1u : 0u;
        return;
    }
    if (ch >= l->out_c) {       /* never crossed: the bit stays 0 */
        e[0] = 0x7FFFFFFFu;
        e[1] = 0u;
        return;
    }
    int64_t off = plane_offset(m, l, op, ch);
    if (l->out_enc == BT_ENC_SCORES) {      /* the score offset */
        e[0] = (uint32_t)off;
        e[1] = 0u;
        return;
    }
    /* T' = Dw*Dx*T - off, T clamped just outside the accumulator range first (same outputs) */
    const int32_t *row = thr + ch * (1u + l->n_thr);
    int64_t b = (int64_t)l->acc_bound + 1, t = row[1u + j];
    t = t < -b ? -b : t > b ? b : t;
    e[0] = (uint32_t)(t * (int64_t)bt_op_dwdx(op, 1u, 1u, l) - off);
    e[1] = row[0] < 0 ? 1u : 0u;
}

/* Descriptors of the stretch starting at `first`, and N_LAYERS. */
static void load_stretch(bt_accel_t *a, const bt_model_t *m, uint32_t first)
{
    if (a->loaded_seg == first)
        return;
    uint32_t w_base = 0, t_base = 0, i_base = 0, j = 0;
    bt_layer_t l;
    footprint f;
    for (uint32_t i = 0; i < first; i++)
        if ((a->hw_layers >> i) & 1u) {
            form_of(a, m, i, (int)((a->seg_ends >> i) & 1u), &l, &f);
            w_base += f.w;
            i_base += f.i;
            t_base += f.t;
        }
    /* the ping-pong half: the stretch's widest vector (as rtl/loader.py places it) */
    uint32_t half = 0;
    for (uint32_t i = first;; i++) {
        int end = (int)((a->seg_ends >> i) & 1u);
        form_of(a, m, i, end, &l, &f);
        half = f.words_in > half ? f.words_in : half;
        half = f.words_out > half ? f.words_out : half;
        if (end)
            break;
    }
    wqueue q;
    q.t = a->transport;
    q.n = 0;
    for (uint32_t i = first;; i++, j++) {
        int end = (int)((a->seg_ends >> i) & 1u);
        form_of(a, m, i, end, &l, &f);
        uint32_t rows = a->rows, cols = a->cols;
        /* every word, the ones a layer kind does not use 0 (no stale fields of a previous
           model), in one burst */
        uint32_t d[BT_ACC_DESC_WORDS] = {0};
        d[BT_ACC_D_CFG / 4u] = (l.kind << BT_ACC_D_CFG_KIND_SHIFT) | (l.in_enc << BT_ACC_D_CFG_IN_ENC_SHIFT) |
                               (l.w_enc << BT_ACC_D_CFG_W_ENC_SHIFT) | (l.out_enc << BT_ACC_D_CFG_OUT_ENC_SHIFT);
        d[BT_ACC_D_IN_FEATURES / 4u] = l.in_c;
        d[BT_ACC_D_OUT_FEATURES / 4u] = bt_op_out_features(f.op, rows, cols, &l);
        d[BT_ACC_D_W_BASE / 4u] = w_base;
        d[BT_ACC_D_A_IN / 4u] = (j % 2u) * half;
        d[BT_ACC_D_A_OUT / 4u] = end ? 0u : ((j + 1u) % 2u) * half;
        d[BT_ACC_D_T_BASE / 4u] = t_base;
        if (l.kind == BT_KIND_CONV) {
            bt_layer_t next;
            int flat = 0;
            if (!end) {
                bt_layer_decode(m, i + 1u, &next);
                flat = next.kind == BT_KIND_DENSE && (l.out_c & 31u) != 0u;
            }
            d[BT_ACC_D_CONV_IN / 4u] = (l.in_h << BT_ACC_D_CONV_IN_IN_H_SHIFT) |
                                       (l.in_w << BT_ACC_D_CONV_IN_IN_W_SHIFT);
            d[BT_ACC_D_CONV_GEOM / 4u] = (l.kernel << BT_ACC_D_CONV_GEOM_KERNEL_SHIFT) |
                                         (l.stride << BT_ACC_D_CONV_GEOM_STRIDE_SHIFT) |
                                         (l.pad << BT_ACC_D_CONV_GEOM_PAD_SHIFT) |
                                         (l.pool << BT_ACC_D_CONV_GEOM_POOL_SHIFT);
            d[BT_ACC_D_CONV_OUT / 4u] = (l.out_h << BT_ACC_D_CONV_OUT_OUT_H_SHIFT) |
                                        (l.out_w << BT_ACC_D_CONV_OUT_OUT_W_SHIFT) |
                                        ((uint32_t)flat << BT_ACC_D_CONV_OUT_FLAT_SHIFT);
        }
        d[BT_ACC_D_PLANES / 4u] = bt_op_d_planes(f.op, rows, cols, &l);
        d[BT_ACC_D_PLANES2 / 4u] = bt_op_d_planes2(f.op, rows, cols, &l);
        if (f.i) {              /* sparse: kept packs and the first pack-index word */
            d[BT_ACC_D_SPARSE / 4u] = l.packs << BT_ACC_D_SPARSE_PACKS_SHIFT;
            d[BT_ACC_D_SPARSE2 / 4u] = i_base << BT_ACC_D_SPARSE2_I_BASE_SHIFT;
        }
        for (uint32_t k = 0; k < BT_ACC_DESC_WORDS; k++)
            wq_put(&q, BT_ACC_DESC(j, 4u * k), d[k]);
        w_base += f.w;
        i_base += f.i;
        t_base += f.t;
        if (end)
            break;
    }
    wq_flush(&q);
    wr(a, BT_ACC_N_LAYERS, j + 1u);
    a->loaded_seg = first;
}

static uint32_t first_hw_layer(const bt_accel_t *a)
{
    uint32_t i = 0;
    while (!((a->hw_layers >> i) & 1u))
        i++;
    return i;
}

bt_status_t bt_accel_program(bt_accel_t *accel, const bt_model_t *model)
{
    if (!accel || !model || !model->data)
        return BT_ERR_NULL;
    if (!accel->present)
        return BT_ERR_NO_ACCEL;
    bt_accel_t *a = accel;
    plan_t p;
    plan_model(a, model, &p);
    a->hw_layers = p.hw;
    a->seg_ends = p.end;
    a->loaded_seg = NO_SEG;
    a->tag = 0;
    uint32_t tag = model_tag(a, model);
    if (!p.hw) {
        a->tag = tag;           /* nothing to offload: the device is left as it is */
        return BT_OK;
    }
    if (rd(a, BT_ACC_STATUS) & BT_ACC_STATUS_BUSY_MASK)
        return BT_ERR_ACCEL;    /* a run (another host's, or one we gave up on) owns the buffers */
    wr(a, BT_ACC_MODEL_TAG, 0); /* an interrupted programming leaves no valid tag */
    uint32_t rows = a->rows, w_base = 0, t_base = 0, i_base = 0;
    wqueue q;
    q.t = a->transport;
    q.n = 0;
    for (uint32_t i = 0; i < model->n_layers && i < 64u; i++) {
        if (!((p.hw >> i) & 1u))
            continue;
        bt_layer_t l;
        footprint f;
        form_of(a, model, i, (int)((p.end >> i) & 1u), &l, &f);
        /* the layer's whole weight window in order, zeros for the channels of the last tile
         * beyond the layer: one burst. Sparse layers: P kept words per channel (the model
         * file holds them [out_c][P], then their u16 pack indices [out_c][P]) */
        uint32_t hw_out = bt_op_out_features(f.op, rows, a->cols, &l);
        uint32_t words = f.w / BT_OPS_CEIL(hw_out, rows);
        const uint32_t *w = (const uint32_t *)(const void *)(model->data + l.w_offset);
        for (uint32_t j = 0; j < f.w * rows; j++) {
            uint32_t r = j % rows, t = j / rows / words, k = j / rows % words, mch = t * rows + r;
            uint32_t v = f.i ? (mch < l.out_c ? w[mch * words + k] : 0u) :
                               weight_word(model, &l, f.op, mch, k, words);
            wq_put(&q, BT_ACC_WBUF_BASE + 4u * BT_ACC_WBUF_INDEX(rows, w_base, words, mch, k), v);
        }
        w_base += f.w;
        if (f.i) {
            /* pack indices in the weights' order; index 0 for the missing channels (the
             * hardware checks every index it meets against the layer's input words) */
            const uint16_t *idx = (const uint16_t *)(const void *)(w + l.out_c * l.packs);
            for (uint32_t j = 0; j < f.i * rows; j++) {
                uint32_t r = j % rows, t = j / rows / words, k = j / rows % words, mch = t * rows + r;
                wq_put(&q, BT_ACC_IBUF_BASE + 4u * BT_ACC_IBUF_INDEX(rows, i_base, words, mch, k),
                       mch < l.out_c ? idx[mch * words + k] : 0u);
            }
            i_base += f.i;
        }
        /* thresholds (a plane op's folded ones, or its score offsets): one entry per
         * hardware channel; a scores layer of the other ops has none */
        uint32_t n_thr = l.out_enc == BT_ENC_SCORES ? (is_planes(f.op) ? l.out_c : 0u) : hw_out;
        for (uint32_t mch = 0; mch < n_thr; mch++) {
            uint32_t e[2], at = BT_ACC_TBUF_BASE + 8u * BT_ACC_TBUF_ENTRY(rows, t_base, mch);
            threshold_entry(model, &l, f.op, mch, e);
            wq_put(&q, at, e[0]);
            wq_put(&q, at + 4u, e[1]);
        }
        t_base += f.t;
    }
    wq_flush(&q);
    load_stretch(a, model, first_hw_layer(a));
    wr(a, BT_ACC_MODEL_TAG, tag);
    a->tag = tag;
    a->programs++;
    return BT_OK;
}

/* Before a call: is the device ours, idle, and holding this model? Re-programs it when its
 * MODEL_TAG says otherwise (first use, another model, a reset, another host). *use_hw: run
 * the planned layers on it. */
static bt_status_t sync_model(bt_accel_t *a, const bt_model_t *m, int *use_hw)
{
    *use_hw = 0;
    if (!a->present)
        return BT_OK;
    uint32_t tag = model_tag(a, m);
    if (a->tag == tag && !a->hw_layers)
        return BT_OK;           /* planned before: nothing offloaded, no bus traffic */
    if (a->pending) {
        if (rd(a, BT_ACC_STATUS) & BT_ACC_STATUS_BUSY_MASK)
            return BT_ERR_ACCEL;    /* the run we gave up on is still going: hands off */
        a->pending = 0;
        wr(a, BT_ACC_CTRL, BT_ACC_CTRL_CLEAR_MASK);     /* idle now: drop its DONE/ERROR */
    }
    uint32_t dev = rd(a, BT_ACC_MODEL_TAG);
    if (dev != tag) {
        if (!read_geometry(a)) {    /* a reset may have brought another build */
            a->present = 0;
            return BT_ERR_NO_ACCEL;
        }
        bt_status_t st = bt_accel_program(a, m);
        if (st != BT_OK)
            return st;
    } else if (a->tag != tag) {
        /* the device holds this model, placed by this plan (another host, or an earlier
         * struct): adopt it */
        plan_t p;
        plan_model(a, m, &p);
        a->hw_layers = p.hw;
        a->seg_ends = p.end;
        a->tag = tag;
        a->loaded_seg = p.hw ? first_hw_layer(a) : NO_SEG;
    }
    if (popcount64(a->seg_ends) > 1u)
        a->loaded_seg = NO_SEG; /* stretches swap descriptors: load them afresh each call */
    *use_hw = a->hw_layers != 0;
    return BT_OK;
}

/* ---- runs ---- */

/* Word k of activation plane q of a stretch's first input (runtime layout, docs/runtime.md)
 * in the plane form its op reads (rtl/ops/dense_planes.py act_planes): binary words as they
 * are; ternary [x >= 0], [x > 0] from the nz and neg planes (`plane` words apart); u8 bit
 * planes; uint-k thermometer planes [x > q]. Pad bits 0. */
static uint32_t input_word(const bt_layer_t *l, const void *in, uint32_t plane, uint32_t q,
                           uint32_t k)
{
    const uint32_t *w = (const uint32_t *)in;
    if (l->in_enc == BT_ENC_BINARY)
        return w[k];
    uint32_t valid = valid_mask(l->in_c, k);
    if (l->in_enc == BT_ENC_TERNARY) {
        uint32_t nz = w[k], neg = w[plane + k];
        return (q == 0u ? ~(nz & neg) : nz & ~neg) & valid;
    }
    const uint8_t *x = (const uint8_t *)in + 32u * k;
    uint32_t word = 0;
    for (uint32_t b = 0; b < 32u && 32u * k + b < l->in_c; b++)
        word |= (uint32_t)(l->in_enc == BT_ENC_U8 ? (x[b] >> q) & 1u : x[b] > q) << b;
    return word;
}

/* Layer `last`'s output of k images from score row 0 into out[c] (runtime layout): the
 * accumulators (after max-pool; a plane op's already scaled back) go through the layer's
 * own output stage, the software kernels' (bt_output.h). Score word j of the region is row
 * j % rows, column (j / rows) % cols, pixel-tile (j / rows) / cols (pixel-major). */
static void read_outputs(const bt_accel_t *a, const bt_model_t *m, uint32_t last, uint32_t k,
                         void *const *out)
{
    bt_layer_t l, ls;
    footprint f;
    bt_layer_decode(m, last, &l);
    form_of(a, m, last, 1, &ls, &f);
    bt_kctx kc[BT_ACCEL_MAX_BATCH];
    for (uint32_t c = 0; c < k; c++) {
        bt_kctx_init(&kc[c], m, &l, 0, 0, out[c]);
        bt_out_clear(&kc[c]);
    }
    uint32_t rows = a->rows, cols = a->cols, tiles = BT_OPS_CEIL(l.out_c, rows);
    uint32_t buf[QUEUE_WORDS], total = f.s * rows;
    int burst = a->transport->read_burst != 0;
    for (uint32_t j0 = 0; j0 < total; j0 += QUEUE_WORDS) {
        uint32_t n = total - j0 < QUEUE_WORDS ? total - j0 : QUEUE_WORDS;
        if (burst)      /* the whole score region, idle columns included: few long bursts */
            rd_words(a, BT_ACC_SBUF_BASE + 4u * j0, buf, n);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t j = j0 + i, r = j % rows, q = j / rows, c = q % cols;
            uint32_t pix = q / cols / tiles, mch = q / cols % tiles * rows + r;
            if (c >= k || mch >= l.out_c)
                continue;
            uint32_t v = burst ? buf[i] : rd(a, BT_ACC_SBUF_BASE + 4u * j);
            bt_out_put(&kc[c], pix, mch, (int32_t)v);
        }
    }
}

/* One START: layers first..last (a planned stretch) on k images, inputs in[c] (runtime
 * layout; plane[c]: a ternary input's words from nz to neg plane), outputs into out[c].
 * 0 on success; 1 on a hardware error or a timeout (counted; after a timeout nothing is
 * written: the run is left to finish). */
static int run_stretch(bt_accel_t *a, const bt_model_t *m, uint32_t first, uint32_t last,
                       uint32_t k, const void *const *in, const uint32_t *plane,
                       void *const *out)
{
    load_stretch(a, m, first);
    bt_layer_t l;
    footprint f;
    form_of(a, m, first, first == last, &l, &f);
    /* a u8 conv's input: each pixel's planes (in_c bytes each), plane-major (conv_planes.py) */
    uint32_t pixels = l.kind == BT_KIND_CONV && is_planes(f.op) ? l.in_h * l.in_w : 1u;
    uint32_t cols = a->cols, per_pixel = f.words_in / pixels;
    uint32_t per_plane = per_pixel / bt_op_a_planes(f.op, a->rows, cols, &l);
    int burst = a->transport->write_burst != 0;
    wqueue q;
    q.t = a->transport;
    q.n = 0;
    /* image c, word w at activation row w of column bank c (plane w / per_plane); with
     * bursts the whole window (idle columns get zeros), else only the images' own words */
    for (uint32_t w = 0; w < f.words_in; w++)
        for (uint32_t c = 0; c < (burst ? cols : k); c++)
            wq_put(&q, BT_ACC_ABUF_BASE + 4u * BT_ACC_ABUF_INDEX(cols, 0u, w, c),
                   c < k ? input_word(&l, (const uint8_t *)in[c] + w / per_pixel * l.in_c, plane[c],
                                      w % per_pixel / per_plane, w % per_plane) : 0u);
    wq_flush(&q);
    wr(a, BT_ACC_CTRL, BT_ACC_CTRL_START_MASK);
    uint32_t st = 0, polls = 0;
    do {
        st = rd(a, BT_ACC_STATUS);
    } while ((st & BT_ACC_STATUS_BUSY_MASK) && ++polls < a->poll_limit);
    if (st & BT_ACC_STATUS_BUSY_MASK) {
        a->pending = 1;         /* no CLEAR, no buffer access while it runs */
        a->timeouts++;
        a->errors++;
        return 1;
    }
    if ((st & BT_ACC_STATUS_ERROR_MASK) || !(st & BT_ACC_STATUS_DONE_MASK)) {
        a->errors++;
        a->last_cause = (st & BT_ACC_STATUS_CAUSE_MASK) >> BT_ACC_STATUS_CAUSE_SHIFT;
        wr(a, BT_ACC_CTRL, BT_ACC_CTRL_CLEAR_MASK);
        a->loaded_seg = NO_SEG;     /* a refused descriptor (e.g. overwritten) is written afresh */
        return 1;
    }
    read_outputs(a, m, last, k, out);
    uint32_t perf[3];
    rd_words(a, BT_ACC_PERF_CYCLES, perf, 3);   /* PERF_CYCLES, PERF_ACTIVE, PERF_TILES */
    a->perf.cycles += perf[0];
    a->perf.active += perf[1];
    a->perf.tiles += perf[2];
    a->perf.starts++;
    a->runs_hw++;
    return 0;
}

/* k images through the whole model, each in its workspace slot; stretches on the hardware
 * when use_hw, every image's layer in lockstep. */
static bt_status_t run_group(bt_accel_t *a, const bt_model_t *m, int use_hw,
                             const uint8_t *images, size_t image_bytes, uint32_t k,
                             uint8_t *ws, uint32_t slot, int32_t *scores, uint32_t *labels)
{
    bt_cursor_t cur[BT_ACCEL_MAX_BATCH];
    const void *in[BT_ACCEL_MAX_BATCH];
    uint32_t plane[BT_ACCEL_MAX_BATCH];
    void *out[BT_ACCEL_MAX_BATCH];
    for (uint32_t c = 0; c < k; c++) {
        bt_status_t st = bt_run_begin(m, images + c * image_bytes, ws + (size_t)c * slot, slot,
                                      &cur[c]);
        if (st != BT_OK)
            return st;
    }
    uint32_t n = m->n_layers;
    int on_hw = 0;              /* a stretch of these images ran on the hardware */
    for (uint32_t i = 0; i < n;) {
        bt_layer_t l;
        bt_layer_decode(m, i, &l);
        for (uint32_t c = 0; c < k; c++) {
            in[c] = bt_run_input(&cur[c], &l);  /* once per layer: it flattens in place */
            plane[c] = cur[c].plane;
        }
        if (use_hw && i < 64u && ((a->hw_layers >> i) & 1u)) {
            uint32_t last = i;
            while (!((a->seg_ends >> last) & 1u))
                last++;
            for (uint32_t c = 0; c < k; c++)
                out[c] = bt_run_out(&cur[c], last);
            if (!run_stretch(a, m, i, last, k, in, plane, out)) {
                if (!on_hw)
                    a->perf.images += k;
                on_hw = 1;
                bt_layer_t ll;
                bt_layer_decode(m, last, &ll);
                for (uint32_t c = 0; c < k; c++)
                    bt_run_advance(&cur[c], last, &ll);
                a->layers_hw += (last - i + 1u) * k;
                i = last + 1u;
                continue;
            }
            if (!a->sw_fallback)
                return BT_ERR_ACCEL;
            use_hw = 0;         /* the rest of this call in software, from the same inputs */
        }
        for (uint32_t c = 0; c < k; c++) {
            bt_layer_sw(m, &l, in[c], cur[c].plane, bt_run_out(&cur[c], i));
            bt_run_advance(&cur[c], i, &l);
        }
        a->layers_sw += k;
        i++;
    }
    for (uint32_t c = 0; c < k; c++)
        bt_run_finish(m, &cur[c], scores ? scores + (size_t)c * m->n_scores : 0,
                      labels ? labels + c : 0);
    return BT_OK;
}

bt_status_t bt_run_accel_batch(bt_accel_t *accel, const bt_model_t *model,
                               const uint8_t *images, uint32_t n, void *workspace,
                               size_t workspace_bytes, int32_t *scores, uint32_t *labels)
{
    if (!accel || !model || !model->data || !images || !workspace)
        return BT_ERR_NULL;
    if (!n || !model->n_layers)
        return BT_ERR_ARG;
    uint32_t slot = (bt_workspace_bytes(model) + 3u) & ~3u;
    if (((uintptr_t)workspace & 3u) || workspace_bytes < slot)
        return BT_ERR_WORKSPACE;
    bt_accel_perf_t z = {0};
    accel->perf = z;
    int use_hw = 0;
    bt_status_t st = sync_model(accel, model, &use_hw);
    if (st != BT_OK && !accel->sw_fallback)
        return BT_ERR_ACCEL;
    /* images per group: after sync_model, which may have re-read the geometry */
    size_t slots = workspace_bytes / slot;
    uint32_t group = BT_ACCEL_MAX_BATCH;
    if (slots < group)
        group = (uint32_t)slots;
    if (accel->present && accel->cols < group)
        group = accel->cols;
    size_t image_bytes = (size_t)model->in_h * model->in_w * model->in_c;
    for (uint32_t done = 0; done < n;) {
        uint32_t k = n - done < group ? n - done : group;
        st = run_group(accel, model, use_hw, images + done * image_bytes, image_bytes, k,
                       (uint8_t *)workspace, slot, scores ? scores + (size_t)done * model->n_scores : 0,
                       labels ? labels + done : 0);
        if (st != BT_OK)
            return st;
        if (accel->pending)
            use_hw = 0;         /* timed out: leave it alone for the rest of the call */
        done += k;
    }
    return BT_OK;
}

bt_status_t bt_run_accel(bt_accel_t *accel, const bt_model_t *model, const uint8_t *image,
                         void *workspace, size_t workspace_bytes, int32_t *scores,
                         uint32_t *label)
{
    return bt_run_accel_batch(accel, model, image, 1, workspace, workspace_bytes, scores, label);
}

bt_status_t bt_accel_read_perf(const bt_accel_t *accel, bt_accel_perf_t *perf)
{
    if (!accel || !perf)
        return BT_ERR_NULL;
    if (!accel->present)
        return BT_ERR_NO_ACCEL;
    uint32_t v[3];
    rd_words(accel, BT_ACC_PERF_CYCLES, v, 3);
    bt_accel_perf_t p = {v[0], v[1], v[2], 0, 0};
    *perf = p;
    return BT_OK;
}
