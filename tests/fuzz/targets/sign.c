/* SPDX-License-Identifier: MIT */
/*
 * The signing inputs on arbitrary strings: Upbit's query hash and JWT
 * (libvenue/upbit_ord.c over libvenue/sign.c), Binance's query signature
 * (libvenue/binance_ord.c), JWT verification and base64url decoding
 * (libvenue/sign.c: what exsim checks requests with), API keys and
 * secrets given to key_init, venue order ids that go into a signed
 * request, and client order ids read back.
 *
 * Input: byte 0 (low 3 bits) the mode, byte 1 the output capacity and
 * small options, the rest the string. Checked besides memory safety:
 * outputs are NUL-terminated at the length returned, errors are the
 * documented ones, a token we sign verifies to what we signed (with the
 * query hash of the payload), the prepared-key HMAC equals the one-shot
 * one, base64url decodes re-encode to the input, a signed request parses
 * as HTTP, and client ids read back to what was written.
 */
#include <errno.h>
#include "kimp/sign.h"
#include "../fuzz_ord.h"

#define SECRET "test-secret-key-0123456789"
#define OUT_MAX 4096

static struct fuzz_ord up, bn;
static char out[OUT_MAX];

static size_t cap_of(unsigned sel)
{
	static const size_t caps[8] = { OUT_MAX, 1, 2, 64, 65, 129, 400, 1024 };

	return caps[sel & 7];
}

static void text_ok(int r, size_t cap)
{
	if (r >= 0)
		FUZZ_CHECK((size_t)r < cap && out[r] == 0 && strlen(out) == (size_t)r);
}

/* Upbit: JWT with the query hash of s; it verifies and carries that hash. */
static void upbit_sign(const char *s, size_t n, size_t cap)
{
	char payload[1024], hash[129], want[160];
	int r = up.vo->sign_payload(&up.ctx, s, n, out, cap), v;
	enum venue_hash alg;

	FUZZ_CHECK(r > 0 || r == -ENOSPC || r == -EINVAL);
	text_ok(r, cap);
	if (r <= 0)
		return;
	v = venue_jwt_verify(out, (size_t)r, SECRET, sizeof(SECRET) - 1, payload, sizeof(payload),
			     &alg);
	FUZZ_CHECK(v > 0 && alg == VENUE_SHA512);
	if (n) {
		FUZZ_CHECK(venue_sha512_hex(s, n, hash, sizeof(hash)) == 128);
		snprintf(want, sizeof(want), "\"query_hash\":\"%s\"", hash);
		FUZZ_CHECK(strstr(payload, want) != NULL);
	} else {
		FUZZ_CHECK(strstr(payload, "query_hash") == NULL);
	}
}

/* Binance: the hex HMAC-SHA256 of s, the same as the one-shot HMAC. */
static void binance_sign(const char *s, size_t n, size_t cap)
{
	char ref[65];
	int r = bn.vo->sign_payload(&bn.ctx, s, n, out, cap);

	FUZZ_CHECK(r == 64 || (r == -ENOBUFS && cap < 65));
	text_ok(r, cap);
	if (r != 64)
		return;
	FUZZ_CHECK(venue_hmac_sha256(SECRET, sizeof(SECRET) - 1, s, n, VENUE_HEX, ref,
				     sizeof(ref)) == 64);
	FUZZ_CHECK(!memcmp(ref, out, 64));
}

static void jwt_verify(const char *s, size_t n, size_t cap)
{
	enum venue_hash alg;
	int r = venue_jwt_verify(s, n, SECRET, sizeof(SECRET) - 1, out, cap, &alg);

	FUZZ_CHECK(r >= 0 || r == VENUE_JWT_EMALFORMED || r == VENUE_JWT_EALG ||
		   r == VENUE_JWT_ESIG || r == -ENOBUFS);
	if (r >= 0)
		FUZZ_CHECK((size_t)r < cap && out[r] == 0 &&
			   (alg == VENUE_SHA256 || alg == VENUE_SHA512));
}

/* A decoded base64url string encodes back to itself. */
static void b64url(const char *s, size_t n, size_t cap)
{
	uint8_t dec[OUT_MAX];
	int r = venue_b64url_decode(s, n, dec, cap);

	FUZZ_CHECK(r >= 0 || r == -EINVAL || r == -ENOBUFS);
	if (r < 0)
		return;
	FUZZ_CHECK((size_t)r <= cap);
	FUZZ_CHECK(venue_b64url_encode(dec, (size_t)r, out, sizeof(out)) == (int)n);
	FUZZ_CHECK(!memcmp(out, s, n));
}

/* An API key up to the first NUL, the secret after it. */
static void keys(const char *s, size_t n)
{
	size_t kl = strlen(s);
	const char *sec = kl < n ? s + kl + 1 : "x";
	size_t sl = kl < n ? n - kl - 1 : 1;
	const struct venue_ord *vos[2] = { &venue_ord_upbit, &venue_ord_binance };

	for (int i = 0; i < 2; i++) {
		struct vo_keys k;
		struct vo_ctx c = { .vo = vos[i], .keys = &k, .now_ns = 1, .rng = { 1, 2 } };
		int r = vos[i]->key_init(&k, s, sec, sl, NULL);

		FUZZ_CHECK(r == 0 || r == -EINVAL);
		if (r)
			continue;
		FUZZ_CHECK(k.api_key_len == kl && k.api_key_len < VO_API_KEY_MAX);
		r = vos[i]->sign_payload(&c, "a=1", 3, out, sizeof(out));
		FUZZ_CHECK(r > 0);
		text_ok(r, sizeof(out));
	}
}

/* A venue order id (what a venue sent us) in a signed cancel / query. */
static void oid_request(struct fuzz_ord *f, const char *s, size_t n, unsigned sel)
{
	enum vo_op op = (sel & 8) ? VO_OP_QUERY : VO_OP_CANCEL;
	struct vo_order o = { .coid = 42, .sym = 0, .side = KIMP_SIDE_BUY, .oid = s,
			      .oid_len = (uint32_t)n };
	struct net_http_tmpl t;
	struct net_http_req req;
	static char buf[8192];
	int r;

	if (f->vo->chans[op] & VO_CHBIT(VO_CH_REST)) {
		FUZZ_CHECK(f->vo->rest_tmpl(&f->ctx, op, "api.example.com", &t) == 0);
		FUZZ_CHECK(net_http_req_start(&req, &t, buf, sizeof(buf)) == 0);
		r = f->vo->rest_build(&f->ctx, op, &o, &req);
		FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOSPC);
		if (!r) {
			struct net_http_parser p;
			int len = net_http_req_finish(&req);

			FUZZ_CHECK(len > 0);
			FUZZ_CHECK(net_http_parser_init(&p, NET_HTTP_REQUEST, NULL) == 0);
			FUZZ_CHECK(net_http_parse(&p, buf, (size_t)len) == NET_HTTP_DONE);
			FUZZ_CHECK(p.msg_len == (size_t)len);
		}
	}
	if (f->vo->ws_build) {
		r = f->vo->ws_build(&f->ctx, VO_CH_WSAPI, op, &o, 7, out, sizeof(out));
		FUZZ_CHECK(r >= 0 || r == -EINVAL || r == -ENOSPC);
	}
}

/* A token signed over any payload verifies to that payload. */
static void jwt_roundtrip(const char *s, size_t n, unsigned sel)
{
	enum venue_hash h = (sel & 8) ? VENUE_SHA512 : VENUE_SHA256, alg;
	char pl[OUT_MAX];
	int r = venue_jwt_sign(h, SECRET, sizeof(SECRET) - 1, NULL, 0, s, n, out, sizeof(out)), v;

	FUZZ_CHECK(r > 0 || r == -ENOBUFS);
	if (r <= 0)
		return;
	text_ok(r, sizeof(out));
	v = venue_jwt_verify(out, (size_t)r, SECRET, sizeof(SECRET) - 1, pl, sizeof(pl), &alg);
	if (!n)         /* verify refuses an empty part: the venues never send one */
		FUZZ_CHECK(v == VENUE_JWT_EMALFORMED);
	else
		FUZZ_CHECK(v == (int)n && alg == h && !memcmp(pl, s, n));
}

/* Client ids: ours read back, anything else is 0 or a valid number. */
static void cids(const char *s, size_t n)
{
	struct fuzz_ord *fs[2] = { &up, &bn };
	uint64_t x = 0;

	memcpy(&x, s, n < 8 ? n : 8);
	for (int i = 0; i < 2; i++) {
		char cid[VO_CID_MAX];
		uint64_t v = vo_cid_parse(&fs[i]->ctx, s, n);
		int l;

		if (v) {
			l = vo_cid_format(&fs[i]->ctx, v, cid);
			FUZZ_CHECK(l > 0 && l < VO_CID_MAX && (size_t)l == n && !memcmp(cid, s, n));
		}
		if (x) {
			l = vo_cid_format(&fs[i]->ctx, x, cid);
			FUZZ_CHECK(l > 0 && l < VO_CID_MAX);
			FUZZ_CHECK(vo_cid_parse(&fs[i]->ctx, cid, (size_t)l) == x);
		}
	}
	(void)vo_prefix_ok(s);
}

static void init(void)
{
	static const char *const keys_[2] = { "test-access-key-0123456789", "fuzzApiKey" };
	struct fuzz_ord *fs[2] = { &up, &bn };

	fuzz_ord_init(&up, &venue_ord_upbit);
	fuzz_ord_init(&bn, &venue_ord_binance);
	for (int i = 0; i < 2; i++) {
		FUZZ_CHECK(fs[i]->vo->key_init(&fs[i]->keys, keys_[i], SECRET, sizeof(SECRET) - 1,
					       NULL) == 0);
		fs[i]->ctx.fixed_nonce = "3f1c2a4e-9b7d-4c1e-8a2f-5d6e7f809a1b";
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t n;
	unsigned sel;

	if (!up.ready)
		init();
	if (size < 2)
		return 0;
	sel = data[1];
	n = size - 2;
	s = fuzz_strdup(data + 2, n);
	switch (data[0] & 7) {
	case 0:
		upbit_sign(s, n, cap_of(sel));
		break;
	case 1:
		binance_sign(s, n, cap_of(sel));
		break;
	case 2:
		jwt_verify(s, n, cap_of(sel));
		break;
	case 3:
		b64url(s, n, cap_of(sel));
		break;
	case 4:
		keys(s, n);
		break;
	case 5:
		oid_request((sel & 16) ? &bn : &up, s, n, sel);
		break;
	case 6:
		jwt_roundtrip(s, n, sel);
		break;
	default:
		cids(s, n);
		break;
	}
	free(s);
	return 0;
}
