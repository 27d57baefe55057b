/*-------------------------------------------------------------------------
 *
 * aggregate.c
 *	  Aggregates that fit arm states from rows of observations:
 *	  cmab_linear_agg(context, reward [, l2_lambda]) and
 *	  cmab_counts_agg(reward [, slot, slots]).
 *
 * The transition state is a decoded CmabState in the aggregate context.
 * Transitions only add to the sufficient statistics (O(d^2) a row); the
 * Cholesky factor is computed once, in the final function.  Combine, serial
 * and deserial functions make both aggregates usable in parallel plans.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "arm_state.h"

PG_FUNCTION_INFO_V1(cmab_linear_agg_transfn);
PG_FUNCTION_INFO_V1(cmab_counts_agg_transfn);
PG_FUNCTION_INFO_V1(cmab_agg_combine);
PG_FUNCTION_INFO_V1(cmab_agg_serial);
PG_FUNCTION_INFO_V1(cmab_agg_deserial);
PG_FUNCTION_INFO_V1(cmab_agg_final);

static MemoryContext
agg_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggcontext;
}

static CmabState *
copy_state(const CmabState *src)
{
	bytea	   *raw = cmab_state_encode(src, false);

	return cmab_state_decode(raw, false);
}

static double
getarg_reward(FunctionCallInfo fcinfo, int argno)
{
	double		reward;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("reward must not be null")));
	reward = PG_GETARG_FLOAT8(argno);
	cmab_check_reward(reward);
	return reward;
}

/*
 * cmab_linear_agg(context float8[], reward float8 [, l2_lambda float8])
 * A NULL context or reward is an error, not a skipped row: a silently
 * smaller fit is a wrong answer.
 */
Datum
cmab_linear_agg_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context(fcinfo, "cmab_linear_agg_transfn");
	CmabState  *st = PG_ARGISNULL(0) ? NULL : (CmabState *) PG_GETARG_POINTER(0);
	double		reward;
	const double *x;
	int			dim;
	MemoryContext old;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("context must not be null")));
	reward = getarg_reward(fcinfo, 2);
	x = cmab_context_view(PG_GETARG_ARRAYTYPE_P(1), &dim, "context");
	if (dim == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("context must not be empty")));

	if (st == NULL)
	{
		double		l2_lambda = 1.0;

		if (PG_NARGS() > 3)
		{
			if (PG_ARGISNULL(3))
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("l2_lambda must not be null")));
			l2_lambda = PG_GETARG_FLOAT8(3);
		}
		cmab_check_lambda(l2_lambda);
		old = MemoryContextSwitchTo(aggcontext);
		st = cmab_state_new_linear(dim, l2_lambda);
		/* transitions keep only A and b; the final function factors */
		st->hdr.flags &= ~CMAB_FLAG_FACTOR;
		MemoryContextSwitchTo(old);
	}
	else
	{
		cmab_state_check_dim(st, dim);
		if (PG_NARGS() > 3 && (PG_ARGISNULL(3) || PG_GETARG_FLOAT8(3) != st->hdr.l2_lambda))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("l2_lambda must be the same for every row of a group")));
	}

	cmab_state_add_linear(st, x, reward, false);
	PG_RETURN_POINTER(st);
}

/*
 * cmab_counts_agg(reward float8 [, slot int, slots int])
 * Context-free arms keep observation counts and reward sums, optionally per
 * slot (one slot a cluster for the Clusters policy).
 */
Datum
cmab_counts_agg_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context(fcinfo, "cmab_counts_agg_transfn");
	CmabState  *st = PG_ARGISNULL(0) ? NULL : (CmabState *) PG_GETARG_POINTER(0);
	double		reward = getarg_reward(fcinfo, 1);
	int32		slot = 0;
	int32		slots = 1;

	if (PG_NARGS() > 2)
	{
		if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("slot and slots must not be null")));
		slot = PG_GETARG_INT32(2);
		slots = PG_GETARG_INT32(3);
		if (slots < 1 || slots > CMAB_MAX_SLOTS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("slot count must be between 1 and %d", CMAB_MAX_SLOTS)));
	}
	if (st == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);

		st = cmab_state_new_counts(slots);
		MemoryContextSwitchTo(old);
	}
	else if (st->hdr.dim != slots)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("slot count changed from %d to %d within one group",
						st->hdr.dim, slots)));
	if (slot < 0 || slot >= slots)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("slot %d is out of range for %d slots", slot, slots)));
	cmab_state_add_count(st, slot, reward);
	PG_RETURN_POINTER(st);
}

/*
 * Combine two partial states.  Never returns the second argument itself:
 * it belongs to another context (tdigest learned this the hard way).
 * States of different shape are refused.
 */
Datum
cmab_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = agg_context(fcinfo, "cmab_agg_combine");
	CmabState  *a = PG_ARGISNULL(0) ? NULL : (CmabState *) PG_GETARG_POINTER(0);
	CmabState  *b = PG_ARGISNULL(1) ? NULL : (CmabState *) PG_GETARG_POINTER(1);
	MemoryContext old;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
	{
		old = MemoryContextSwitchTo(aggcontext);
		a = copy_state(b);
		MemoryContextSwitchTo(old);
		PG_RETURN_POINTER(a);
	}
	cmab_state_merge_into(a, b);
	PG_RETURN_POINTER(a);
}

Datum
cmab_agg_serial(PG_FUNCTION_ARGS)
{
	CmabState  *st = (CmabState *) PG_GETARG_POINTER(0);

	cmab_state_check_finite(st);
	PG_RETURN_BYTEA_P(cmab_state_encode(st, false));
}

Datum
cmab_agg_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	MemoryContext aggcontext = agg_context(fcinfo, "cmab_agg_deserial");
	MemoryContext old = MemoryContextSwitchTo(aggcontext);
	CmabState  *st = cmab_state_decode(raw, false);

	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(st);
}

/* The fitted state, with its factor; NULL when the group had no rows. */
Datum
cmab_agg_final(PG_FUNCTION_ARGS)
{
	CmabState  *st;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (CmabState *) PG_GETARG_POINTER(0);
	if (st->hdr.family == CMAB_FAMILY_LINEAR)
	{
		/* factor into a copy: the final function must not change the state */
		CmabState  *out = copy_state(st);

		cmab_state_check_finite(out);
		cmab_state_refactor(out);
		PG_RETURN_BYTEA_P(cmab_state_encode(out, true));
	}
	PG_RETURN_BYTEA_P(cmab_state_encode(st, false));
}
