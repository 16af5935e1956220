/* Test firmware: run the embedded model on the embedded images, print one label per image,
 * then instruction-count ticks (SysTick), workspace and stack use. Output lines:
 *   L <label> <scores>   per image
 *   C <ticks>            SysTick ticks of a 100000-instruction calibration loop
 *   T <systick ticks>    total over all images, SysTick on the processor clock
 *   W <workspace bytes> S <stack bytes>
 *   E <status code>      on a load/run error (exit code 1); the host names it. Printing the
 *                        number keeps bt_error_name's strings (~420 B) out of the image, as
 *                        an application that does not print names would. */
#include <stdint.h>
#include "bittern.h"

extern const uint8_t bt_fw_model[];
extern const uint32_t bt_fw_model_bytes;
extern const uint8_t bt_fw_images[];
extern const uint32_t bt_fw_n_images;
extern const uint32_t bt_fw_image_bytes;
void bt_sh_puts(const char *s);
uint32_t bt_stack_used(void);

#ifndef BT_FW_MAX_SCORES
#define BT_FW_MAX_SCORES 16
#endif
static int32_t scores[BT_FW_MAX_SCORES];

#ifndef BT_FW_WORKSPACE
#define BT_FW_WORKSPACE 4096
#endif
static uint32_t workspace[BT_FW_WORKSPACE / 4];

#define CALIB 50000u /* loop iterations */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

static void put_u32(char tag, uint32_t v)
{
    char s[16];
    int i = 15;
    s[i] = 0;
    s[--i] = '\n';
    do {
        s[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    s[--i] = ' ';
    s[--i] = tag;
    bt_sh_puts(s + i);
}

/* "L label s0 s1 ...\n" in one semihosting call per image */
static void put_scores(uint32_t label, const int32_t *s, uint32_t n)
{
    static char line[12 * (BT_FW_MAX_SCORES + 1) + 4];
    char *p = line;
    *p++ = 'L';
    for (uint32_t j = 0; j <= n; j++) {
        int32_t v = j == 0 ? (int32_t)label : s[j - 1];
        uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
        char tmp[11];
        int k = 0;
        do {
            tmp[k++] = (char)('0' + u % 10u);
            u /= 10u;
        } while (u);
        *p++ = ' ';
        if (v < 0)
            *p++ = '-';
        while (k)
            *p++ = tmp[--k];
    }
    *p++ = '\n';
    *p = 0;
    bt_sh_puts(line);
}

int main(void)
{
    bt_model_t model;
    bt_status_t st = bt_model_load(&model, bt_fw_model, bt_fw_model_bytes);
    if (st == BT_OK && bt_workspace_bytes(&model) > sizeof workspace)
        st = BT_ERR_WORKSPACE;
    if (st == BT_OK && model.n_scores > BT_FW_MAX_SCORES)
        st = BT_ERR_ARG;
    if (st != BT_OK) {
        put_u32('E', (uint32_t)st);
        return 1;
    }
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5u; /* enable, processor clock */
    /* calibration: a loop of exactly 2 * CALIB instructions, to convert ticks to instructions */
    uint32_t n = CALIB, c0 = SYST_CVR;
    __asm volatile(".syntax unified\n1: subs %0, %0, #1\n\tbne 1b" : "+l"(n) : : "cc");
    uint32_t c1 = SYST_CVR;
    put_u32('C', (c0 - c1) & 0xFFFFFFu);
    uint32_t ticks = 0;
    for (uint32_t n = 0; n < bt_fw_n_images; n++) {
        uint32_t label = 0;
        uint32_t t0 = SYST_CVR;
        st = bt_run(&model, bt_fw_images + n * bt_fw_image_bytes, workspace, sizeof workspace,
                    scores, &label);
        uint32_t t1 = SYST_CVR;
        ticks += (t0 - t1) & 0xFFFFFFu; /* counts down */
        if (st != BT_OK) {
            put_u32('E', (uint32_t)st);
            return 1;
        }
        put_scores(label, scores, model.n_scores);
    }
    put_u32('T', ticks);
    put_u32('W', bt_workspace_bytes(&model));
    put_u32('S', bt_stack_used());
    return 0;
}
