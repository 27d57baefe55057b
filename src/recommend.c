/*-------------------------------------------------------------------------
 *
 * recommend.c
 *	  cmab_recommend(): the top-k arms of a model for one context, and
 *	  cmab_recommend_batch(): the same for many contexts at once.
 *
 * Both are thin readers over the scoring kernels of policy.c.  They read
 * the model row and the arm rows through cached SPI plans (plain MVCC reads,
 * so they never wait for a concurrent cmab_update, and the executor applies
 * the caller's privileges).
 *
 * One context: the arm rows stream into a DestReceiver that scores each
 * state where it lies in the buffer (header checked, factor and b copied to
 * aligned scratch and checked, O(d^2) per arm) and keeps the best k in a
 * heap; nothing else is copied.
 *
 * Many contexts: every arm is decoded once; the linear policies' moments
 * for all (context, arm) pairs come from two dgemms (X B for x.beta, and
 * Phi V for x' A^-1 x, see cmab_recommend_batch), then every context takes
 * its top k.
 *
 * Ordering: higher expectation first; equal expectations go to the arm
 * registered first (MABWiser's arg-max convention).  The score reported is
 * sigmoid(expectation), as Mab2Rec reports it.
 *
 * Randomness: a request has a seed (given, or derived from the model's
 * seed, the context and the statement start time); each arm draws from its
 * own stream seeded by (request seed, arm registration order), so draws do
 * not depend on scan order and the one- and many-context paths agree.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "linalg.h"
#include "model.h"
#include "policy.h"

PG_FUNCTION_INFO_V1(cmab_recommend);
PG_FUNCTION_INFO_V1(cmab_recommend_batch);


/* one scored arm */
typedef struct Cand
{
	double		e;				/* expectation */
	int32		ord;
	const char *arm;
} Cand;

/* the best k candidates: a heap whose root is the worst kept */
typedef struct TopK
{
	Cand	   *h;
	int			n;
	int			k;
} TopK;

/* excluded arms, sorted, compared as byte strings */
typedef struct ExcludeSet
{
	int			n;
	char	  **names;
} ExcludeSet;

/* what scoring one arm for one request needs */
typedef struct Request
{
	const CmabModel *m;
	const double *x;
	uint64		seed;
	int			slot;			/* ClustersTS: the context's cluster */
	bool		explore;		/* LinGreedy: this request explores */
	double	   *L;				/* scratch: packed factor */
	double	   *b;				/* scratch */
	double	   *work;			/* scratch: 2d */
} Request;

typedef struct ArmErrorContext
{
	const char *model;
	text	   *arm;
} ArmErrorContext;

static void
arm_error_callback(void *arg)
{
	ArmErrorContext *ctx = arg;

	if (ctx->arm)
		errcontext("reading arm \"%s\" of model \"%s\"",
				   text_to_cstring(ctx->arm), ctx->model);
}

/*
 * The seed of a request without one: the model's seed, the context and the
 * statement's start time, so a statement sees one consistent draw (which
 * keeps the functions honestly STABLE).
 */
static uint64
derived_seed(const CmabModel *m, const double *x, int dim)
{
	uint64		h = cmab_mix64((uint64) m->seed,
							   (uint64) GetCurrentStatementStartTimestamp());

	for (int i = 0; i < dim; i++)
	{
		uint64		bits;

		memcpy(&bits, &x[i], sizeof(bits));
		h = cmab_mix64(h, bits);
	}
	return h;
}

/* per-request decisions that do not depend on the arm */
static void
start_request(Request *r, const double *x, uint64 seed)
{
	const CmabModel *m = r->m;

	r->x = x;
	r->seed = seed;
	r->slot = 0;
	r->explore = false;
	if (m->params.policy == CMAB_POLICY_CLUSTERS_TS)
		r->slot = cmab_nearest_centroid(m->centroids, m->k, m->dim, x);
	if (m->params.policy == CMAB_POLICY_LINGREEDY)
	{
		CmabRng		rng;

		cmab_rng_seed(&rng, cmab_mix64(seed, PG_UINT64_MAX));
		r->explore = cmab_rng_uniform(&rng) < m->params.epsilon;
	}
}

static void
check_state_fits(const CmabModel *m, const CmabStateHeader *hdr)
{
	cmab_model_check_state(m, hdr);
}

/*
 * The expectation of a context-free arm (decoded state) for one request.
 * For Popularity this is the arm's mean reward; the caller turns the means
 * of all arms into the Dirichlet draw.
 */
static double
score_counts(const Request *r, const CmabState *st, int32 ord)
{
	CmabRng		rng;

	if (r->m->params.policy == CMAB_POLICY_POPULARITY)
	{
		double		mean = st->hdr.n > 0 ? st->hdr.reward_sum / st->hdr.n : 0;

		if (mean < 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("popularity needs non-negative rewards")));
		return mean;
	}
	cmab_rng_seed(&rng, cmab_mix64(r->seed, (uint64) ord));
	if (r->m->params.policy == CMAB_POLICY_RANDOM)
		return cmab_rng_uniform(&rng);
	return cmab_beta_draw(st, r->slot, &rng);
}

/*
 * The expectation of one arm (stored state) for one request.
 */
static double
score_arm(Request *r, bytea *raw, int32 ord)
{
	const CmabModel *m = r->m;
	CmabStateHeader hdr;
	const char *payload = cmab_state_peek(raw, &hdr);
	check_state_fits(m, &hdr);
	if (m->family == CMAB_FAMILY_LINEAR)
	{
		double		mean,
					q;
		CmabRng		rng;

		if (m->params.policy != CMAB_POLICY_LINUCB)
			cmab_rng_seed(&rng, cmab_mix64(r->seed, (uint64) ord));

		if (m->params.policy == CMAB_POLICY_LINGREEDY && r->explore)
			return cmab_rng_uniform(&rng);
		if (hdr.flags & CMAB_FLAG_FACTOR)
		{
			cmab_state_load_factor(&hdr, payload, r->L, r->b);
			cmab_linear_moments(r->L, r->b, r->x, m->dim, r->work, &mean, &q);
		}
		else
		{
			CmabState  *st = cmab_state_decode(raw, true);

			cmab_linear_moments(st->L, st->b, r->x, m->dim, r->work, &mean, &q);
		}
		return cmab_linear_policy_score(m->params.policy, m->params.alpha,
										mean, q, &rng, r->explore);
	}
	return score_counts(r, cmab_state_decode(raw, false), ord);
}

/*
 * Popularity: expectations are one Dirichlet(p + tiny) draw over all arms,
 * p = means normalised to sum 1 (uniform when all are zero).  Replaces the
 * means in e[] by the draw.
 */
static void
popularity_draw(double *e, const int32 *ord, int n, uint64 seed)
{
	double		total = 0,
				drawn = 0;

	for (int i = 0; i < n; i++)
		total += e[i];
	for (int i = 0; i < n; i++)
	{
		double		p = total > 0 ? e[i] / total : 1.0 / n;
		CmabRng		rng;

		cmab_rng_seed(&rng, cmab_mix64(seed, (uint64) ord[i]));
		e[i] = cmab_rng_gamma(&rng, p + CMAB_POPULARITY_TINY);
		drawn += e[i];
	}
	for (int i = 0; i < n && drawn > 0; i++)
		e[i] /= drawn;
}

/* --- top k --- */

static inline bool
worse(const Cand *a, const Cand *b)
{
	return a->e < b->e || (a->e == b->e && a->ord > b->ord);
}

static void
sift_down(TopK *t, int i)
{
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					w = i;
		Cand		tmp;

		if (l < t->n && worse(&t->h[l], &t->h[w]))
			w = l;
		if (r < t->n && worse(&t->h[r], &t->h[w]))
			w = r;
		if (w == i)
			return;
		tmp = t->h[i];
		t->h[i] = t->h[w];
		t->h[w] = tmp;
		i = w;
	}
}

/*
 * Offer a candidate; returns the slot it took (its arm name must then be
 * stored there by the caller) or NULL when it is not among the best k.
 */
static Cand *
topk_offer(TopK *t, double e, int32 ord, int capacity)
{
	Cand		c = {e, ord, NULL};

	if (t->n < t->k)
	{
		int			i;

		if (t->n == capacity)
			elog(ERROR, "top-k heap overflow");
		i = t->n++;
		while (i > 0 && worse(&c, &t->h[(i - 1) / 2]))
		{
			t->h[i] = t->h[(i - 1) / 2];
			i = (i - 1) / 2;
		}
		t->h[i] = c;
		return &t->h[i];
	}
	if (!worse(&t->h[0], &c))
		return NULL;
	t->h[0] = c;
	sift_down(t, 0);
	/* the new candidate may have moved down: find it */
	for (int i = 0; i < t->n; i++)
		if (t->h[i].arm == NULL)
			return &t->h[i];
	elog(ERROR, "top-k heap lost a candidate");
	pg_unreachable();
}

static int
cmp_cand_best_first(const void *a, const void *b)
{
	const Cand *x = a;
	const Cand *y = b;

	if (worse(y, x))
		return -1;
	if (worse(x, y))
		return 1;
	return 0;
}

static void
emit(ReturnSetInfo *rsinfo, TopK *t, int item)
{
	qsort(t->h, t->n, sizeof(Cand), cmp_cand_best_first);
	for (int i = 0; i < t->n; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {0};
		double		e = t->h[i].e;
		int			c = 0;

		if (item > 0)
			values[c++] = Int32GetDatum(item);
		values[c++] = Int32GetDatum(i + 1);
		values[c++] = CStringGetTextDatum(t->h[i].arm);
		values[c++] = Float8GetDatum(1.0 / (1.0 + exp(-e)));
		values[c++] = Float8GetDatum(e);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* --- exclusions --- */

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static void
exclude_init(ExcludeSet *ex, FunctionCallInfo fcinfo, int argno)
{
	Datum	   *elems;
	bool	   *enulls;
	int			ne;

	ex->n = 0;
	ex->names = NULL;
	if (PG_ARGISNULL(argno))
		return;
	if (ARR_NDIM(PG_GETARG_ARRAYTYPE_P(argno)) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("exclude must be a one-dimensional array")));
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(argno), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &enulls, &ne);
	ex->names = palloc(sizeof(char *) * Max(ne, 1));
	for (int i = 0; i < ne; i++)
		if (!enulls[i])
			ex->names[ex->n++] = TextDatumGetCString(elems[i]);
	qsort(ex->names, ex->n, sizeof(char *), cmp_cstring);
}

/* is the arm (a text value, not NUL-terminated) excluded? */
static bool
exclude_contains(const ExcludeSet *ex, const char *arm, int len)
{
	int			lo = 0,
				hi = ex->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const char *e = ex->names[mid];
		int			c = strncmp(e, arm, len);

		if (c == 0)
			c = (e[len] != '\0');
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

static int32
getarg_k(FunctionCallInfo fcinfo, int argno)
{
	int32		k;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be null")));
	k = PG_GETARG_INT32(argno);
	if (k <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be positive")));
	return k;
}

static text *
getarg_model(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be null")));
	return PG_GETARG_TEXT_PP(0);
}

static void
request_scratch(Request *r, MemoryContext cxt)
{
	int			d = Max(r->m->dim, 1);

	r->L = MemoryContextAlloc(cxt, sizeof(double) * CMAB_PACKED_SIZE(d));
	r->b = MemoryContextAlloc(cxt, sizeof(double) * d);
	r->work = MemoryContextAlloc(cxt, sizeof(double) * 2 * d);
}

/* --- one context: stream the arm rows into a scoring receiver --- */

typedef struct ScoreReceiver
{
	DestReceiver pub;
	Request    *req;
	TopK	   *top;
	int			capacity;
	const ExcludeSet *ex;
	MemoryContext outer;		/* kept arm names */
	MemoryContext rowcxt;		/* reset after every row */
	ArmErrorContext *errctx;
	/* Popularity keeps every arm: its draw needs all means first */
	bool		keep_all;
	int			nall;
	int			capall;
	Cand	   *all;
	bool	   *all_excluded;
} ScoreReceiver;

static bool
score_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ScoreReceiver *rcv = (ScoreReceiver *) self;
	bool		isnull;
	text	   *arm;
	int32		ord;
	bytea	   *raw;
	bool		excluded;
	double		e;
	MemoryContext old;

	CHECK_FOR_INTERRUPTS();
	old = MemoryContextSwitchTo(rcv->rowcxt);
	arm = DatumGetTextPP(slot_getattr(slot, 1, &isnull));
	ord = DatumGetInt32(slot_getattr(slot, 2, &isnull));
	rcv->errctx->arm = arm;
	excluded = rcv->ex->n > 0 &&
		exclude_contains(rcv->ex, VARDATA_ANY(arm), VARSIZE_ANY_EXHDR(arm));

	if (rcv->keep_all || !excluded)
	{
		raw = DatumGetByteaPP(slot_getattr(slot, 3, &isnull));
		e = score_arm(rcv->req, raw, ord);
		if (rcv->keep_all)
		{
			if (rcv->nall == rcv->capall)
			{
				rcv->capall *= 2;
				rcv->all = repalloc_huge(rcv->all, sizeof(Cand) * rcv->capall);
				rcv->all_excluded = repalloc_huge(rcv->all_excluded,
												  sizeof(bool) * rcv->capall);
			}
			rcv->all[rcv->nall].e = e;
			rcv->all[rcv->nall].ord = ord;
			rcv->all[rcv->nall].arm = MemoryContextStrdup(rcv->outer, text_to_cstring(arm));
			rcv->all_excluded[rcv->nall++] = excluded;
		}
		else
		{
			Cand	   *c;

			if (rcv->top->n == rcv->capacity)
			{
				rcv->capacity *= 2;
				rcv->top->h = repalloc_huge(rcv->top->h, sizeof(Cand) * rcv->capacity);
			}
			c = topk_offer(rcv->top, e, ord, rcv->capacity);
			if (c)
				c->arm = MemoryContextStrdup(rcv->outer, text_to_cstring(arm));
		}
	}
	rcv->errctx->arm = NULL;
	MemoryContextSwitchTo(old);
	MemoryContextReset(rcv->rowcxt);
	return true;
}

static void
score_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
score_shutdown(DestReceiver *self)
{
}

static void
score_destroy(DestReceiver *self)
{
}

/*
 * cmab_recommend(model, context, k, exclude, seed)
 *	-> (rank, arm, score, expectation)
 */
Datum
cmab_recommend(PG_FUNCTION_ARGS)
{
	MemoryContext outer = CurrentMemoryContext;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *model = getarg_model(fcinfo);
	int32		k = getarg_k(fcinfo, 2);
	int			dim = 0;
	double	   *x = NULL;
	ExcludeSet	ex;
	CmabModel	m;
	Request		req;
	TopK		top;
	ScoreReceiver rcv;
	ArmErrorContext errctx = {NULL, NULL};
	ErrorContextCallback errcallback;
	SPIExecuteOptions opts;
	ParamListInfo params;
	int			rc;

	if (!PG_ARGISNULL(1))
		x = cmab_context_from_array(PG_GETARG_ARRAYTYPE_P(1), &dim, "context");
	exclude_init(&ex, fcinfo, 3);
	InitMaterializedSRF(fcinfo, 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	cmab_model_read(fcinfo, model, &m, outer);
	cmab_model_check_context(&m, x, dim);

	req.m = &m;
	request_scratch(&req, outer);
	start_request(&req, x, PG_ARGISNULL(4) ? derived_seed(&m, x, dim)
				  : (uint64) PG_GETARG_INT64(4));

	memset(&rcv, 0, sizeof(rcv));
	rcv.pub.receiveSlot = score_receive;
	rcv.pub.rStartup = score_startup;
	rcv.pub.rShutdown = score_shutdown;
	rcv.pub.rDestroy = score_destroy;
	rcv.pub.mydest = DestNone;
	rcv.req = &req;
	rcv.ex = &ex;
	rcv.outer = outer;
	rcv.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "cmab recommend row",
									   ALLOCSET_SMALL_SIZES);
	rcv.errctx = &errctx;
	rcv.keep_all = (m.params.policy == CMAB_POLICY_POPULARITY);
	rcv.capacity = Min(k, 64);
	top.k = k;
	top.n = 0;
	top.h = MemoryContextAlloc(outer, sizeof(Cand) * rcv.capacity);
	rcv.top = &top;
	if (rcv.keep_all)
	{
		rcv.capall = 64;
		rcv.all = MemoryContextAlloc(outer, sizeof(Cand) * rcv.capall);
		rcv.all_excluded = MemoryContextAlloc(outer, sizeof(bool) * rcv.capall);
	}

	params = makeParamList(1);
	params->params[0].value = Int32GetDatum(m.model_id);
	params->params[0].isnull = false;
	params->params[0].ptype = INT4OID;
	params->params[0].pflags = PARAM_FLAG_CONST;
	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = true;
	opts.dest = (DestReceiver *) &rcv;

	errctx.model = m.name;
	errcallback.callback = arm_error_callback;
	errcallback.arg = &errctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	/* with a receiver of our own, SPI reports a SELECT as a utility command */
	rc = SPI_execute_plan_extended(cmab_arms_plan, &opts);
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "could not read arms: %s", SPI_result_code_string(rc));
	error_context_stack = errcallback.previous;

	if (rcv.keep_all)
	{
		double	   *e = palloc(sizeof(double) * Max(rcv.nall, 1));
		int32	   *ord = palloc(sizeof(int32) * Max(rcv.nall, 1));

		for (int i = 0; i < rcv.nall; i++)
		{
			e[i] = rcv.all[i].e;
			ord[i] = rcv.all[i].ord;
		}
		popularity_draw(e, ord, rcv.nall, req.seed);
		pfree(top.h);
		top.h = MemoryContextAlloc(outer, sizeof(Cand) * Max(rcv.nall, 1));
		for (int i = 0; i < rcv.nall; i++)
		{
			Cand	   *c;

			if (rcv.all_excluded[i])
				continue;
			c = topk_offer(&top, e[i], rcv.all[i].ord, rcv.nall);
			if (c)
				c->arm = rcv.all[i].arm;
		}
	}
	SPI_finish();

	emit(rsinfo, &top, 0);
	return (Datum) 0;
}

/* --- many contexts --- */

/* Read a float8[m][d] array of contexts: each finite and bounded. */
static double *
contexts_from_array(ArrayType *arr, int *m, int *d)
{
	int			n;
	double	   *out;

	if (ARR_NDIM(arr) == 0)
	{
		/* no contexts, nothing to recommend */
		*m = 0;
		*d = 0;
		return palloc(sizeof(double));
	}
	if (ARR_NDIM(arr) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("contexts must be a two-dimensional array, one context per row")));
	*m = ARR_DIMS(arr)[0];
	*d = ARR_DIMS(arr)[1];
	if (*d > CMAB_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("contexts have %d elements, more than the maximum of %d",
						*d, CMAB_MAX_DIM)));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("contexts must not contain null values")));
	n = (*m) * (*d);
	out = palloc_extended(sizeof(double) * Max(n, 1), MCXT_ALLOC_HUGE);
	memcpy(out, ARR_DATA_PTR(arr), sizeof(double) * n);
	/* elements counted from 1 in row-major order */
	cmab_check_values(out, n, 1, "contexts");
	return out;
}

/*
 * cmab_recommend_batch(model, contexts float8[][], k, exclude, seeds bigint[])
 *	-> (item, rank, arm, score, expectation)
 *
 * Row i of contexts is request i (item i, from 1), with seed seeds[i] when
 * given.  Equals cmab_recommend of each context with the same seed.
 *
 * Every arm state is decoded once.  For the linear policies both moments of
 * every (context, arm) pair come from two matrix products: mean = X B with
 * the arms' coefficients as the columns of B, and q = x' A^-1 x = phi(x) .
 * vech(A^-1) with phi(x) the products x_j x_k (doubled off the diagonal),
 * so Q = Phi V with the arms' packed inverses as the columns of V.  Contexts
 * are processed in blocks to bound memory.
 */
Datum
cmab_recommend_batch(PG_FUNCTION_ARGS)
{
	MemoryContext outer = CurrentMemoryContext;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *model = getarg_model(fcinfo);
	int32		k = getarg_k(fcinfo, 2);
	ExcludeSet	ex;
	CmabModel	m;
	Request		req;
	int			nctx,
				dim;
	double	   *X;
	uint64	   *seeds;
	int			narms;
	char	  **names;
	int32	   *ords;
	bool	   *excluded;
	CmabState **states;
	double	   *e;				/* one context's expectations for every arm */
	double		means_total = 0;
	TopK		top;
	ArmErrorContext errctx = {NULL, NULL};
	ErrorContextCallback errcallback;
	int			d,
				P;
	double	   *B = NULL,
			   *V = NULL;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("contexts must not be null")));
	X = contexts_from_array(PG_GETARG_ARRAYTYPE_P(1), &nctx, &dim);
	exclude_init(&ex, fcinfo, 3);
	seeds = palloc(sizeof(uint64) * Max(nctx, 1));
	if (!PG_ARGISNULL(4))
	{
		ArrayType  *sa = PG_GETARG_ARRAYTYPE_P(4);

		if (ARR_NDIM(sa) != 1 || ArrayGetNItems(1, ARR_DIMS(sa)) != nctx ||
			(ARR_HASNULL(sa) && array_contains_nulls(sa)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("seeds must hold one non-null seed per context")));
		for (int i = 0; i < nctx; i++)
			seeds[i] = (uint64) ((int64 *) ARR_DATA_PTR(sa))[i];
	}
	InitMaterializedSRF(fcinfo, 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	cmab_model_read(fcinfo, model, &m, outer);
	if (nctx > 0 && dim != m.dim)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("contexts have %d elements but model \"%s\" expects %d",
						dim, m.name, m.dim)));
	if (PG_ARGISNULL(4))
		for (int i = 0; i < nctx; i++)
			seeds[i] = derived_seed(&m, X + (size_t) i * dim, dim);
	d = m.dim;
	P = (int) CMAB_PACKED_SIZE(d);
	req.m = &m;
	request_scratch(&req, outer);

	/* read and decode every arm once */
	{
		Datum		args[1] = {Int32GetDatum(m.model_id)};

		if (SPI_execute_plan(cmab_arms_plan, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read arms");
	}
	if (SPI_processed > INT_MAX / Max(P + d, 1))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model \"%s\" has too many arms for a batch", m.name)));
	narms = (int) SPI_processed;
	names = MemoryContextAlloc(outer, sizeof(char *) * Max(narms, 1));
	ords = MemoryContextAlloc(outer, sizeof(int32) * Max(narms, 1));
	excluded = MemoryContextAllocZero(outer, sizeof(bool) * Max(narms, 1));
	states = MemoryContextAlloc(outer, sizeof(CmabState *) * Max(narms, 1));
	if (m.family == CMAB_FAMILY_LINEAR)
	{
		B = MemoryContextAllocExtended(outer, sizeof(double) * (size_t) d * Max(narms, 1),
									   MCXT_ALLOC_HUGE);
		V = MemoryContextAllocExtended(outer, sizeof(double) * (size_t) P * Max(narms, 1),
									   MCXT_ALLOC_HUGE);
	}
	errctx.model = m.name;
	errcallback.callback = arm_error_callback;
	errcallback.arg = &errctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	for (int a = 0; a < narms; a++)
	{
		HeapTuple	tup = SPI_tuptable->vals[a];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		text	   *arm;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(outer);
		arm = DatumGetTextPP(SPI_getbinval(tup, desc, 1, &isnull));
		errctx.arm = arm;
		names[a] = text_to_cstring(arm);
		ords[a] = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		excluded[a] = ex.n > 0 &&
			exclude_contains(&ex, VARDATA_ANY(arm), VARSIZE_ANY_EXHDR(arm));
		states[a] = cmab_state_decode(DatumGetByteaPP(SPI_getbinval(tup, desc, 3, &isnull)),
									  m.family == CMAB_FAMILY_LINEAR);
		check_state_fits(&m, &states[a]->hdr);
		if (m.family == CMAB_FAMILY_LINEAR)
		{
			double	   *beta = B + (size_t) a * d;

			/* beta = A^-1 b, and vech(A^-1) with its off-diagonal as phi expects */
			memcpy(beta, states[a]->b, sizeof(double) * d);
			cmab_forward_solve(states[a]->L, beta, d);
			cmab_backward_solve(states[a]->L, beta, d);
			cmab_factor_packed_inverse(states[a]->L, V + (size_t) a * P, d);
		}
		else if (m.params.policy == CMAB_POLICY_POPULARITY)
			means_total += score_counts(&req, states[a], 0);
		MemoryContextSwitchTo(old);
	}
	errctx.arm = NULL;
	error_context_stack = errcallback.previous;
	SPI_finish();

	e = palloc(sizeof(double) * Max(narms, 1));
	top.h = palloc(sizeof(Cand) * Max(Min(k, narms), 1));

	/* then every context, in blocks */
	{
		/*
		 * blocks small enough that the products stay in cache and that the
		 * products of a large d stay bounded (Phi is P x block, Q and M are
		 * narms x block)
		 */
		int			block = Max(1, Min(nctx, Min(8192 / Max(narms, 1),
												 (1 << 20) / Max(P, 1))));
		double	   *Phi = NULL,
				   *Q = NULL,
				   *M = NULL;

		if (m.family == CMAB_FAMILY_LINEAR)
		{
			Phi = palloc_extended(sizeof(double) * (size_t) P * block, MCXT_ALLOC_HUGE);
			Q = palloc_extended(sizeof(double) * (size_t) Max(narms, 1) * block, MCXT_ALLOC_HUGE);
			M = palloc_extended(sizeof(double) * (size_t) Max(narms, 1) * block, MCXT_ALLOC_HUGE);
		}
		for (int start = 0; start < nctx; start += block)
		{
			int			nb = Min(block, nctx - start);

			CHECK_FOR_INTERRUPTS();
			if (m.family == CMAB_FAMILY_LINEAR && narms > 0)
			{
				for (int i = 0; i < nb; i++)
				{
					const double *x = X + (size_t) (start + i) * d;
					double	   *phi = Phi + (size_t) i * P;

					for (int r = 0; r < d; r++)
					{
						for (int c = 0; c < r; c++)
							*phi++ = 2 * x[r] * x[c];
						*phi++ = x[r] * x[r];
					}
				}
				/* Q = V' Phi and M = B' X: narms x nb, column per context */
				cmab_gemm_tn(narms, nb, P, V, Phi, Q);
				cmab_gemm_tn(narms, nb, d, B, X + (size_t) start * d, M);
			}
			for (int i = 0; i < nb; i++)
			{
				int			c = start + i;
				double		drawn = 0;

				start_request(&req, X + (size_t) c * dim, seeds[c]);
				if (m.params.policy == CMAB_POLICY_LINUCB)
				{
					const double *mc = M + (size_t) i * narms;
					const double *qc = Q + (size_t) i * narms;
					double		alpha = m.params.alpha;
					bool		finite = true;

					for (int a = 0; a < narms; a++)
					{
						e[a] = mc[a] + alpha * sqrt(Max(qc[a], 0.0));
						finite &= isfinite(e[a]);
					}
					if (!finite)
						(void) cmab_check_score(NAN);
				}
				else
				for (int a = 0; a < narms; a++)
				{
					if (m.family == CMAB_FAMILY_LINEAR)
					{
						CmabRng		rng;
						size_t		at = (size_t) i * narms + a;

						if (m.params.policy != CMAB_POLICY_LINUCB)
							cmab_rng_seed(&rng, cmab_mix64(seeds[c], (uint64) ords[a]));
						e[a] = cmab_linear_policy_score(m.params.policy, m.params.alpha,
														M[at], Max(Q[at], 0.0), &rng,
														req.explore);
					}
					else if (m.params.policy == CMAB_POLICY_POPULARITY)
					{
						double		mean = score_counts(&req, states[a], 0);
						double		p = means_total > 0 ? mean / means_total : 1.0 / narms;
						CmabRng		rng;

						cmab_rng_seed(&rng, cmab_mix64(seeds[c], (uint64) ords[a]));
						e[a] = cmab_rng_gamma(&rng, p + CMAB_POPULARITY_TINY);
						drawn += e[a];
					}
					else
						e[a] = score_counts(&req, states[a], ords[a]);
				}
				top.k = k;
				top.n = 0;
				for (int a = 0; a < narms; a++)
				{
					Cand	   *cand;

					/* most arms lose to the worst kept: skip them cheaply */
					if (excluded[a] ||
						(top.n == top.k &&
						 (e[a] < top.h[0].e ||
						  (e[a] == top.h[0].e && ords[a] > top.h[0].ord))))
						continue;
					cand = topk_offer(&top, e[a], ords[a], Max(Min(k, narms), 1));
					if (cand)
						cand->arm = names[a];
				}
				if (drawn > 0)
					for (int j = 0; j < top.n; j++)
						top.h[j].e /= drawn;
				emit(rsinfo, &top, c + 1);
			}
		}
	}
	return (Datum) 0;
}
