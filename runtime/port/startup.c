/* Minimal Cortex-M startup for the QEMU test firmware: vector table, .data/.bss setup, stack
 * painting (so the firmware can report its stack high-water mark), main(), semihosting exit. */
#include <stdint.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void bt_sh_exit(int code);

#define STACK_PAINT 0xA5A5A5A5u

void Reset_Handler(void);
void Default_Handler(void);

void Default_Handler(void)
{
    bt_sh_exit(3);  /* a fault: report failure instead of hanging */
    for (;;) {
    }
}

/* Words, not function pointers: the initial stack pointer is data (ISO C forbids mixing). */
__attribute__((section(".isr_vector"), used))
const uintptr_t bt_vectors[16] = {
    (uintptr_t)&_estack, (uintptr_t)Reset_Handler, (uintptr_t)Default_Handler,
    (uintptr_t)Default_Handler, (uintptr_t)Default_Handler, (uintptr_t)Default_Handler,
    (uintptr_t)Default_Handler, 0, 0, 0, 0, (uintptr_t)Default_Handler,
    (uintptr_t)Default_Handler, 0, (uintptr_t)Default_Handler, (uintptr_t)Default_Handler,
};

void Reset_Handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;
    while (dst < &_edata)
        *dst++ = *src++;
    for (dst = &_sbss; dst < &_ebss; dst++)
        *dst = 0;
    /* paint the free RAM between .bss and (a little below) the current stack pointer */
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (dst = &_ebss; (uint32_t)dst < sp - 64u; dst++)
        *dst = STACK_PAINT;
    bt_sh_exit(main());
}

/* Bytes of stack ever used: painted words overwritten below _estack. */
uint32_t bt_stack_used(void)
{
    uint32_t *p = &_ebss;
    while (p < &_estack && *p == STACK_PAINT)
        p++;
    return (uint32_t)((uintptr_t)&_estack - (uintptr_t)p);
}
