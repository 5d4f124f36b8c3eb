/* SPDX-License-Identifier: MIT */
/*
 * Deterministic random numbers for exsim: xoshiro256** (Blackman and
 * Vigna), seeded through splitmix64 from (seed, stream) so that every
 * model component (a coin, an instrument, the rate, the premium) has its
 * own independent stream and adding one never shifts another.
 *
 * Nothing here reads the clock or any global state: the same seed and the
 * same calls give the same numbers on every run.
 */
#include <math.h>
#include "sim.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/*
 * The stream is mixed through its own splitmix64 round before it is
 * folded into the seed, so that (seed, stream) and (seed + 1, stream - 1)
 * do not start from neighbouring splitmix64 states.
 */
void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t t = stream ^ 0x6a09e667f3bcc909ull;
	uint64_t x = seed ^ splitmix64(&t);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	/* all-zero is xoshiro's one fixed point; splitmix64 cannot give four
	 * zeros in a row, but make it impossible by construction anyway */
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

uint64_t sim_rng_u64(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* The top 53 bits: every double in [0, 1) on the 2^-53 grid, equally likely. */
double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_u64(r) >> 11) * 0x1.0p-53;
}

/*
 * Marsaglia's polar method. It makes two variates per accepted pair; the
 * second is dropped because struct sim_rng has nowhere to keep it (and a
 * cached value would make the stream depend on how calls interleave).
 */
double sim_rng_normal(struct sim_rng *r)
{
	double u, v, s;

	do {
		u = 2.0 * sim_rng_unit(r) - 1.0;
		v = 2.0 * sim_rng_unit(r) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

/*
 * Lemire's multiply-and-reject: the high word of x * n is uniform on
 * [0, n) once the low words below 2^64 mod n are rejected. n = 0 gives 0.
 */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	unsigned __int128 p;
	uint64_t lo, thresh;

	if (!n)
		return 0;
	p = (unsigned __int128)sim_rng_u64(r) * n;
	lo = (uint64_t)p;
	if (lo < n) {
		thresh = -n % n;        /* 2^64 mod n */
		while (lo < thresh) {
			p = (unsigned __int128)sim_rng_u64(r) * n;
			lo = (uint64_t)p;
		}
	}
	return (uint64_t)(p >> 64);
}
