/* SPDX-License-Identifier: MIT */
/*
 * Fixed point and integers as decimal text (kimp/venue_ord.h vo_put_*), in a
 * file of their own: market-data code uses them too (OKX's book checksum)
 * and must not pull the order-entry registry, with libnet and wolfSSL
 * behind it, into programs that only decode (stratd, the decode bench).
 */
#include "kimp/venue_ord.h"

int vo_put_u64(char *out, uint64_t v)
{
	char t[20];
	int n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	return n;
}

int vo_put_fixed(char *out, int64_t v, unsigned dec)
{
	static const uint64_t p10[19] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull,
	};
	uint64_t u, ip, fp;
	int n = 0;

	if (dec > 18)
		dec = 18;
	if (v < 0) {
		out[n++] = '-';
		u = (uint64_t)0 - (uint64_t)v;
	} else {
		u = (uint64_t)v;
	}
	ip = u / p10[dec];
	fp = u % p10[dec];
	n += vo_put_u64(out + n, ip);
	if (fp) {
		unsigned d = dec;

		while (fp % 10 == 0) {
			fp /= 10;
			d--;
		}
		out[n++] = '.';
		for (unsigned i = d; i-- > 0;) {
			out[n + (int)i] = (char)('0' + fp % 10);
			fp /= 10;
		}
		n += (int)d;
	}
	return n;
}
