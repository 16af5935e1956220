/* Accelerator driver: transports, probe, and per-layer offload with software fallback.
 *
 * The register map comes from the generated header bittern_regs.h (rtl/regmap.py). Until a
 * build defines BT_HAVE_REGS (the header exists), the probe uses the defaults below and
 * no layer is offloaded: every layer runs on the software kernels, with the same results. */
#include "bt_internal.h"

#ifdef BT_HAVE_REGS
#include "bittern_regs.h"
#endif

#ifndef BT_ACCEL_REG_ID
#define BT_ACCEL_REG_ID 0x000u          /* ID register offset */
#endif
#ifndef BT_ACCEL_ID_VALUE
#define BT_ACCEL_ID_VALUE 0x4E525442u   /* "BTRN" */
#endif
#ifndef BT_ACCEL_REG_VERSION
#define BT_ACCEL_REG_VERSION 0x004u
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
}

/* ---- SPI frames: cmd, addr[4], data[4], little-endian ---- */
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t spi_read32(void *ctx, uint32_t addr)
{
    bt_spi_t *spi = (bt_spi_t *)ctx;
    uint8_t tx[9] = {0x01}, rx[9] = {0};
    put32(tx + 1, addr);
    spi->xfer(spi->bus, tx, rx, 9);
    return bt_rd32(rx + 5);
}

static void spi_write32(void *ctx, uint32_t addr, uint32_t value)
{
    bt_spi_t *spi = (bt_spi_t *)ctx;
    uint8_t tx[9] = {0x02}, rx[9];
    put32(tx + 1, addr);
    put32(tx + 5, value);
    spi->xfer(spi->bus, tx, rx, 9);
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

/* ---- probe and offload ---- */
bt_status_t bt_accel_probe(bt_accel_t *accel, const bt_transport_t *transport)
{
    if (!accel)
        return BT_ERR_NULL;
    accel->transport = transport;
    accel->present = 0;
    accel->id = accel->version = 0;
    accel->layers_hw = accel->layers_sw = 0;
    if (!transport || !transport->read32)
        return BT_ERR_NO_ACCEL;
    accel->id = transport->read32(transport->ctx, BT_ACCEL_REG_ID);
    if (accel->id != BT_ACCEL_ID_VALUE)
        return BT_ERR_NO_ACCEL;
    accel->version = transport->read32(transport->ctx, BT_ACCEL_REG_VERSION);
    accel->present = 1;
    return BT_OK;
}

int bt_accel_supports(const bt_accel_t *accel, const bt_model_t *model, uint32_t index)
{
    if (!accel || !accel->present || !model || index >= model->n_layers)
        return 0;
    /* TODO(regmap): offload once bittern_regs.h defines the layer interface. */
    return 0;
}

typedef int (*layer_hook)(void *ctx, const bt_model_t *m, uint32_t index, const bt_layer_t *l,
                          const void *in, uint32_t in_plane, void *out);
bt_status_t bt_run_internal(const bt_model_t *model, const uint8_t *image, void *workspace,
                            size_t workspace_bytes, int32_t *scores, uint32_t *label,
                            bt_trace_fn trace, void *trace_ctx, layer_hook hook, void *hook_ctx);

/* Returns 1 when the accelerator ran the layer, 0 to fall back to software. */
static int accel_layer(void *ctx, const bt_model_t *m, uint32_t index, const bt_layer_t *l,
                       const void *in, uint32_t in_plane, void *out)
{
    bt_accel_t *accel = (bt_accel_t *)ctx;
    (void)l;
    (void)in;
    (void)in_plane;
    (void)out;
    if (!bt_accel_supports(accel, m, index)) {
        accel->layers_sw++;
        return 0;
    }
    accel->layers_hw++;
    return 0;
}

bt_status_t bt_run_accel(bt_accel_t *accel, const bt_model_t *model, const uint8_t *image,
                         void *workspace, size_t workspace_bytes, int32_t *scores,
                         uint32_t *label)
{
    if (!accel)
        return BT_ERR_NULL;
    return bt_run_internal(model, image, workspace, workspace_bytes, scores, label, 0, 0,
                           accel_layer, accel);
}
