/* SPDX-License-Identifier: MIT */
/*
 * The order-entry registry and what the venue files share (kimp/venue_ord.h):
 * client ids, nonces, the venue clock, numbers written from fixed point.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "kimp/venue_ord.h"

static const struct venue_ord *const ords[] = {
	&venue_ord_upbit,
	&venue_ord_bithumb,
	&venue_ord_coinone,
	&venue_ord_binance,
	&venue_ord_bybit,
	&venue_ord_okx,
};

const struct venue_ord *venue_ord_get(enum kimp_venue v)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(ords); i++)
		if (ords[i]->venue == v && ords[i]->key_init)
			return ords[i];
	return NULL;
}

const char *venue_ord_names(char *buf, size_t cap)
{
	size_t n = 0;

	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(ords); i++) {
		if (!ords[i]->key_init || n >= cap)
			continue;
		int k = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", ords[i]->name);
		n = k < 0 ? cap : n + (size_t)k;
	}
	return buf;
}

const struct venue_ord *venue_ord_by_name(const char *name)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(ords); i++)
		if (!strcmp(ords[i]->name, name) && ords[i]->key_init)
			return ords[i];
	return NULL;
}

int64_t vo_server_ms(const struct vo_ctx *c)
{
	int64_t now = c->now_ns;

	if (!now) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	}
	return (now + c->offset_ns) / 1000000;
}

/* xoroshiro128+ */
static uint64_t rng_next(uint64_t s[2])
{
	uint64_t s0 = s[0], s1 = s[1], r = s0 + s1;

	s1 ^= s0;
	s[0] = ((s0 << 24) | (s0 >> 40)) ^ s1 ^ (s1 << 16);
	s[1] = (s1 << 37) | (s1 >> 27);
	return r;
}

void vo_ctx_seed(struct vo_ctx *c)
{
	if (getrandom(c->rng, sizeof(c->rng), 0) != (ssize_t)sizeof(c->rng) ||
	    !(c->rng[0] | c->rng[1])) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		c->rng[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)ts.tv_sec;
		c->rng[1] = ~c->rng[0] | 1;
	}
}

void vo_nonce_uuid(struct vo_ctx *c, char out[37])
{
	static const char hx[] = "0123456789abcdef";
	uint8_t b[16];
	uint64_t a, z;
	unsigned o = 0;

	if (c->fixed_nonce) {
		size_t n = strnlen(c->fixed_nonce, 36);

		memcpy(out, c->fixed_nonce, n);
		out[n] = 0;
		return;
	}
	a = rng_next(c->rng);
	z = rng_next(c->rng);
	memcpy(b, &a, 8);
	memcpy(b + 8, &z, 8);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	for (unsigned i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hx[b[i] >> 4];
		out[o++] = hx[b[i] & 15];
	}
	out[o] = 0;
}

bool vo_prefix_ok(const char *p)
{
	size_t n = p ? strlen(p) : 0;

	if (n < 1 || n > VO_PREFIX_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
			return false;
	}
	return true;
}

int vo_cid_format(const struct vo_ctx *c, uint64_t coid, char *out)
{
	memcpy(out, c->prefix, c->prefix_len);
	int n = (int)c->prefix_len + vo_put_u64(out + c->prefix_len, coid);

	out[n] = 0;
	return n;
}

uint64_t vo_cid_parse(const struct vo_ctx *c, const char *s, size_t n)
{
	uint64_t v = 0;

	if (n <= c->prefix_len || n > c->prefix_len + 20 ||
	    memcmp(s, c->prefix, c->prefix_len))
		return 0;
	for (size_t i = c->prefix_len; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || (i == c->prefix_len && d == 0))
			return 0;
		if (v > (UINT64_MAX - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	return v;
}
