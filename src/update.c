/*-------------------------------------------------------------------------
 *
 * update.c
 *	  cmab_update(): learn from one event, durably.
 *
 * One UPDATE of the arm's row through a cached plan: it locks only that row
 * and, under concurrency, recomputes cmab_state_add() on the newest version
 * of the row (EvalPlanQual), so no update is ever lost and readers never
 * wait.  O(d^2) for the state, independent of the number of arms.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "model.h"

PG_FUNCTION_INFO_V1(cmab_update);

/*
 * cmab_update(model, arm, context, reward) -> the arm's observation count
 */
Datum
cmab_update(PG_FUNCTION_ARGS)
{
	MemoryContext outer = CurrentMemoryContext;
	text	   *model;
	double		reward;
	int			dim = 0;
	double	   *x = NULL;
	int32		slot = 0;
	CmabModel	m;
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	CmabStateHeader hdr;
	int			rc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("model must not be null")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("arm must not be null")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("reward must not be null")));
	model = PG_GETARG_TEXT_PP(0);
	reward = PG_GETARG_FLOAT8(3);
	cmab_check_reward(reward);
	if (!PG_ARGISNULL(2))
		x = cmab_context_from_array(PG_GETARG_ARRAYTYPE_P(2), &dim, "context");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	cmab_model_read(fcinfo, model, &m, outer);

	switch (m.params.policy)
	{
		case CMAB_POLICY_THOMPSON:
		case CMAB_POLICY_CLUSTERS_TS:
			if (reward != 0 && reward != 1)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("policy \"%s\" needs rewards of 0 or 1",
								m.params.policy == CMAB_POLICY_THOMPSON ? "thompson" : "clusters_ts")));
			break;
		case CMAB_POLICY_POPULARITY:
			if (reward < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("policy \"popularity\" needs non-negative rewards")));
			break;
		default:
			break;
	}
	/* every policy checks the context, whether it reads it or not */
	cmab_model_check_context(&m, x, dim);
	if (m.params.policy == CMAB_POLICY_CLUSTERS_TS)
		slot = cmab_nearest_centroid(m.centroids, m.k, m.dim, x);

	args[0] = Int32GetDatum(m.model_id);
	args[1] = PointerGetDatum(PG_GETARG_TEXT_PP(1));
	if (PG_ARGISNULL(2))
	{
		args[2] = (Datum) 0;
		nulls[2] = 'n';
	}
	else
		args[2] = PointerGetDatum(PG_GETARG_ARRAYTYPE_P(2));
	args[3] = Float8GetDatum(reward);
	args[4] = Int32GetDatum(slot);
	rc = SPI_execute_plan(cmab_update_plan, args, nulls, false, 0);
	if (rc != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not update arm: %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("arm \"%s\" does not exist in model \"%s\"",
						text_to_cstring(PG_GETARG_TEXT_PP(1)), m.name)));
	{
		bool		isnull;
		bytea	   *head = DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 1,
														 &isnull));

		memcpy(&hdr, VARDATA_ANY(head), sizeof(hdr));
	}
	/* a state of another shape was put there by hand: refuse, undoing the update */
	cmab_model_check_state(&m, &hdr);
	SPI_finish();
	PG_RETURN_INT64(hdr.n);
}
