/*-------------------------------------------------------------------------
 *
 * model.h
 *	  Reading a model's registry row, and the cached SPI plans over the
 *	  model tables that recommend.c and update.c share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CMAB_MODEL_H
#define CMAB_MODEL_H

#include "executor/spi.h"

#include "policy.h"

typedef struct CmabModel
{
	char	   *name;
	int32		model_id;
	CmabParams	params;
	int			family;
	int32		dim;
	int64		seed;
	int			k;				/* clusters */
	double	   *centroids;		/* k x dim, row-major */
} CmabModel;

/* (model_id) -> arm, arm_ord, state */
extern PGDLLIMPORT SPIPlanPtr cmab_arms_plan;
/* (model_id, arm, context, reward, slot) -> the arm's new header bytes */
extern PGDLLIMPORT SPIPlanPtr cmab_update_plan;

extern void cmab_model_read(FunctionCallInfo fcinfo, text *name, CmabModel *m,
							MemoryContext outer);
extern void cmab_model_check_context(const CmabModel *m, const double *x, int dim);
extern void cmab_model_check_state(const CmabModel *m, const CmabStateHeader *hdr);

#endif							/* CMAB_MODEL_H */
