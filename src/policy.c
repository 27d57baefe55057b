/*-------------------------------------------------------------------------
 *
 * policy.c
 *	  Scoring kernels of the bandit policies and the pure SQL functions
 *	  that score one arm state.
 *
 * Semantics follow MABWiser 2.7.4 (see README, "Policies"):
 *	 LinUCB		x.beta + alpha sqrt(x' A^-1 x), beta = A^-1 b
 *	 LinGreedy	x.beta (exploration is decided per request, in recommend.c)
 *	 LinTS		x.beta~, beta~ ~ N(beta, alpha^2 A^-1)
 *	 Thompson	Beta(1 + successes, 1 + failures)
 *
 * Every linear score is a function of two moments of the context,
 * mean = x.beta and q = x' A^-1 x:
 *	 LinUCB		mean + alpha sqrt(q)
 *	 LinGreedy	mean
 *	 LinTS		mean + alpha sqrt(q) g, g ~ N(0, 1)
 * The last is exact: x.beta~ with beta~ ~ N(beta, alpha^2 A^-1) is normal
 * with mean x.beta and variance alpha^2 q, so one normal draw per (arm,
 * request) has the distribution of MABWiser's multivariate draw.
 *
 * One context: with A = L L', z = L^-1 x and w = L^-1 b give mean = z.w and
 * q = z.z: one forward substitution for both, O(d^2) (cmab_linear_moments).
 * Many contexts: X beta and the row sums of (X A^-1) o X, by BLAS level 2
 * and 3 (recommend.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "linalg.h"
#include "policy.h"

PG_FUNCTION_INFO_V1(cmab_linucb_score);
PG_FUNCTION_INFO_V1(cmab_linear_expectation);
PG_FUNCTION_INFO_V1(cmab_lints_score);
PG_FUNCTION_INFO_V1(cmab_thompson_score);
PG_FUNCTION_INFO_V1(cmab_nearest_centroid_sql);
PG_FUNCTION_INFO_V1(cmab_sigmoid);

static const struct
{
	const char *name;
	CmabPolicy	policy;
}			policy_names[] =
{
	{"random", CMAB_POLICY_RANDOM},
	{"popularity", CMAB_POLICY_POPULARITY},
	{"thompson", CMAB_POLICY_THOMPSON},
	{"lingreedy", CMAB_POLICY_LINGREEDY},
	{"linucb", CMAB_POLICY_LINUCB},
	{"lints", CMAB_POLICY_LINTS},
	{"clusters_ts", CMAB_POLICY_CLUSTERS_TS},
};

CmabPolicy
cmab_policy_from_name(const char *name)
{
	for (int i = 0; i < lengthof(policy_names); i++)
		if (strcmp(name, policy_names[i].name) == 0)
			return policy_names[i].policy;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown policy \"%s\"", name),
			 errhint("Valid policies are random, popularity, thompson, lingreedy, linucb, lints and clusters_ts.")));
	pg_unreachable();
}

/* which state family a policy keeps per arm */
int
cmab_policy_family(CmabPolicy policy)
{
	switch (policy)
	{
		case CMAB_POLICY_LINGREEDY:
		case CMAB_POLICY_LINUCB:
		case CMAB_POLICY_LINTS:
			return CMAB_FAMILY_LINEAR;
		default:
			return CMAB_FAMILY_COUNTS;
	}
}

/*
 * mean = x.beta and q = x' A^-1 x from the packed lower factor L of A and b:
 * forward substitution of L z = x and L w = b in one pass over L.  work
 * holds 2d doubles.
 */
void
cmab_linear_moments(const double *L, const double *b, const double *x, int d,
					double *work, double *mean, double *q)
{
	double	   *z = work;
	double	   *w = work + d;
	const double *row = L;
	double		m = 0,
				s = 0;

	for (int i = 0; i < d; i++)
	{
		double		sz = x[i];
		double		sw = b[i];
		double		inv = 1.0 / row[i];

		for (int j = 0; j < i; j++)
		{
			sz -= row[j] * z[j];
			sw -= row[j] * w[j];
		}
		z[i] = sz * inv;
		w[i] = sw * inv;
		m += z[i] * w[i];
		s += z[i] * z[i];
		row += i + 1;
	}
	*mean = m;
	*q = s;
}

/*
 * The expectation a linear policy gives an arm with these moments.  rng is
 * the arm's stream for this request (LinTS draws from it); explore says
 * LinGreedy explores on this request.
 */
double
cmab_linear_policy_score(CmabPolicy policy, double alpha, double mean, double q,
						 CmabRng *rng, bool explore)
{
	switch (policy)
	{
		case CMAB_POLICY_LINUCB:
			return cmab_check_score(mean + alpha * sqrt(q));
		case CMAB_POLICY_LINTS:
			return cmab_check_score(mean + alpha * sqrt(q) * cmab_rng_normal(rng));
		case CMAB_POLICY_LINGREEDY:
			return explore ? cmab_rng_uniform(rng) : cmab_check_score(mean);
		default:
			elog(ERROR, "policy %d is not linear", (int) policy);
	}
	pg_unreachable();
}

/* a score that overflowed is an error, never a NaN or infinite ranking */
double
cmab_check_score(double score)
{
	if (!isfinite(score))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("score is out of range"),
				 errhint("Use smaller parameters or contexts.")));
	return score;
}

/* Beta(1 + successes, 1 + failures) draw for one slot of a counts state */
double
cmab_beta_draw(const CmabState *st, int slot, CmabRng *rng)
{
	double		n = st->slots[2 * slot];
	double		s = st->slots[2 * slot + 1];

	if (s < 0 || s > n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("Thompson sampling needs rewards of 0 or 1"),
				 errdetail("The state holds a reward sum of %g over %g observations.", s, n)));
	return cmab_rng_beta(rng, 1.0 + s, 1.0 + (n - s));
}

/* index (from 0) of the centroid nearest to x; ties go to the lower index */
int
cmab_nearest_centroid(const double *centroids, int k, int d, const double *x)
{
	int			best = 0;
	double		bestdist = INFINITY;

	for (int c = 0; c < k; c++)
	{
		const double *m = centroids + (size_t) c * d;
		double		dist = 0;

		/* values are bounded by CMAB_MAX_VALUE, so this cannot overflow */
		for (int j = 0; j < d; j++)
			dist += (x[j] - m[j]) * (x[j] - m[j]);
		if (dist < bestdist)
		{
			bestdist = dist;
			best = c;
		}
	}
	return best;
}

/* shared entry of the linear SQL scorers */
static double
score_linear_args(FunctionCallInfo fcinfo, CmabPolicy policy, double alpha,
				  CmabRng *rng)
{
	CmabState  *st = cmab_state_decode(PG_GETARG_BYTEA_PP(0), true);
	int			dim;
	double	   *x;
	double	   *work;

	if (st->hdr.family != CMAB_FAMILY_LINEAR)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a counts state cannot be scored with a linear policy")));
	x = cmab_context_from_array(PG_GETARG_ARRAYTYPE_P(1), &dim, "context");
	cmab_state_check_dim(st, dim);
	if (!isfinite(alpha) || alpha < 0 || alpha > CMAB_MAX_PARAM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha must be between 0 and %g", CMAB_MAX_PARAM)));
	{
		double		mean,
					q;

		work = palloc(sizeof(double) * 2 * dim);
		cmab_linear_moments(st->L, st->b, x, dim, work, &mean, &q);
		return cmab_linear_policy_score(policy, alpha, mean, q, rng, false);
	}
}

/* cmab_linucb_score(state, context, alpha) */
Datum
cmab_linucb_score(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(score_linear_args(fcinfo, CMAB_POLICY_LINUCB,
									   PG_GETARG_FLOAT8(2), NULL));
}

/* cmab_linear_expectation(state, context) = x . beta */
Datum
cmab_linear_expectation(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(score_linear_args(fcinfo, CMAB_POLICY_LINGREEDY, 0.0, NULL));
}

/* cmab_lints_score(state, context, alpha, seed): one seeded posterior draw */
Datum
cmab_lints_score(PG_FUNCTION_ARGS)
{
	CmabRng		rng;

	cmab_rng_seed(&rng, (uint64) PG_GETARG_INT64(3));
	PG_RETURN_FLOAT8(score_linear_args(fcinfo, CMAB_POLICY_LINTS,
									   PG_GETARG_FLOAT8(2), &rng));
}

/* cmab_thompson_score(state, seed, slot): one seeded Beta draw */
Datum
cmab_thompson_score(PG_FUNCTION_ARGS)
{
	CmabState  *st = cmab_state_decode(PG_GETARG_BYTEA_PP(0), false);
	int32		slot = PG_GETARG_INT32(2);
	CmabRng		rng;

	if (st->hdr.family != CMAB_FAMILY_COUNTS)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("a linear state cannot be scored with Thompson sampling")));
	if (slot < 0 || slot >= st->hdr.dim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("slot %d is out of range for a state with %d slots",
						slot, st->hdr.dim)));
	cmab_rng_seed(&rng, (uint64) PG_GETARG_INT64(1));
	PG_RETURN_FLOAT8(cmab_beta_draw(st, slot, &rng));
}

/*
 * Read a k x d centroid matrix (float8[k][d]); returns a palloc'd row-major
 * copy and sets *k and *d.
 */
double *
cmab_centroids_from_array(ArrayType *arr, int *k, int *d)
{
	int			n;
	double	   *out;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID || ARR_NDIM(arr) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("centroids must be a two-dimensional double precision array")));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("centroids must not contain null values")));
	*k = ARR_DIMS(arr)[0];
	*d = ARR_DIMS(arr)[1];
	n = *k * *d;
	out = palloc(sizeof(double) * Max(n, 1));
	memcpy(out, ARR_DATA_PTR(arr), sizeof(double) * n);
	cmab_check_values(out, n, 1, "centroids");
	return out;
}

/* cmab_nearest_centroid(centroids float8[][], context float8[]) -> int */
Datum
cmab_nearest_centroid_sql(PG_FUNCTION_ARGS)
{
	int			k,
				d,
				dim;
	double	   *c = cmab_centroids_from_array(PG_GETARG_ARRAYTYPE_P(0), &k, &d);
	double	   *x = cmab_context_from_array(PG_GETARG_ARRAYTYPE_P(1), &dim, "context");

	if (dim != d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("context has %d elements but the centroids have %d", dim, d)));
	PG_RETURN_INT32(cmab_nearest_centroid(c, k, d, x));
}

/* cmab_sigmoid(x) = 1 / (1 + exp(-x)), as Mab2Rec turns expectations into scores */
Datum
cmab_sigmoid(PG_FUNCTION_ARGS)
{
	double		x = PG_GETARG_FLOAT8(0);

	PG_RETURN_FLOAT8(1.0 / (1.0 + exp(-x)));
}
