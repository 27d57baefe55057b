/* The fuzz harnesses' stand-ins for the server (stubs.c). */
#ifndef CMAB_FUZZ_STUBS_H
#define CMAB_FUZZ_STUBS_H

#include <setjmp.h>

extern sigjmp_buf *fuzz_error_jmp;
extern void fuzz_free_all(void);

#endif
