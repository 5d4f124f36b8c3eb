/* SPDX-License-Identifier: MIT */
/*
 * WebSocket sending side (RFC 6455 sections 5.2-5.3): masking, the frame
 * encoder and its masking-key generator.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include "kimp/ws.h"

/* ---- masking ------------------------------------------------------------------ */

/*
 * The key repeated over 8 bytes. On either byte order, storing this word
 * puts the key's 4 wire bytes twice in a row, since key itself was loaded
 * from the wire with memcpy.
 */
static inline uint64_t key_word(uint32_t key)
{
	return (uint64_t)key << 32 | key;
}

/*
 * XOR n bytes of src with the key into dst, 32 and 8 bytes at a time. dst
 * may equal src (the copies go through a local word), which is why this
 * has no restrict and serves both entry points below.
 */
static inline void mask_into(uint8_t *dst, const uint8_t *src, size_t n, uint32_t key)
{
	const uint64_t k = key_word(key);
	uint8_t kb[4];
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		uint64_t w[4];

		memcpy(w, src + i, 32);
		w[0] ^= k;
		w[1] ^= k;
		w[2] ^= k;
		w[3] ^= k;
		memcpy(dst + i, w, 32);
	}
	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, src + i, 8);
		w ^= k;
		memcpy(dst + i, &w, 8);
	}
	/* i is a multiple of 8 here, so the key starts again at byte 0 */
	memcpy(kb, &key, 4);
	for (; i < n; i++)
		dst[i] = src[i] ^ kb[i & 3];
}

void ws_mask(uint8_t *p, size_t n, uint32_t key)
{
	mask_into(p, p, n, key);
}

void ws_mask_copy(uint8_t *restrict dst, const uint8_t *restrict src, size_t n, uint32_t key)
{
	mask_into(dst, src, n, key);
}

/* ---- masking keys: xoshiro256** (Blackman and Vigna), seeded from getrandom ---- */

static inline uint64_t rotl64(uint64_t x, unsigned k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(uint64_t s[4])
{
	uint64_t out = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return out;
}

uint32_t ws_tx_next_key(struct ws_tx *tx)
{
	return (uint32_t)(rng_next(tx->rng) >> 32); /* the high bits are the best */
}

int ws_tx_init(struct ws_tx *tx, enum ws_role role)
{
	ssize_t n;

	if (role != WS_CLIENT && role != WS_SERVER)
		return -EINVAL;
	memset(tx, 0, sizeof(*tx));
	tx->role = (uint8_t)role;
	do
		n = getrandom(tx->rng, sizeof(tx->rng), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(tx->rng))
		return -EIO;
	if (!(tx->rng[0] | tx->rng[1] | tx->rng[2] | tx->rng[3]))
		tx->rng[0] = 1; /* the one state xoshiro cannot leave */
	return 0;
}

void ws_tx_seed(struct ws_tx *tx, uint64_t seed)
{
	/* spread one word over the state with splitmix64 steps */
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ull);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		tx->rng[i] = z ^ (z >> 31);
	}
}

void ws_tx_reset(struct ws_tx *tx)
{
	tx->closed = 0;
	tx->frag = 0;
}

/* ---- encoder ---------------------------------------------------------------------- */

/* Is this frame allowed next? 0 or -errno; nothing changes. */
static inline int tx_check(const struct ws_tx *tx, unsigned op, bool fin, size_t len)
{
	if (kimp_unlikely(tx->closed))
		return -EPIPE;
	if (kimp_unlikely(!ws_op_known(op)))
		return -EINVAL;
	if (ws_op_is_control(op))
		return (len <= WS_CTRL_MAX && fin) ? 0 : -EINVAL;
	if (op == WS_OP_CONT)
		return tx->frag ? 0 : -EINVAL;
	return tx->frag ? -EINVAL : 0;
}

/* The frame was written: update the sequence state and counters. */
static inline void tx_commit(struct ws_tx *tx, unsigned op, bool fin, size_t total)
{
	if (op == WS_OP_CLOSE)
		tx->closed = 1;
	else if (!ws_op_is_control(op))
		tx->frag = !fin;
	tx->frames++;
	tx->bytes += total;
}

/* Write the header for 'len' payload bytes at o; returns the key if masked. */
static inline size_t put_hdr(struct ws_tx *tx, uint8_t *o, unsigned op, bool fin, size_t len,
			     uint32_t *key)
{
	const uint8_t mask_bit = tx->role == WS_CLIENT ? 0x80 : 0;
	size_t h;

	o[0] = (uint8_t)((fin ? 0x80u : 0) | op);
	if (len < 126) {
		o[1] = (uint8_t)(mask_bit | len);
		h = 2;
	} else if (len <= 0xffff) {
		o[1] = mask_bit | 126;
		o[2] = (uint8_t)(len >> 8);
		o[3] = (uint8_t)len;
		h = 4;
	} else {
		uint64_t l = len;

		o[1] = mask_bit | 127;
		for (int i = 9; i >= 2; i--, l >>= 8)
			o[i] = (uint8_t)l;
		h = 10;
	}
	if (mask_bit) {
		*key = ws_tx_next_key(tx);
		memcpy(o + h, key, 4);
		h += 4;
	}
	return h;
}

ssize_t ws_tx_frame(struct ws_tx *tx, uint8_t *out, size_t cap, unsigned opcode, bool fin,
		    const void *payload, size_t len)
{
	uint32_t key = 0;
	size_t h;
	int e = tx_check(tx, opcode, fin, len);

	if (kimp_unlikely(e))
		return e;
	h = ws_hdr_len((enum ws_role)tx->role, len);
	if (kimp_unlikely(cap < h || cap - h < len))
		return -ENOBUFS;
	h = put_hdr(tx, out, opcode, fin, len, &key);
	if (len) {
		if (tx->role == WS_CLIENT)
			ws_mask_copy(out + h, payload, len, key);
		else
			memcpy(out + h, payload, len);
	}
	tx_commit(tx, opcode, fin, h + len);
	return (ssize_t)(h + len);
}

ssize_t ws_tx_seal(struct ws_tx *tx, uint8_t *payload, size_t len, size_t headroom,
		   unsigned opcode, bool fin, uint8_t **frame)
{
	uint32_t key = 0;
	uint8_t *start;
	size_t h;
	int e = tx_check(tx, opcode, fin, len);

	if (kimp_unlikely(e))
		return e;
	h = ws_hdr_len((enum ws_role)tx->role, len);
	if (kimp_unlikely(headroom < h))
		return -ENOBUFS;
	start = payload - h;
	put_hdr(tx, start, opcode, fin, len, &key);
	if (tx->role == WS_CLIENT)
		ws_mask(payload, len, key);
	tx_commit(tx, opcode, fin, h + len);
	*frame = start;
	return (ssize_t)(h + len);
}

ssize_t ws_tx_close(struct ws_tx *tx, uint8_t *out, size_t cap, unsigned code,
		    const char *reason, size_t rlen)
{
	uint8_t p[WS_CTRL_MAX];

	if (code == WS_CLOSE_NO_STATUS) {
		if (rlen)
			return -EINVAL;
		return ws_tx_frame(tx, out, cap, WS_OP_CLOSE, true, NULL, 0);
	}
	if (!ws_close_code_valid(code) || rlen > WS_CLOSE_REASON_MAX ||
	    (rlen && !ws_utf8_valid((const uint8_t *)reason, rlen)))
		return -EINVAL;
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	if (rlen)
		memcpy(p + 2, reason, rlen);
	return ws_tx_frame(tx, out, cap, WS_OP_CLOSE, true, p, rlen + 2);
}
