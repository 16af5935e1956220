/* Host test driver (built with AddressSanitizer + UBSan by bittern.runtime.build).
 *
 *   host_runner run MODEL IMAGES N [trace]   per image: "L label s0 s1 ..." and, with trace,
 *                                            "T layer v0 v1 ..." for every layer output
 *   host_runner run MODEL IMAGES N trace|notrace LAYER KERNEL
 *                                            the same with layer LAYER run by the named kernel
 *   host_runner kernels MODEL                per layer "K layer name ...": every kernel that
 *                                            supports it, the selected one first; "U unit"
 *                                            for the other code units it needs (bt_config.h)
 *   host_runner load-many FILE               FILE = records [u32 len][bytes]; per record the
 *                                            load status name (and, if OK, one inference on a
 *                                            zero image, "run <status>")
 * The model is copied into an exactly-sized heap block so any over-read trips ASan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bittern.h"
#include "bt_internal.h"

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1u);
    if (buf && len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return buf;
}

typedef struct {
    const bt_model_t *m;
} trace_ctx;

static void on_layer(void *ctx, uint32_t index, const void *act)
{
    const bt_model_t *m = ((trace_ctx *)ctx)->m;
    bt_layer_t l;
    bt_model_layer(m, index, &l);
    uint32_t n = l.out_h * l.out_w * l.out_c;
    printf("T %u", index);
    for (uint32_t i = 0; i < n; i++)
        printf(" %d", bt_act_value(m, index, act, i));
    printf("\n");
}

/* The model file in an exactly-sized aligned block, loaded into *m; NULL (and *rc: 2
 * unreadable, 1 after printing "E <status> <layer>") when that fails. */
static void *load_model(const char *path, bt_model_t *m, int *rc)
{
    size_t msize;
    unsigned char *raw = read_file(path, &msize);
    if (!raw) {
        *rc = 2;
        return NULL;
    }
    void *data = aligned_alloc(4, (msize + 3u) & ~(size_t)3u);
    memcpy(data, raw, msize);
    free(raw);
    bt_status_t st = bt_model_load(m, data, msize);
    if (st != BT_OK) {
        printf("E %s %d\n", bt_error_name(st), (int)m->bad_layer);
        free(data);
        *rc = 1;
        return NULL;
    }
    return data;
}

static int kernel_index(const char *name)
{
    for (uint32_t k = 0; k < bt_kernel_count; k++)
        if (!strcmp(bt_kernel_table[k].name, name))
            return (int)k;
    return -1;
}

static int cmd_run(const char *model_path, const char *img_path, long n_img, int trace,
                   long force_layer, const char *force_kernel)
{
    size_t isize;
    unsigned char *imgs = read_file(img_path, &isize);
    bt_model_t m;
    int rc = 0;
    void *data = imgs ? load_model(model_path, &m, &rc) : NULL;
    if (!data) {
        if (!imgs)
            fprintf(stderr, "cannot read inputs\n");
        free(imgs);
        return imgs ? rc : 2;
    }
    bt_status_t st = BT_OK;
    size_t feats = (size_t)m.in_h * m.in_w * m.in_c;
    if (isize < feats * (size_t)n_img) {
        fprintf(stderr, "image file too short\n");
        return 2;
    }
    uint32_t wsb = bt_workspace_bytes(&m);
    void *ws = aligned_alloc(4, wsb ? wsb : 4u);
    int32_t *scores = malloc(sizeof(int32_t) * m.n_scores);
    trace_ctx tc = {&m};
    for (long i = 0; i < n_img; i++) {
        /* each image in its own exact block, too */
        unsigned char *img = malloc(feats);
        memcpy(img, imgs + feats * (size_t)i, feats);
        uint32_t label;
        if (force_kernel) {
            int k = kernel_index(force_kernel);
            st = k < 0 ? BT_ERR_ARG
                       : bt_run_forced(&m, img, ws, wsb, scores, &label, trace ? on_layer : NULL,
                                       &tc, (uint32_t)force_layer, (uint32_t)k);
        } else {
            st = bt_run_traced(&m, img, ws, wsb, scores, &label, trace ? on_layer : NULL, &tc);
        }
        free(img);
        if (st != BT_OK) {
            printf("E %s\n", bt_error_name(st));
            break;
        }
        printf("L %u", label);
        for (uint32_t j = 0; j < m.n_scores; j++)
            printf(" %d", scores[j]);
        printf("\n");
    }
    if (st == BT_OK)
        printf("W %u\n", wsb);
    free(scores);
    free(ws);
    free(data);
    free(imgs);
    return st == BT_OK ? 0 : 1;
}

static int cmd_kernels(const char *model_path)
{
    bt_model_t m;
    int rc;
    void *data = load_model(model_path, &m, &rc);
    if (!data)
        return rc;
    if (m.input_threshold)
        printf("U binarize\n");
    if (m.head_offset)
        printf("U head\n");
    for (uint32_t i = 0; i < m.n_layers; i++) {
        bt_layer_t l, prev;
        bt_model_layer(&m, i, &l);
        if (i && bt_model_layer(&m, i - 1, &prev) == BT_OK &&
            bt_needs_flatten(&l, prev.out_enc, prev.out_h, prev.out_w, prev.out_c))
            printf("U flatten\n");
        printf("K %u %s", i, bt_kernel_select(&l)->name);
        for (uint32_t k = 0; k < bt_kernel_count; k++)
            if (bt_kernel_table[k].supports(&l) && &bt_kernel_table[k] != bt_kernel_select(&l))
                printf(" %s", bt_kernel_table[k].name);
        printf("\n");
    }
    free(data);
    return 0;
}

static int cmd_load_many(const char *path)
{
    size_t size;
    unsigned char *all = read_file(path, &size);
    if (!all)
        return 2;
    size_t off = 0;
    while (off + 4 <= size) {
        uint32_t len;
        memcpy(&len, all + off, 4);
        off += 4;
        if (off + len > size)
            return 2;
        void *data = aligned_alloc(4, (len + 3u) & ~3u ? (len + 3u) & ~3u : 4u);
        memcpy(data, all + off, len);
        off += len;
        bt_model_t m;
        bt_status_t st = bt_model_load(&m, data, len);
        printf("%s %d", bt_error_name(st), (int)m.bad_layer);
        if (st == BT_OK) {
            size_t feats = (size_t)m.in_h * m.in_w * m.in_c;
            unsigned char *img = calloc(feats, 1);
            uint32_t wsb = bt_workspace_bytes(&m);
            void *ws = aligned_alloc(4, wsb ? wsb : 4u);
            uint32_t label = 0;
            st = bt_run(&m, img, ws, wsb, NULL, &label);
            printf(" run %s %u", bt_error_name(st), label);
            free(ws);
            free(img);
        }
        printf("\n");
        free(data);
    }
    free(all);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 8 && !strcmp(argv[1], "run"))
        return cmd_run(argv[2], argv[3], atol(argv[4]), !strcmp(argv[5], "trace"),
                       atol(argv[6]), argv[7]);
    if (argc >= 5 && !strcmp(argv[1], "run"))
        return cmd_run(argv[2], argv[3], atol(argv[4]), argc > 5, -1, NULL);
    if (argc == 3 && !strcmp(argv[1], "kernels"))
        return cmd_kernels(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "load-many"))
        return cmd_load_many(argv[2]);
    fprintf(stderr, "usage: host_runner run MODEL IMAGES N [trace|notrace [LAYER KERNEL]] | kernels MODEL | load-many FILE\n");
    return 2;
}
