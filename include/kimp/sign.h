/* SPDX-License-Identifier: MIT */
/*
 * Request signing primitives the venues use: HMAC-SHA256/512, SHA-512 hex,
 * hex and base64 encodings, and HS256/HS512 JWTs (Upbit, Bithumb), on
 * wolfCrypt. exsim uses them to verify requests, orderd to sign them.
 *
 * Nothing here allocates or keeps state between calls. Every output goes to
 * a caller buffer of 'cap' bytes, and every function that writes one returns
 * the number of bytes written, or -errno:
 *   -ENOBUFS  the output does not fit (text outputs need room for a NUL,
 *             which they always write but do not count)
 *   -EINVAL   a bad argument (unknown algorithm, undecodable input)
 * Raw digests are not NUL-terminated.
 *
 * For a secret used for many messages, set up a struct venue_hmac_key once:
 * it keeps the hash states after the padded key blocks (ipad and opad), so
 * each signature hashes only the message and the inner digest.
 */
#ifndef KIMP_SIGN_H
#define KIMP_SIGN_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

enum venue_hash {
	VENUE_SHA256 = 0,
	VENUE_SHA512 = 1,
};

/* How a digest is written out. */
enum venue_enc {
	VENUE_RAW = 0,  /* the digest bytes */
	VENUE_HEX,      /* lowercase hex, NUL-terminated */
	VENUE_B64,      /* standard base64 with padding, NUL-terminated */
	VENUE_B64URL,   /* base64url without padding, NUL-terminated */
};

#define VENUE_SHA256_LEN 32
#define VENUE_SHA512_LEN 64
#define VENUE_DIGEST_MAX 64

/* Bytes needed for n input bytes in each text form, with the NUL. */
#define VENUE_HEX_LEN(n)    (2 * (n) + 1)
#define VENUE_B64_LEN(n)    (4 * (((n) + 2) / 3) + 1)
#define VENUE_B64URL_LEN(n) ((4 * (n) + 2) / 3 + 1)

/*
 * A secret ready to sign with: the wolfCrypt hash states after hashing
 * key ^ ipad and key ^ opad (kept as opaque storage so users need no
 * wolfSSL headers; sign.c checks the sizes). Plain data: copy it, share it
 * read-only between threads, no teardown.
 */
#define VENUE_HASH_STATE_WORDS 40
struct venue_hmac_key {
	uint32_t alg;           /* enum venue_hash */
	uint32_t dlen;          /* digest length */
	uint64_t st[2][VENUE_HASH_STATE_WORDS] __attribute__((aligned(16)));
};

/* Digest length of h, or 0 for an unknown h. */
static inline size_t venue_hash_len(enum venue_hash h)
{
	return h == VENUE_SHA256 ? VENUE_SHA256_LEN : h == VENUE_SHA512 ? VENUE_SHA512_LEN : 0;
}

/* Set k up for secret[0..len) (raw bytes, any length). 0 or -EINVAL. */
int venue_hmac_key_init(struct venue_hmac_key *k, enum venue_hash h, const void *secret,
			size_t len);

/*
 * HMAC of the concatenation of iov[0..n) with a prepared key, written in
 * 'enc' to out[0..cap). Returns the length written, -ENOBUFS or -EINVAL.
 */
int venue_hmac_key_signv(const struct venue_hmac_key *k, const struct iovec *iov,
			 unsigned n, enum venue_enc enc, void *out, size_t cap);

static inline int venue_hmac_key_sign(const struct venue_hmac_key *k, const void *msg,
				      size_t len, enum venue_enc enc, void *out, size_t cap)
{
	struct iovec v = { .iov_base = (void *)(uintptr_t)msg, .iov_len = len };

	return venue_hmac_key_signv(k, &v, 1, enc, out, cap);
}

/*
 * One-shot HMAC through wolfCrypt's wc_Hmac* (no prepared key): the same
 * result and return values as venue_hmac_key_sign.
 */
int venue_hmac(enum venue_hash h, const void *secret, size_t slen, const void *msg,
	       size_t len, enum venue_enc enc, void *out, size_t cap);

static inline int venue_hmac_sha256(const void *secret, size_t slen, const void *msg,
				    size_t len, enum venue_enc enc, void *out, size_t cap)
{
	return venue_hmac(VENUE_SHA256, secret, slen, msg, len, enc, out, cap);
}

static inline int venue_hmac_sha512(const void *secret, size_t slen, const void *msg,
				    size_t len, enum venue_enc enc, void *out, size_t cap)
{
	return venue_hmac(VENUE_SHA512, secret, slen, msg, len, enc, out, cap);
}

/* SHA-512 of msg as 128 lowercase hex digits (Upbit's query_hash): 128 or -errno. */
int venue_sha512_hex(const void *msg, size_t len, char *out, size_t cap);

/* Encodings of src[0..n) into out (NUL-terminated): length or -ENOBUFS. */
int venue_hex(const void *src, size_t n, char *out, size_t cap);
int venue_b64_encode(const void *src, size_t n, char *out, size_t cap);
int venue_b64url_encode(const void *src, size_t n, char *out, size_t cap);
/*
 * base64url without padding (RFC 7515 section 2) into out[0..cap) (not
 * NUL-terminated): the decoded length, -EINVAL for a character outside the
 * alphabet, '=' padding, a length of 1 mod 4 or non-zero unused bits, or
 * -ENOBUFS.
 */
int venue_b64url_decode(const char *src, size_t n, void *out, size_t cap);

/* Compare a and b (n bytes) in time that depends only on n. */
bool venue_ct_eq(const void *a, const void *b, size_t n);

/* ---- JWT (RFC 7519, HS256/HS512 only) ------------------------------------- */

/* What venue_jwt_verify tells apart (Upbit answers each differently). */
#define VENUE_JWT_EMALFORMED (-EBADMSG)  /* not three base64url parts, header not JSON */
#define VENUE_JWT_EALG       (-ENOTSUP)  /* header alg missing or not HS256/HS512 */
#define VENUE_JWT_ESIG       (-EACCES)   /* the signature does not match */

/*
 * header.payload.signature for header_json and payload_json (sent as
 * given; header NULL: {"alg":"HS256"|"HS512","typ":"JWT"} for k's
 * algorithm), signed with k, NUL-terminated into out[0..cap). The caller
 * makes sure a header it passes names k's algorithm. Length or -ENOBUFS.
 */
int venue_jwt_sign_key(const struct venue_hmac_key *k, const char *header_json,
		       size_t hlen, const char *payload_json, size_t plen, char *out,
		       size_t cap);

/* The same with the secret's raw bytes (sets a key up on the stack). */
int venue_jwt_sign(enum venue_hash h, const void *secret, size_t slen,
		   const char *header_json, size_t hlen, const char *payload_json,
		   size_t plen, char *out, size_t cap);

/*
 * Check token[0..n) against secret (raw bytes, not base64-decoded): the
 * header must be a flat JSON object whose "alg" is "HS256" or "HS512"; the
 * signature is recomputed with that algorithm and compared in constant
 * time. On success the decoded payload JSON goes NUL-terminated into
 * payload[0..cap), its length is returned and *alg (if not NULL) is set.
 * Errors: VENUE_JWT_EMALFORMED, VENUE_JWT_EALG, VENUE_JWT_ESIG, -ENOBUFS
 * (payload does not fit).
 */
int venue_jwt_verify(const char *token, size_t n, const void *secret, size_t slen,
		     char *payload, size_t cap, enum venue_hash *alg);

#endif
