/*
 * libFuzzer harness for the text tokenizer (src/text_embed.c): any bytes,
 * read as UTF-8 or as a single-byte encoding, give tokens that lie inside
 * the input, in order, each of two or more characters; never a crash.
 *
 *	make fuzz FUZZ_SECONDS=600
 */
#include "postgres.h"

#include "stubs.h"
#include "text_embed.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sigjmp_buf	jb;
	char	   *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	size = strlen(s);			/* the server hands over C strings */
	for (int utf8 = 0; utf8 <= 1; utf8++)
	{
		if (sigsetjmp(jb, 0) == 0)
		{
			int			n;
			char	  **toks;
			const char *from = s;

			fuzz_error_jmp = &jb;
			toks = cmab_tokenize_lowered(s, size, utf8, &n);
			for (int i = 0; i < n; i++)
			{
				const char *at = strstr(from, toks[i]);

				if (strlen(toks[i]) < 2 || at == NULL)
					abort();
				from = at + strlen(toks[i]);
			}
		}
		fuzz_error_jmp = NULL;
		fuzz_free_all();
	}
	free(s);
	return 0;
}
