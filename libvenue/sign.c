/* SPDX-License-Identifier: MIT */
/*
 * HMAC, SHA-512, hex/base64 and HS256/HS512 JWTs on wolfCrypt: see
 * include/kimp/sign.h. No allocation; the only state is the caller's.
 */
#include <errno.h>
#include <stdalign.h>
#include <string.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>
#include "kimp/compiler.h"
#include "kimp/sign.h"

/* The hash state, in the opaque words of struct venue_hmac_key. */
union sign_hstate {
	wc_Sha256 s256;
	wc_Sha512 s512;
};

KIMP_STATIC_ASSERT(sizeof(union sign_hstate) <= sizeof(uint64_t) * VENUE_HASH_STATE_WORDS,
		   "venue_hmac_key: VENUE_HASH_STATE_WORDS too small for wolfCrypt's states");
KIMP_STATIC_ASSERT(alignof(union sign_hstate) <= 16,
		   "venue_hmac_key: wolfCrypt's states need more than 16-byte alignment");

#define SIGN_BLOCK_MAX WC_SHA512_BLOCK_SIZE
#define JWT_HEADER_MAX 512      /* decoded JWT header bytes we accept */

static const char hex_digits[] = "0123456789abcdef";
static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- hashes ------------------------------------------------------------------ */

static size_t sign_block(unsigned alg)
{
	return alg == VENUE_SHA256 ? WC_SHA256_BLOCK_SIZE : WC_SHA512_BLOCK_SIZE;
}

static int h_init(union sign_hstate *s, unsigned alg)
{
	if (alg == VENUE_SHA256)
		return wc_InitSha256_ex(&s->s256, NULL, INVALID_DEVID) ? -EIO : 0;
	return wc_InitSha512_ex(&s->s512, NULL, INVALID_DEVID) ? -EIO : 0;
}

/* wolfCrypt takes word32 lengths: feed larger inputs in pieces. */
static int h_update(union sign_hstate *s, unsigned alg, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		word32 chunk = n > 0x40000000u ? 0x40000000u : (word32)n;
		int rc = alg == VENUE_SHA256 ? wc_Sha256Update(&s->s256, b, chunk)
					     : wc_Sha512Update(&s->s512, b, chunk);

		if (rc)
			return -EIO;
		b += chunk;
		n -= chunk;
	}
	return 0;
}

static int h_final(union sign_hstate *s, unsigned alg, uint8_t *out)
{
	int rc = alg == VENUE_SHA256 ? wc_Sha256Final(&s->s256, out)
				     : wc_Sha512Final(&s->s512, out);

	return rc ? -EIO : 0;
}

/* wc_Sha*Copy does not write its source; its prototype just lacks const. */
static int h_copy(union sign_hstate *dst, const uint64_t *src, unsigned alg)
{
	union sign_hstate *s = (union sign_hstate *)(uintptr_t)src;
	int rc = alg == VENUE_SHA256 ? wc_Sha256Copy(&s->s256, &dst->s256)
				     : wc_Sha512Copy(&s->s512, &dst->s512);

	return rc ? -EIO : 0;
}

static void h_free(union sign_hstate *s, unsigned alg)
{
	if (alg == VENUE_SHA256)
		wc_Sha256Free(&s->s256);
	else
		wc_Sha512Free(&s->s512);
}

/* The hash of one padded key block, kept in *dst. */
static int key_pad_state(uint64_t *dst, unsigned alg, const uint8_t *key, size_t klen,
			 uint8_t padc)
{
	uint8_t pad[SIGN_BLOCK_MAX];
	union sign_hstate s;
	size_t bs = sign_block(alg);
	int rc;

	memset(pad, padc, bs);
	for (size_t i = 0; i < klen; i++)
		pad[i] ^= key[i];
	rc = h_init(&s, alg);
	if (rc)
		goto out;
	rc = h_update(&s, alg, pad, bs);
	if (!rc)
		memcpy(dst, &s, sizeof(s));
	h_free(&s, alg);
out:
	explicit_bzero(pad, sizeof(pad));
	return rc;
}

int venue_hmac_key_init(struct venue_hmac_key *k, enum venue_hash h, const void *secret,
			size_t len)
{
	uint8_t kd[VENUE_DIGEST_MAX];
	const uint8_t *key = secret;
	union sign_hstate s;
	int rc;

	memset(k, 0, sizeof(*k));
	k->alg = UINT32_MAX;            /* unusable until set up */
	if (!venue_hash_len(h) || (!secret && len))
		return -EINVAL;
	if (len > sign_block(h)) {      /* RFC 2104: long keys are hashed first */
		rc = h_init(&s, h);
		if (!rc)
			rc = h_update(&s, h, secret, len);
		if (!rc)
			rc = h_final(&s, h, kd);
		h_free(&s, h);
		if (rc)
			goto out;
		key = kd;
		len = venue_hash_len(h);
	}
	rc = key_pad_state(k->st[0], h, key, len, 0x36);
	if (!rc)
		rc = key_pad_state(k->st[1], h, key, len, 0x5c);
	if (!rc) {
		k->alg = h;
		k->dlen = (uint32_t)venue_hash_len(h);
	}
out:
	explicit_bzero(kd, sizeof(kd));
	return rc;
}

/* ---- encodings ---------------------------------------------------------------- */

int venue_hex(const void *src, size_t n, char *out, size_t cap)
{
	const uint8_t *s = src;

	if (cap < VENUE_HEX_LEN(n))
		return -ENOBUFS;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digits[s[i] >> 4];
		out[2 * i + 1] = hex_digits[s[i] & 15];
	}
	out[2 * n] = '\0';
	return (int)(2 * n);
}

/* Three bytes a group; 'pad' writes '=' for a short last group. */
static int b64_encode(const char *tab, bool pad, const uint8_t *s, size_t n, char *out,
		      size_t cap)
{
	size_t need = pad ? VENUE_B64_LEN(n) : VENUE_B64URL_LEN(n), o = 0, i = 0;

	if (cap < need)
		return -ENOBUFS;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = tab[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

int venue_b64_encode(const void *src, size_t n, char *out, size_t cap)
{
	return b64_encode(b64_std, true, src, n, out, cap);
}

int venue_b64url_encode(const void *src, size_t n, char *out, size_t cap)
{
	return b64_encode(b64_url, false, src, n, out, cap);
}

static int b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int venue_b64url_decode(const char *src, size_t n, void *out, size_t cap)
{
	size_t rem = n % 4, olen = n / 4 * 3 + (rem ? rem - 1 : 0), o = 0;
	uint8_t *d = out;
	uint32_t v = 0;

	if (rem == 1)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)  /* bad input is -EINVAL whatever cap is */
		if (b64url_val(src[i]) < 0)
			return -EINVAL;
	if (olen > cap)
		return -ENOBUFS;
	for (size_t i = 0; i < n; i++) {
		v = v << 6 | (uint32_t)b64url_val(src[i]);
		if ((i & 3) == 3) {
			d[o++] = (uint8_t)(v >> 16);
			d[o++] = (uint8_t)(v >> 8);
			d[o++] = (uint8_t)v;
			v = 0;
		}
	}
	if (rem == 2) {         /* 12 bits: one byte and 4 unused bits */
		if (v & 0xf)
			return -EINVAL;
		d[o++] = (uint8_t)(v >> 4);
	} else if (rem == 3) {  /* 18 bits: two bytes and 2 unused bits */
		if (v & 0x3)
			return -EINVAL;
		d[o++] = (uint8_t)(v >> 10);
		d[o++] = (uint8_t)(v >> 2);
	}
	return (int)o;
}

/* A digest in the form the caller asked for. */
static int sign_encode(enum venue_enc enc, const uint8_t *mac, size_t n, void *out,
		       size_t cap)
{
	switch (enc) {
	case VENUE_RAW:
		if (cap < n)
			return -ENOBUFS;
		memcpy(out, mac, n);
		return (int)n;
	case VENUE_HEX:
		return venue_hex(mac, n, out, cap);
	case VENUE_B64:
		return venue_b64_encode(mac, n, out, cap);
	case VENUE_B64URL:
		return venue_b64url_encode(mac, n, out, cap);
	}
	return -EINVAL;
}

bool venue_ct_eq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* ---- HMAC ---------------------------------------------------------------------- */

/* The raw HMAC of iov[0..n) with a prepared key into mac (k->dlen bytes). */
static int key_mac(const struct venue_hmac_key *k, const struct iovec *iov, unsigned n,
		   uint8_t *mac)
{
	uint8_t inner[VENUE_DIGEST_MAX];
	union sign_hstate s;
	int rc;

	rc = h_copy(&s, k->st[0], k->alg);
	for (unsigned i = 0; !rc && i < n; i++)
		rc = h_update(&s, k->alg, iov[i].iov_base, iov[i].iov_len);
	if (!rc)
		rc = h_final(&s, k->alg, inner);
	h_free(&s, k->alg);
	if (rc)
		return rc;
	rc = h_copy(&s, k->st[1], k->alg);
	if (!rc)
		rc = h_update(&s, k->alg, inner, k->dlen);
	if (!rc)
		rc = h_final(&s, k->alg, mac);
	h_free(&s, k->alg);
	return rc;
}

int venue_hmac_key_signv(const struct venue_hmac_key *k, const struct iovec *iov,
			 unsigned n, enum venue_enc enc, void *out, size_t cap)
{
	uint8_t mac[VENUE_DIGEST_MAX];
	int rc;

	if (!venue_hash_len(k->alg))
		return -EINVAL;
	rc = key_mac(k, iov, n, mac);
	if (rc)
		return rc;
	return sign_encode(enc, mac, k->dlen, out, cap);
}

int venue_hmac(enum venue_hash h, const void *secret, size_t slen, const void *msg,
	       size_t len, enum venue_enc enc, void *out, size_t cap)
{
	uint8_t mac[VENUE_DIGEST_MAX];
	Hmac hm;
	int rc;

	if (!venue_hash_len(h) || slen > UINT32_MAX || len > UINT32_MAX)
		return -EINVAL;
	if (wc_HmacInit(&hm, NULL, INVALID_DEVID))
		return -EIO;
	rc = wc_HmacSetKey(&hm, h == VENUE_SHA256 ? WC_SHA256 : WC_SHA512, secret,
			   (word32)slen);
	if (!rc)
		rc = wc_HmacUpdate(&hm, msg, (word32)len);
	if (!rc)
		rc = wc_HmacFinal(&hm, mac);
	wc_HmacFree(&hm);
	if (rc)
		return -EIO;
	return sign_encode(enc, mac, venue_hash_len(h), out, cap);
}

int venue_sha512_hex(const void *msg, size_t len, char *out, size_t cap)
{
	uint8_t d[VENUE_SHA512_LEN];
	union sign_hstate s;
	int rc;

	if (cap < VENUE_HEX_LEN(VENUE_SHA512_LEN))
		return -ENOBUFS;
	rc = h_init(&s, VENUE_SHA512);
	if (!rc)
		rc = h_update(&s, VENUE_SHA512, msg, len);
	if (!rc)
		rc = h_final(&s, VENUE_SHA512, d);
	h_free(&s, VENUE_SHA512);
	if (rc)
		return rc;
	return venue_hex(d, sizeof(d), out, cap);
}

/* ---- JWT ------------------------------------------------------------------------ */

static const char jwt_hs256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
static const char jwt_hs512[] = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";

int venue_jwt_sign_key(const struct venue_hmac_key *k, const char *header_json,
		       size_t hlen, const char *payload_json, size_t plen, char *out,
		       size_t cap)
{
	struct iovec v;
	size_t o;
	int rc;

	if (!venue_hash_len(k->alg))
		return -EINVAL;
	if (!header_json) {
		header_json = k->alg == VENUE_SHA256 ? jwt_hs256 : jwt_hs512;
		hlen = strlen(header_json);
	}
	/* every part's length with its separator or NUL */
	if (cap < VENUE_B64URL_LEN(hlen) + VENUE_B64URL_LEN(plen) + VENUE_B64URL_LEN(k->dlen))
		return -ENOBUFS;
	o = (size_t)venue_b64url_encode(header_json, hlen, out, cap);
	out[o++] = '.';
	o += (size_t)venue_b64url_encode(payload_json, plen, out + o, cap - o);
	v.iov_base = out;
	v.iov_len = o;
	out[o++] = '.';
	rc = venue_hmac_key_signv(k, &v, 1, VENUE_B64URL, out + o, cap - o);
	if (rc < 0)
		return rc;
	return (int)o + rc;
}

int venue_jwt_sign(enum venue_hash h, const void *secret, size_t slen,
		   const char *header_json, size_t hlen, const char *payload_json,
		   size_t plen, char *out, size_t cap)
{
	struct venue_hmac_key k;
	int rc;

	rc = venue_hmac_key_init(&k, h, secret, slen);
	if (!rc)
		rc = venue_jwt_sign_key(&k, header_json, hlen, payload_json, plen, out, cap);
	explicit_bzero(&k, sizeof(k));
	return rc;
}

static size_t jwt_ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* A JSON string at s[i] ('"'): the index after its closing quote, or 0. */
static size_t jwt_string(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
		else if ((unsigned char)s[i] < 0x20)
			return 0;
	}
	return 0;
}

/* A scalar that is not a string (number, true, false, null): index after it, or 0. */
static size_t jwt_scalar(const char *s, size_t n, size_t i)
{
	size_t b = i;

	while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ' ' && s[i] != '\t' &&
	       s[i] != '\n' && s[i] != '\r') {
		if (s[i] == '{' || s[i] == '[' || s[i] == '"' || s[i] == ']')
			return 0;
		i++;
	}
	return i > b ? i : 0;
}

/* The algorithm named by "alg" in a member value s[vb..ve) (quotes included). */
static int jwt_alg_value(const char *s, size_t vb, size_t ve)
{
	if (ve - vb == 7 && !memcmp(s + vb, "\"HS256\"", 7))
		return VENUE_SHA256;
	if (ve - vb == 7 && !memcmp(s + vb, "\"HS512\"", 7))
		return VENUE_SHA512;
	return VENUE_JWT_EALG;
}

/*
 * The "alg" of a decoded JWT header, a flat JSON object (HS tokens need no
 * nested members): VENUE_SHA256/512, VENUE_JWT_EALG, VENUE_JWT_EMALFORMED.
 */
static int jwt_header_alg(const char *s, size_t n)
{
	int alg = VENUE_JWT_EALG;
	bool seen = false;
	size_t i = jwt_ws(s, n, 0);

	if (i >= n || s[i] != '{')
		return VENUE_JWT_EMALFORMED;
	i = jwt_ws(s, n, i + 1);
	if (i < n && s[i] == '}')
		return jwt_ws(s, n, i + 1) == n ? VENUE_JWT_EALG : VENUE_JWT_EMALFORMED;
	for (;;) {
		size_t kb = i, ke, vb, ve;

		if (i >= n || s[i] != '"' || !(ke = jwt_string(s, n, i)))
			return VENUE_JWT_EMALFORMED;
		i = jwt_ws(s, n, ke);
		if (i >= n || s[i] != ':')
			return VENUE_JWT_EMALFORMED;
		vb = i = jwt_ws(s, n, i + 1);
		ve = i < n && s[i] == '"' ? jwt_string(s, n, i) : jwt_scalar(s, n, i);
		if (!ve)
			return VENUE_JWT_EMALFORMED;
		if (ke - kb == 5 && !memcmp(s + kb, "\"alg\"", 5)) {
			if (seen)
				return VENUE_JWT_EMALFORMED;   /* two "alg" members */
			seen = true;
			alg = jwt_alg_value(s, vb, ve);
		}
		i = jwt_ws(s, n, ve);
		if (i < n && s[i] == ',') {
			i = jwt_ws(s, n, i + 1);
			continue;
		}
		if (i < n && s[i] == '}' && jwt_ws(s, n, i + 1) == n)
			return alg;
		return VENUE_JWT_EMALFORMED;
	}
}

/* Split at the two dots: 0, or VENUE_JWT_EMALFORMED (empty part, other dots). */
static int jwt_split(const char *t, size_t n, size_t *d1, size_t *d2)
{
	const char *a = memchr(t, '.', n), *b;

	if (!a)
		return VENUE_JWT_EMALFORMED;
	b = memchr(a + 1, '.', n - (size_t)(a + 1 - t));
	if (!b || memchr(b + 1, '.', n - (size_t)(b + 1 - t)))
		return VENUE_JWT_EMALFORMED;
	*d1 = (size_t)(a - t);
	*d2 = (size_t)(b - t);
	if (!*d1 || *d2 == *d1 + 1 || *d2 + 1 == n)
		return VENUE_JWT_EMALFORMED;
	return 0;
}

/* The signature part (decoded: got[0..sn)) against header.payload. */
static int jwt_check_sig(int h, const void *secret, size_t slen, const char *signed_part,
			 size_t len, const uint8_t *got, int sn)
{
	uint8_t want[VENUE_DIGEST_MAX];
	struct venue_hmac_key k;
	int rc;

	if (sn != (int)venue_hash_len(h))
		return VENUE_JWT_ESIG;
	rc = venue_hmac_key_init(&k, h, secret, slen);
	if (!rc)
		rc = venue_hmac_key_sign(&k, signed_part, len, VENUE_RAW, want, sizeof(want));
	explicit_bzero(&k, sizeof(k));
	if (rc < 0)
		return rc;
	return venue_ct_eq(got, want, (size_t)sn) ? 0 : VENUE_JWT_ESIG;
}

/*
 * Every part is decoded before anything is judged, so a broken token is
 * VENUE_JWT_EMALFORMED whatever its header says.
 */
int venue_jwt_verify(const char *token, size_t n, const void *secret, size_t slen,
		     char *payload, size_t cap, enum venue_hash *alg)
{
	uint8_t got[VENUE_DIGEST_MAX];
	char hdr[JWT_HEADER_MAX];
	size_t d1, d2;
	int rc, h, hn, pn, sn;

	if (cap)
		payload[0] = '\0';
	rc = jwt_split(token, n, &d1, &d2);
	if (rc)
		return rc;
	hn = venue_b64url_decode(token, d1, hdr, sizeof(hdr));
	if (hn < 0)
		return VENUE_JWT_EMALFORMED;
	pn = venue_b64url_decode(token + d1 + 1, d2 - d1 - 1, payload, cap ? cap - 1 : 0);
	if (pn < 0)
		return pn == -ENOBUFS ? -ENOBUFS : VENUE_JWT_EMALFORMED;
	payload[pn] = '\0';
	sn = venue_b64url_decode(token + d2 + 1, n - d2 - 1, got, sizeof(got));
	rc = sn == -EINVAL ? VENUE_JWT_EMALFORMED : 0;  /* -ENOBUFS: too long, a bad mac */
	h = rc ? rc : jwt_header_alg(hdr, (size_t)hn);
	if (h < 0) {
		rc = h;
		goto fail;
	}
	rc = jwt_check_sig(h, secret, slen, token, d2, got, sn);
	if (rc)
		goto fail;
	if (alg)
		*alg = (enum venue_hash)h;
	return pn;
fail:
	payload[0] = '\0';
	return rc;
}
