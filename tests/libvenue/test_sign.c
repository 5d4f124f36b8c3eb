/* SPDX-License-Identifier: MIT */
/*
 * libvenue/sign.c against the signing test vectors in the fixtures
 * (testvectors-hmac.jsonl, testvectors-kr-auth.jsonl, read with sim's
 * jsonr), the one-shot HMAC against the prepared key, and every JWT
 * rejection the simulator tells apart.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "kimp/compiler.h"
#include "kimp/sign.h"
#include "../../sim/sim.h"
#include "../testutil.h"

TestSuite(sign);

#define TOKS 256
#define BUF 4096

/* One fixture line, parsed. */
struct vec {
	char *line;
	struct jr_tok tok[TOKS];
};

static bool vec_load(struct vec *v, const char *file, unsigned n)
{
	v->line = test_fixture_line(file, n);
	if (!v->line)
		return false;
	cr_assert_gt(jr_parse(v->line, strlen(v->line), v->tok, TOKS), 0, "%s:%u parses", file,
		     n + 1);
	return true;
}

/* The unescaped string member 'key' into out: its length, or -1 when absent. */
static int vec_str(const struct vec *v, const char *key, char *out, size_t cap)
{
	int i = jr_get(v->line, v->tok, 0, key);
	int n;

	if (i < 0)
		return -1;
	n = jr_str(v->line, &v->tok[i], out, cap);
	cr_assert_geq(n, 0, "member %s is a string that fits", key);
	return n;
}

static bool vec_is(const struct vec *v, const char *key, const char *val)
{
	int i = jr_get(v->line, v->tok, 0, key);

	return i >= 0 && jr_eq(v->line, &v->tok[i], val);
}

/* HMAC one-shot and with a prepared key; both must give 'want'. */
static void check_hmac(enum venue_hash h, const char *secret, const char *msg, size_t mlen,
		       enum venue_enc enc, const char *want, const char *what)
{
	struct venue_hmac_key k;
	char got[BUF];
	int n;

	n = venue_hmac(h, secret, strlen(secret), msg, mlen, enc, got, sizeof(got));
	cr_expect_eq(n, (int)strlen(want), "%s: one-shot length %d", what, n);
	cr_expect_str_eq(got, want, "%s: one-shot", what);
	cr_assert_eq(venue_hmac_key_init(&k, h, secret, strlen(secret)), 0);
	n = venue_hmac_key_sign(&k, msg, mlen, enc, got, sizeof(got));
	cr_expect_eq(n, (int)strlen(want), "%s: keyed length %d", what, n);
	cr_expect_str_eq(got, want, "%s: prepared key", what);
}

Test(sign, hmac_sha256_vectors)
{
	static char secret[BUF], payload[BUF], want[BUF], what[BUF];
	unsigned nhex = 0, nb64 = 0;
	struct vec v;

	for (unsigned i = 0; vec_load(&v, "testvectors-hmac.jsonl", i); i++, free(v.line)) {
		enum venue_enc enc;
		int plen;

		if (!vec_is(&v, "algorithm", "HMAC-SHA256"))
			continue;
		cr_assert_geq(vec_str(&v, "secret", secret, sizeof(secret)), 0);
		plen = vec_str(&v, "payload", payload, sizeof(payload));
		cr_assert_geq(plen, 0);
		cr_assert_geq(vec_str(&v, "expected", want, sizeof(want)), 0);
		cr_assert_geq(vec_str(&v, "case", what, sizeof(what)), 0);
		if (vec_is(&v, "encoding", "hex")) {
			enc = VENUE_HEX;
			nhex++;
		} else {
			cr_assert(vec_is(&v, "encoding", "base64"), "%s: encoding", what);
			enc = VENUE_B64;
			nb64++;
		}
		check_hmac(VENUE_SHA256, secret, payload, (size_t)plen, enc, want, what);
	}
	cr_expect_gt(nhex, 0, "hex vectors checked");
	cr_expect_gt(nb64, 0, "base64 vectors checked");
}

/* The "alg" of a JWT header given as JSON text. */
static enum venue_hash header_alg(const char *hdr)
{
	struct jr_tok t[16];
	int i;

	cr_assert_gt(jr_parse(hdr, strlen(hdr), t, 16), 0);
	i = jr_get(hdr, t, 0, "alg");
	cr_assert_geq(i, 0);
	if (jr_eq(hdr, &t[i], "HS256"))
		return VENUE_SHA256;
	cr_assert(jr_eq(hdr, &t[i], "HS512"), "alg HS256 or HS512: %s", hdr);
	return VENUE_SHA512;
}

/* A JWT vector: sign byte-exact (given header, default header, prepared key), verify. */
static unsigned check_jwt(const struct vec *v, const char *secret, const char *what)
{
	static char hdr[BUF], pl[BUF], want[BUF], got[BUF], auth[BUF], dec[BUF];
	struct venue_hmac_key k;
	enum venue_hash h, vh = (enum venue_hash)-1;
	int hl, pn, n;

	hl = vec_str(v, "jwt_header_json", hdr, sizeof(hdr));
	if (hl < 0)
		return 0;
	pn = vec_str(v, "jwt_payload_json", pl, sizeof(pl));
	cr_assert_geq(pn, 0);
	cr_assert_geq(vec_str(v, "expected_jwt", want, sizeof(want)), 0);
	h = header_alg(hdr);
	n = venue_jwt_sign(h, secret, strlen(secret), hdr, (size_t)hl, pl, (size_t)pn, got,
			   sizeof(got));
	cr_expect_eq(n, (int)strlen(want), "%s: length", what);
	cr_expect_str_eq(got, want, "%s: token", what);
	cr_assert_eq(venue_hmac_key_init(&k, h, secret, strlen(secret)), 0);
	n = venue_jwt_sign_key(&k, NULL, 0, pl, (size_t)pn, got, sizeof(got));
	cr_expect_str_eq(got, want, "%s: default header, prepared key", what);
	if (vec_str(v, "authorization_header", auth, sizeof(auth)) >= 0)
		cr_expect(!strncmp(auth, "Bearer ", 7) && !strcmp(auth + 7, want),
			  "%s: Authorization header", what);
	n = venue_jwt_verify(want, strlen(want), secret, strlen(secret), dec, sizeof(dec), &vh);
	cr_expect_eq(n, pn, "%s: verify returns the payload length (%d)", what, n);
	cr_expect_str_eq(dec, pl, "%s: verified payload", what);
	cr_expect_eq(vh, h, "%s: verified alg", what);
	return 1;
}

/* A query hash: SHA-512 hex of the query string. */
static unsigned check_query_hash(const struct vec *v, const char *what)
{
	static char qs[BUF], want[BUF], got[BUF];
	int ql;

	ql = vec_str(v, "query_string", qs, sizeof(qs));
	if (ql < 0 && vec_is(v, "algorithm", "SHA512"))
		ql = vec_str(v, "payload", qs, sizeof(qs));
	if (ql < 0)
		return 0;
	if (vec_str(v, "query_hash_sha512_hex", want, sizeof(want)) < 0)
		cr_assert_geq(vec_str(v, "expected", want, sizeof(want)), 0, "%s", what);
	cr_expect_eq(venue_sha512_hex(qs, (size_t)ql, got, sizeof(got)), 128, "%s", what);
	cr_expect_str_eq(got, want, "%s: query hash", what);
	return 1;
}

/* Coinone: X-COINONE-PAYLOAD = base64(json), signature = HMAC-SHA512 hex of it. */
static unsigned check_coinone(const struct vec *v, const char *secret, const char *what)
{
	static char js[BUF], xp[BUF], want[BUF], got[BUF];
	int jl;

	if (!vec_is(v, "algorithm", "HMAC-SHA512"))
		return 0;
	jl = vec_str(v, "payload_json", js, sizeof(js));
	cr_assert_geq(jl, 0);
	cr_assert_geq(vec_str(v, "x_coinone_payload", xp, sizeof(xp)), 0);
	cr_assert_geq(vec_str(v, "expected_x_coinone_signature", want, sizeof(want)), 0);
	cr_expect_eq(venue_b64_encode(js, (size_t)jl, got, sizeof(got)), (int)strlen(xp));
	cr_expect_str_eq(got, xp, "%s: payload header", what);
	check_hmac(VENUE_SHA512, secret, xp, strlen(xp), VENUE_HEX, want, what);
	return 1;
}

Test(sign, kr_auth_vectors)
{
	static char secret[BUF], what[BUF];
	unsigned njwt = 0, nhash = 0, ncoinone = 0, nlines = 0;
	struct vec v;

	for (unsigned i = 0; vec_load(&v, "testvectors-kr-auth.jsonl", i); i++, free(v.line)) {
		unsigned q, j, c;

		if (!vec_is(&v, "exchange", "upbit") && !vec_is(&v, "exchange", "bithumb") &&
		    !vec_is(&v, "exchange", "coinone"))
			continue;
		nlines++;
		cr_assert_geq(vec_str(&v, "case", what, sizeof(what)), 0);
		if (vec_str(&v, "secret", secret, sizeof(secret)) < 0)
			secret[0] = '\0';
		q = check_query_hash(&v, what);
		j = check_jwt(&v, secret, what);
		c = check_coinone(&v, secret, what);
		nhash += q;
		njwt += j;
		ncoinone += c;
		cr_expect_gt(q + j + c, 0, "%s: the line has something we check", what);
	}
	cr_expect_gt(nlines, 0);
	cr_expect_gt(njwt, 0, "JWT vectors checked");
	cr_expect_gt(nhash, 0, "query hash vectors checked");
	cr_expect_gt(ncoinone, 0, "Coinone vectors checked");
}

Test(sign, prepared_key_matches_one_shot)
{
	static const size_t klens[] = { 0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 300 };
	static const size_t mlens[] = { 0, 1, 55, 56, 64, 111, 112, 128, 1000 };
	uint8_t key[300], msg[1000], a[64], b[64];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 13 + 1);
	for (unsigned h = VENUE_SHA256; h <= VENUE_SHA512; h++) {
		size_t dl = venue_hash_len(h);

		for (unsigned ki = 0; ki < KIMP_ARRAY_SIZE(klens); ki++) {
			struct venue_hmac_key k;

			cr_assert_eq(venue_hmac_key_init(&k, h, key, klens[ki]), 0);
			for (unsigned mi = 0; mi < KIMP_ARRAY_SIZE(mlens); mi++) {
				cr_assert_eq(venue_hmac(h, key, klens[ki], msg, mlens[mi],
							VENUE_RAW, a, sizeof(a)), (int)dl);
				cr_assert_eq(venue_hmac_key_sign(&k, msg, mlens[mi], VENUE_RAW,
								 b, sizeof(b)), (int)dl);
				cr_expect(!memcmp(a, b, dl), "alg %u key %zu msg %zu", h,
					  klens[ki], mlens[mi]);
			}
		}
	}
}

Test(sign, signv_pieces_match_whole)
{
	static const char msg[] = "1658384314791XXXXXXXXXX5000category=option&symbol=BTC";
	struct venue_hmac_key k;
	char whole[65], parts[65];
	struct iovec iov[3] = {
		{ (void *)msg, 13 }, { (void *)(msg + 13), 14 },
		{ (void *)(msg + 27), sizeof(msg) - 1 - 27 },
	};

	cr_assert_eq(venue_hmac_key_init(&k, VENUE_SHA256, "TESTSECRET", 10), 0);
	cr_assert_eq(venue_hmac_key_sign(&k, msg, sizeof(msg) - 1, VENUE_HEX, whole,
					 sizeof(whole)), 64);
	cr_assert_eq(venue_hmac_key_signv(&k, iov, 3, VENUE_HEX, parts, sizeof(parts)), 64);
	cr_expect_str_eq(parts, whole);
	cr_assert_eq(venue_hmac_key_signv(&k, iov, 0, VENUE_HEX, parts, sizeof(parts)), 64);
	cr_assert_eq(venue_hmac_sha256("TESTSECRET", 10, "", 0, VENUE_HEX, whole,
				       sizeof(whole)), 64);
	cr_expect_str_eq(parts, whole, "no pieces: the empty message");
}

/* RFC 4231 test case 2 ("Jefe"), both sizes, every encoding. */
Test(sign, rfc4231_encodings)
{
	static const char m[] = "what do ya want for nothing?";
	char out[160];
	uint8_t raw[64];

	cr_assert_eq(venue_hmac_sha256("Jefe", 4, m, 28, VENUE_HEX, out, sizeof(out)), 64);
	cr_expect_str_eq(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	cr_assert_eq(venue_hmac_sha512("Jefe", 4, m, 28, VENUE_HEX, out, sizeof(out)), 128);
	cr_expect_str_eq(out, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
			      "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
	cr_assert_eq(venue_hmac_sha256("Jefe", 4, m, 28, VENUE_RAW, raw, sizeof(raw)), 32);
	cr_expect_eq(raw[0], 0x5b);
	cr_expect_eq(raw[31], 0x43);
	cr_assert_eq(venue_hmac_sha256("Jefe", 4, m, 28, VENUE_B64, out, sizeof(out)), 44);
	cr_expect_str_eq(out, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
	cr_assert_eq(venue_hmac_sha256("Jefe", 4, m, 28, VENUE_B64URL, out, sizeof(out)), 43);
	cr_expect_str_eq(out, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
}

Test(sign, sha512_hex_empty)
{
	char out[129];

	cr_assert_eq(venue_sha512_hex("", 0, out, sizeof(out)), 128);
	cr_expect_str_eq(out, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
			      "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
}

Test(sign, base64_known)
{
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
				     "Zm9vYmFy" };
	static const char *url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	char out[16];

	for (unsigned i = 0; i < 7; i++) {
		cr_expect_eq(venue_b64_encode(in[i], i, out, sizeof(out)), (int)strlen(std[i]));
		cr_expect_str_eq(out, std[i]);
		cr_expect_eq(venue_b64url_encode(in[i], i, out, sizeof(out)),
			     (int)strlen(url[i]));
		cr_expect_str_eq(out, url[i]);
		cr_expect_eq(venue_b64url_decode(url[i], strlen(url[i]), out, sizeof(out)),
			     (int)i);
		cr_expect(!memcmp(out, in[i], i), "decode %s", url[i]);
	}
	cr_expect_eq(venue_b64_encode("\xfb\xff", 2, out, sizeof(out)), 4);
	cr_expect_str_eq(out, "+/8=", "the standard alphabet");
	cr_expect_eq(venue_b64url_encode("\xfb\xff", 2, out, sizeof(out)), 3);
	cr_expect_str_eq(out, "-_8", "the url alphabet");
}

Test(sign, b64url_roundtrip_all_lengths)
{
	uint8_t src[97], back[97];
	char enc[140];

	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 89 + 251);
	for (size_t n = 0; n <= sizeof(src); n++) {
		int el = venue_b64url_encode(src, n, enc, sizeof(enc));

		cr_assert_eq((size_t)el + 1, VENUE_B64URL_LEN(n), "length for %zu", n);
		cr_assert_eq(venue_b64url_decode(enc, (size_t)el, back, sizeof(back)), (int)n);
		cr_assert(!memcmp(src, back, n), "round trip %zu", n);
	}
}

Test(sign, b64url_decode_rejects)
{
	uint8_t out[16];

	cr_expect_eq(venue_b64url_decode("Zg==", 4, out, sizeof(out)), -EINVAL, "padding");
	cr_expect_eq(venue_b64url_decode("+/8", 3, out, sizeof(out)), -EINVAL, "std alphabet");
	cr_expect_eq(venue_b64url_decode("Zm9vY", 5, out, sizeof(out)), -EINVAL, "1 mod 4");
	cr_expect_eq(venue_b64url_decode("Zh", 2, out, sizeof(out)), -EINVAL, "unused bits");
	cr_expect_eq(venue_b64url_decode("Zm9", 3, out, sizeof(out)), -EINVAL, "unused bits");
	cr_expect_eq(venue_b64url_decode("Zm 9", 4, out, sizeof(out)), -EINVAL, "space");
	cr_expect_eq(venue_b64url_decode("Zm8", 3, out, sizeof(out)), 2, "the valid form");
}

Test(sign, ct_eq)
{
	uint8_t a[40], b[40];

	memset(a, 0x5a, sizeof(a));
	memcpy(b, a, sizeof(b));
	cr_expect(venue_ct_eq(a, b, sizeof(a)));
	cr_expect(venue_ct_eq(a, b, 0));
	b[0] ^= 1;
	cr_expect(!venue_ct_eq(a, b, sizeof(a)), "first byte differs");
	b[0] ^= 1;
	b[39] ^= 0x80;
	cr_expect(!venue_ct_eq(a, b, sizeof(a)), "last byte differs");
}

/* ---- JWT rejections ----------------------------------------------------------- */

static const char secret[] = "test-secret-key-0123456789";
static const char payload[] = "{\"access_key\":\"ak\",\"nonce\":\"n-1\"}";

static int make_token(enum venue_hash h, const char *hdr, char *out, size_t cap)
{
	int n = venue_jwt_sign(h, secret, sizeof(secret) - 1, hdr, hdr ? strlen(hdr) : 0,
			       payload, sizeof(payload) - 1, out, cap);

	cr_assert_gt(n, 0);
	return n;
}

static int verify(const char *tok, size_t n, const char *sec)
{
	char pl[256];

	return venue_jwt_verify(tok, n, sec, strlen(sec), pl, sizeof(pl), NULL);
}

Test(sign, jwt_good_token_verifies)
{
	char tok[512], pl[256];
	enum venue_hash h;

	for (unsigned a = VENUE_SHA256; a <= VENUE_SHA512; a++) {
		int n = make_token(a, NULL, tok, sizeof(tok));

		cr_expect_eq(venue_jwt_verify(tok, (size_t)n, secret, sizeof(secret) - 1, pl,
					      sizeof(pl), &h), (int)sizeof(payload) - 1);
		cr_expect_str_eq(pl, payload);
		cr_expect_eq(h, a);
	}
}

Test(sign, jwt_wrong_secret_rejected)
{
	char tok[512];
	int n = make_token(VENUE_SHA512, NULL, tok, sizeof(tok));

	cr_expect_eq(verify(tok, (size_t)n, "test-secret-key-0123456788"), VENUE_JWT_ESIG);
	cr_expect_eq(verify(tok, (size_t)n, ""), VENUE_JWT_ESIG);
	/* base64 of the secret is not the secret */
	cr_expect_eq(verify(tok, (size_t)n, "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODk="),
		     VENUE_JWT_ESIG);
}

Test(sign, jwt_tampered_payload_rejected)
{
	char tok[512], alt[128];
	int n = make_token(VENUE_SHA256, NULL, tok, sizeof(tok));
	char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
	char out[512];

	cr_assert_gt(venue_b64url_encode("{\"access_key\":\"ak\",\"nonce\":\"n-2\"}", 34, alt,
					 sizeof(alt)), 0);
	snprintf(out, sizeof(out), "%.*s.%s%s", (int)(d1 - tok), tok, alt, d2);
	cr_expect_eq(verify(out, strlen(out), secret), VENUE_JWT_ESIG);
	tok[n - 1] = tok[n - 1] == 'A' ? 'Q' : 'A';  /* flip the signature's last char */
	cr_expect_lt(verify(tok, (size_t)n, secret), 0);
}

/* The header says one algorithm, the signature is the other's. */
Test(sign, jwt_alg_mismatch_rejected)
{
	static const char h256[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	static const char h512[] = "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
	struct venue_hmac_key k;
	char tok[512];
	int n;

	cr_assert_eq(venue_hmac_key_init(&k, VENUE_SHA512, secret, sizeof(secret) - 1), 0);
	n = venue_jwt_sign_key(&k, h256, strlen(h256), payload, sizeof(payload) - 1, tok,
			       sizeof(tok));
	cr_assert_gt(n, 0);
	cr_expect_eq(verify(tok, (size_t)n, secret), VENUE_JWT_ESIG, "HS256 header, HS512 mac");
	cr_assert_eq(venue_hmac_key_init(&k, VENUE_SHA256, secret, sizeof(secret) - 1), 0);
	n = venue_jwt_sign_key(&k, h512, strlen(h512), payload, sizeof(payload) - 1, tok,
			       sizeof(tok));
	cr_assert_gt(n, 0);
	cr_expect_eq(verify(tok, (size_t)n, secret), VENUE_JWT_ESIG, "HS512 header, HS256 mac");
}

Test(sign, jwt_unsupported_alg_rejected)
{
	static const char *hdrs[] = {
		"{\"alg\":\"none\",\"typ\":\"JWT\"}",
		"{\"alg\":\"RS256\"}",
		"{\"alg\":\"hs256\"}",
		"{\"typ\":\"JWT\"}",
		"{}",
		"{\"alg\":256}",
		"{\"alg\":null}",
	};
	char tok[512];

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(hdrs); i++) {
		int n = make_token(VENUE_SHA256, hdrs[i], tok, sizeof(tok));

		cr_expect_eq(verify(tok, (size_t)n, secret), VENUE_JWT_EALG, "%s", hdrs[i]);
	}
}

Test(sign, jwt_malformed_rejected)
{
	static const char *hdrs[] = {
		"not json",
		"[\"alg\",\"HS256\"]",
		"{\"alg\":\"HS256\"",
		"{\"alg\":\"HS256\",}",
		"{\"alg\":\"HS256\"} x",
		"{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
		"{\"alg\":\"HS256\",\"jwk\":{\"k\":1}}",
		"{\"alg\" \"HS256\"}",
		"{\"alg\":\"HS256\",\"typ\":\"JWT}",
	};
	static const char *toks[] = {
		"", ".", "..", "abc", "a.b", "a.b.c.d", ".e30.c2ln", "e30..c2ln", "e30.e30.",
		"e30=.e30.c2ln", "e3*.e30.c2ln", "e30.e3*.c2ln",
	};
	char tok[512];

	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(hdrs); i++) {
		int n = make_token(VENUE_SHA256, hdrs[i], tok, sizeof(tok));

		cr_expect_eq(verify(tok, (size_t)n, secret), VENUE_JWT_EMALFORMED, "%s",
			     hdrs[i]);
	}
	for (unsigned i = 0; i < KIMP_ARRAY_SIZE(toks); i++)
		cr_expect_eq(verify(toks[i], strlen(toks[i]), secret), VENUE_JWT_EMALFORMED,
			     "token '%s'", toks[i]);
	/* a signature that is not base64url */
	make_token(VENUE_SHA256, NULL, tok, sizeof(tok));
	strcat(tok, "=");
	cr_expect_eq(verify(tok, strlen(tok), secret), VENUE_JWT_EMALFORMED, "padded signature");
}

Test(sign, jwt_truncated_rejected)
{
	char tok[512];
	int n = make_token(VENUE_SHA512, NULL, tok, sizeof(tok));
	size_t d2 = (size_t)(strrchr(tok, '.') - tok);

	for (size_t len = 0; len < (size_t)n; len++) {
		int rc = verify(tok, len, secret);

		cr_assert_lt(rc, 0, "a token cut to %zu bytes verifies", len);
		if (len <= d2)
			cr_expect_eq(rc, VENUE_JWT_EMALFORMED, "cut to %zu", len);
		else
			cr_expect(rc == VENUE_JWT_ESIG || rc == VENUE_JWT_EMALFORMED,
				  "cut to %zu: %d", len, rc);
	}
}

/* ---- small buffers ------------------------------------------------------------- */

Test(sign, tiny_buffers_enobufs)
{
	struct venue_hmac_key k;
	char out[200], tok[512];
	uint8_t raw[64];
	int n;

	cr_expect_eq(venue_hmac_sha256("k", 1, "m", 1, VENUE_RAW, raw, 31), -ENOBUFS);
	cr_expect_eq(venue_hmac_sha256("k", 1, "m", 1, VENUE_RAW, raw, 32), 32);
	cr_expect_eq(venue_hmac_sha256("k", 1, "m", 1, VENUE_HEX, out, 64), -ENOBUFS);
	cr_expect_eq(venue_hmac_sha256("k", 1, "m", 1, VENUE_HEX, out, 65), 64);
	cr_expect_eq(venue_hmac_sha256("k", 1, "m", 1, VENUE_B64, out, 44), -ENOBUFS);
	cr_expect_eq(venue_hmac_sha256("k", 1, "m", 1, VENUE_B64, out, 45), 44);
	cr_expect_eq(venue_hmac_sha512("k", 1, "m", 1, VENUE_B64URL, out, 86), -ENOBUFS);
	cr_expect_eq(venue_hmac_sha512("k", 1, "m", 1, VENUE_B64URL, out, 87), 86);
	cr_assert_eq(venue_hmac_key_init(&k, VENUE_SHA512, "k", 1), 0);
	cr_expect_eq(venue_hmac_key_sign(&k, "m", 1, VENUE_HEX, out, 128), -ENOBUFS);
	cr_expect_eq(venue_hmac_key_sign(&k, "m", 1, VENUE_RAW, raw, 0), -ENOBUFS);
	cr_expect_eq(venue_sha512_hex("m", 1, out, 128), -ENOBUFS);
	cr_expect_eq(venue_hex("ab", 2, out, 4), -ENOBUFS);
	cr_expect_eq(venue_hex("ab", 2, out, 5), 4);
	cr_expect_eq(venue_b64_encode("abcd", 4, out, 8), -ENOBUFS);
	cr_expect_eq(venue_b64url_encode("abcd", 4, out, 6), -ENOBUFS);
	cr_expect_eq(venue_b64url_encode("abcd", 4, out, 7), 6);
	cr_expect_eq(venue_b64url_decode("Zm9vYmFy", 8, raw, 5), -ENOBUFS);
	n = make_token(VENUE_SHA256, NULL, tok, sizeof(tok));
	cr_expect_eq(venue_jwt_sign(VENUE_SHA256, secret, sizeof(secret) - 1, NULL, 0, payload,
				    sizeof(payload) - 1, out, (size_t)n), -ENOBUFS);
	cr_expect_eq(venue_jwt_sign(VENUE_SHA256, secret, sizeof(secret) - 1, NULL, 0, payload,
				    sizeof(payload) - 1, out, (size_t)n + 1), n);
	cr_expect_eq(venue_jwt_verify(tok, (size_t)n, secret, sizeof(secret) - 1, out,
				      sizeof(payload) - 1, NULL), -ENOBUFS, "no room for NUL");
	cr_expect_eq(venue_jwt_verify(tok, (size_t)n, secret, sizeof(secret) - 1, out, 0, NULL),
		     -ENOBUFS);
	cr_expect_eq(venue_jwt_verify(tok, (size_t)n, secret, sizeof(secret) - 1, out,
				      sizeof(payload), NULL), (int)sizeof(payload) - 1);
}

Test(sign, bad_arguments)
{
	struct venue_hmac_key k;
	char out[200];

	cr_expect_eq(venue_hmac_key_init(&k, (enum venue_hash)7, "k", 1), -EINVAL);
	cr_expect_eq(venue_hmac_key_sign(&k, "m", 1, VENUE_HEX, out, sizeof(out)), -EINVAL,
		     "a key whose init failed");
	cr_expect_eq(venue_hmac((enum venue_hash)9, "k", 1, "m", 1, VENUE_HEX, out, sizeof(out)),
		     -EINVAL);
	cr_expect_eq(venue_hmac_sha256("k", 1, "m", 1, (enum venue_enc)9, out, sizeof(out)),
		     -EINVAL);
	cr_assert_eq(venue_hmac_key_init(&k, VENUE_SHA256, "k", 1), 0);
	cr_expect_eq(venue_hmac_key_sign(&k, "m", 1, (enum venue_enc)9, out, sizeof(out)),
		     -EINVAL);
	cr_expect_eq(venue_jwt_sign((enum venue_hash)3, "k", 1, NULL, 0, "{}", 2, out,
				    sizeof(out)), -EINVAL);
	cr_expect_eq(venue_hash_len((enum venue_hash)5), 0);
	cr_expect_eq(venue_hmac_key_init(&k, VENUE_SHA256, NULL, 3), -EINVAL, "NULL secret");
	cr_expect_eq(venue_hmac_key_init(&k, VENUE_SHA256, NULL, 0), 0, "the empty secret");
	/* wolfCrypt takes 32-bit lengths: refused before anything is read */
	cr_expect_eq(venue_hmac_sha256("k", (size_t)UINT32_MAX + 1, "m", 1, VENUE_HEX, out,
				       sizeof(out)), -EINVAL);
	cr_expect_eq(venue_hmac_sha256("k", 1, "m", (size_t)UINT32_MAX + 1, VENUE_HEX, out,
				       sizeof(out)), -EINVAL);
}

/* A header longer than any HS header decodes to is not looked into. */
Test(sign, jwt_huge_header_malformed)
{
	static char hdr[700], tok[2048];
	int n;

	memset(hdr, ' ', sizeof(hdr) - 1);
	memcpy(hdr, "{\"alg\":\"HS256\"}", 15);
	n = make_token(VENUE_SHA256, hdr, tok, sizeof(tok));
	cr_expect_eq(verify(tok, (size_t)n, secret), VENUE_JWT_EMALFORMED);
	hdr[400] = '\0';       /* the same header, short enough: whitespace is fine */
	n = make_token(VENUE_SHA256, hdr, tok, sizeof(tok));
	cr_expect_eq(verify(tok, (size_t)n, secret), (int)sizeof(payload) - 1);
}

/* A signature far longer than any digest is a bad signature, not a crash. */
Test(sign, jwt_long_signature_rejected)
{
	char tok[1024];
	int n = make_token(VENUE_SHA512, NULL, tok, sizeof(tok));

	memset(tok + n, 'A', 300);
	tok[n + 300] = '\0';
	cr_expect_eq(verify(tok, strlen(tok), secret), VENUE_JWT_ESIG);
	tok[n + 299] = '*';
	cr_expect_eq(verify(tok, strlen(tok), secret), VENUE_JWT_EMALFORMED);
}
