/*-------------------------------------------------------------------------
 *
 * text_embed.h
 *	  The tokenizer of the TF-IDF text embedding (text_embed.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CMAB_TEXT_EMBED_H
#define CMAB_TEXT_EMBED_H

extern char **cmab_tokenize_lowered(const char *s, size_t len, bool utf8,
									int *ntokens);

#endif							/* CMAB_TEXT_EMBED_H */
