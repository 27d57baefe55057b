/*
 * libFuzzer harness for the arm state decoder (src/arm_state.c): any bytes
 * either decode to a state that encodes and decodes again to the same
 * bytes, or are rejected with an error; never a crash, a read out of
 * bounds or a non-finite value.
 *
 *	make fuzz FUZZ_SECONDS=600
 */
#include "postgres.h"

#include <math.h>

#include "arm_state.h"
#include "linalg.h"
#include "stubs.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sigjmp_buf	jb;
	bytea	   *raw = malloc(VARHDRSZ + size);

	SET_VARSIZE(raw, VARHDRSZ + size);
	memcpy(VARDATA(raw), data, size);
	if (sigsetjmp(jb, 0) == 0)
	{
		CmabState  *st;
		bytea	   *again;

		fuzz_error_jmp = &jb;
		st = cmab_state_decode(raw, false);
		again = cmab_state_encode(st, (st->hdr.flags & CMAB_FLAG_FACTOR) != 0);
		if (VARSIZE(again) != VARSIZE(raw) ||
			memcmp(VARDATA(again), VARDATA(raw), size) != 0)
			abort();			/* a decoded state must re-encode exactly */
		st = cmab_state_decode(raw, true);
		if (st->hdr.family == CMAB_FAMILY_LINEAR)
		{
			double		x[CMAB_MAX_DIM];
			double		work[2 * CMAB_MAX_DIM];
			double		mean = 0,
						q = 0;

			for (int i = 0; i < st->hdr.dim; i++)
				x[i] = 1.0 / (i + 1);
			cmab_linear_moments(st->L, st->b, x, st->hdr.dim, work, &mean, &q);
		}
	}
	fuzz_error_jmp = NULL;
	fuzz_free_all();
	free(raw);
	return 0;
}
