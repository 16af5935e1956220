/* Accelerator driver: transports, probe, programming, and per-layer offload with software
 * fallback. The register map is the generated bittern_regs.h (rtl/regmap.py); the protocol
 * is the one rtl/loader.py drives (docs/registers.md):
 *   program once: weights (row-banked), thresholds, one descriptor per layer, N_LAYERS;
 *   per image: packed input into column bank 0, CTRL.START, poll STATUS, read the scores.
 * The accelerator runs a suffix of the model (dense, binary x binary, the last layer scores);
 * earlier layers, and everything when no accelerator answers, run on the software kernels. */
#include "bt_internal.h"
#include "bittern_regs.h"

#define DEFAULT_POLL_LIMIT 10000000u

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
}

/* ---- SPI frames, as rtl/spi.py's bridge takes them (mode 0, MSB first, one frame per
 * chip-select period): write 0x02 A2 A1 A0 D3 D2 D1 D0; read 0x03 A2 A1 A0 <dummy> then
 * the target shifts out D3 D2 D1 D0. Addresses are 24-bit byte addresses, big-endian. ---- */
static void put_be(uint8_t *p, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint32_t spi_read32(void *ctx, uint32_t addr)
{
    bt_spi_t *spi = (bt_spi_t *)ctx;
    uint8_t tx[9] = {0x03}, rx[9] = {0};
    put_be(tx + 1, addr, 3);
    spi->xfer(spi->bus, tx, rx, 9);
    return ((uint32_t)rx[5] << 24) | ((uint32_t)rx[6] << 16) | ((uint32_t)rx[7] << 8) | rx[8];
}

static void spi_write32(void *ctx, uint32_t addr, uint32_t value)
{
    bt_spi_t *spi = (bt_spi_t *)ctx;
    uint8_t tx[8] = {0x02}, rx[8];
    put_be(tx + 1, addr, 3);
    put_be(tx + 4, value, 4);
    spi->xfer(spi->bus, tx, rx, 8);
}

void bt_transport_spi(bt_transport_t *t, bt_spi_t *spi)
{
    if (!t)
        return;
    t->ctx = spi;
    t->read32 = spi_read32;
    t->write32 = spi_write32;
    t->write_burst = 0;
}

static uint32_t rd(const bt_accel_t *a, uint32_t addr)
{
    return a->transport->read32(a->transport->ctx, addr);
}

static void wr(const bt_accel_t *a, uint32_t addr, uint32_t v)
{
    a->transport->write32(a->transport->ctx, addr, v);
}

/* ---- probe ---- */
bt_status_t bt_accel_probe(bt_accel_t *accel, const bt_transport_t *transport)
{
    if (!accel)
        return BT_ERR_NULL;
    bt_accel_t z = {0};
    *accel = z;
    accel->transport = transport;
    accel->poll_limit = DEFAULT_POLL_LIMIT;
    if (!transport || !transport->read32 || !transport->write32)
        return BT_ERR_NO_ACCEL;
    accel->id = rd(accel, BT_ACC_ID);
    if (accel->id != BT_ACC_ID_VALUE)
        return BT_ERR_NO_ACCEL;
    accel->version = rd(accel, BT_ACC_VERSION);
    if (accel->version != BT_ACC_MAP_VERSION)
        return BT_ERR_NO_ACCEL; /* a register map this driver does not speak */
    uint32_t cfg = rd(accel, BT_ACC_CONFIG);
    accel->rows = (cfg & BT_ACC_CONFIG_ROWS_MASK) >> BT_ACC_CONFIG_ROWS_SHIFT;
    accel->cols = (cfg & BT_ACC_CONFIG_COLS_MASK) >> BT_ACC_CONFIG_COLS_SHIFT;
    accel->w_depth = rd(accel, BT_ACC_WBUF_DEPTH);
    accel->a_depth = rd(accel, BT_ACC_ABUF_DEPTH);
    accel->t_depth = rd(accel, BT_ACC_TBUF_DEPTH);
    accel->s_depth = rd(accel, BT_ACC_SBUF_DEPTH);
    if (!accel->rows || !accel->cols)
        return BT_ERR_NO_ACCEL;
    accel->present = 1;
    return BT_OK;
}

/* ---- planning: which suffix of the model fits ---- */
static int layer_ok(const bt_layer_t *l)
{
    return l->kind == BT_KIND_DENSE && l->in_enc == BT_ENC_BINARY && l->w_enc == BT_W_BINARY &&
           (l->out_enc == BT_ENC_BINARY || l->out_enc == BT_ENC_SCORES);
}

/* Does layers first..n-1 fit the buffers (as rtl/loader.py plans it)? */
static int suffix_fits(const bt_accel_t *a, const bt_model_t *m, uint32_t first, uint32_t *half_out)
{
    uint32_t n = m->n_layers, half = 0, w_base = 0, t_base = 0;
    if (n - first > BT_ACC_MAX_LAYERS)
        return 0;
    for (uint32_t i = first; i < n; i++) {
        bt_layer_t l;
        bt_layer_decode(m, i, &l);
        if (!layer_ok(&l))
            return 0;
        uint32_t wi = bt_nwords(l.in_c), wo = bt_nwords(l.out_c);
        if (wi > half)
            half = wi;
        if (i + 1 < n && wo > half)
            half = wo;
        uint32_t tiles = (l.out_c + a->rows - 1) / a->rows;
        if ((uint64_t)w_base + (uint64_t)tiles * wi > a->w_depth)
            return 0;
        w_base += tiles * wi;
        if (i + 1 < n) {
            t_base += tiles;
            if (t_base > a->t_depth)
                return 0;
        } else if ((uint64_t)tiles * a->cols > a->s_depth) {
            return 0;
        }
    }
    if (2ull * half > a->a_depth)
        return 0;
    *half_out = half;
    return 1;
}

static uint32_t first_offloadable(const bt_accel_t *a, const bt_model_t *m, uint32_t *half)
{
    uint32_t n = m->n_layers;
    /* the shortest run of supported layers ending at the last one, then the longest that fits */
    uint32_t first = n;
    while (first > 0) {
        bt_layer_t l;
        bt_layer_decode(m, first - 1, &l);
        if (!layer_ok(&l))
            break;
        first--;
    }
    for (; first < n; first++)
        if (suffix_fits(a, m, first, half))
            return first;
    return n;
}

int bt_accel_supports(const bt_accel_t *accel, const bt_model_t *model, uint32_t index)
{
    uint32_t half;
    if (!accel || !accel->present || !model || index >= model->n_layers)
        return 0;
    return index >= first_offloadable(accel, model, &half);
}

bt_status_t bt_accel_program(bt_accel_t *accel, const bt_model_t *model)
{
    if (!accel || !model)
        return BT_ERR_NULL;
    if (!accel->present)
        return BT_ERR_NO_ACCEL;
    uint32_t half = 0, n = model->n_layers;
    uint32_t first = first_offloadable(accel, model, &half);
    accel->model = model;
    accel->first_hw = first;
    accel->half = half;
    if (first == n)
        return BT_OK;
    uint32_t rows = accel->rows, w_base = 0, t_base = 0;
    for (uint32_t i = first; i < n; i++) {
        bt_layer_t l;
        bt_layer_decode(model, i, &l);
        uint32_t j = i - first, words = bt_nwords(l.in_c);
        uint32_t tiles = (l.out_c + rows - 1) / rows;
        int scores = l.out_enc == BT_ENC_SCORES;
        const uint32_t *w = (const uint32_t *)(const void *)(model->data + l.w_offset);
        for (uint32_t mch = 0; mch < l.out_c; mch++)
            for (uint32_t k = 0; k < words; k++)
                wr(accel, BT_ACC_WBUF_BASE + 4u * BT_ACC_WBUF_INDEX(rows, w_base, words, mch, k),
                   w[mch * words + k]);
        if (!scores) {
            const int32_t *t = (const int32_t *)(const void *)(model->data + l.t_offset);
            for (uint32_t mch = 0; mch < l.out_c; mch++) {
                uint32_t e = BT_ACC_TBUF_ENTRY(rows, t_base, mch);
                wr(accel, BT_ACC_TBUF_BASE + 8u * e, (uint32_t)t[2 * mch + 1]);
                wr(accel, BT_ACC_TBUF_BASE + 8u * e + 4u, t[2 * mch] < 0 ? 1u : 0u);
            }
        }
        uint32_t a_in = (j % 2u) * half, a_out = scores ? 0u : ((j + 1u) % 2u) * half;
        uint32_t cfg = (BT_KIND_DENSE << BT_ACC_D_CFG_KIND_SHIFT) |
                       (BT_ENC_BINARY << BT_ACC_D_CFG_IN_ENC_SHIFT) |
                       (BT_W_BINARY << BT_ACC_D_CFG_W_ENC_SHIFT) |
                       ((scores ? BT_ENC_SCORES : BT_ENC_BINARY) << BT_ACC_D_CFG_OUT_ENC_SHIFT);
        wr(accel, BT_ACC_DESC(j, BT_ACC_D_CFG), cfg);
        wr(accel, BT_ACC_DESC(j, BT_ACC_D_IN_FEATURES), l.in_c);
        wr(accel, BT_ACC_DESC(j, BT_ACC_D_OUT_FEATURES), l.out_c);
        wr(accel, BT_ACC_DESC(j, BT_ACC_D_W_BASE), w_base);
        wr(accel, BT_ACC_DESC(j, BT_ACC_D_A_IN), a_in);
        wr(accel, BT_ACC_DESC(j, BT_ACC_D_A_OUT), a_out);
        wr(accel, BT_ACC_DESC(j, BT_ACC_D_T_BASE), t_base);
        w_base += tiles * words;
        if (!scores)
            t_base += tiles;
        else
            accel->s_base = a_out;
    }
    wr(accel, BT_ACC_N_LAYERS, n - first);
    return BT_OK;
}

/* ---- run ---- */

/* Layers index..n-1 on the accelerator; scores into `out` (the last layer's buffer).
 * Returns 0 on success, 1 on a hardware error or timeout (recorded in accel). */
static int hw_suffix(bt_accel_t *a, const bt_model_t *m, const bt_layer_t *l, const void *in,
                     int32_t *out)
{
    const uint32_t *x = (const uint32_t *)in;
    uint32_t words = bt_nwords(l->in_c), cols = a->cols, rows = a->rows;
    for (uint32_t k = 0; k < words; k++)
        wr(a, BT_ACC_ABUF_BASE + 4u * BT_ACC_ABUF_INDEX(cols, 0u, k, 0u), x[k]);
    wr(a, BT_ACC_CTRL, BT_ACC_CTRL_START_MASK);
    uint32_t st = 0, polls = 0;
    do {
        st = rd(a, BT_ACC_STATUS);
    } while ((st & BT_ACC_STATUS_BUSY_MASK) && ++polls < a->poll_limit);
    if ((st & BT_ACC_STATUS_BUSY_MASK) || (st & BT_ACC_STATUS_ERROR_MASK) ||
        !(st & BT_ACC_STATUS_DONE_MASK)) {
        a->errors++;
        a->last_cause = (st & BT_ACC_STATUS_CAUSE_MASK) >> BT_ACC_STATUS_CAUSE_SHIFT;
        wr(a, BT_ACC_CTRL, BT_ACC_CTRL_CLEAR_MASK);
        return 1;
    }
    bt_layer_t last;
    bt_layer_decode(m, m->n_layers - 1, &last);
    for (uint32_t mch = 0; mch < last.out_c; mch++)
        out[mch] = (int32_t)rd(a, BT_ACC_SBUF_BASE +
                                  4u * BT_ACC_SBUF_INDEX(rows, cols, a->s_base, mch, 0u));
    return 0;
}

typedef struct {
    bt_accel_t *accel;
    int failed;
} run_ctx;

/* Returns 1 when layer `index` was consumed by the hardware (0: run it in software). The
 * hardware always runs to the end of the model, so later layers report 1 without work. */
static int accel_layer(void *ctx, const bt_model_t *m, uint32_t index, const bt_layer_t *l,
                       const void *in, uint32_t in_plane, void *out)
{
    run_ctx *rc = (run_ctx *)ctx;
    bt_accel_t *a = rc->accel;
    (void)in_plane;
    if (rc->failed || !a->present || index < a->first_hw) {
        a->layers_sw++;
        return 0;
    }
    if (index == a->first_hw) {
        /* scores of the whole suffix land in the buffer of the model's last layer */
        /* buffers alternate per layer: the last layer writes `out` when an even number
         * of layers follows, else the buffer holding `in` (a workspace buffer: offloaded
         * layers take binary input, never the u8 image). The input is uploaded before
         * any score is written back. */
        uint8_t *last_out = (uint8_t *)out;
        if ((m->n_layers - 1u - index) & 1u)
            last_out = (uint8_t *)(uintptr_t)in;
        if (hw_suffix(a, m, l, in, (int32_t *)(void *)last_out)) {
            rc->failed = 1;
            a->layers_sw++;
            return 0;
        }
        a->runs_hw++;
    }
    a->layers_hw++;
    return 1;
}

bt_status_t bt_run_accel(bt_accel_t *accel, const bt_model_t *model, const uint8_t *image,
                         void *workspace, size_t workspace_bytes, int32_t *scores,
                         uint32_t *label)
{
    if (!accel || !model)
        return BT_ERR_NULL;
    if (accel->present && accel->model != model) {
        bt_status_t st = bt_accel_program(accel, model);
        if (st != BT_OK)
            return st;
    }
    /* on a hardware failure accel_layer declines, and the software kernels run the rest
     * from the same input: the results stay exact */
    run_ctx rc = {accel, 0};
    return bt_run_internal(model, image, workspace, workspace_bytes, scores, label, 0, 0,
                           accel_layer, &rc);
}
