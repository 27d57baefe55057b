/*-------------------------------------------------------------------------
 *
 * rng.c
 *	  Seeded pseudo-random numbers: uniform, normal, gamma and beta draws,
 *	  and the SQL functions that expose them for simulations.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"

#include "rng.h"

PG_FUNCTION_INFO_V1(cmab_uniform);
PG_FUNCTION_INFO_V1(cmab_normal);

static inline uint64
rotl(uint64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64
splitmix64(uint64 *x)
{
	uint64		z = (*x += UINT64CONST(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Combine two 64-bit values into a well-mixed seed (order matters). */
uint64
cmab_mix64(uint64 a, uint64 b)
{
	uint64		x = a;
	uint64		h = splitmix64(&x);

	x = h ^ b;
	return splitmix64(&x);
}

void
cmab_rng_seed(CmabRng *rng, uint64 seed)
{
	uint64		x = seed;

	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
}

/* xoshiro256** */
uint64
cmab_rng_next(CmabRng *rng)
{
	uint64	   *s = rng->s;
	uint64		result = rotl(s[1] * 5, 7) * 9;
	uint64		t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* uniform on [0, 1), 53 random bits */
double
cmab_rng_uniform(CmabRng *rng)
{
	return (cmab_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* standard normal, Box-Muller (one value per call, the sine half unused) */
double
cmab_rng_normal(CmabRng *rng)
{
	double		u1 = 1.0 - cmab_rng_uniform(rng);	/* (0, 1] */
	double		u2 = cmab_rng_uniform(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/*
 * Gamma(shape, 1) by Marsaglia and Tsang, boosted once for shape < 1.
 * The shape must be positive and finite (callers check).
 */
double
cmab_rng_gamma(CmabRng *rng, double shape)
{
	double		d,
				c;

	Assert(shape > 0 && isfinite(shape));
	if (shape < 1.0)
	{
		double		u = 1.0 - cmab_rng_uniform(rng);

		return cmab_rng_gamma(rng, shape + 1.0) * pow(u, 1.0 / shape);
	}
	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;)
	{
		double		x,
					v,
					u;

		do
		{
			x = cmab_rng_normal(rng);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		u = cmab_rng_uniform(rng);
		if (u < 1.0 - 0.0331 * x * x * x * x)
			return d * v;
		if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			return d * v;
	}
}

/* Beta(a, b) as a ratio of gammas */
double
cmab_rng_beta(CmabRng *rng, double a, double b)
{
	double		x = cmab_rng_gamma(rng, a);
	double		y = cmab_rng_gamma(rng, b);

	if (x + y == 0.0)
		return 0.5;
	return x / (x + y);
}

/*
 * cmab_uniform(seed, stream) -> float8 in [0, 1)
 *
 * A pure function: the same (seed, stream) always gives the same number, so
 * simulations written in SQL are reproducible whatever order rows are
 * evaluated in.
 */
Datum
cmab_uniform(PG_FUNCTION_ARGS)
{
	CmabRng		rng;

	cmab_rng_seed(&rng, cmab_mix64((uint64) PG_GETARG_INT64(0),
								   (uint64) PG_GETARG_INT64(1)));
	PG_RETURN_FLOAT8(cmab_rng_uniform(&rng));
}

/* cmab_normal(seed, stream) -> float8, standard normal; pure like above */
Datum
cmab_normal(PG_FUNCTION_ARGS)
{
	CmabRng		rng;

	cmab_rng_seed(&rng, cmab_mix64((uint64) PG_GETARG_INT64(0),
								   (uint64) PG_GETARG_INT64(1)));
	PG_RETURN_FLOAT8(cmab_rng_normal(&rng));
}
