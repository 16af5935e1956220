/* ARM semihosting (bkpt 0xAB): console output and exit under qemu-system-arm. */
#include <stdint.h>
#include <stddef.h>

static int sh_call(int op, void *arg)
{
    register int r0 __asm("r0") = op;
    register void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void bt_sh_puts(const char *s)
{
    sh_call(0x04, (void *)s); /* SYS_WRITE0 */
}

void bt_sh_exit(int code)
{
    /* SYS_EXIT with ADP_Stopped_ApplicationExit: QEMU exits 0; anything else exits 1 */
    sh_call(0x18, (void *)(uintptr_t)(code == 0 ? 0x20026u : 0x20024u));
    for (;;) {
    }
}

/* The compiler may emit calls to these; there is no C library in the firmware. */
void *memset(void *d, int c, size_t n)
{
    uint8_t *p = (uint8_t *)d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = (uint8_t *)d;
    const uint8_t *q = (const uint8_t *)s;
    while (n--)
        *p++ = *q++;
    return d;
}
