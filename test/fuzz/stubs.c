/*
 * Just enough of the server for the fuzz harnesses: palloc and friends on
 * malloc (freed after every input), and ereport(ERROR) as a longjmp back to
 * the harness.  Anything else the linked cmab files reference is left
 * unresolved; the harnesses never reach it.
 */
#include "postgres.h"

#include <setjmp.h>

#include "utils/memutils.h"

#include "stubs.h"

sigjmp_buf *fuzz_error_jmp = NULL;
static void **allocs = NULL;
static size_t nallocs = 0,
			capallocs = 0;
static int	error_level = 0;

static void *
remember(void *p)
{
	if (p == NULL)
		abort();
	if (nallocs == capallocs)
	{
		capallocs = capallocs ? 2 * capallocs : 1024;
		allocs = realloc(allocs, capallocs * sizeof(void *));
	}
	allocs[nallocs++] = p;
	return p;
}

void
fuzz_free_all(void)
{
	for (size_t i = 0; i < nallocs; i++)
		free(allocs[i]);
	nallocs = 0;
}

void *
palloc(Size size)
{
	if (!AllocSizeIsValid(size))
		abort();
	return remember(malloc(size ? size : 1));
}

void *
palloc0(Size size)
{
	void	   *p = palloc(size);

	memset(p, 0, size);
	return p;
}

void *
palloc_extended(Size size, int flags)
{
	void	   *p = remember(malloc(size ? size : 1));

	if (flags & MCXT_ALLOC_ZERO)
		memset(p, 0, size);
	return p;
}

void *
repalloc_huge(void *pointer, Size size)
{
	void	   *p = realloc(pointer, size);

	for (size_t i = 0; i < nallocs; i++)
		if (allocs[i] == pointer)
			allocs[i] = p;
	return p;
}

void
pfree(void *pointer)
{
	/* freed with everything else after the input */
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out = palloc(len + 1);

	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

bool
errstart(int elevel, const char *domain)
{
	error_level = elevel;
	return elevel >= ERROR;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (error_level >= ERROR)
	{
		if (fuzz_error_jmp == NULL)
			abort();
		siglongjmp(*fuzz_error_jmp, 1);
	}
}

int
errcode(int sqlerrcode)
{
	return 0;
}

int
errmsg(const char *fmt,...)
{
	return 0;
}

int
errdetail(const char *fmt,...)
{
	return 0;
}

int
errhint(const char *fmt,...)
{
	return 0;
}
