/* Inference: input preparation, the ping-pong schedule, flattening, argmax. */
#include "bt_internal.h"

#if BT_K_BINARIZE
/* Bit 7 of each byte of the result: that byte of v is >= t (v, t4 = t in every byte).
 * x >= t  <=>  x + (256 - t) carries out of the byte: the majority of the two top bits and
 * the carry into bit 7, computed for four bytes at once without cross-byte carries. */
static inline uint32_t ge_bytes(uint32_t v, uint32_t c4)
{
    uint32_t low = (v & 0x7F7F7F7Fu) + (c4 & 0x7F7F7F7Fu);
    return ((v & c4) | ((v | c4) & low)) & 0x80808080u;
}

/* Pixel >= t -> bit 1 (+1). Pixels [0, n) go to `words` packed `c` channels per pixel
 * (ceil(c/32) words each); c == n packs one contiguous vector. */
static void binarize(const uint8_t *p, uint32_t n, uint32_t c, uint32_t t, uint32_t *words)
{
    uint32_t nw = bt_nwords(c), c4 = (256u - t) * 0x01010101u;
    for (uint32_t base = 0; base < n; base += c) {
        uint32_t left = c;
        for (uint32_t j = 0; j < nw; j++) {
            uint32_t word = 0, cnt = left < 32u ? left : 32u;
#if defined(__GNUC__) && defined(__ARM_FEATURE_DSP)
            if (cnt == 32u) {
                /* DSP cores: USUB8 sets GE[i] where byte i of v is >= t (no borrow); MRS
                 * reads the four flags (APSR bits 16-19) as the next 4 bits */
                uint32_t t4 = t * 0x01010101u;
                /* unrolled (5 instructions per 4 pixels; bt_run.c is built -Os) */
#pragma GCC unroll 8
                for (uint32_t b = 0; b < 32u; b += 4u) {
                    uint32_t ge;
                    __asm__("usub8 %0, %1, %2\n\tmrs %0, apsr"
                            : "=r"(ge)
                            : "r"(bt_ld32u(p + b)), "r"(t4)
                            : "cc");
                    word |= (ge >> 16 & 15u) << b;
                }
            } else
#endif
            if (cnt == 32u) {
                /* 8 pixels per step: flags at bits 7,15,23,31 of m0 and m1; shifted to
                 * 0,8,16,24 and 4,12,20,28 they gather into 8 adjacent bits with one
                 * multiply (all partial products land on distinct bits: no carries). */
                for (uint32_t b = 0; b < 32u; b += 8u) {
                    uint32_t m0 = ge_bytes(bt_ld32u(p + b), c4) >> 7;
                    uint32_t m1 = ge_bytes(bt_ld32u(p + b + 4u), c4) >> 3;
                    word |= (((m0 | m1) * 0x00204081u) >> 21 & 0xFFu) << b;
                }
            } else {
                for (uint32_t b = 0; b < cnt; b++)
                    word |= (uint32_t)(p[b] >= t) << b;
            }
            p += cnt;
            left -= cnt;
            *words++ = word;
        }
    }
}

#endif

#if BT_K_FLATTEN
/* In-place flatten of a packed per-pixel tensor (px pixels of c channels, c % 32 != 0) to
 * one contiguous vector. Bit q = p*c + ch moves down from p*32*nw + ch >= q, so a forward
 * pass that sets one bit at a time never clobbers a bit it has yet to read. */
static void repack(uint32_t *w, uint32_t px, uint32_t c)
{
    uint32_t nw = bt_nwords(c), q = 0;
    for (uint32_t p = 0; p < px; p++)
        for (uint32_t ch = 0; ch < c; ch++, q++) {
            uint32_t r = p * 32u * nw + ch;
            uint32_t bit = (w[r >> 5] >> (r & 31u)) & 1u;
            w[q >> 5] = (w[q >> 5] & ~(1u << (q & 31u))) | (bit << (q & 31u));
        }
    uint32_t total = px * nw;
    if (q & 31u)
        w[q >> 5] &= (1u << (q & 31u)) - 1u;
    for (uint32_t j = bt_nwords(q); j < total; j++)
        w[j] = 0;
}

#endif

int32_t bt_act_value(const bt_model_t *model, uint32_t index, const void *act, uint32_t i)
{
    bt_layer_t l;
    if (!model || !act || index >= model->n_layers)
        return 0;
    bt_layer_decode(model, index, &l);
    if (i >= l.out_h * l.out_w * l.out_c)
        return 0;
    uint32_t c = l.out_c, px = i / c, ch = i % c, nw = bt_nwords(c);
    const uint32_t *w = (const uint32_t *)act;
    uint32_t wi = px * nw + (ch >> 5), sh = ch & 31u;
    switch (l.out_enc) {
    case BT_ENC_BINARY:
        return ((w[wi] >> sh) & 1u) ? 1 : -1;
    case BT_ENC_TERNARY: {
        uint32_t plane = l.out_h * l.out_w * nw;
        if (!((w[wi] >> sh) & 1u))
            return 0;
        return ((w[plane + wi] >> sh) & 1u) ? -1 : 1;
    }
    case BT_ENC_UINT:
        return ((const uint8_t *)act)[i];
    default:
        return ((const int32_t *)act)[i];
    }
}

bt_status_t bt_run_begin(const bt_model_t *model, const uint8_t *image, void *workspace,
                         size_t workspace_bytes, bt_cursor_t *cur)
{
    if (!model || !image || !workspace || !model->data || !cur)
        return BT_ERR_NULL;
    if (model->n_layers == 0)
        return BT_ERR_ARG;
    if (((uintptr_t)workspace & 3u) || workspace_bytes < bt_workspace_bytes(model))
        return BT_ERR_WORKSPACE;
    uint8_t **buf = cur->buf;
    buf[0] = (uint8_t *)workspace;
    buf[1] = buf[0] + ((model->buf_bytes[0] + 3u) & ~3u);

    const uint8_t *in = image + model->crop_lo;
    uint32_t feats = model->in_h * model->in_w * model->in_c - model->crop_lo - model->crop_hi;
    int cropped = model->crop_lo || model->crop_hi;
    uint32_t h = cropped ? 1u : model->in_h, w = cropped ? 1u : model->in_w;
    uint32_t c = cropped ? feats : model->in_c;
    bt_layer_t l;
    bt_layer_decode(model, 0, &l);
    uint32_t enc = BT_ENC_U8, plane = 0;
#if BT_K_BINARIZE
    if (model->input_threshold) {
        /* a dense first layer takes one contiguous vector */
        uint32_t cc = l.kind == BT_KIND_DENSE ? feats : c;
        binarize(in, feats, cc, model->input_threshold, (uint32_t *)(void *)buf[0]);
        in = buf[0];
        enc = BT_ENC_BINARY;
        h = w = 1;
        if (l.kind != BT_KIND_DENSE) {
            h = model->in_h;
            w = model->in_w;
        }
        c = cc;
        plane = h * w * bt_nwords(c);
    }
#endif
    cur->in = in;
    cur->enc = enc;
    cur->h = h;
    cur->w = w;
    cur->c = c;
    cur->plane = plane;
    cur->next = 0;
    return BT_OK;
}

const void *bt_run_input(bt_cursor_t *cur, const bt_layer_t *l)
{
#if BT_K_FLATTEN
    uint32_t enc = cur->enc, h = cur->h, w = cur->w, c = cur->c;
    if (bt_needs_flatten(l, enc, h, w, c)) {
        uint32_t *words = (uint32_t *)(void *)cur->buf[cur->next & 1u];
        repack(words, h * w, c);
        if (enc == BT_ENC_TERNARY)
            repack(words + cur->plane, h * w, c);
    }
#else
    (void)l;
#endif
    return cur->in;
}

void bt_run_advance(bt_cursor_t *cur, uint32_t index, const bt_layer_t *l)
{
    cur->in = (const uint8_t *)bt_run_out(cur, index);
    cur->enc = l->out_enc;
    cur->h = l->out_h;
    cur->w = l->out_w;
    cur->c = l->out_c;
    cur->plane = l->out_h * l->out_w * bt_nwords(l->out_c);
    cur->next = index + 1u;
}

void bt_run_step(const bt_model_t *model, bt_cursor_t *cur, const bt_kernel_t *kern,
                 bt_trace_fn trace, void *trace_ctx)
{
    uint32_t i = cur->next;
    bt_layer_t l;
    bt_layer_decode(model, i, &l);
    const void *in = bt_run_input(cur, &l);
    void *out = bt_run_out(cur, i);
    bt_layer_run(model, &l, kern, in, cur->plane, out);
    if (trace)
        trace(trace_ctx, i, out);
    bt_run_advance(cur, i, &l);
}

/* First index of the maximum (ties go to the lowest index, as the golden model). */
static uint32_t argmax(const int32_t *s, uint32_t n)
{
    uint32_t best = 0;
    for (uint32_t j = 1; j < n; j++)
        if (s[j] > s[best])
            best = j;
    return best;
}

#if BT_K_HEAD
/* The same through the per-class head: int64 logits, never overflowing (checked at load). */
static uint32_t head_argmax(const bt_model_t *model, const int32_t *s)
{
    uint32_t best = 0;
    int64_t top = bt_head_logit(model, 0, s[0]);
    for (uint32_t j = 1; j < model->n_classes; j++) {
        int64_t z = bt_head_logit(model, j, s[j]);
        if (z > top) {
            top = z;
            best = j;
        }
    }
    return best;
}
#endif

void bt_run_finish(const bt_model_t *model, const bt_cursor_t *cur, int32_t *scores,
                   uint32_t *label)
{
    const int32_t *s = (const int32_t *)(const void *)cur->in;
    if (scores)
        for (uint32_t j = 0; j < model->n_scores; j++)
            scores[j] = s[j];
    if (label)
#if BT_K_HEAD
        *label = model->head_offset ? head_argmax(model, s) : argmax(s, model->n_scores);
#else
        *label = argmax(s, model->n_scores); /* the loader refused a model with a head */
#endif
}

bt_status_t bt_run_internal(const bt_model_t *model, const uint8_t *image, void *workspace,
                            size_t workspace_bytes, int32_t *scores, uint32_t *label,
                            bt_trace_fn trace, void *trace_ctx)
{
    bt_cursor_t cur;
    bt_status_t st = bt_run_begin(model, image, workspace, workspace_bytes, &cur);
    if (st != BT_OK)
        return st;
    while (cur.next < model->n_layers)
        bt_run_step(model, &cur, 0, trace, trace_ctx);
    bt_run_finish(model, &cur, scores, label);
    return BT_OK;
}

bt_status_t bt_run(const bt_model_t *model, const uint8_t *image, void *workspace,
                   size_t workspace_bytes, int32_t *scores, uint32_t *label)
{
    return bt_run_internal(model, image, workspace, workspace_bytes, scores, label, 0, 0);
}

bt_status_t bt_run_image(const bt_model_t *model, const uint8_t *image, size_t image_bytes,
                         void *workspace, size_t workspace_bytes, int32_t *scores,
                         uint32_t *label)
{
    if (!model)
        return BT_ERR_NULL;
    /* the loader bounded in_h*in_w*in_c by BT_MAX_INPUT_FEATURES: no wrap */
    if (image_bytes != (size_t)model->in_h * model->in_w * model->in_c)
        return BT_ERR_ARG;
    return bt_run_internal(model, image, workspace, workspace_bytes, scores, label, 0, 0);
}

bt_status_t bt_run_traced(const bt_model_t *model, const uint8_t *image, void *workspace,
                          size_t workspace_bytes, int32_t *scores, uint32_t *label,
                          bt_trace_fn trace, void *trace_ctx)
{
    return bt_run_internal(model, image, workspace, workspace_bytes, scores, label, trace,
                           trace_ctx);
}
