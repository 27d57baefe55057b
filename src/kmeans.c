/*-------------------------------------------------------------------------
 *
 * kmeans.c
 *	  cmab_kmeans_agg(context, k, seed): k-means centroids of a set of
 *	  contexts, for the Clusters policy.
 *
 * As scikit-learn's KMeans (which MABWiser's Clusters uses): greedy
 * k-means++ seeding with 2 + ln(k) local trials, Lloyd iterations until the
 * centre shift falls under 1e-4 of the mean feature variance (at most 300),
 * the best of n_init = 10 seeded restarts by inertia.  The point-to-centre
 * distances of an iteration are one matrix product (BLAS).  Numbers match it in
 * distribution, not digit for digit.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"

#include "arm_state.h"
#include "linalg.h"
#include "policy.h"
#include "rng.h"

PG_FUNCTION_INFO_V1(cmab_kmeans_agg_transfn);
PG_FUNCTION_INFO_V1(cmab_kmeans_agg_final);

#define KMEANS_N_INIT	10
#define KMEANS_MAX_ITER 300
#define KMEANS_BLOCK	4096	/* points per distance product */
#define KMEANS_MAX_K	1000
#define KMEANS_MAX_CELLS ((int64) 1 << 26)	/* rows x d: 512 MB of doubles */

typedef struct KmeansState
{
	int			d;
	int			k;
	int64		seed;
	int64		n;
	int64		cap;
	double	   *x;				/* n x d, row-major */
} KmeansState;

Datum
cmab_kmeans_agg_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	KmeansState *s = PG_ARGISNULL(0) ? NULL : (KmeansState *) PG_GETARG_POINTER(0);
	double	   *x;
	int			dim;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "cmab_kmeans_agg_transfn called in non-aggregate context");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("context must not be null")));
	x = cmab_context_from_array(PG_GETARG_ARRAYTYPE_P(1), &dim, "context");
	if (dim == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("context must not be empty")));
	if (s == NULL)
	{
		int32		k;

		if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("k and seed must not be null")));
		k = PG_GETARG_INT32(2);
		if (k < 1 || k > KMEANS_MAX_K)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("number of clusters must be between 1 and %d", KMEANS_MAX_K)));
		s = MemoryContextAllocZero(aggcontext, sizeof(KmeansState));
		s->d = dim;
		s->k = k;
		s->seed = PG_GETARG_INT64(3);
		s->cap = 1024;
		s->x = MemoryContextAllocHuge(aggcontext, sizeof(double) * s->cap * dim);
	}
	else
	{
		if (dim != s->d)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("context has %d elements but earlier ones had %d", dim, s->d)));
		if (PG_ARGISNULL(2) || PG_ARGISNULL(3) ||
			PG_GETARG_INT32(2) != s->k || PG_GETARG_INT64(3) != s->seed)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k and seed must be the same for every row")));
	}
	if ((s->n + 1) * s->d > KMEANS_MAX_CELLS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many contexts for k-means"),
				 errdetail("At most " INT64_FORMAT " values (rows times dimension) fit in memory.",
						   KMEANS_MAX_CELLS)));
	if (s->n == s->cap)
	{
		s->cap = Min(s->cap * 2, KMEANS_MAX_CELLS / s->d + 1);
		s->x = repalloc_huge(s->x, mul_size(sizeof(double) * s->d, s->cap));
	}
	memcpy(s->x + s->n * s->d, x, sizeof(double) * dim);
	s->n++;
	PG_RETURN_POINTER(s);
}

static double
sqdist(const double *a, const double *b, int d)
{
	double		s = 0;

	for (int j = 0; j < d; j++)
		s += (a[j] - b[j]) * (a[j] - b[j]);
	return s;
}

/* greedy k-means++ seeding into c (k x d) */
static void
kmeanspp(const KmeansState *s, double *c, CmabRng *rng)
{
	int			d = s->d;
	int64		n = s->n;
	int			trials = 2 + (int) log(s->k);
	double	   *closest = palloc(sizeof(double) * n);
	double		pot = 0;
	int64		first = (int64) (cmab_rng_uniform(rng) * n);

	memcpy(c, s->x + first * d, sizeof(double) * d);
	for (int64 i = 0; i < n; i++)
		pot += closest[i] = sqdist(s->x + i * d, c, d);

	for (int ci = 1; ci < s->k; ci++)
	{
		int64		best = 0;
		double		bestpot = INFINITY;

		for (int t = 0; t < trials; t++)
		{
			double		r = cmab_rng_uniform(rng) * pot;
			double		acc = 0;
			int64		pick = n - 1;
			double		candpot = 0;

			for (int64 i = 0; i < n; i++)
			{
				acc += closest[i];
				if (acc > r)
				{
					pick = i;
					break;
				}
			}
			for (int64 i = 0; i < n; i++)
				candpot += Min(closest[i], sqdist(s->x + i * d, s->x + pick * d, d));
			if (t == 0 || candpot < bestpot)
			{
				bestpot = candpot;
				best = pick;
			}
		}
		memcpy(c + (size_t) ci * d, s->x + best * d, sizeof(double) * d);
		pot = 0;
		for (int64 i = 0; i < n; i++)
		{
			double		dd = sqdist(s->x + i * d, c + (size_t) ci * d, d);

			if (dd < closest[i])
				closest[i] = dd;
			pot += closest[i];
		}
		CHECK_FOR_INTERRUPTS();
	}
	pfree(closest);
}

/*
 * Label every point with its nearest centre (ties to the lower index) and
 * return the inertia.  Distances come from one dgemm per block of points:
 * |x - c|^2 = |x|^2 - 2 x.c + |c|^2, and |x|^2 does not change the argmin.
 */
static double
assign(const KmeansState *s, const double *c, int *label, double *G, double *cc,
	   bool *changed)
{
	int			d = s->d;
	int			k = s->k;
	double		inertia = 0;

	for (int ci = 0; ci < k; ci++)
	{
		cc[ci] = 0;
		for (int j = 0; j < d; j++)
			cc[ci] += c[(size_t) ci * d + j] * c[(size_t) ci * d + j];
	}
	for (int64 start = 0; start < s->n; start += KMEANS_BLOCK)
	{
		int			nb = (int) Min(KMEANS_BLOCK, s->n - start);

		cmab_gemm_tn(k, nb, d, c, s->x + start * d, G);
		for (int i = 0; i < nb; i++)
		{
			const double *g = G + (size_t) i * k;
			const double *x = s->x + (start + i) * d;
			int			best = 0;
			double		bestd = cc[0] - 2 * g[0];
			double		xx = 0;

			for (int ci = 1; ci < k; ci++)
			{
				double		dist = cc[ci] - 2 * g[ci];

				if (dist < bestd)
				{
					bestd = dist;
					best = ci;
				}
			}
			for (int j = 0; j < d; j++)
				xx += x[j] * x[j];
			if (label[start + i] != best)
				*changed = true;
			label[start + i] = best;
			inertia += Max(xx + bestd, 0.0);
		}
		CHECK_FOR_INTERRUPTS();
	}
	return inertia;
}

/* Lloyd iterations from the seeds in c; returns the inertia */
static double
lloyd(const KmeansState *s, double *c, double tol)
{
	int			d = s->d;
	int			k = s->k;
	int64		n = s->n;
	double	   *sum = palloc(sizeof(double) * k * d);
	int64	   *cnt = palloc(sizeof(int64) * k);
	int		   *label = palloc(sizeof(int) * n);
	double	   *G = palloc(sizeof(double) * (size_t) k * KMEANS_BLOCK);
	bool		changed;
	double	   *cc = palloc(sizeof(double) * k);
	double		inertia;

	/* no point has a cluster yet (assign() compares; Valgrind noticed) */
	for (int64 i = 0; i < n; i++)
		label[i] = -1;
	for (int iter = 0; iter < KMEANS_MAX_ITER; iter++)
	{
		double		shift = 0;

		changed = (iter == 0);
		(void) assign(s, c, label, G, cc, &changed);
		/* no point changed cluster: converged (as scikit-learn's strict test) */
		if (!changed)
			break;
		memset(sum, 0, sizeof(double) * k * d);
		memset(cnt, 0, sizeof(int64) * k);
		for (int64 i = 0; i < n; i++)
		{
			int			l = label[i];

			cnt[l]++;
			for (int j = 0; j < d; j++)
				sum[(size_t) l * d + j] += s->x[i * d + j];
		}
		for (int ci = 0; ci < k; ci++)
		{
			double	   *m = c + (size_t) ci * d;

			if (cnt[ci] == 0)
			{
				/* an empty cluster takes the point farthest from its centre */
				int64		far = 0;
				double		fard = -1;

				for (int64 i = 0; i < n; i++)
				{
					double		dd = sqdist(s->x + i * d, c + (size_t) label[i] * d, d);

					if (dd > fard)
					{
						fard = dd;
						far = i;
					}
				}
				shift += sqdist(m, s->x + far * d, d);
				memcpy(m, s->x + far * d, sizeof(double) * d);
				continue;
			}
			for (int j = 0; j < d; j++)
			{
				double		v = sum[(size_t) ci * d + j] / cnt[ci];

				shift += (v - m[j]) * (v - m[j]);
				m[j] = v;
			}
		}
		if (shift <= tol)
			break;
	}
	inertia = assign(s, c, label, G, cc, &changed);
	pfree(sum);
	pfree(cnt);
	pfree(label);
	pfree(G);
	pfree(cc);
	return inertia;
}

/* final: the centroids as float8[k][d]; NULL for no rows */
Datum
cmab_kmeans_agg_final(PG_FUNCTION_ARGS)
{
	KmeansState *s;
	double	   *best,
			   *c;
	double		bestinertia = INFINITY;
	double		tol = 0;
	CmabRng		rng;
	Datum	   *elems;
	int			dims[2],
				lbs[2] = {1, 1};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (KmeansState *) PG_GETARG_POINTER(0);
	if (s->n < s->k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot form %d clusters from " INT64_FORMAT " contexts",
						s->k, s->n)));

	for (int j = 0; j < s->d; j++)
	{
		double		mean = 0,
					var = 0;

		for (int64 i = 0; i < s->n; i++)
			mean += s->x[i * s->d + j];
		mean /= s->n;
		for (int64 i = 0; i < s->n; i++)
			var += (s->x[i * s->d + j] - mean) * (s->x[i * s->d + j] - mean);
		tol += var / s->n;
	}
	tol = tol / s->d * 1e-4;

	cmab_rng_seed(&rng, (uint64) s->seed);
	best = palloc(sizeof(double) * s->k * s->d);
	c = palloc(sizeof(double) * s->k * s->d);
	for (int init = 0; init < KMEANS_N_INIT; init++)
	{
		double		inertia;

		kmeanspp(s, c, &rng);
		inertia = lloyd(s, c, tol);
		if (init == 0 || inertia < bestinertia)
		{
			bestinertia = inertia;
			memcpy(best, c, sizeof(double) * s->k * s->d);
		}
	}
	elems = palloc(sizeof(Datum) * s->k * s->d);
	for (int i = 0; i < s->k * s->d; i++)
		elems[i] = Float8GetDatum(best[i]);
	dims[0] = s->k;
	dims[1] = s->d;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID,
											 sizeof(float8), FLOAT8PASSBYVAL,
											 TYPALIGN_DOUBLE));
}
