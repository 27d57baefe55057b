/*-------------------------------------------------------------------------
 *
 * text_embed.c
 *	  A small text embedding: TF-IDF followed by a truncated SVD (LAPACK).
 *
 *	  cmab_tokenize(doc)					-> text[]
 *	  cmab_text_model_fit(docs, n_components)	-> (terms, idf, components)
 *	  cmab_text_embed(doc, terms, idf, components) -> float8[]
 *
 * As scikit-learn's TfidfVectorizer with its defaults: lower-case, tokens
 * are runs of two or more word characters (letters, digits, underscore, and
 * non-ASCII characters other than punctuation and symbols), idf = ln((1 + n) / (1 + df)) + 1,
 * raw term counts, rows L2-normalised.  The SVD is not centred.  Sign
 * convention: each component's largest-magnitude entry (the first of any
 * tied within rounding) is positive, so the embedding does not depend on the
 * LAPACK build.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "mb/pg_wchar.h"
#include "utils/formatting.h"

#include "linalg.h"
#include "text_embed.h"

PG_FUNCTION_INFO_V1(cmab_tokenize);
PG_FUNCTION_INFO_V1(cmab_text_model_fit);
PG_FUNCTION_INFO_V1(cmab_text_embed);

#define MAX_COMPONENTS	1000
#define MAX_VOCABULARY	100000
#define MAX_MATRIX_CELLS	((size_t) 1 << 23)	/* documents x terms: 64 MB of doubles */
#define MAX_TOKENS		(1 << 24)	/* tokens in one document */

/*
 * Length of the word character at s (0 when it is not one).  ASCII word
 * characters are letters, digits and underscore.  In UTF-8 databases a
 * non-ASCII character is a word character unless it is punctuation or a
 * symbol from the Latin-1, general punctuation, symbol or CJK punctuation
 * blocks; other encodings count every non-ASCII byte as a letter.
 */
static int
word_char_len(const unsigned char *s, size_t remaining, bool utf8)
{
	unsigned char ch = s[0];
	int			len;
	uint32		cp;

	if (ch < 0x80)
		return (ch == '_' || (ch >= '0' && ch <= '9') ||
				(ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) ? 1 : 0;
	if (!utf8)
		return 1;
	len = pg_utf_mblen(s);
	if (len < 2 || (size_t) len > remaining)
		return 1;				/* not valid UTF-8: treat the byte as a letter */
	cp = utf8_to_unicode(s);
	if ((cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
		(cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
		(cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF0F))
		return 0;
	return len;
}

/*
 * The tokens (palloc'd C strings) of an already lower-cased string of len
 * bytes.  Separate from the lower-casing, which needs the database's
 * collation, so that the fuzzer (test/fuzz) can drive it alone.
 */
char	  **
cmab_tokenize_lowered(const char *s, size_t len, bool utf8, int *ntokens)
{
	int			cap = 16,
				n = 0;
	char	  **out = palloc(sizeof(char *) * cap);
	size_t		i = 0;

	while (i < len)
	{
		size_t		start;
		int			nchars = 0;
		int			w;

		/* skip separators, one character at a time */
		while (i < len &&
			   (w = word_char_len((unsigned char *) s + i, len - i, utf8)) == 0)
			i += utf8 ? Max(pg_utf_mblen((unsigned char *) s + i), 1) : 1;
		start = i;
		while (i < len &&
			   (w = word_char_len((unsigned char *) s + i, len - i, utf8)) > 0)
		{
			i += w;
			nchars++;
		}
		if (i > len)
			i = len;
		if (nchars >= 2)
		{
			if (n == MAX_TOKENS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("document has more than %d tokens", MAX_TOKENS)));
			if (n == cap)
			{
				cap *= 2;
				out = repalloc_huge(out, sizeof(char *) * (size_t) cap);
			}
			out[n++] = pnstrdup(s + start, i - start);
		}
	}
	*ntokens = n;
	return out;
}

/* Split a document into lower-cased tokens (palloc'd C strings). */
static char **
tokenize(text *doc, int *ntokens)
{
	char	   *s = str_tolower(VARDATA_ANY(doc), VARSIZE_ANY_EXHDR(doc),
								DEFAULT_COLLATION_OID);

	return cmab_tokenize_lowered(s, strlen(s), GetDatabaseEncoding() == PG_UTF8,
								 ntokens);
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
find_term(char **terms, int nterms, const char *tok)
{
	char	  **hit = bsearch(&tok, terms, nterms, sizeof(char *), cmp_cstring);

	return hit ? (int) (hit - terms) : -1;
}

static ArrayType *
cstrings_to_array(char **strs, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(strs[i]);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/* cmab_tokenize(doc text) -> text[] */
Datum
cmab_tokenize(PG_FUNCTION_ARGS)
{
	int			n;
	char	  **toks = tokenize(PG_GETARG_TEXT_PP(0), &n);

	PG_RETURN_ARRAYTYPE_P(cstrings_to_array(toks, n));
}

/* raw counts * idf, L2-normalised, into row (length nterms) */
static void
tfidf_row(char **toks, int ntoks, char **terms, int nterms, const double *idf,
		  double *row)
{
	double		norm = 0;

	memset(row, 0, sizeof(double) * nterms);
	for (int t = 0; t < ntoks; t++)
	{
		int			j = find_term(terms, nterms, toks[t]);

		if (j >= 0)
			row[j] += 1;
	}
	for (int j = 0; j < nterms; j++)
	{
		row[j] *= idf[j];
		norm += row[j] * row[j];
	}
	if (norm > 0)
	{
		norm = sqrt(norm);
		for (int j = 0; j < nterms; j++)
			row[j] /= norm;
	}
}

/*
 * cmab_text_model_fit(docs text[], n_components int,
 *					   OUT terms text[], OUT idf float8[],
 *					   OUT components float8[][])
 * components is nterms x n_components: a document's embedding is its TF-IDF
 * row times this matrix.
 */
Datum
cmab_text_model_fit(PG_FUNCTION_ARGS)
{
	ArrayType  *docs_arr = PG_GETARG_ARRAYTYPE_P(0);
	int32		ncomp = PG_GETARG_INT32(1);
	Datum	   *docs;
	bool	   *dnulls;
	int			ndocs;
	char	 ***doctoks;
	int		   *docntoks;
	char	  **all;
	int			nall = 0;
	char	  **terms;
	int			nterms = 0;
	double	   *idf;
	double	   *M,
			   *row,
			   *sigma,
			   *Vt;
	int			mn;
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {0};
	Datum	   *elems;
	int			dims[2],
				lbs[2] = {1, 1};

	if (ncomp < 1 || ncomp > MAX_COMPONENTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_components must be between 1 and %d", MAX_COMPONENTS)));
	deconstruct_array(docs_arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &docs, &dnulls, &ndocs);
	if (ndocs == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot fit a text model on no documents")));

	/* tokenize, and the vocabulary: sorted unique tokens */
	doctoks = palloc(sizeof(char **) * ndocs);
	docntoks = palloc(sizeof(int) * ndocs);
	for (int i = 0; i < ndocs; i++)
	{
		if (dnulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("documents must not be null")));
		doctoks[i] = tokenize(DatumGetTextPP(docs[i]), &docntoks[i]);
		nall += docntoks[i];
	}
	all = palloc(sizeof(char *) * Max(nall, 1));
	nall = 0;
	for (int i = 0; i < ndocs; i++)
		for (int t = 0; t < docntoks[i]; t++)
			all[nall++] = doctoks[i][t];
	qsort(all, nall, sizeof(char *), cmp_cstring);
	terms = palloc(sizeof(char *) * Max(nall, 1));
	for (int i = 0; i < nall; i++)
		if (nterms == 0 || strcmp(terms[nterms - 1], all[i]) != 0)
			terms[nterms++] = all[i];
	if (nterms == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the documents contain no tokens")));
	if (nterms > MAX_VOCABULARY)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vocabulary of %d terms exceeds the maximum of %d",
						nterms, MAX_VOCABULARY)));
	if ((size_t) ndocs * nterms > MAX_MATRIX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("text model of %d documents and %d terms is too large", ndocs, nterms),
				 errdetail("The TF-IDF matrix may hold at most %zu cells.", MAX_MATRIX_CELLS)));
	mn = Min(ndocs, nterms);
	if (ncomp > mn)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_components %d exceeds the rank bound %d of %d documents and %d terms",
						ncomp, mn, ndocs, nterms)));

	/* document frequencies and idf */
	idf = palloc0(sizeof(double) * nterms);
	for (int i = 0; i < ndocs; i++)
	{
		bool	   *seen = palloc0(sizeof(bool) * nterms);

		for (int t = 0; t < docntoks[i]; t++)
		{
			int			j = find_term(terms, nterms, doctoks[i][t]);

			if (!seen[j])
			{
				seen[j] = true;
				idf[j] += 1;
			}
		}
		pfree(seen);
	}
	for (int j = 0; j < nterms; j++)
		idf[j] = log((1.0 + ndocs) / (1.0 + idf[j])) + 1.0;

	/* the TF-IDF matrix, column-major for LAPACK */
	M = palloc_extended(mul_size(sizeof(double) * ndocs, nterms), MCXT_ALLOC_HUGE);
	row = palloc(sizeof(double) * nterms);
	for (int i = 0; i < ndocs; i++)
	{
		tfidf_row(doctoks[i], docntoks[i], terms, nterms, idf, row);
		for (int j = 0; j < nterms; j++)
			M[(size_t) j * ndocs + i] = row[j];
		CHECK_FOR_INTERRUPTS();
	}
	sigma = palloc(sizeof(double) * mn);
	Vt = palloc_extended(mul_size(sizeof(double) * mn, nterms), MCXT_ALLOC_HUGE);
	if (cmab_svd_right(M, ndocs, nterms, sigma, Vt) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("singular value decomposition did not converge")));

	/* components: nterms x ncomp, sign-fixed */
	elems = palloc(sizeof(Datum) * nterms * ncomp);
	for (int c = 0; c < ncomp; c++)
	{
		double		maxabs = 0;
		double		sign = 1;

		/*
		 * The sign of the first entry whose magnitude is the largest: entries
		 * tied within rounding (as symmetric documents give) go to the lower
		 * term, so the convention does not hang on the last bit.
		 */
		for (int j = 0; j < nterms; j++)
			maxabs = Max(maxabs, fabs(Vt[(size_t) j * mn + c]));
		for (int j = 0; j < nterms; j++)
		{
			double		v = Vt[(size_t) j * mn + c];

			if (fabs(v) >= maxabs * (1 - 1e-9))
			{
				sign = v < 0 ? -1 : 1;
				break;
			}
		}
		for (int j = 0; j < nterms; j++)
			elems[(size_t) j * ncomp + c] = Float8GetDatum(sign * Vt[(size_t) j * mn + c]);
	}

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = PointerGetDatum(cstrings_to_array(terms, nterms));
	{
		Datum	   *idfd = palloc(sizeof(Datum) * nterms);

		for (int j = 0; j < nterms; j++)
			idfd[j] = Float8GetDatum(idf[j]);
		values[1] = PointerGetDatum(construct_array(idfd, nterms, FLOAT8OID,
													sizeof(float8), FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
	}
	dims[0] = nterms;
	dims[1] = ncomp;
	values[2] = PointerGetDatum(construct_md_array(elems, NULL, 2, dims, lbs,
												   FLOAT8OID, sizeof(float8),
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}

/* cmab_text_embed(doc, terms, idf, components) -> float8[n_components] */
Datum
cmab_text_embed(PG_FUNCTION_ARGS)
{
	text	   *doc = PG_GETARG_TEXT_PP(0);
	ArrayType  *terms_arr = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *idf_arr = PG_GETARG_ARRAYTYPE_P(2);
	ArrayType  *comp_arr = PG_GETARG_ARRAYTYPE_P(3);
	Datum	   *tdat;
	bool	   *tnulls;
	int			nterms,
				ncomp,
				ntoks;
	char	  **terms;
	char	  **toks;
	double	   *idf,
			   *comp,
			   *row;
	Datum	   *out;

	deconstruct_array(terms_arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &tdat, &tnulls, &nterms);
	if (ARR_ELEMTYPE(idf_arr) != FLOAT8OID || ARR_NDIM(idf_arr) != 1 ||
		ArrayGetNItems(1, ARR_DIMS(idf_arr)) != nterms ||
		ARR_ELEMTYPE(comp_arr) != FLOAT8OID || ARR_NDIM(comp_arr) != 2 ||
		ARR_DIMS(comp_arr)[0] != nterms || nterms == 0 ||
		ARR_HASNULL(idf_arr) || ARR_HASNULL(comp_arr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid text model"),
				 errdetail("terms, idf and the rows of components must have the same non-zero length, without nulls.")));
	ncomp = ARR_DIMS(comp_arr)[1];
	terms = palloc(sizeof(char *) * nterms);
	for (int j = 0; j < nterms; j++)
	{
		if (tnulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("terms must not contain null values")));
		terms[j] = TextDatumGetCString(tdat[j]);
		if (j > 0 && strcmp(terms[j - 1], terms[j]) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid text model"),
					 errdetail("terms must be sorted and unique.")));
	}
	idf = (double *) ARR_DATA_PTR(idf_arr);
	comp = (double *) ARR_DATA_PTR(comp_arr);
	for (int j = 0; j < nterms; j++)
		if (!isfinite(idf[j]))
			goto not_finite;
	for (size_t i = 0; i < (size_t) nterms * ncomp; i++)
		if (!isfinite(comp[i]))
			goto not_finite;

	toks = tokenize(doc, &ntoks);
	row = palloc(sizeof(double) * nterms);
	tfidf_row(toks, ntoks, terms, nterms, idf, row);
	out = palloc(sizeof(Datum) * ncomp);
	for (int c = 0; c < ncomp; c++)
	{
		double		s = 0;

		for (int j = 0; j < nterms; j++)
			if (row[j] != 0)
				s += row[j] * comp[(size_t) j * ncomp + c];
		out[c] = Float8GetDatum(s);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, ncomp, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));

not_finite:
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid text model"),
			 errdetail("idf and components must not contain NaN or infinity.")));
	pg_unreachable();
}
