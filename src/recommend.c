/*-------------------------------------------------------------------------
 *
 * recommend.c
 *	  cmab_recommend(): the top-k arms of a model for one context.
 *
 * A thin reader over the pure scoring kernels of policy.c: it reads the
 * model row and the arm rows with two cached SPI plans (plain MVCC reads,
 * so it never waits for a concurrent cmab_update), scores every arm in one
 * pass, removes excluded arms and returns the best k.
 *
 * Ordering: higher score first; equal scores go to the arm registered first
 * (MABWiser's arg-max convention).  Scores are sigmoid(expectation), as
 * Mab2Rec reports them; the raw expectation is returned beside it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "policy.h"

PG_FUNCTION_INFO_V1(cmab_recommend);

typedef struct Candidate
{
	char	   *arm;
	int32		arm_ord;
	double		expectation;
	bool		excluded;
} Candidate;

typedef struct ModelRow
{
	int32		model_id;
	CmabParams	params;
	int32		dim;
	int64		seed;
	int			k;				/* clusters */
	double	   *centroids;
} ModelRow;

typedef struct ArmErrorContext
{
	const char *model;
	const char *arm;
} ArmErrorContext;

static void
arm_error_callback(void *arg)
{
	ArmErrorContext *ctx = arg;

	if (ctx->arm)
		errcontext("reading arm \"%s\" of model \"%s\"", ctx->arm, ctx->model);
}

static Oid	plan_namespace = InvalidOid;
static SPIPlanPtr model_plan = NULL;
static SPIPlanPtr arms_plan = NULL;

/*
 * Prepare (once per backend and schema) the two queries we run.  Tables are
 * schema-qualified and operators taken from pg_catalog, so the caller's
 * search_path cannot redirect them.
 */
static void
prepare_plans(Oid nspid)
{
	const char *nsp;
	StringInfoData q;
	Oid			argtypes[1];

	if (plan_namespace == nspid && model_plan && arms_plan)
		return;
	if (model_plan)
		SPI_freeplan(model_plan);
	if (arms_plan)
		SPI_freeplan(arms_plan);
	model_plan = arms_plan = NULL;

	nsp = quote_identifier(get_namespace_name(nspid));
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT model_id, policy, dim, alpha, epsilon, l2_lambda, "
					 "n_clusters, seed, centroids FROM %s.cmab_model "
					 "WHERE name OPERATOR(pg_catalog.=) $1",
					 nsp);
	argtypes[0] = TEXTOID;
	model_plan = SPI_prepare(q.data, 1, argtypes);
	if (model_plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	SPI_keepplan(model_plan);

	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT arm, arm_ord, state FROM %s.cmab_arm "
					 "WHERE model_id OPERATOR(pg_catalog.=) $1",
					 nsp);
	argtypes[0] = INT4OID;
	arms_plan = SPI_prepare(q.data, 1, argtypes);
	if (arms_plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	SPI_keepplan(arms_plan);
	plan_namespace = nspid;
}

static void
read_model(text *name, ModelRow *m, MemoryContext outer)
{
	Datum		args[1] = {PointerGetDatum(name)};
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;

	if (SPI_execute_plan(model_plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read model");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", text_to_cstring(name))));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	m->model_id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	m->params.policy = cmab_policy_from_name(SPI_getvalue(tup, desc, 2));
	m->dim = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
	m->params.alpha = DatumGetFloat8(SPI_getbinval(tup, desc, 4, &isnull));
	m->params.epsilon = DatumGetFloat8(SPI_getbinval(tup, desc, 5, &isnull));
	m->params.l2_lambda = DatumGetFloat8(SPI_getbinval(tup, desc, 6, &isnull));
	m->params.n_clusters = DatumGetInt32(SPI_getbinval(tup, desc, 7, &isnull));
	m->seed = DatumGetInt64(SPI_getbinval(tup, desc, 8, &isnull));
	m->centroids = NULL;
	m->k = 0;
	d = SPI_getbinval(tup, desc, 9, &isnull);
	if (!isnull)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);
		int			cd;

		m->centroids = cmab_centroids_from_array(DatumGetArrayTypeP(d), &m->k, &cd);
		MemoryContextSwitchTo(old);
		if (cd != m->dim)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("centroids of model \"%s\" do not match its dimension",
							text_to_cstring(name))));
	}
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int
cmp_candidate(const void *a, const void *b)
{
	const Candidate *x = a;
	const Candidate *y = b;

	if (x->excluded != y->excluded)
		return x->excluded ? 1 : -1;
	if (x->expectation > y->expectation)
		return -1;
	if (x->expectation < y->expectation)
		return 1;
	return (x->arm_ord > y->arm_ord) - (x->arm_ord < y->arm_ord);
}

/*
 * The request seed: the caller's, or else one derived from the model's seed,
 * the context and the statement's start time (so a statement sees one
 * consistent draw, which keeps the function honestly STABLE).
 */
static uint64
request_seed(FunctionCallInfo fcinfo, const ModelRow *m, const double *x, int dim)
{
	uint64		h;

	if (!PG_ARGISNULL(4))
		return (uint64) PG_GETARG_INT64(4);
	h = cmab_mix64((uint64) m->seed, (uint64) GetCurrentStatementStartTimestamp());
	for (int i = 0; i < dim; i++)
	{
		uint64		bits;

		memcpy(&bits, &x[i], sizeof(bits));
		h = cmab_mix64(h, bits);
	}
	return h;
}

Datum
cmab_recommend(PG_FUNCTION_ARGS)
{
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext armcxt;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *model;
	int32		k;
	int			dim = 0;
	double	   *x = NULL;
	char	  **excl = NULL;
	int			nexcl = 0;
	ModelRow	m;
	Candidate  *cands;
	uint64		nrows;
	uint64		seed;
	int			family;
	int			slot = 0;
	bool		explore = false;
	double		popularity_total = 0;
	double		draw_total = 0;
	double	   *work;
	int			nout;
	ArmErrorContext errctx;
	ErrorContextCallback errcallback;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be null")));
	model = PG_GETARG_TEXT_PP(0);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be null")));
	k = PG_GETARG_INT32(2);
	if (k <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be positive")));
	if (!PG_ARGISNULL(1))
		x = cmab_context_from_array(PG_GETARG_ARRAYTYPE_P(1), &dim, "context");
	if (!PG_ARGISNULL(3))
	{
		Datum	   *elems;
		bool	   *enulls;
		int			ne;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), TEXTOID, -1, false,
						  TYPALIGN_INT, &elems, &enulls, &ne);
		excl = palloc(sizeof(char *) * Max(ne, 1));
		for (int i = 0; i < ne; i++)
			if (!enulls[i])
				excl[nexcl++] = TextDatumGetCString(elems[i]);
		qsort(excl, nexcl, sizeof(char *), cmp_cstring);
	}

	InitMaterializedSRF(fcinfo, 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	prepare_plans(get_func_namespace(fcinfo->flinfo->fn_oid));
	read_model(model, &m, outer);

	if (x == NULL && m.dim > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("context must not be null")));
	if (dim != m.dim)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("context has %d elements but model \"%s\" expects %d",
						dim, text_to_cstring(model), m.dim)));
	family = cmab_policy_family(m.params.policy);
	seed = request_seed(fcinfo, &m, x, dim);
	if (m.params.policy == CMAB_POLICY_CLUSTERS_TS)
	{
		if (m.centroids == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("model \"%s\" has no clusters yet", text_to_cstring(model)),
					 errhint("Fit the model first with cmab_fit().")));
		slot = cmab_nearest_centroid(m.centroids, m.k, dim, x);
	}
	if (m.params.policy == CMAB_POLICY_LINGREEDY)
	{
		CmabRng		rng;

		cmab_rng_seed(&rng, cmab_mix64(seed, PG_UINT64_MAX));
		explore = cmab_rng_uniform(&rng) < m.params.epsilon;
	}

	{
		Datum		args[1] = {Int32GetDatum(m.model_id)};

		if (SPI_execute_plan(arms_plan, args, NULL, true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read arms");
	}
	nrows = SPI_processed;
	cands = MemoryContextAllocZero(outer, sizeof(Candidate) * Max(nrows, 1));
	work = MemoryContextAlloc(outer, sizeof(double) * 2 * Max(dim, 1));
	armcxt = AllocSetContextCreate(CurrentMemoryContext, "cmab recommend arm",
								   ALLOCSET_DEFAULT_SIZES);
	errctx.model = text_to_cstring(model);
	errctx.arm = NULL;
	errcallback.callback = arm_error_callback;
	errcallback.arg = &errctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	for (uint64 i = 0; i < nrows; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Candidate  *c = &cands[i];
		bool		isnull;
		MemoryContext old;
		CmabState  *st;
		CmabRng		rng;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(outer);
		c->arm = TextDatumGetCString(SPI_getbinval(tup, desc, 1, &isnull));
		MemoryContextSwitchTo(armcxt);
		c->arm_ord = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
		errctx.arm = c->arm;
		c->excluded = nexcl > 0 &&
			bsearch(&c->arm, excl, nexcl, sizeof(char *), cmp_cstring) != NULL;
		d = SPI_getbinval(tup, desc, 3, &isnull);
		st = cmab_state_decode(DatumGetByteaPP(d), family == CMAB_FAMILY_LINEAR);
		if (st->hdr.family != family ||
			(family == CMAB_FAMILY_LINEAR && st->hdr.dim != m.dim) ||
			(m.params.policy == CMAB_POLICY_CLUSTERS_TS && st->hdr.dim != m.k))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("state of arm \"%s\" does not fit model \"%s\"",
							c->arm, text_to_cstring(model))));
		cmab_rng_seed(&rng, cmab_mix64(seed, (uint64) c->arm_ord));

		switch (m.params.policy)
		{
			case CMAB_POLICY_RANDOM:
				c->expectation = cmab_rng_uniform(&rng);
				break;
			case CMAB_POLICY_POPULARITY:
				/* mean reward now; the Dirichlet draw needs their total */
				c->expectation = st->hdr.n > 0 ? st->hdr.reward_sum / st->hdr.n : 0;
				if (c->expectation < 0)
					ereport(ERROR,
							(errcode(ERRCODE_DATA_EXCEPTION),
							 errmsg("popularity needs non-negative rewards")));
				popularity_total += c->expectation;
				break;
			case CMAB_POLICY_THOMPSON:
			case CMAB_POLICY_CLUSTERS_TS:
				c->expectation = cmab_beta_draw(st, slot, &rng);
				break;
			case CMAB_POLICY_LINGREEDY:
				if (explore)
					c->expectation = cmab_rng_uniform(&rng);
				else
					c->expectation = cmab_linear_score(st, x, 0.0, NULL, work);
				break;
			case CMAB_POLICY_LINUCB:
				c->expectation = cmab_linear_score(st, x, m.params.alpha, NULL, work);
				break;
			case CMAB_POLICY_LINTS:
				c->expectation = cmab_linear_score(st, x, m.params.alpha, &rng, work);
				break;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(armcxt);
	}

	error_context_stack = errcallback.previous;

	/* Popularity: one Dirichlet(p + tiny) draw over all arms */
	if (m.params.policy == CMAB_POLICY_POPULARITY)
	{
		for (uint64 i = 0; i < nrows; i++)
		{
			double		p = popularity_total > 0 ?
				cands[i].expectation / popularity_total : 1.0 / nrows;
			CmabRng		rng;

			cmab_rng_seed(&rng, cmab_mix64(seed, (uint64) cands[i].arm_ord));
			cands[i].expectation = cmab_rng_gamma(&rng, p + CMAB_POPULARITY_TINY);
			draw_total += cands[i].expectation;
		}
		for (uint64 i = 0; i < nrows && draw_total > 0; i++)
			cands[i].expectation /= draw_total;
	}

	SPI_finish();

	qsort(cands, nrows, sizeof(Candidate), cmp_candidate);
	nout = 0;
	for (uint64 i = 0; i < nrows && nout < k; i++)
	{
		Datum		values[4];
		bool		nulls[4] = {0};

		if (cands[i].excluded)
			break;
		nout++;
		values[0] = Int32GetDatum(nout);
		values[1] = CStringGetTextDatum(cands[i].arm);
		values[2] = Float8GetDatum(1.0 / (1.0 + exp(-cands[i].expectation)));
		values[3] = Float8GetDatum(cands[i].expectation);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
