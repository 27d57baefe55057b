/*-------------------------------------------------------------------------
 *
 * cmab.c
 *	  Contextual multi-armed bandits inside PostgreSQL: module entry.
 *
 * Each concern lives in its own file: arm_state.c (the stored format),
 * aggregate.c (fitting), policy.c (scoring), recommend.c (top-k over a
 * model's arms), kmeans.c, text_embed.c, rng.c and linalg.c (the only file
 * that calls BLAS/LAPACK).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
