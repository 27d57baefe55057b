/*-------------------------------------------------------------------------
 *
 * arm_state.c
 *	  Encode, decode, validate, update and merge stored arm states, and the
 *	  SQL functions that work on a single state.
 *
 * Every function that reads a state goes through cmab_state_decode(), which
 * rejects anything whose header, size or values are not exactly what this
 * format promises.  After that the data is trusted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "port/pg_bswap.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "arm_state.h"
#include "linalg.h"

PG_FUNCTION_INFO_V1(cmab_state_prior);
PG_FUNCTION_INFO_V1(cmab_counts_prior);
PG_FUNCTION_INFO_V1(cmab_state_add);
PG_FUNCTION_INFO_V1(cmab_state_merge);
PG_FUNCTION_INFO_V1(cmab_state_info);
PG_FUNCTION_INFO_V1(cmab_state_beta);
PG_FUNCTION_INFO_V1(cmab_state_dim);
PG_FUNCTION_INFO_V1(cmab_state_count);
PG_FUNCTION_INFO_V1(cmab_check_context);
PG_FUNCTION_INFO_V1(cmab_check_reward_sql);
PG_FUNCTION_INFO_V1(cmab_check_event_id);

#define BAD_STATE(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION), \
			 errmsg("invalid cmab state"), \
			 errdetail(__VA_ARGS__)))

/* number of payload doubles a state with this header must carry */
static size_t
payload_doubles(const CmabStateHeader *hdr)
{
	size_t		d = (size_t) hdr->dim;

	if (hdr->family == CMAB_FAMILY_LINEAR)
		return CMAB_PACKED_SIZE(d) *
			((hdr->flags & CMAB_FLAG_FACTOR) ? 2 : 1) + d;
	return 2 * d;
}

static CmabState *
state_alloc(const CmabStateHeader *hdr)
{
	size_t		d = (size_t) hdr->dim;
	size_t		p = CMAB_PACKED_SIZE(d);
	CmabState  *st;
	double	   *data;

	/* room for the factor even when the stored state has none */
	if (hdr->family == CMAB_FAMILY_LINEAR)
		data = palloc(sizeof(double) * (2 * p + d));
	else
		data = palloc(sizeof(double) * 2 * d);
	st = palloc0(sizeof(CmabState));
	st->hdr = *hdr;
	if (hdr->family == CMAB_FAMILY_LINEAR)
	{
		st->A = data;
		st->L = data + p;
		st->b = data + 2 * p;
	}
	else
		st->slots = data;
	return st;
}

static void
check_header(const CmabStateHeader *hdr)
{
	if (hdr->magic != CMAB_STATE_MAGIC)
	{
		if (hdr->magic == pg_bswap32(CMAB_STATE_MAGIC))
			BAD_STATE("The state was written on a machine with a different byte order.");
		BAD_STATE("The value does not start with the cmab state magic number.");
	}
	if (hdr->version != CMAB_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid cmab state"),
				 errdetail("State format version %d is not known to this version of cmab.",
						   hdr->version),
				 errhint("Update the cmab extension.")));
	if (hdr->family != CMAB_FAMILY_LINEAR && hdr->family != CMAB_FAMILY_COUNTS)
		BAD_STATE("Unknown policy family %d.", hdr->family);
	if (hdr->flags & ~CMAB_FLAGS_KNOWN)
		BAD_STATE("Unknown flag bits 0x%02x.", hdr->flags & ~CMAB_FLAGS_KNOWN);
	if (hdr->reserved != 0)
		BAD_STATE("Reserved header field is not zero.");
	if (hdr->n < 0)
		BAD_STATE("Negative observation count " INT64_FORMAT ".", hdr->n);
	if (!isfinite(hdr->reward_sum))
		BAD_STATE("Reward sum is not finite.");
	if (hdr->family == CMAB_FAMILY_LINEAR)
	{
		if (hdr->dim < 1 || hdr->dim > CMAB_MAX_DIM)
			BAD_STATE("Dimension %d is out of range.", hdr->dim);
		if (!(hdr->l2_lambda >= CMAB_MIN_LAMBDA && hdr->l2_lambda <= CMAB_MAX_PARAM))
			BAD_STATE("l2_lambda %g is out of range.", hdr->l2_lambda);
	}
	else
	{
		if (hdr->dim < 1 || hdr->dim > CMAB_MAX_SLOTS)
			BAD_STATE("Slot count %d is out of range.", hdr->dim);
		if (hdr->l2_lambda != 0 || (hdr->flags & CMAB_FLAG_FACTOR))
			BAD_STATE("A counts state carries no ridge parameter or factor.");
	}
}

/*
 * Validate a stored state's header and size without copying its payload;
 * returns a pointer to the (unaligned) payload.  For the scoring hot path,
 * which then loads and checks only what it reads (cmab_state_load_factor).
 */
const char *
cmab_state_peek(bytea *raw, CmabStateHeader *hdr)
{
	const char *data = VARDATA_ANY(raw);
	size_t		len = VARSIZE_ANY_EXHDR(raw);
	size_t		nd;

	if (len < sizeof(CmabStateHeader))
		BAD_STATE("The value is %zu bytes long, shorter than the %zu-byte header.",
				  len, sizeof(CmabStateHeader));
	memcpy(hdr, data, sizeof(*hdr));
	check_header(hdr);
	nd = payload_doubles(hdr);
	if (len != sizeof(*hdr) + nd * sizeof(double))
		BAD_STATE("The value is %zu bytes long, but its header implies %zu.",
				  len, sizeof(*hdr) + nd * sizeof(double));
	return data + sizeof(*hdr);
}

/*
 * Copy the factor and b of a peeked linear state that carries its factor
 * into aligned memory, checking the factor's diagonal.  The caller scores
 * with them by forward substitution, in which every other element of L and
 * b takes part, so a NaN or infinity there makes the score non-finite: the
 * caller must check its result (cmab_check_score does).
 */
void
cmab_state_load_factor(const CmabStateHeader *hdr, const char *payload,
					   double *L, double *b)
{
	int			d = hdr->dim;
	size_t		p = CMAB_PACKED_SIZE(d);
	double		floor = sqrt(hdr->l2_lambda) * (1 - 1e-9);
	const double *diag = L;

	Assert(hdr->family == CMAB_FAMILY_LINEAR && (hdr->flags & CMAB_FLAG_FACTOR));
	memcpy(L, payload + p * sizeof(double), p * sizeof(double));
	memcpy(b, payload + 2 * p * sizeof(double), d * sizeof(double));
	for (int i = 0; i < d; i++)
	{
		diag += i;
		if (!(*diag >= floor) || !isfinite(*diag))
			BAD_STATE("Diagonal of the Cholesky factor is smaller than sqrt(l2_lambda) or not finite.");
		diag++;
	}
}

/*
 * Decode and validate a stored state into aligned memory.  With need_factor
 * the result always carries the Cholesky factor: taken from the payload when
 * stored there, computed from A otherwise (O(d^3)).
 */
CmabState *
cmab_state_decode(bytea *raw, bool need_factor)
{
	const char *data = VARDATA_ANY(raw);
	size_t		len = VARSIZE_ANY_EXHDR(raw);
	CmabStateHeader hdr;
	CmabState  *st;
	size_t		nd;
	double	   *payload;

	if (len < sizeof(CmabStateHeader))
		BAD_STATE("The value is %zu bytes long, shorter than the %zu-byte header.",
				  len, sizeof(CmabStateHeader));
	memcpy(&hdr, data, sizeof(hdr));
	check_header(&hdr);
	nd = payload_doubles(&hdr);
	if (len != sizeof(hdr) + nd * sizeof(double))
		BAD_STATE("The value is %zu bytes long, but its header implies %zu.",
				  len, sizeof(hdr) + nd * sizeof(double));

	st = state_alloc(&hdr);
	payload = st->A ? st->A : st->slots;
	if (hdr.family == CMAB_FAMILY_LINEAR && !(hdr.flags & CMAB_FLAG_FACTOR))
	{
		size_t		p = CMAB_PACKED_SIZE(hdr.dim);

		/* stored as A, b: place b after the (absent) factor */
		memcpy(st->A, data + sizeof(hdr), p * sizeof(double));
		memcpy(st->b, data + sizeof(hdr) + p * sizeof(double),
			   hdr.dim * sizeof(double));
	}
	else
		memcpy(payload, data + sizeof(hdr), nd * sizeof(double));

	if (hdr.family == CMAB_FAMILY_LINEAR)
	{
		int			d = hdr.dim;
		size_t		p = CMAB_PACKED_SIZE(d);

		for (size_t i = 0; i < 2 * p + d; i++)
		{
			if ((hdr.flags & CMAB_FLAG_FACTOR) || i < p || i >= 2 * p)
				if (!isfinite(payload[i]))
					BAD_STATE("The payload holds a value that is not finite.");
		}
		for (int i = 0; i < d; i++)
		{
			if (st->A[CMAB_PACKED(i, i)] < hdr.l2_lambda)
				BAD_STATE("Diagonal of A is smaller than l2_lambda.");
			/* A = l2_lambda I + PSD, so every pivot is at least sqrt(l2_lambda) */
			if ((hdr.flags & CMAB_FLAG_FACTOR) &&
				!(st->L[CMAB_PACKED(i, i)] >= sqrt(hdr.l2_lambda) * (1 - 1e-9)))
				BAD_STATE("Diagonal of the Cholesky factor is smaller than sqrt(l2_lambda).");
		}
		if (!(hdr.flags & CMAB_FLAG_FACTOR) && need_factor)
			cmab_state_refactor(st);
	}
	else
	{
		double		total = 0;

		for (int i = 0; i < 2 * hdr.dim; i++)
			if (!isfinite(st->slots[i]))
				BAD_STATE("The payload holds a value that is not finite.");
		for (int i = 0; i < hdr.dim; i++)
		{
			double		ni = st->slots[2 * i];

			if (ni < 0 || ni != floor(ni))
				BAD_STATE("Slot %d has an invalid observation count.", i);
			total += ni;
		}
		if (total != (double) hdr.n)
			BAD_STATE("Slot observation counts do not add up to the total.");
	}
	return st;
}

/* Serialise a state; with_factor = false stores only the sufficient statistics */
bytea *
cmab_state_encode(const CmabState *st, bool with_factor)
{
	CmabStateHeader hdr = st->hdr;
	size_t		nd;
	bytea	   *out;
	char	   *p;

	if (hdr.family == CMAB_FAMILY_LINEAR && with_factor)
		hdr.flags |= CMAB_FLAG_FACTOR;
	else
		hdr.flags &= ~CMAB_FLAG_FACTOR;
	nd = payload_doubles(&hdr);
	out = palloc(VARHDRSZ + sizeof(hdr) + nd * sizeof(double));
	SET_VARSIZE(out, VARHDRSZ + sizeof(hdr) + nd * sizeof(double));
	p = VARDATA(out);
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	if (hdr.family == CMAB_FAMILY_LINEAR)
	{
		size_t		pk = CMAB_PACKED_SIZE(hdr.dim);

		memcpy(p, st->A, pk * sizeof(double));
		p += pk * sizeof(double);
		if (hdr.flags & CMAB_FLAG_FACTOR)
		{
			memcpy(p, st->L, pk * sizeof(double));
			p += pk * sizeof(double);
		}
		memcpy(p, st->b, hdr.dim * sizeof(double));
	}
	else
		memcpy(p, st->slots, 2 * hdr.dim * sizeof(double));
	return out;
}

CmabState *
cmab_state_new_linear(int dim, double l2_lambda)
{
	CmabStateHeader hdr = {0};
	CmabState  *st;

	hdr.magic = CMAB_STATE_MAGIC;
	hdr.version = CMAB_STATE_VERSION;
	hdr.family = CMAB_FAMILY_LINEAR;
	hdr.flags = CMAB_FLAG_FACTOR;
	hdr.dim = dim;
	hdr.l2_lambda = l2_lambda;
	st = state_alloc(&hdr);
	cmab_packed_set_identity(st->A, dim, l2_lambda);
	cmab_packed_set_identity(st->L, dim, sqrt(l2_lambda));
	memset(st->b, 0, sizeof(double) * dim);
	return st;
}

CmabState *
cmab_state_new_counts(int slots)
{
	CmabStateHeader hdr = {0};
	CmabState  *st;

	hdr.magic = CMAB_STATE_MAGIC;
	hdr.version = CMAB_STATE_VERSION;
	hdr.family = CMAB_FAMILY_COUNTS;
	hdr.dim = slots;
	st = state_alloc(&hdr);
	memset(st->slots, 0, sizeof(double) * 2 * slots);
	return st;
}

/* Recompute the Cholesky factor from A: O(d^3), used after merges. */
void
cmab_state_refactor(CmabState *st)
{
	if (!cmab_cholesky(st->A, st->L, st->hdr.dim))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid cmab state"),
				 errdetail("Matrix A is not positive definite."),
				 errhint("Increase l2_lambda or refit the model.")));
	st->hdr.flags |= CMAB_FLAG_FACTOR;
}

/*
 * Values and rewards are bounded, but sums of many can still overflow: a
 * state that would hold a non-finite number is an error, not a state.
 */
void
cmab_state_check_finite(const CmabState *st)
{
	size_t		n;
	const double *v;

	if (st->hdr.family == CMAB_FAMILY_LINEAR)
	{
		n = CMAB_PACKED_SIZE(st->hdr.dim);
		v = st->A;
		for (size_t i = 0; i < n; i++)
			if (!isfinite(v[i]))
				goto overflow;
		for (int i = 0; i < st->hdr.dim; i++)
			if (!isfinite(st->b[i]))
				goto overflow;
		if ((st->hdr.flags & CMAB_FLAG_FACTOR))
			for (size_t i = 0; i < n; i++)
				if (!isfinite(st->L[i]))
					goto overflow;
	}
	else
	{
		for (int i = 0; i < 2 * st->hdr.dim; i++)
			if (!isfinite(st->slots[i]))
				goto overflow;
	}
	if (isfinite(st->hdr.reward_sum))
		return;
overflow:
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("arm state is out of range"),
			 errdetail("Adding the observations would overflow the state's sums.")));
}

/* One observation (x, reward) into a linear state; O(d^2). */
void
cmab_state_add_linear(CmabState *st, const double *x, double reward,
					  bool keep_factor)
{
	int			d = st->hdr.dim;

	cmab_packed_add_outer(st->A, x, d);
	for (int i = 0; i < d; i++)
		st->b[i] += reward * x[i];
	st->hdr.n++;
	st->hdr.reward_sum += reward;
	if (keep_factor)
	{
		double		xs[CMAB_MAX_DIM];

		memcpy(xs, x, sizeof(double) * d);
		cmab_cholesky_rank1_update(st->L, xs, d);
		/* a single update checks at once; aggregates check when they finish */
		cmab_state_check_finite(st);
	}
}

/* One observation into slot 'slot' of a counts state. */
void
cmab_state_add_count(CmabState *st, int slot, double reward)
{
	st->slots[2 * slot] += 1;
	st->slots[2 * slot + 1] += reward;
	st->hdr.n++;
	st->hdr.reward_sum += reward;
	cmab_state_check_finite(st);
}

/*
 * dst += src for two states of the same shape.  The sufficient statistics
 * add exactly; the caller refreshes the factor if it needs one.
 */
void
cmab_state_merge_into(CmabState *dst, const CmabState *src)
{
	const CmabStateHeader *a = &dst->hdr;
	const CmabStateHeader *b = &src->hdr;

	if (a->family != b->family)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot combine a linear state with a counts state")));
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot combine states of different dimensions %d and %d",
						a->dim, b->dim)));
	if (a->l2_lambda != b->l2_lambda)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot combine states with different l2_lambda %g and %g",
						a->l2_lambda, b->l2_lambda)));

	if (a->family == CMAB_FAMILY_LINEAR)
	{
		int			d = a->dim;
		size_t		p = CMAB_PACKED_SIZE(d);

		for (size_t i = 0; i < p; i++)
			dst->A[i] += src->A[i];
		/* both carry l2_lambda I; keep one */
		for (int i = 0; i < d; i++)
		{
			dst->A[CMAB_PACKED(i, i)] -= a->l2_lambda;
			dst->b[i] += src->b[i];
		}
	}
	else
	{
		for (int i = 0; i < 2 * a->dim; i++)
			dst->slots[i] += src->slots[i];
	}
	dst->hdr.n += b->n;
	dst->hdr.reward_sum += b->reward_sum;
	cmab_state_check_finite(dst);
}

void
cmab_state_check_dim(const CmabState *st, int dim)
{
	if (st->hdr.family == CMAB_FAMILY_LINEAR && st->hdr.dim != dim)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("context has %d elements but the state has dimension %d",
						dim, st->hdr.dim)));
}

/*
 * Read a float8[] context: one-dimensional, no NULLs, every element finite.
 * Returns a palloc'd copy; *dim receives its length.
 */
double *
cmab_context_from_array(ArrayType *arr, int *dim, const char *what)
{
	const double *in = cmab_context_view(arr, dim, what);
	double	   *out = palloc(sizeof(double) * Max(*dim, 1));

	memcpy(out, in, sizeof(double) * *dim);
	return out;
}

/*
 * The same checks without the copy: a pointer to the (aligned) elements of
 * the array, valid as long as the array is.  For per-row paths.
 */
const double *
cmab_context_view(ArrayType *arr, int *dim, const char *what)
{
	int			n;
	const double *out;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be of type double precision[]", what)));
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (n > CMAB_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s has %d elements, more than the maximum of %d",
						what, n, CMAB_MAX_DIM)));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain null values", what)));
	out = (const double *) ARR_DATA_PTR(arr);
	cmab_check_values(out, n, ARR_LBOUND(arr)[0], what);
	*dim = n;
	return out;
}

/*
 * The values of a context, a matrix of contexts or centroids: finite and at
 * most CMAB_MAX_VALUE in magnitude, so that no sum of squares overflows.
 * first is the index the caller's user counts the first element by.
 */
void
cmab_check_values(const double *v, size_t n, int first, const char *what)
{
	for (size_t i = 0; i < n; i++)
	{
		if (!isfinite(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must not contain NaN or infinity", what),
					 errdetail("Element %zu is %g.", i + first, v[i])));
		if (fabs(v[i]) > CMAB_MAX_VALUE)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("%s element %g is out of range", what, v[i]),
					 errdetail("Elements must be at most %g in magnitude.", CMAB_MAX_VALUE)));
	}
}

void
cmab_check_reward(double reward)
{
	if (!isfinite(reward))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("reward must be a finite number")));
	if (fabs(reward) > CMAB_MAX_VALUE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("reward %g is out of range", reward),
				 errdetail("Rewards must be at most %g in magnitude.", CMAB_MAX_VALUE)));
}

void
cmab_check_lambda(double l2_lambda)
{
	if (!(l2_lambda >= CMAB_MIN_LAMBDA && l2_lambda <= CMAB_MAX_PARAM))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("l2_lambda must be between %g and %g",
						CMAB_MIN_LAMBDA, CMAB_MAX_PARAM)));
}

static bytea *
getarg_state(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("state must not be null")));
	return PG_GETARG_BYTEA_PP(argno);
}

/* cmab_state_prior(dim, l2_lambda) -> the state of an untrained linear arm */
Datum
cmab_state_prior(PG_FUNCTION_ARGS)
{
	int32		dim = PG_GETARG_INT32(0);
	double		l2_lambda = PG_GETARG_FLOAT8(1);

	if (dim < 1 || dim > CMAB_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimension must be between 1 and %d", CMAB_MAX_DIM)));
	cmab_check_lambda(l2_lambda);
	PG_RETURN_BYTEA_P(cmab_state_encode(cmab_state_new_linear(dim, l2_lambda), true));
}

/* cmab_counts_prior(slots) -> the state of an untrained context-free arm */
Datum
cmab_counts_prior(PG_FUNCTION_ARGS)
{
	int32		slots = PG_GETARG_INT32(0);

	if (slots < 1 || slots > CMAB_MAX_SLOTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("slot count must be between 1 and %d", CMAB_MAX_SLOTS)));
	PG_RETURN_BYTEA_P(cmab_state_encode(cmab_state_new_counts(slots), false));
}

/*
 * cmab_state_add(state, context, reward, slot) -> state with one more
 * observation.  This is MABWiser's partial_fit for one event; O(d^2).
 * Linear states use the context; counts states the slot (cluster).
 */
Datum
cmab_state_add(PG_FUNCTION_ARGS)
{
	CmabState  *st = cmab_state_decode(getarg_state(fcinfo, 0), true);
	double		reward;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("reward must not be null")));
	reward = PG_GETARG_FLOAT8(2);
	cmab_check_reward(reward);

	if (st->hdr.family == CMAB_FAMILY_LINEAR)
	{
		int			dim;
		double	   *x;

		if (PG_ARGISNULL(1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("context must not be null")));
		x = cmab_context_from_array(PG_GETARG_ARRAYTYPE_P(1), &dim, "context");
		cmab_state_check_dim(st, dim);
		cmab_state_add_linear(st, x, reward, true);
	}
	else
	{
		int32		slot;

		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("slot must not be null")));
		slot = PG_GETARG_INT32(3);
		if (slot < 0 || slot >= st->hdr.dim)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("slot %d is out of range for a state with %d slots",
							slot, st->hdr.dim)));
		cmab_state_add_count(st, slot, reward);
	}
	PG_RETURN_BYTEA_P(cmab_state_encode(st, true));
}

/* cmab_state_merge(a, b) -> a state holding the observations of both */
Datum
cmab_state_merge(PG_FUNCTION_ARGS)
{
	CmabState  *a = cmab_state_decode(getarg_state(fcinfo, 0), false);
	CmabState  *b = cmab_state_decode(getarg_state(fcinfo, 1), false);

	cmab_state_merge_into(a, b);
	if (a->hdr.family == CMAB_FAMILY_LINEAR)
		cmab_state_refactor(a);
	PG_RETURN_BYTEA_P(cmab_state_encode(a, true));
}

/* cmab_state_info(state) -> what a stored state holds */
Datum
cmab_state_info(PG_FUNCTION_ARGS)
{
	bytea	   *raw = getarg_state(fcinfo, 0);
	CmabState  *st;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {0};
	CmabStateHeader hdr;

	/* report what was stored, not what decoding added */
	st = cmab_state_decode(raw, false);
	memcpy(&hdr, VARDATA_ANY(raw), sizeof(hdr));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Int32GetDatum(hdr.version);
	values[1] = CStringGetTextDatum(hdr.family == CMAB_FAMILY_LINEAR ? "linear" : "counts");
	values[2] = Int32GetDatum(hdr.dim);
	values[3] = Int64GetDatum(hdr.n);
	values[4] = Float8GetDatum(hdr.reward_sum);
	values[5] = Float8GetDatum(hdr.l2_lambda);
	nulls[5] = (st->hdr.family != CMAB_FAMILY_LINEAR);
	values[6] = BoolGetDatum((hdr.flags & CMAB_FLAG_FACTOR) != 0);
	values[7] = Int32GetDatum((int32) VARSIZE_ANY_EXHDR(raw));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* cmab_state_beta(state) -> ridge coefficients A^-1 b of a linear state */
Datum
cmab_state_beta(PG_FUNCTION_ARGS)
{
	CmabState  *st = cmab_state_decode(getarg_state(fcinfo, 0), true);
	int			d = st->hdr.dim;
	double	   *beta;
	Datum	   *elems;

	if (st->hdr.family != CMAB_FAMILY_LINEAR)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a counts state has no coefficients")));
	beta = palloc(sizeof(double) * d);
	memcpy(beta, st->b, sizeof(double) * d);
	cmab_forward_solve(st->L, beta, d);
	cmab_backward_solve(st->L, beta, d);
	elems = palloc(sizeof(Datum) * d);
	for (int i = 0; i < d; i++)
		elems[i] = Float8GetDatum(beta[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, d, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * cmab_check_context(context, dim) -> true, or an error saying what is wrong.
 * For the policies that do not score with the context, so that a bad
 * context is refused by every model alike.  A model of dimension 0 takes a
 * NULL or empty context.
 */
Datum
cmab_check_context(PG_FUNCTION_ARGS)
{
	int32		want = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1);
	int			dim = 0;

	if (PG_ARGISNULL(0))
	{
		if (want > 0)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("context must not be null")));
		PG_RETURN_BOOL(true);
	}
	(void) cmab_context_from_array(PG_GETARG_ARRAYTYPE_P(0), &dim, "context");
	if (dim != want)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("context has %d elements but the model expects %d", dim, want)));
	PG_RETURN_BOOL(true);
}

/* cmab_check_reward(reward) -> reward, or an error if NULL, NaN or infinite */
Datum
cmab_check_reward_sql(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("reward must not be null")));
	cmab_check_reward(PG_GETARG_FLOAT8(0));
	PG_RETURN_FLOAT8(PG_GETARG_FLOAT8(0));
}

/* cmab_check_event_id(event_id) -> event_id, or an error if NULL */
Datum
cmab_check_event_id(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("event_id must not be null")));
	PG_RETURN_INT64(PG_GETARG_INT64(0));
}

/* cmab_state_dim(state) -> dimension, from the validated header and size */
Datum
cmab_state_dim(PG_FUNCTION_ARGS)
{
	CmabStateHeader hdr;

	(void) cmab_state_peek(PG_GETARG_BYTEA_PP(0), &hdr);
	PG_RETURN_INT32(hdr.dim);
}

/* cmab_state_count(state) -> observations, from the validated header and size */
Datum
cmab_state_count(PG_FUNCTION_ARGS)
{
	CmabStateHeader hdr;

	(void) cmab_state_peek(PG_GETARG_BYTEA_PP(0), &hdr);
	PG_RETURN_INT64(hdr.n);
}
