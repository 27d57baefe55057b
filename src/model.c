/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Reading a model's registry row through cached SPI plans.
 *
 * The plans are prepared once per backend (and again if the extension's
 * schema changes).  Tables are schema-qualified with the calling function's
 * own schema and operators are taken from pg_catalog, so the caller's
 * search_path cannot redirect them; the executor applies the caller's
 * privileges.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "model.h"

SPIPlanPtr	cmab_arms_plan = NULL;
SPIPlanPtr	cmab_update_plan = NULL;

static Oid	plan_namespace = InvalidOid;
static SPIPlanPtr model_plan = NULL;

/*
 * A saved plan that is planned once: without CURSOR_OPT_GENERIC_PLAN the plan
 * cache may keep re-planning for every model_id, which costs more than the
 * whole recommendation of a small model.
 */
static SPIPlanPtr
prepare_saved(const char *query, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(query, nargs, argtypes,
										  CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	return plan;
}

static void
prepare_plans(Oid nspid)
{
	const char *nsp;
	StringInfoData q;
	Oid			model_args[1] = {TEXTOID};
	Oid			arms_args[1] = {INT4OID};
	Oid			update_args[5] = {INT4OID, TEXTOID, FLOAT8ARRAYOID, FLOAT8OID, INT4OID};

	if (plan_namespace == nspid && model_plan)
		return;
	if (model_plan)
		SPI_freeplan(model_plan);
	if (cmab_arms_plan)
		SPI_freeplan(cmab_arms_plan);
	if (cmab_update_plan)
		SPI_freeplan(cmab_update_plan);
	model_plan = cmab_arms_plan = cmab_update_plan = NULL;

	nsp = quote_identifier(get_namespace_name(nspid));
	initStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT model_id, policy, dim, alpha, epsilon, l2_lambda, "
					 "n_clusters, seed, centroids FROM %s.cmab_model "
					 "WHERE name OPERATOR(pg_catalog.=) $1", nsp);
	model_plan = prepare_saved(q.data, 1, model_args);
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "SELECT arm, arm_ord, state FROM %s.cmab_arm "
					 "WHERE model_id OPERATOR(pg_catalog.=) $1", nsp);
	cmab_arms_plan = prepare_saved(q.data, 1, arms_args);
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "UPDATE %s.cmab_arm SET state = %s.cmab_state_add(state, $3, $4, $5) "
					 "WHERE model_id OPERATOR(pg_catalog.=) $1 AND arm OPERATOR(pg_catalog.=) $2 "
					 "RETURNING pg_catalog.substring(state, 1, 40)", nsp, nsp);
	cmab_update_plan = prepare_saved(q.data, 5, update_args);
	plan_namespace = nspid;
}

/*
 * Read the registry row of model 'name' (inside SPI; the caller's function
 * must live in the extension's schema).  Allocations go to outer.
 */
void
cmab_model_read(FunctionCallInfo fcinfo, text *name, CmabModel *m,
				MemoryContext outer)
{
	Datum		args[1] = {PointerGetDatum(name)};
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Datum		d;
	MemoryContext old;

	prepare_plans(get_func_namespace(fcinfo->flinfo->fn_oid));
	if (SPI_execute_plan(model_plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read model");
	m->name = MemoryContextStrdup(outer, text_to_cstring(name));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("model \"%s\" does not exist", m->name)));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	m->model_id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	m->params.policy = cmab_policy_from_name(SPI_getvalue(tup, desc, 2));
	m->family = cmab_policy_family(m->params.policy);
	m->dim = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
	m->params.alpha = DatumGetFloat8(SPI_getbinval(tup, desc, 4, &isnull));
	m->params.epsilon = DatumGetFloat8(SPI_getbinval(tup, desc, 5, &isnull));
	m->params.l2_lambda = DatumGetFloat8(SPI_getbinval(tup, desc, 6, &isnull));
	m->params.n_clusters = DatumGetInt32(SPI_getbinval(tup, desc, 7, &isnull));
	m->seed = DatumGetInt64(SPI_getbinval(tup, desc, 8, &isnull));
	m->centroids = NULL;
	m->k = 0;
	d = SPI_getbinval(tup, desc, 9, &isnull);
	/* centroids matter to the Clusters policy only */
	if (!isnull && m->params.policy == CMAB_POLICY_CLUSTERS_TS)
	{
		int			cd;

		old = MemoryContextSwitchTo(outer);
		m->centroids = cmab_centroids_from_array(DatumGetArrayTypeP(d), &m->k, &cd);
		MemoryContextSwitchTo(old);
		if (cd != m->dim)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("centroids of model \"%s\" do not match its dimension",
							m->name)));
	}
	if (m->params.policy == CMAB_POLICY_CLUSTERS_TS && m->centroids == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("model \"%s\" has no clusters yet", m->name),
				 errhint("Fit the model first with cmab_fit().")));
}

/*
 * A context (already read by cmab_context_from_array, or NULL) must have
 * the model's dimension; a model of dimension 0 takes none.
 */
void
cmab_model_check_context(const CmabModel *m, const double *x, int dim)
{
	if (x == NULL && m->dim > 0)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("context must not be null")));
	if (dim != m->dim)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("context has %d elements but model \"%s\" expects %d",
						dim, m->name, m->dim)));
}

/*
 * An arm state must be what its model keeps: the family of its policy, the
 * model's dimension and l2_lambda (linear), one slot or one per cluster
 * (counts).  Anything else was put there by hand.
 */
void
cmab_model_check_state(const CmabModel *m, const CmabStateHeader *hdr)
{
	int			want_dim;

	if (m->family == CMAB_FAMILY_LINEAR)
		want_dim = m->dim;
	else if (m->params.policy == CMAB_POLICY_CLUSTERS_TS)
		want_dim = m->k;
	else
		want_dim = 1;
	if (hdr->family != m->family || hdr->dim != want_dim ||
		(m->family == CMAB_FAMILY_LINEAR && hdr->l2_lambda != m->params.l2_lambda))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("arm state does not fit model \"%s\"", m->name),
				 errdetail("The model keeps %s states of dimension %d%s; this state is %s of dimension %d%s.",
						   m->family == CMAB_FAMILY_LINEAR ? "linear" : "counts",
						   want_dim,
						   m->family == CMAB_FAMILY_LINEAR ? psprintf(" and l2_lambda %g", m->params.l2_lambda) : "",
						   hdr->family == CMAB_FAMILY_LINEAR ? "linear" : "counts",
						   hdr->dim,
						   hdr->family == CMAB_FAMILY_LINEAR ? psprintf(" and l2_lambda %g", hdr->l2_lambda) : "")));
}
