/*-------------------------------------------------------------------------
 *
 * rng.h
 *	  Seeded pseudo-random numbers for cmab.
 *
 * Every draw cmab makes comes from a CmabRng seeded explicitly, so the same
 * seed gives the same numbers on every run, platform and PostgreSQL version
 * (xoshiro256** seeded through splitmix64; our own code, not the server's).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CMAB_RNG_H
#define CMAB_RNG_H

typedef struct CmabRng
{
	uint64		s[4];
} CmabRng;

extern uint64 cmab_mix64(uint64 a, uint64 b);
extern void cmab_rng_seed(CmabRng *rng, uint64 seed);
extern uint64 cmab_rng_next(CmabRng *rng);
extern double cmab_rng_uniform(CmabRng *rng);
extern double cmab_rng_normal(CmabRng *rng);
extern double cmab_rng_gamma(CmabRng *rng, double shape);
extern double cmab_rng_beta(CmabRng *rng, double a, double b);

#endif							/* CMAB_RNG_H */
