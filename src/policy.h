/*-------------------------------------------------------------------------
 *
 * policy.h
 *	  The bandit policies cmab scores with, and their parameters.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CMAB_POLICY_H
#define CMAB_POLICY_H

#include "arm_state.h"
#include "rng.h"

typedef enum CmabPolicy
{
	CMAB_POLICY_RANDOM,
	CMAB_POLICY_POPULARITY,
	CMAB_POLICY_THOMPSON,
	CMAB_POLICY_LINGREEDY,
	CMAB_POLICY_LINUCB,
	CMAB_POLICY_LINTS,
	CMAB_POLICY_CLUSTERS_TS
} CmabPolicy;

typedef struct CmabParams
{
	CmabPolicy	policy;
	double		alpha;
	double		epsilon;
	double		l2_lambda;
	int			n_clusters;
} CmabParams;

/* a small positive floor added to Popularity's Dirichlet parameters */
#define CMAB_POPULARITY_TINY	1e-7

extern CmabPolicy cmab_policy_from_name(const char *name);
extern int	cmab_policy_family(CmabPolicy policy);
extern double cmab_check_score(double score);
extern void cmab_linear_moments(const double *L, const double *b,
								const double *x, int d, double *work,
								double *mean, double *q);
extern double cmab_linear_policy_score(CmabPolicy policy, double alpha,
									   double mean, double q, CmabRng *rng,
									   bool explore);
extern double cmab_beta_draw(const CmabState *st, int slot, CmabRng *rng);
extern double *cmab_centroids_from_array(ArrayType *arr, int *k, int *d);
extern int	cmab_nearest_centroid(const double *centroids, int k, int d,
								  const double *x);

#endif							/* CMAB_POLICY_H */
