/*-------------------------------------------------------------------------
 *
 * arm_state.h
 *	  The stored state of one bandit arm: a bytea with a fixed header and a
 *	  payload of mergeable sufficient statistics.
 *
 * Layout of format version 1 (all fields in the server's byte order; the
 * magic tells a byte-swapped state apart from a damaged one):
 *
 *	header (40 bytes)	CmabStateHeader below
 *	linear family		A (packed lower, d(d+1)/2 doubles), A = l2_lambda I + sum x x^T
 *						[L (packed lower Cholesky factor of A), if CMAB_FLAG_FACTOR]
 *						b (d doubles), b = sum r x
 *	counts family		per slot: observations, reward sum (2 doubles a slot)
 *
 * A, b, n and the reward sums add exactly across states (that is what makes
 * fits parallel and shards mergeable); L is a cache that makes scoring and
 * single-event updates O(d^2), recomputed from A when absent.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CMAB_ARM_STATE_H
#define CMAB_ARM_STATE_H

#include "fmgr.h"
#include "utils/array.h"

#define CMAB_STATE_MAGIC		0x42414D43	/* "CMAB" read as little-endian */
#define CMAB_STATE_VERSION		1
#define CMAB_MAX_DIM			1000
#define CMAB_MAX_SLOTS			10000

/*
 * Bounds that keep every sum of squares finite: context elements and
 * rewards up to 1e100 in magnitude, parameters (alpha, l2_lambda) within
 * [1e-12, 1e12] where positive.
 */
#define CMAB_MAX_VALUE			1e100
#define CMAB_MIN_LAMBDA			1e-12
#define CMAB_MAX_PARAM			1e12

#define CMAB_FAMILY_LINEAR		1
#define CMAB_FAMILY_COUNTS		2

#define CMAB_FLAG_FACTOR		0x01	/* payload carries the Cholesky factor */
#define CMAB_FLAGS_KNOWN		(CMAB_FLAG_FACTOR)

typedef struct CmabStateHeader
{
	uint32		magic;
	uint16		version;
	uint8		family;
	uint8		flags;
	int32		dim;			/* linear: context dimension; counts: slots */
	int32		reserved;		/* zero */
	int64		n;				/* observations */
	double		l2_lambda;		/* linear: ridge; counts: zero */
	double		reward_sum;
} CmabStateHeader;

StaticAssertDecl(sizeof(CmabStateHeader) == 40, "state header must be 40 bytes");

/* A decoded state: header plus payload in aligned palloc'd memory. */
typedef struct CmabState
{
	CmabStateHeader hdr;
	double	   *A;				/* linear: packed, d(d+1)/2 */
	double	   *L;				/* linear: packed factor, d(d+1)/2 */
	double	   *b;				/* linear: d */
	double	   *slots;			/* counts: 2 * slots (n, reward sum) */
} CmabState;

extern CmabState *cmab_state_decode(bytea *raw, bool need_factor);
extern const char *cmab_state_peek(bytea *raw, CmabStateHeader *hdr);
extern void cmab_state_load_factor(const CmabStateHeader *hdr,
								   const char *payload, double *L, double *b);
extern bytea *cmab_state_encode(const CmabState *st, bool with_factor);
extern CmabState *cmab_state_new_linear(int dim, double l2_lambda);
extern CmabState *cmab_state_new_counts(int slots);
extern void cmab_state_refactor(CmabState *st);
extern void cmab_state_add_linear(CmabState *st, const double *x, double reward,
								  bool keep_factor);
extern void cmab_state_add_count(CmabState *st, int slot, double reward);
extern void cmab_state_check_finite(const CmabState *st);
extern void cmab_state_merge_into(CmabState *dst, const CmabState *src);
extern void cmab_state_check_dim(const CmabState *st, int dim);

extern double *cmab_context_from_array(ArrayType *arr, int *dim,
									   const char *what);
extern const double *cmab_context_view(ArrayType *arr, int *dim,
									   const char *what);
extern void cmab_check_values(const double *v, size_t n, int first,
							  const char *what);
extern void cmab_check_reward(double reward);
extern void cmab_check_lambda(double l2_lambda);

#endif							/* CMAB_ARM_STATE_H */
