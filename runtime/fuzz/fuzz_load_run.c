/* libFuzzer target over the public API: bt_model_load, then bt_run / bt_run_image /
 * bt_run_traced on exactly sized heap blocks, and bt_run_accel against a bus model that checks
 * every address the driver touches. Built with ASan + UBSan (runtime/Makefile `fuzz`), so any
 * over-read, overwrite or undefined operation is a finding; a disagreement between the
 * software and the accelerator path where both must be exact is one too (abort).
 *
 * Input format (also bittern.runtime.fuzz.decode_input, which the differential uses):
 *   byte 0    control: bit 0 fix file_bytes and CRC-32 before loading (so mutations reach the
 *             layer checks), bit 1 an accelerator answers the probe, bits 2-3 its STATUS after
 *             START (0 done, 1 error, 2 busy forever, 3 done, over the SPI transport, and
 *             also run traced and twice),
 *             bits 4-5 log2 rows, bits 6-7 log2 cols
 * A loaded model runs the zero image (the differential's label) through bt_run and
 * bt_run_image, then a pattern image through bt_run_accel (and bt_run_traced with mode 3).
 *   byte 1..  the model file
 * Set BT_FUZZ_PRINT=1 to print "<crc32 of the input> <status> <label>" per input (label -1
 * unless loaded; the label is the zero image's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bittern.h"
#include "bittern_regs.h"

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz_load_run: check failed: %s (line %d)\n", #cond, __LINE__); \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* ---- bus model -------------------------------------------------------------------------- */
typedef struct {
    uint32_t present, status_mode, rows, cols;
    uint32_t w_depth, a_depth, t_depth, s_depth; /* what the device reports */
    uint32_t started;
    uint32_t model_tag; /* RW: the driver's identity of the programmed model */
} bus_t;

/* Inside a window and below the extent the reported depth gives it (word index < limit). */
static int in_window(uint32_t addr, uint32_t base, uint32_t size, uint32_t limit_words)
{
    return addr >= base && addr < base + size && (addr - base) / 4u < limit_words;
}

static int desc_reg(uint32_t addr)
{
    if (addr < BT_ACC_DESC_BASE || addr >= BT_ACC_DESC(BT_ACC_MAX_LAYERS, 0))
        return 0;
    return 1; /* any word of a descriptor (the driver writes all of them in one burst) */
}

static uint32_t bus_read(void *ctx, uint32_t addr)
{
    bus_t *b = (bus_t *)ctx;
    CHECK(addr % 4u == 0 && addr < (1u << BT_ACC_ADDR_BITS));
    switch (addr) {
    case BT_ACC_ID: return b->present ? BT_ACC_ID_VALUE : 0xFFFFFFFFu;
    case BT_ACC_VERSION: return BT_ACC_MAP_VERSION;
    case BT_ACC_CONFIG:
        return (b->rows << BT_ACC_CONFIG_ROWS_SHIFT) | (b->cols << BT_ACC_CONFIG_COLS_SHIFT) |
               (1u << BT_ACC_CONFIG_LANES_SHIFT);
    case BT_ACC_WBUF_DEPTH: return b->w_depth;
    case BT_ACC_ABUF_DEPTH: return b->a_depth;
    case BT_ACC_TBUF_DEPTH: return b->t_depth;
    case BT_ACC_SBUF_DEPTH: return b->s_depth;
    case BT_ACC_STATUS:
        if (!b->started)
            return 0;
        switch (b->status_mode) {
        case 1: return BT_ACC_STATUS_ERROR_MASK | (BT_ACC_CAUSE_BAD_SHAPE << BT_ACC_STATUS_CAUSE_SHIFT);
        case 2: return BT_ACC_STATUS_BUSY_MASK;
        default: return BT_ACC_STATUS_DONE_MASK;
        }
    case BT_ACC_MODEL_TAG: return b->model_tag;
    case BT_ACC_FEATURES: return 0;     /* a binary-only build: no optional layer kinds */
    case BT_ACC_IBUF_DEPTH: return 0;
    case BT_ACC_N_LAYERS: case BT_ACC_PERF_CYCLES: case BT_ACC_PERF_ACTIVE: case BT_ACC_PERF_TILES:
        return 0;
    default:
        break;
    }
    /* scores: the driver reads the last layer's rows only */
    CHECK(in_window(addr, BT_ACC_SBUF_BASE, BT_ACC_SBUF_SIZE, b->s_depth * b->rows));
    return 0;
}

static void bus_write(void *ctx, uint32_t addr, uint32_t value)
{
    bus_t *b = (bus_t *)ctx;
    CHECK(addr % 4u == 0 && addr < (1u << BT_ACC_ADDR_BITS));
    if (addr == BT_ACC_CTRL) {
        if (value & BT_ACC_CTRL_START_MASK)
            b->started = 1;
        if (value & BT_ACC_CTRL_CLEAR_MASK)
            b->started = 0;
        return;
    }
    if (addr == BT_ACC_MODEL_TAG) {
        b->model_tag = value;
        return;
    }
    if (addr == BT_ACC_N_LAYERS) {
        CHECK(value >= 1 && value <= BT_ACC_MAX_LAYERS);
        return;
    }
    if (desc_reg(addr))
        return;
    CHECK(in_window(addr, BT_ACC_WBUF_BASE, BT_ACC_WBUF_SIZE, b->w_depth * b->rows) ||
          in_window(addr, BT_ACC_ABUF_BASE, BT_ACC_ABUF_SIZE, b->a_depth * b->cols) ||
          in_window(addr, BT_ACC_TBUF_BASE, BT_ACC_TBUF_SIZE, 2u * b->t_depth * b->rows));
}

static void bus_setup(bus_t *b, uint8_t ctrl)
{
    memset(b, 0, sizeof *b);
    b->present = (ctrl >> 1) & 1u;
    b->status_mode = (ctrl >> 2) & 3u;
    b->rows = 1u << ((ctrl >> 4) & 3u);
    b->cols = 1u << ((ctrl >> 6) & 3u);
    /* depths that exactly fill the windows (the units bt_accel.c plans in) */
    b->w_depth = BT_ACC_WBUF_SIZE / 4u / b->rows;
    b->a_depth = BT_ACC_ABUF_SIZE / 4u / b->cols;
    b->t_depth = BT_ACC_TBUF_SIZE / 8u / b->rows;
    b->s_depth = BT_ACC_SBUF_SIZE / 4u / b->rows;
}

/* SPI frames of bt_transport_spi decoded onto the same bus model (mode 3): 0x02 A2 A1 A0 then
 * data words, or 0x03 A2 A1 A0 <dummy> then data words, to consecutive addresses. */
static void spi_xfer(void *ctx, const uint8_t *tx, uint8_t *rx, uint32_t n)
{
    uint32_t addr = ((uint32_t)tx[1] << 16) | ((uint32_t)tx[2] << 8) | tx[3];
    memset(rx, 0, n);
    if (tx[0] == 0x02) {
        CHECK(n >= 8 && (n - 4) % 4 == 0);
        for (uint32_t i = 4; i < n; i += 4, addr += 4)
            bus_write(ctx, addr, ((uint32_t)tx[i] << 24) | ((uint32_t)tx[i + 1] << 16) |
                                     ((uint32_t)tx[i + 2] << 8) | tx[i + 3]);
    } else {
        CHECK(tx[0] == 0x03 && n >= 9 && (n - 5) % 4 == 0);
        for (uint32_t i = 5; i < n; i += 4, addr += 4) {
            uint32_t v = bus_read(ctx, addr);
            for (int j = 0; j < 4; j++)
                rx[i + j] = (uint8_t)(v >> (24 - 8 * j));
        }
    }
}

/* The public API's argument checks (NULLs, misalignment, unknown codes), once per input. */
static void misuse(const uint8_t *file, size_t n)
{
    bt_model_t m;
    uint32_t ws[1], label;
    CHECK(bt_model_load(NULL, file, n) == BT_ERR_NULL);
    CHECK(bt_model_load(&m, NULL, n) == BT_ERR_NULL);
    CHECK(strcmp(bt_error_name((bt_status_t)999), "BT_ERR_UNKNOWN") == 0);
    CHECK(bt_workspace_bytes(NULL) == 0);
    CHECK(bt_model_layer(NULL, 0, NULL) == BT_ERR_NULL);
    CHECK(bt_run(NULL, file, ws, sizeof ws, NULL, &label) == BT_ERR_NULL);
    CHECK(bt_run_image(NULL, file, n, ws, sizeof ws, NULL, &label) == BT_ERR_NULL);
    CHECK(bt_act_value(NULL, 0, ws, 0) == 0);
    bt_accel_t a;
    bt_transport_t t;
    static uint32_t regs[(1u << BT_ACC_ADDR_BITS) / 4u]; /* a device that reads all zeros */
    static uintptr_t base;
    base = (uintptr_t)regs;
    bt_transport_mmio(NULL, &base);
    bt_transport_spi(NULL, NULL);
    bt_transport_mmio(&t, &base);
    CHECK(bt_accel_probe(&a, &t) == BT_ERR_NO_ACCEL);
    CHECK(bt_accel_probe(NULL, &t) == BT_ERR_NULL);
    CHECK(bt_accel_probe(&a, NULL) == BT_ERR_NO_ACCEL);
    CHECK(bt_accel_program(NULL, NULL) == BT_ERR_NULL);
    CHECK(bt_run_accel(NULL, NULL, file, ws, sizeof ws, NULL, &label) == BT_ERR_NULL);
    if (n >= 4) {
        uint8_t *odd = malloc(n + 1); /* misaligned by one byte */
        CHECK(odd);
        memcpy(odd + 1, file, n);
        CHECK(bt_model_load(&m, odd + 1, n) == BT_ERR_ALIGN);
        free(odd);
    }
}

/* ---- the target ------------------------------------------------------------------------- */
/* zlib's CRC-32 with a table (the loader's own is bitwise: this one keeps the harness fast) */
static uint32_t crc32_bytes(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
            table[i] = c;
        }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        crc = (crc >> 8) ^ table[(crc ^ p[i]) & 0xFFu];
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint32_t trace_sum;

static void on_layer(void *ctx, uint32_t index, const void *act)
{
    const bt_model_t *m = (const bt_model_t *)ctx;
    bt_layer_t l;
    CHECK(bt_model_layer(m, index, &l) == BT_OK);
    uint32_t n = l.out_h * l.out_w * l.out_c;
    for (uint32_t i = 0; i <= n; i++) /* one past the end: must give 0, not read */
        trace_sum += (uint32_t)bt_act_value(m, index, act, i);
}

/* The zero image through bt_run and bt_run_image (same results; a wrong length or a short
 * workspace refused), then a pattern image through bt_run_accel, compared with bt_run wherever
 * the driver must be exact, and with mode 3 through bt_run_traced and a second accel run.
 * Returns the zero image's label. */
static uint32_t run_all(const bt_model_t *m, uint8_t *img, size_t feats, uint8_t ctrl)
{
    uint32_t wsb = bt_workspace_bytes(m), mode = (ctrl >> 2) & 3u;
    void *ws = malloc(wsb ? wsb : 1u);
    int32_t *s0 = malloc(sizeof(int32_t) * m->n_scores), *s1 = malloc(sizeof(int32_t) * m->n_scores);
    uint32_t label = 0, zero_label = 0, l1 = 0;
    CHECK(ws && s0 && s1);
    CHECK(bt_run(m, img, ws, wsb, s0, &zero_label) == BT_OK);
    CHECK(bt_run_image(m, img, feats, ws, wsb, s1, &l1) == BT_OK);
    CHECK(l1 == zero_label && !memcmp(s0, s1, sizeof(int32_t) * m->n_scores));
    CHECK(bt_run_image(m, img, feats - 1u, ws, wsb, s1, &l1) == BT_ERR_ARG);
    if (wsb)
        CHECK(bt_run(m, img, ws, wsb - 1u, s1, &l1) == BT_ERR_WORKSPACE);

    for (size_t i = 0; i < feats; i++)
        img[i] = (uint8_t)(i * 131u + 7u);
    CHECK(bt_run(m, img, ws, wsb, s0, &label) == BT_OK);
    if (mode == 3) {
        CHECK(bt_run_traced(m, img, ws, wsb, s1, &l1, on_layer, (void *)m) == BT_OK);
        CHECK(l1 == label && !memcmp(s0, s1, sizeof(int32_t) * m->n_scores));
    }
    bus_t bus;
    bus_setup(&bus, ctrl);
    bt_transport_t t;
    memset(&t, 0, sizeof t); /* no burst hooks: word by word */
    t.ctx = &bus;
    t.read32 = bus_read;
    t.write32 = bus_write;
    bt_spi_t spi = {spi_xfer, &bus};
    if (mode == 3)
        bt_transport_spi(&t, &spi);
    bt_accel_t accel;
    CHECK(bt_accel_probe(&accel, &t) == (bus.present ? BT_OK : BT_ERR_NO_ACCEL));
    accel.poll_limit = 3;
    if (mode == 3)
        for (uint32_t i = 0; i <= m->n_layers; i++)
            (void)bt_accel_supports(&accel, m, i);
    for (uint32_t rep = 0; rep < (mode == 3 ? 2u : 1u); rep++) { /* again: already programmed */
        bus.started = 0;
        CHECK(bt_run_accel(&accel, m, img, ws, wsb, s1, &l1) == BT_OK);
        /* exact unless the (scoreless) bus model really ran layers */
        if (mode == 1 || mode == 2 || accel.runs_hw == 0)
            CHECK(l1 == label && !memcmp(s0, s1, sizeof(int32_t) * m->n_scores));
    }
    free(s1);
    free(s0);
    free(ws);
    return zero_label;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctrl = data[0];
    size_t n = size - 1;
    uint8_t *file = malloc(n ? n : 1u); /* exactly sized: an over-read trips ASan */
    CHECK(file);
    memcpy(file, data + 1, n);
    if ((ctrl & 1u) && n >= 64) {
        put32(file + 20, (uint32_t)n);
        put32(file + 24, crc32_bytes(file + 64, n - 64));
    }
    misuse(file, n);
    bt_model_t m;
    bt_status_t st = bt_model_load(&m, file, n);
    CHECK(bt_error_name(st) != NULL);
    long label = -1;
    if (st == BT_OK) {
        bt_layer_t l;
        CHECK(bt_model_layer(&m, m.n_layers, &l) == BT_ERR_ARG);
        size_t feats = (size_t)m.in_h * m.in_w * m.in_c;
        uint8_t *img = calloc(feats, 1); /* exactly sized, zero first */
        CHECK(img);
        label = (long)run_all(&m, img, feats, ctrl);
        free(img);
    } else {
        CHECK(m.bad_layer == 0xFFFFFFFFu || m.bad_layer < BT_MAX_LAYERS);
    }
    static int print = -1;
    if (print < 0)
        print = getenv("BT_FUZZ_PRINT") != NULL;
    if (print)
        printf("%08x %s %ld\n", crc32_bytes(data, size), bt_error_name(st), label);
    free(file);
    return 0;
}
