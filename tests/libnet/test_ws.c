/* SPDX-License-Identifier: MIT */
/*
 * WebSocket codec (include/kimp/ws.h): the RFC 6455 section 5.7 examples,
 * every protocol violation with its close code and counter, UTF-8, round
 * trips in both directions, every split point of a stream, a deterministic
 * fuzz loop, the handshake, and cross-checks against Python's websockets
 * 10.4 (Debian's /usr/bin/python3) through files in a private directory.
 *
 * Test frames are built by hand (mkframe), not by the encoder under test.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kimp/ws.h"
#include "../testutil.h"

TestSuite(ws_frame);
TestSuite(ws_violation);
TestSuite(ws_msg);
TestSuite(ws_utf8);
TestSuite(ws_enc);
TestSuite(ws_stream, .timeout = 300);
TestSuite(ws_fuzz, .timeout = 600);
TestSuite(ws_handshake);
TestSuite(ws_python, .timeout = 300);

#define MIB (1u << 20)

/* ---- tools ------------------------------------------------------------------ */

static uint64_t trand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	cr_assert_not_null(p, "malloc %zu", n);
	return p;
}

static void *xmemdup(const void *s, size_t n)
{
	void *p = xmalloc(n);

	if (n)
		memcpy(p, s, n);
	return p;
}

static enum ws_role other(enum ws_role r)
{
	return r == WS_CLIENT ? WS_SERVER : WS_CLIENT;
}

/* The masking key of the RFC 6455 section 5.7 examples. */
static const uint8_t rfc_key[4] = { 0x37, 0xfa, 0x21, 0x3d };

/*
 * A frame built by hand, independent of the encoder: first byte b0, minimal
 * length, masked with rfc_key when 'masked'. Returns its size.
 */
static size_t mkframe(uint8_t *o, unsigned b0, bool masked, const void *payload, size_t len)
{
	const uint8_t *p = payload;
	uint8_t m = masked ? 0x80 : 0;
	size_t h = 0;

	o[h++] = (uint8_t)b0;
	if (len < 126) {
		o[h++] = (uint8_t)(m | len);
	} else if (len <= 0xffff) {
		o[h++] = m | 126;
		o[h++] = (uint8_t)(len >> 8);
		o[h++] = (uint8_t)len;
	} else {
		o[h++] = m | 127;
		for (int i = 7; i >= 0; i--)
			o[h++] = (uint8_t)((uint64_t)len >> (8 * i));
	}
	if (masked) {
		memcpy(o + h, rfc_key, 4);
		h += 4;
	}
	for (size_t i = 0; i < len; i++)
		o[h + i] = masked ? (uint8_t)(p[i] ^ rfc_key[i & 3]) : p[i];
	return h + len;
}

/* A frame as 'role' receives it: masked when the receiver is a server. */
static size_t mkin(uint8_t *o, enum ws_role rcv, unsigned b0, const void *p, size_t len)
{
	return mkframe(o, b0, rcv == WS_SERVER, p, len);
}

/* Valid UTF-8 of exactly n bytes (ASCII, 2- and 4-byte characters). */
static void fill_text(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i = 0;

	while (i < n) {
		if (n - i >= 2 && (i + seed) % 7 == 3) {
			p[i++] = 0xc3;
			p[i++] = 0xa9;
		} else if (n - i >= 4 && (i + seed) % 29 == 5) {
			p[i++] = 0xf0;
			p[i++] = 0x9f;
			p[i++] = 0x98;
			p[i++] = 0x80;
		} else {
			p[i] = (uint8_t)('a' + (i + seed) % 26);
			i++;
		}
	}
}

static void fill_bin(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(trand(&seed) >> 56);
}

/* ---- event log: the same records the Python scripts write ----------------- */

/* type(1) opcode(1) code(2, LE) len(8, LE) data; type as enum ws_ev_type */
struct elog {
	uint8_t *p;
	size_t len, cap;
};

static void elog_put(struct elog *l, const void *d, size_t n)
{
	if (l->cap - l->len < n) {
		size_t c = l->cap ? l->cap : 4096;

		while (c - l->len < n)
			c *= 2;
		l->p = realloc(l->p, c);
		cr_assert_not_null(l->p);
		l->cap = c;
	}
	if (n)
		memcpy(l->p + l->len, d, n);
	l->len += n;
}

static void elog_rec(struct elog *l, unsigned type, unsigned op, unsigned code, const void *d,
		     size_t n)
{
	uint8_t h[12];

	h[0] = (uint8_t)type;
	h[1] = (uint8_t)op;
	h[2] = (uint8_t)code;
	h[3] = (uint8_t)(code >> 8);
	for (int i = 0; i < 8; i++)
		h[4 + i] = (uint8_t)((uint64_t)n >> (8 * i));
	elog_put(l, h, sizeof(h));
	elog_put(l, d, n);
}

static void elog_free(struct elog *l)
{
	free(l->p);
	memset(l, 0, sizeof(*l));
}

/* ---- a receiving peer with recording callbacks ------------------------------ */

struct peer {
	struct ws_tx tx;
	struct ws_rx rx;
	uint8_t *msg;
	size_t msg_cap;
	struct elog log;
	unsigned nmsg, nping, npong, nclose, nctrl;
	unsigned last_op, last_code;
	const uint8_t *last_data;
	size_t last_len;
	/* delivered pointers must lie in [in_lo, in_hi] or the message buffer */
	const uint8_t *in_lo, *in_hi;
};

static void check_ptr(struct peer *p, const uint8_t *d, size_t n)
{
	bool in_buf, in_msg;

	if (!p->in_lo)
		return;
	in_buf = d >= p->in_lo && d + n <= p->in_hi;
	in_msg = p->msg && d >= p->msg && d + n <= p->msg + p->msg_cap;
	cr_assert(in_buf || in_msg, "delivered %zu bytes outside the buffers", n);
}

static void on_message(void *ctx, unsigned op, uint8_t *d, size_t n)
{
	struct peer *p = ctx;

	check_ptr(p, d, n);
	p->nmsg++;
	p->last_op = op;
	p->last_data = d;
	p->last_len = n;
	elog_rec(&p->log, WS_EV_MESSAGE, op, 0, d, n);
}

static void on_ping(void *ctx, const uint8_t *d, size_t n)
{
	struct peer *p = ctx;

	check_ptr(p, d, n);
	p->nping++;
	elog_rec(&p->log, WS_EV_PING, WS_OP_PING, 0, d, n);
}

static void on_pong(void *ctx, const uint8_t *d, size_t n)
{
	struct peer *p = ctx;

	check_ptr(p, d, n);
	p->npong++;
	elog_rec(&p->log, WS_EV_PONG, WS_OP_PONG, 0, d, n);
}

static void on_close(void *ctx, unsigned code, const uint8_t *reason, size_t n)
{
	struct peer *p = ctx;

	check_ptr(p, reason, n);
	p->nclose++;
	p->last_code = code;
	p->last_data = reason;
	p->last_len = n;
	elog_rec(&p->log, WS_EV_CLOSE, WS_OP_CLOSE, code, reason, n);
}

static void on_ctrl(void *ctx)
{
	((struct peer *)ctx)->nctrl++;
}

static const struct ws_rx_ops rec_ops = {
	.on_message = on_message,
	.on_ping = on_ping,
	.on_pong = on_pong,
	.on_close = on_close,
	.on_ctrl = on_ctrl,
};

/* A peer in 'role' with a msg_cap-byte reassembly buffer (0: none). */
static void peer_init(struct peer *p, enum ws_role role, size_t msg_cap, uint64_t max_msg,
		      uint64_t max_frame)
{
	struct ws_rx_cfg cfg;

	memset(p, 0, sizeof(*p));
	cr_assert_eq(ws_tx_init(&p->tx, role), 0);
	ws_tx_seed(&p->tx, 42);
	p->msg_cap = msg_cap;
	p->msg = msg_cap ? xmalloc(msg_cap) : NULL;
	cfg = (struct ws_rx_cfg){
		.tx = &p->tx,
		.msg_buf = p->msg,
		.msg_cap = msg_cap,
		.max_msg = max_msg,
		.max_frame = max_frame,
		.ops = &rec_ops,
		.ctx = p,
	};
	cr_assert_eq(ws_rx_init(&p->rx, &cfg), 0);
}

static void peer_fini(struct peer *p)
{
	free(p->msg);
	elog_free(&p->log);
}

static uint64_t violations(const struct ws_counters *c)
{
	const uint64_t *v = &c->bad_rsv;
	uint64_t sum = 0;

	for (int i = 0; i < WS_E_COUNT; i++)
		sum += v[i];
	return sum;
}

/* Parse one control frame in b[0..n) sent by 'sender'; its payload into *f. */
static void parse_one(const uint8_t *b, size_t n, enum ws_role sender, struct ws_frame *f,
		      uint8_t *copy)
{
	memcpy(copy, b, n);
	cr_assert_eq(ws_frame_parse(copy, n, other(sender), UINT64_MAX, f), (ssize_t)n);
}

/* ---- RFC 6455 section 5.7 examples --------------------------------------------- */

Test(ws_frame, rfc_single_frame_unmasked_text)
{
	uint8_t b[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	struct ws_frame f;

	cr_assert_eq(ws_frame_parse(b, sizeof(b), WS_CLIENT, 1000, &f), 7);
	cr_assert_eq(f.opcode, WS_OP_TEXT);
	cr_assert(f.fin);
	cr_assert_not(f.masked);
	cr_assert_eq(f.len, 5);
	cr_assert_eq(f.hdr_len, 2);
	cr_assert_eq(f.payload, b + 2, "zero copy: the payload is in the buffer");
	cr_assert_arr_eq(f.payload, "Hello", 5);
	/* a server must refuse it: client frames are masked */
	cr_assert_eq(ws_frame_parse(b, sizeof(b), WS_SERVER, 1000, &f), -WS_E_MASK);
}

Test(ws_frame, rfc_single_frame_masked_text)
{
	uint8_t b[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct ws_frame f;

	cr_assert_eq(ws_frame_parse(b, sizeof(b), WS_SERVER, 1000, &f), 11);
	cr_assert(f.masked);
	cr_assert_eq(f.hdr_len, 6);
	cr_assert_eq(f.payload, b + 6);
	cr_assert_arr_eq(f.payload, "Hello", 5, "unmasked in place");
	cr_assert_arr_eq(&f.mask_key, rfc_key, 4);
}

Test(ws_frame, rfc_masked_hello_encoding)
{
	uint8_t out[5];
	uint32_t key;

	memcpy(&key, rfc_key, 4);
	ws_mask_copy(out, (const uint8_t *)"Hello", 5, key);
	cr_assert_arr_eq(out, ((uint8_t[]){ 0x7f, 0x9f, 0x4d, 0x51, 0x58 }), 5);
	ws_mask(out, 5, key);
	cr_assert_arr_eq(out, "Hello", 5);
}

Test(ws_frame, rfc_fragmented_unmasked_text)
{
	uint8_t b[] = { 0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f };
	struct ws_frame f;
	struct peer p;

	cr_assert_eq(ws_frame_parse(b, sizeof(b), WS_CLIENT, 1000, &f), 5);
	cr_assert_eq(f.opcode, WS_OP_TEXT);
	cr_assert_not(f.fin);
	cr_assert_eq(ws_frame_parse(b + 5, 4, WS_CLIENT, 1000, &f), 4);
	cr_assert_eq(f.opcode, WS_OP_CONT);
	cr_assert(f.fin);

	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, sizeof(b)), (ssize_t)sizeof(b));
	cr_assert_eq(p.nmsg, 1);
	cr_assert_eq(p.last_op, WS_OP_TEXT);
	cr_assert_eq(p.last_len, 5);
	cr_assert_eq(p.last_data, p.msg, "a fragmented message is in the reassembly buffer");
	cr_assert_arr_eq(p.last_data, "Hello", 5);
	cr_assert_eq(p.rx.cnt.fragmented, 1);
	peer_fini(&p);
}

Test(ws_frame, rfc_ping_and_masked_pong)
{
	uint8_t b[] = { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	uint8_t out[2 * WS_CTRL_FRAME_MAX], copy[sizeof(out)];
	struct ws_frame f;
	struct peer p;
	ssize_t n;

	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, sizeof(b)), 7);
	cr_assert_eq(p.nping, 1);
	cr_assert_eq(p.nctrl, 1, "the send path was told a pong waits");
	cr_assert_eq(ws_rx_ctrl_pending(&p.rx), 11);
	n = ws_rx_ctrl_flush(&p.rx, out, sizeof(out));
	/* 0x8a 0x85 key, then "Hello" masked: the RFC's masked pong */
	cr_assert_eq(n, 11);
	cr_assert_eq(out[0], 0x8a);
	cr_assert_eq(out[1], 0x85);
	parse_one(out, 11, WS_CLIENT, &f, copy);
	cr_assert_eq(f.opcode, WS_OP_PONG);
	cr_assert_arr_eq(f.payload, "Hello", 5);
	cr_assert_eq(ws_rx_ctrl_pending(&p.rx), 0);
	cr_assert_eq(ws_rx_ctrl_flush(&p.rx, out, sizeof(out)), 0);
	cr_assert_eq(p.rx.cnt.pongs_sent, 1);
	peer_fini(&p);
}

Test(ws_frame, rfc_256_bytes_binary_16bit_length)
{
	uint8_t payload[256], out[300];
	struct ws_tx tx;
	struct ws_frame f;

	fill_bin(payload, sizeof(payload), 1);
	cr_assert_eq(ws_tx_init(&tx, WS_SERVER), 0);
	cr_assert_eq(ws_tx_binary(&tx, out, sizeof(out), payload, 256), 260);
	cr_assert_arr_eq(out, ((uint8_t[]){ 0x82, 0x7e, 0x01, 0x00 }), 4);
	cr_assert_arr_eq(out + 4, payload, 256);
	cr_assert_eq(ws_frame_parse(out, 260, WS_CLIENT, 1000, &f), 260);
	cr_assert_eq(f.len, 256);
	cr_assert_eq(f.payload, out + 4);
}

Test(ws_frame, rfc_64k_binary_64bit_length)
{
	size_t n = 65536;
	uint8_t *payload = xmalloc(n), *out = xmalloc(n + 14);
	uint8_t want[] = { 0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 };
	struct ws_tx tx;
	struct ws_frame f;

	fill_bin(payload, n, 2);
	cr_assert_eq(ws_tx_init(&tx, WS_SERVER), 0);
	cr_assert_eq(ws_tx_binary(&tx, out, n + 14, payload, n), (ssize_t)n + 10);
	cr_assert_arr_eq(out, want, sizeof(want));
	cr_assert_eq(ws_frame_parse(out, n + 10, WS_CLIENT, UINT64_MAX, &f), (ssize_t)n + 10);
	cr_assert_eq(f.len, n);
	cr_assert_arr_eq(f.payload, payload, n);
	/* and masked, from a client: 0x82 0xff, the same length, a key */
	cr_assert_eq(ws_tx_init(&tx, WS_CLIENT), 0);
	cr_assert_eq(ws_tx_binary(&tx, out, n + 14, payload, n), (ssize_t)n + 14);
	cr_assert_eq(out[1], 0xff);
	cr_assert_arr_eq(out + 2, want + 2, 8);
	cr_assert_eq(ws_frame_parse(out, n + 14, WS_SERVER, UINT64_MAX, &f), (ssize_t)n + 14);
	cr_assert_arr_eq(f.payload, payload, n);
	free(payload);
	free(out);
}

/* Every proper prefix of a frame needs more, read from an exact-size buffer. */
static void check_prefixes(const uint8_t *fr, size_t n, enum ws_role rcv)
{
	struct ws_frame f;

	for (size_t k = 0; k < n; k++) {
		uint8_t *b = xmemdup(fr, k); /* exact size: ASan sees any read past k */

		cr_assert_eq(ws_frame_parse(b, k, rcv, UINT64_MAX, &f), 0, "prefix %zu of %zu", k, n);
		cr_assert_arr_eq(b, fr, k, "a partial frame is not touched");
		free(b);
	}
}

Test(ws_frame, truncated_frames_need_more)
{
	static const size_t sizes[] = { 0, 1, 5, 125, 126, 127, 300, 65535, 65536 };
	uint8_t *fr = xmalloc(65536 + 14), *pl = xmalloc(65536);

	fill_bin(pl, 65536, 3);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		size_t total;

		total = mkframe(fr, 0x82, false, pl, n);
		check_prefixes(fr, n > 1000 ? 20 : total, WS_CLIENT);
		total = mkframe(fr, 0x82, true, pl, n);
		check_prefixes(fr, n > 1000 ? 20 : total, WS_SERVER);
	}
	free(fr);
	free(pl);
}

Test(ws_frame, truncated_frame_in_rx_consumes_nothing)
{
	uint8_t fr[64], *b;
	struct peer p;
	size_t n = mkin(fr, WS_SERVER, 0x81, "truncated", 9);

	peer_init(&p, WS_SERVER, 64, 0, 0);
	b = xmemdup(fr, n - 1);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n - 1), 0);
	cr_assert_eq(p.nmsg, 0);
	cr_assert_eq(ws_rx_state(&p.rx), WS_RX_OPEN);
	free(b);
	/* two whole frames and half a third: the two are consumed */
	n = mkin(fr, WS_SERVER, 0x81, "a", 1);
	n += mkin(fr + n, WS_SERVER, 0x82, "b", 1);
	n += mkin(fr + n, WS_SERVER, 0x81, "ccc", 3);
	b = xmemdup(fr, n - 2);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n - 2), 14);
	cr_assert_eq(p.nmsg, 2);
	free(b);
	peer_fini(&p);
}

/* ---- every violation: its close code and its counter ----------------------- */

struct vcfg {
	size_t msg_cap;
	uint64_t max_msg, max_frame;
};

#define VDEFAULT ((struct vcfg){ 4096, 0, 0 })

/*
 * Feed b[0..n) to a fresh 'role' peer: it must fail with 'err', report
 * 'code', count exactly that violation once, stay failed, and owe the peer
 * a close frame with the code, after which nothing more may be sent.
 */
static void check_violation_cfg(enum ws_role role, const uint8_t *b, size_t n, int err,
				unsigned code, struct vcfg c)
{
	uint8_t out[2 * WS_CTRL_FRAME_MAX], copy[sizeof(out)];
	uint8_t *buf = xmemdup(b, n);
	struct ws_frame f;
	struct peer p;
	ssize_t r;

	peer_init(&p, role, c.msg_cap, c.max_msg, c.max_frame);
	r = ws_rx_feed(&p.rx, buf, n);
	cr_assert_eq(r, -err, "got %zd (%s), want -%d (%s)", r, ws_err_str((int)r), err,
		     ws_err_str(err));
	cr_assert_eq(p.rx.close_code, code, "close code %u, want %u", p.rx.close_code, code);
	cr_assert_eq(ws_err_close_code((int)r), code);
	cr_assert_eq(*ws_counter_of(&p.rx.cnt, err), 1);
	cr_assert_eq(violations(&p.rx.cnt), 1, "one violation counted");
	cr_assert_eq(ws_rx_state(&p.rx), WS_RX_FAILED);
	cr_assert_geq(p.nctrl, 1, "the send path was told a close waits");

	/* sticky: the same error, not counted again */
	memcpy(buf, b, n);
	cr_assert_eq(ws_rx_feed(&p.rx, buf, n), -err);
	cr_assert_eq(violations(&p.rx.cnt), 1);

	/* the close frame owed to the peer */
	cr_assert_eq(ws_rx_ctrl_pending(&p.rx), ws_hdr_len(role, 2) + 2);
	r = ws_rx_ctrl_flush(&p.rx, out, sizeof(out));
	cr_assert_eq(r, (ssize_t)(ws_hdr_len(role, 2) + 2));
	parse_one(out, (size_t)r, role, &f, copy);
	cr_assert_eq(f.opcode, WS_OP_CLOSE);
	cr_assert_eq(f.len, 2);
	cr_assert_eq((unsigned)f.payload[0] << 8 | f.payload[1], code);
	cr_assert_eq(ws_rx_ctrl_pending(&p.rx), 0);
	cr_assert_eq(ws_tx_text(&p.tx, out, sizeof(out), "x", 1), -EPIPE, "failed: sends fail fast");
	free(buf);
	peer_fini(&p);
}

static void check_violation(enum ws_role role, const uint8_t *b, size_t n, int err, unsigned code)
{
	check_violation_cfg(role, b, n, err, code, VDEFAULT);
}

static void check_rsv(unsigned bit)
{
	uint8_t b[16];

	for (int r = 0; r < 2; r++) {
		size_t n = mkin(b, (enum ws_role)r, 0x81 | bit, "hi", 2);

		check_violation((enum ws_role)r, b, n, WS_E_RSV, WS_CLOSE_PROTOCOL);
	}
}

Test(ws_violation, rsv1_set)
{
	check_rsv(0x40);
}

Test(ws_violation, rsv2_set)
{
	check_rsv(0x20);
}

Test(ws_violation, rsv3_set)
{
	check_rsv(0x10);
}

Test(ws_violation, rsv_reported_on_the_first_byte)
{
	uint8_t b[] = { 0xc1 };

	check_violation(WS_CLIENT, b, 1, WS_E_RSV, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, reserved_data_opcodes)
{
	uint8_t b[16];

	for (unsigned op = 0x3; op <= 0x7; op++) {
		size_t n = mkin(b, WS_SERVER, 0x80 | op, "x", 1);

		check_violation(WS_SERVER, b, n, WS_E_OPCODE, WS_CLOSE_PROTOCOL);
		check_violation(WS_SERVER, b, 1, WS_E_OPCODE, WS_CLOSE_PROTOCOL);
	}
}

Test(ws_violation, reserved_control_opcodes)
{
	uint8_t b[16];

	for (unsigned op = 0xb; op <= 0xf; op++) {
		size_t n = mkin(b, WS_CLIENT, 0x80 | op, "x", 1);

		check_violation(WS_CLIENT, b, n, WS_E_OPCODE, WS_CLOSE_PROTOCOL);
	}
}

Test(ws_violation, server_receives_unmasked_frame)
{
	uint8_t b[16];
	size_t n = mkframe(b, 0x81, false, "Hello", 5);

	check_violation(WS_SERVER, b, n, WS_E_MASK, WS_CLOSE_PROTOCOL);
	check_violation(WS_SERVER, b, 2, WS_E_MASK, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, client_receives_masked_frame)
{
	uint8_t b[16];
	size_t n = mkframe(b, 0x81, true, "Hello", 5);

	check_violation(WS_CLIENT, b, n, WS_E_MASK, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, len16_not_minimal)
{
	uint8_t b[] = { 0x82, 0x7e, 0x00, 0x7d }; /* 125 in the 16-bit form */

	check_violation(WS_CLIENT, b, sizeof(b), WS_E_LEN_NONMINIMAL, WS_CLOSE_PROTOCOL);
	b[3] = 0;                                 /* and 0 */
	check_violation(WS_CLIENT, b, sizeof(b), WS_E_LEN_NONMINIMAL, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, len64_not_minimal)
{
	uint8_t b[] = { 0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff }; /* 65535 in 64 bits */

	check_violation(WS_CLIENT, b, sizeof(b), WS_E_LEN_NONMINIMAL, WS_CLOSE_PROTOCOL);
	b[8] = 0;
	b[9] = 5;
	check_violation(WS_CLIENT, b, sizeof(b), WS_E_LEN_NONMINIMAL, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, len64_msb_set)
{
	uint8_t b[] = { 0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0x10 };

	check_violation(WS_CLIENT, b, sizeof(b), WS_E_LEN_MSB, WS_CLOSE_PROTOCOL);
	memset(b + 2, 0xff, 8);
	check_violation(WS_CLIENT, b, sizeof(b), WS_E_LEN_MSB, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, frame_too_big_refused_before_payload)
{
	uint8_t b[] = { 0x82, 0x7e, 0x03, 0xe9 };                   /* 1001 > 1000 */
	uint8_t c[] = { 0x82, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0 };     /* 1 TiB, masked */

	check_violation_cfg(WS_CLIENT, b, sizeof(b), WS_E_FRAME_TOO_BIG, WS_CLOSE_TOO_BIG,
			    (struct vcfg){ 4096, 4096, 1000 });
	check_violation_cfg(WS_SERVER, c, sizeof(c), WS_E_FRAME_TOO_BIG, WS_CLOSE_TOO_BIG,
			    (struct vcfg){ 4096, 4096, 1000 });
}

Test(ws_violation, control_frame_too_long)
{
	uint8_t pl[126] = { 0x03, 0xe8 };
	uint8_t *b = xmalloc(200);
	size_t n;

	n = mkin(b, WS_CLIENT, 0x89, pl, 126);                /* ping, 16-bit length */
	check_violation(WS_CLIENT, b, n, WS_E_CTRL_TOO_LONG, WS_CLOSE_PROTOCOL);
	check_violation(WS_CLIENT, b, 2, WS_E_CTRL_TOO_LONG, WS_CLOSE_PROTOCOL);
	n = mkin(b, WS_SERVER, 0x88, pl, 126);                /* close */
	check_violation(WS_SERVER, b, n, WS_E_CTRL_TOO_LONG, WS_CLOSE_PROTOCOL);
	n = mkin(b, WS_SERVER, 0x8a, pl, 126);                /* pong */
	check_violation(WS_SERVER, b, n, WS_E_CTRL_TOO_LONG, WS_CLOSE_PROTOCOL);
	free(b);
}

Test(ws_violation, control_frame_fragmented)
{
	uint8_t b[16];

	for (unsigned op = 0x8; op <= 0xa; op++) {
		size_t n = mkin(b, WS_SERVER, op, "\x03\xe8", 2); /* FIN clear */

		check_violation(WS_SERVER, b, n, WS_E_CTRL_FRAGMENTED, WS_CLOSE_PROTOCOL);
	}
}

Test(ws_violation, continuation_without_message)
{
	uint8_t b[16];
	size_t n = mkin(b, WS_CLIENT, 0x80, "lo", 2);

	check_violation(WS_CLIENT, b, n, WS_E_CONT_UNEXPECTED, WS_CLOSE_PROTOCOL);
	n = mkin(b, WS_CLIENT, 0x00, "lo", 2);
	check_violation(WS_CLIENT, b, n, WS_E_CONT_UNEXPECTED, WS_CLOSE_PROTOCOL);
	/* after a message ended, a continuation is stray again */
	n = mkin(b, WS_CLIENT, 0x01, "a", 1);
	n += mkin(b + n, WS_CLIENT, 0x80, "b", 1);
	n += mkin(b + n, WS_CLIENT, 0x80, "c", 1);
	check_violation(WS_CLIENT, b, n, WS_E_CONT_UNEXPECTED, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, new_data_frame_inside_fragmented_message)
{
	uint8_t b[32];
	size_t n = mkin(b, WS_SERVER, 0x01, "Hel", 3);

	n += mkin(b + n, WS_SERVER, 0x82, "x", 1);
	check_violation(WS_SERVER, b, n, WS_E_DATA_IN_PROGRESS, WS_CLOSE_PROTOCOL);
	n = mkin(b, WS_SERVER, 0x02, "Hel", 3);
	n += mkin(b + n, WS_SERVER, 0x01, "x", 1);
	check_violation(WS_SERVER, b, n, WS_E_DATA_IN_PROGRESS, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, message_too_big_single_frame)
{
	uint8_t pl[101] = { 0 }, b[128];
	size_t n = mkin(b, WS_CLIENT, 0x82, pl, 101);

	check_violation_cfg(WS_CLIENT, b, n, WS_E_MSG_TOO_BIG, WS_CLOSE_TOO_BIG,
			    (struct vcfg){ 4096, 100, 1000 });
}

Test(ws_violation, message_too_big_fragmented)
{
	uint8_t pl[60] = { 0 }, b[256];
	size_t n = mkin(b, WS_SERVER, 0x02, pl, 60);

	n += mkin(b + n, WS_SERVER, 0x80, pl, 41);
	check_violation_cfg(WS_SERVER, b, n, WS_E_MSG_TOO_BIG, WS_CLOSE_TOO_BIG,
			    (struct vcfg){ 4096, 100, 1000 });
}

Test(ws_violation, message_too_big_for_reassembly_buffer)
{
	uint8_t pl[40] = { 0 }, b[256];
	size_t n = mkin(b, WS_CLIENT, 0x02, pl, 40);

	n += mkin(b + n, WS_CLIENT, 0x00, pl, 40);
	/* 64-byte buffer, 1000-byte messages allowed when unfragmented */
	check_violation_cfg(WS_CLIENT, b, n, WS_E_MSG_TOO_BIG, WS_CLOSE_TOO_BIG,
			    (struct vcfg){ 64, 1000, 1000 });
	/* no reassembly buffer at all: any fragmented message is too big */
	n = mkin(b, WS_CLIENT, 0x02, pl, 1);
	check_violation_cfg(WS_CLIENT, b, n, WS_E_MSG_TOO_BIG, WS_CLOSE_TOO_BIG,
			    (struct vcfg){ 0, 1000, 1000 });
}

Test(ws_violation, text_invalid_utf8)
{
	uint8_t b[32];
	size_t n = mkin(b, WS_SERVER, 0x81, "ab\xc0\xafz", 5);

	check_violation(WS_SERVER, b, n, WS_E_UTF8, WS_CLOSE_BAD_DATA);
}

Test(ws_violation, text_truncated_utf8_at_message_end)
{
	uint8_t b[32];
	size_t n = mkin(b, WS_CLIENT, 0x01, "ab\xe2", 3);

	n += mkin(b + n, WS_CLIENT, 0x80, "\x82", 1);    /* U+20AC lacks its last byte */
	check_violation(WS_CLIENT, b, n, WS_E_UTF8, WS_CLOSE_BAD_DATA);
	n = mkin(b, WS_CLIENT, 0x81, "ab\xe2\x82", 4);
	check_violation(WS_CLIENT, b, n, WS_E_UTF8, WS_CLOSE_BAD_DATA);
}

Test(ws_violation, close_one_byte_payload)
{
	uint8_t b[16];
	size_t n = mkin(b, WS_SERVER, 0x88, "\x03", 1);

	check_violation(WS_SERVER, b, n, WS_E_CLOSE_PAYLOAD, WS_CLOSE_PROTOCOL);
}

Test(ws_violation, close_invalid_codes)
{
	static const unsigned bad[] = { 0, 1, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015,
					1016, 2000, 2999, 5000, 65535 };
	uint8_t b[16], pl[2];

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(bad); i++) {
		pl[0] = (uint8_t)(bad[i] >> 8);
		pl[1] = (uint8_t)bad[i];
		for (int r = 0; r < 2; r++) {
			size_t n = mkin(b, (enum ws_role)r, 0x88, pl, 2);

			check_violation((enum ws_role)r, b, n, WS_E_CLOSE_CODE, WS_CLOSE_PROTOCOL);
		}
	}
}

Test(ws_violation, close_reason_invalid_utf8)
{
	uint8_t b[16];
	size_t n = mkin(b, WS_CLIENT, 0x88, "\x03\xe8" "bye\xff", 6);

	check_violation(WS_CLIENT, b, n, WS_E_CLOSE_REASON, WS_CLOSE_BAD_DATA);
}

Test(ws_violation, table_is_complete)
{
	struct ws_counters c;

	memset(&c, 0, sizeof(c));
	for (int e = WS_E_BASE + 1; e < WS_E_END; e++) {
		uint64_t *p = ws_counter_of(&c, -e);

		cr_assert_not_null(p);
		(*p)++;
		cr_assert_neq(strcmp(ws_err_str(e), "unknown"), 0);
		cr_assert(ws_err_close_code(e) == 1002 || ws_err_close_code(e) == 1007 ||
			  ws_err_close_code(e) == 1009);
	}
	cr_assert_eq(violations(&c), WS_E_COUNT);
	cr_assert_null(ws_counter_of(&c, -EAGAIN));
	cr_assert_eq(ws_err_close_code(-ENOMEM), WS_CLOSE_INTERNAL);
}

/* ---- message layer ------------------------------------------------------------- */

Test(ws_msg, unfragmented_message_is_zero_copy)
{
	uint8_t b[64];
	struct peer p;
	size_t n = mkin(b, WS_SERVER, 0x82, "\x01\x02\x03", 3);

	peer_init(&p, WS_SERVER, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_eq(p.nmsg, 1);
	cr_assert_eq(p.last_op, WS_OP_BINARY);
	cr_assert_eq(p.last_data, b + 6);
	cr_assert_arr_eq(p.last_data, "\x01\x02\x03", 3);
	cr_assert_eq(p.rx.cnt.messages, 1);
	cr_assert_eq(p.rx.cnt.frames, 1);
	peer_fini(&p);
}

Test(ws_msg, next_gives_one_event_per_frame)
{
	uint8_t b[64];
	struct peer p;
	struct ws_event ev;
	size_t n = mkin(b, WS_CLIENT, 0x01, "He", 2), off = 0;
	ssize_t r;

	n += mkin(b + n, WS_CLIENT, 0x8a, "pp", 2);
	n += mkin(b + n, WS_CLIENT, 0x80, "y", 1);
	peer_init(&p, WS_CLIENT, 64, 0, 0);
	r = ws_rx_next(&p.rx, b, n, &ev);
	cr_assert_eq(r, 4);
	cr_assert_eq(ev.type, WS_EV_NONE);
	off += (size_t)r;
	r = ws_rx_next(&p.rx, b + off, n - off, &ev);
	cr_assert_eq(r, 4);
	cr_assert_eq(ev.type, WS_EV_PONG);
	cr_assert_eq(ev.len, 2);
	off += (size_t)r;
	r = ws_rx_next(&p.rx, b + off, n - off, &ev);
	cr_assert_eq(r, 3);
	cr_assert_eq(ev.type, WS_EV_MESSAGE);
	cr_assert_eq(ev.opcode, WS_OP_TEXT);
	cr_assert_arr_eq(ev.data, "Hey", 3);
	cr_assert_eq(ev.data, p.msg);
	cr_assert_eq(ws_rx_next(&p.rx, b + n, 0, &ev), 0);
	peer_fini(&p);
}

Test(ws_msg, control_frames_between_fragments)
{
	uint8_t b[128], out[2 * WS_CTRL_FRAME_MAX], copy[sizeof(out)];
	struct peer p;
	struct ws_frame f;
	size_t n = mkin(b, WS_SERVER, 0x01, "Hel", 3);
	ssize_t r;

	n += mkin(b + n, WS_SERVER, 0x89, "p1", 2);
	n += mkin(b + n, WS_SERVER, 0x00, "l", 1);
	n += mkin(b + n, WS_SERVER, 0x8a, "", 0);
	n += mkin(b + n, WS_SERVER, 0x89, "p2", 2);
	n += mkin(b + n, WS_SERVER, 0x80, "o", 1);
	peer_init(&p, WS_SERVER, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_eq(p.nmsg, 1);
	cr_assert_arr_eq(p.last_data, "Hello", 5);
	cr_assert_eq(p.nping, 2);
	cr_assert_eq(p.npong, 1);
	/* only the latest ping is answered (RFC 6455 section 5.5.3) */
	cr_assert_eq(p.rx.cnt.pings_coalesced, 1);
	r = ws_rx_ctrl_flush(&p.rx, out, sizeof(out));
	cr_assert_eq(r, 4);
	parse_one(out, 4, WS_SERVER, &f, copy);
	cr_assert_eq(f.opcode, WS_OP_PONG);
	cr_assert_arr_eq(f.payload, "p2", 2);
	peer_fini(&p);
}

Test(ws_msg, zero_length_fragments_and_messages)
{
	uint8_t b[64];
	struct peer p;
	size_t n = mkin(b, WS_CLIENT, 0x01, "", 0);

	n += mkin(b + n, WS_CLIENT, 0x00, "", 0);
	n += mkin(b + n, WS_CLIENT, 0x80, "", 0);
	n += mkin(b + n, WS_CLIENT, 0x81, "", 0);
	n += mkin(b + n, WS_CLIENT, 0x82, "", 0);
	peer_init(&p, WS_CLIENT, 16, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_eq(p.nmsg, 3);
	cr_assert_eq(p.last_len, 0);
	cr_assert_eq(p.rx.cnt.fragmented, 1);
	peer_fini(&p);
}

Test(ws_msg, message_at_the_size_limit)
{
	uint8_t pl[100], b[256];
	struct peer p;
	size_t n;

	memset(pl, 7, sizeof(pl));
	n = mkin(b, WS_SERVER, 0x82, pl, 100);
	n += mkin(b + n, WS_SERVER, 0x02, pl, 50);
	n += mkin(b + n, WS_SERVER, 0x80, pl, 50);
	peer_init(&p, WS_SERVER, 100, 100, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_eq(p.nmsg, 2);
	cr_assert_eq(p.last_len, 100);
	peer_fini(&p);
}

Test(ws_msg, peer_close_is_answered_with_its_code)
{
	uint8_t b[64], out[2 * WS_CTRL_FRAME_MAX], copy[sizeof(out)];
	struct peer p;
	struct ws_frame f;
	struct ws_event ev;
	size_t n = mkin(b, WS_CLIENT, 0x88, "\x03\xe8" "bye", 5);
	ssize_t r;

	n += mkin(b + n, WS_CLIENT, 0x81, "after", 5); /* never read */
	peer_init(&p, WS_CLIENT, 64, 0, 0);
	r = ws_rx_feed(&p.rx, b, n);
	cr_assert_eq(r, 7, "stops after the close frame");
	cr_assert_eq(p.nclose, 1);
	cr_assert_eq(p.last_code, 1000);
	cr_assert_eq(p.last_len, 3);
	cr_assert_arr_eq(p.last_data, "bye", 3);
	cr_assert_eq(p.nmsg, 0);
	cr_assert_eq(ws_rx_state(&p.rx), WS_RX_CLOSED);
	cr_assert_eq(ws_rx_feed(&p.rx, b + 7, n - 7), -ESHUTDOWN);
	cr_assert_eq(ws_rx_next(&p.rx, b + 7, n - 7, &ev), -ESHUTDOWN);
	cr_assert_eq(violations(&p.rx.cnt), 0);
	r = ws_rx_ctrl_flush(&p.rx, out, sizeof(out));
	cr_assert_eq(r, 8, "a client's close: 2 + 4 + 2");
	parse_one(out, 8, WS_CLIENT, &f, copy);
	cr_assert_eq(f.opcode, WS_OP_CLOSE);
	cr_assert_arr_eq(f.payload, "\x03\xe8", 2);
	cr_assert_eq(ws_tx_binary(&p.tx, out, sizeof(out), "x", 1), -EPIPE);
	peer_fini(&p);
}

/* Regression: without callbacks, feed must still stop at the close frame. */
Test(ws_msg, feed_without_callbacks_stops_at_close)
{
	uint8_t b[32], msg[16];
	struct ws_tx tx;
	struct ws_rx rx;
	size_t n = mkin(b, WS_SERVER, 0x81, "a", 1), c;

	n += mkin(b + n, WS_SERVER, 0x88, "", 0);
	c = n;
	n += mkin(b + n, WS_SERVER, 0x81, "b", 1);
	cr_assert_eq(ws_tx_init(&tx, WS_SERVER), 0);
	cr_assert_eq(ws_rx_init(&rx, &(struct ws_rx_cfg){ .tx = &tx, .msg_buf = msg,
							  .msg_cap = sizeof(msg) }),
		     0);
	cr_assert_eq(ws_rx_feed(&rx, b, n), (ssize_t)c);
	cr_assert_eq(rx.cnt.messages, 1);
	cr_assert_eq(ws_rx_state(&rx), WS_RX_CLOSED);
	cr_assert_eq(ws_rx_ctrl_pending(&rx), 2);
}

Test(ws_msg, empty_close_reports_1005_and_gets_an_empty_close)
{
	uint8_t b[16], out[2 * WS_CTRL_FRAME_MAX];
	struct peer p;
	size_t n = mkin(b, WS_SERVER, 0x88, "", 0);

	peer_init(&p, WS_SERVER, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_eq(p.last_code, WS_CLOSE_NO_STATUS);
	cr_assert_eq(p.last_len, 0);
	cr_assert_eq(ws_rx_ctrl_flush(&p.rx, out, sizeof(out)), 2);
	cr_assert_arr_eq(out, "\x88\x00", 2);
	peer_fini(&p);
}

Test(ws_msg, all_valid_close_codes_accepted)
{
	static const unsigned ok[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
				       3000, 3999, 4000, 4999 };
	uint8_t b[16], pl[2];

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(ok); i++) {
		struct peer p;
		size_t n;

		pl[0] = (uint8_t)(ok[i] >> 8);
		pl[1] = (uint8_t)ok[i];
		n = mkin(b, WS_CLIENT, 0x88, pl, 2);
		peer_init(&p, WS_CLIENT, 64, 0, 0);
		cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n, "code %u", ok[i]);
		cr_assert_eq(p.last_code, ok[i]);
		peer_fini(&p);
	}
}

Test(ws_msg, our_close_then_peer_close_needs_no_reply)
{
	uint8_t b[16], out[64];
	struct peer p;
	size_t n = mkin(b, WS_CLIENT, 0x88, "\x03\xe9", 2);

	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_eq(ws_tx_close(&p.tx, out, sizeof(out), 1001, "bye", 3), 2 + 4 + 5);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_eq(p.last_code, 1001);
	cr_assert_eq(ws_rx_ctrl_pending(&p.rx), 0);
	cr_assert_eq(ws_rx_ctrl_flush(&p.rx, out, sizeof(out)), 0);
	cr_assert_eq(p.nctrl, 0);
	peer_fini(&p);
}

Test(ws_msg, no_pong_after_our_close)
{
	uint8_t b[16], out[64];
	struct peer p;
	size_t n = mkin(b, WS_SERVER, 0x89, "hb", 2);

	peer_init(&p, WS_SERVER, 64, 0, 0);
	cr_assert_gt(ws_tx_close(&p.tx, out, sizeof(out), 1000, NULL, 0), 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_eq(p.nping, 1);
	cr_assert_eq(ws_rx_ctrl_pending(&p.rx), 0);
	peer_fini(&p);
}

Test(ws_msg, pong_and_close_flushed_in_order)
{
	uint8_t b[32], out[2 * WS_CTRL_FRAME_MAX], copy[sizeof(out)];
	struct peer p;
	struct ws_frame f;
	size_t n = mkin(b, WS_SERVER, 0x89, "hb", 2);

	n += mkin(b + n, WS_SERVER, 0x88, "\x0f\xa0", 2);    /* 4000 */
	peer_init(&p, WS_SERVER, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_eq(ws_rx_ctrl_pending(&p.rx), 8);
	cr_assert_eq(ws_rx_ctrl_flush(&p.rx, out, 7), -ENOBUFS, "all or nothing");
	cr_assert_eq(ws_rx_ctrl_pending(&p.rx), 8);
	cr_assert_eq(ws_rx_ctrl_flush(&p.rx, out, 8), 8);
	parse_one(out, 4, WS_SERVER, &f, copy);
	cr_assert_eq(f.opcode, WS_OP_PONG);
	parse_one(out + 4, 4, WS_SERVER, &f, copy);
	cr_assert_eq(f.opcode, WS_OP_CLOSE);
	cr_assert_arr_eq(f.payload, "\x0f\xa0", 2);
	peer_fini(&p);
}

Test(ws_msg, largest_pending_control_frames_fit_two_ctrl_frames)
{
	uint8_t pl[125], b[300], out[2 * WS_CTRL_FRAME_MAX];
	struct peer p;
	size_t n;

	memset(pl, 'p', sizeof(pl));
	n = mkin(b, WS_CLIENT, 0x89, pl, 125);
	n += mkin(b + n, WS_CLIENT, 0x88, "\x03\xe8", 2);
	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	cr_assert_leq(ws_rx_ctrl_pending(&p.rx), sizeof(out));
	cr_assert_eq(ws_rx_ctrl_flush(&p.rx, out, sizeof(out)), 6 + 125 + 6 + 2);
	peer_fini(&p);
}

Test(ws_msg, reset_reopens)
{
	uint8_t b[16], c[16];
	struct peer p;
	size_t n = mkin(b, WS_CLIENT, 0xc1, "x", 1), m = mkin(c, WS_CLIENT, 0x81, "ok", 2);

	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_lt(ws_rx_feed(&p.rx, b, n), 0);
	cr_assert_eq(ws_rx_feed(&p.rx, c, m), -WS_E_RSV);
	ws_rx_reset(&p.rx);
	ws_tx_reset(&p.tx);
	cr_assert_eq(ws_rx_feed(&p.rx, c, m), (ssize_t)m);
	cr_assert_eq(p.nmsg, 1);
	cr_assert_eq(p.rx.cnt.bad_rsv, 1, "counters survive a reset");
	peer_fini(&p);
}

Test(ws_msg, init_refuses_bad_config)
{
	struct ws_tx tx;
	struct ws_rx rx;
	uint8_t buf[16];

	cr_assert_eq(ws_tx_init(&tx, WS_CLIENT), 0);
	cr_assert_eq(ws_rx_init(&rx, &(struct ws_rx_cfg){ .tx = NULL, .max_msg = 10 }), -EINVAL);
	cr_assert_eq(ws_rx_init(&rx, &(struct ws_rx_cfg){ .tx = &tx }), -EINVAL);
	cr_assert_eq(ws_rx_init(&rx, &(struct ws_rx_cfg){ .tx = &tx, .msg_cap = 16 }), -EINVAL);
	cr_assert_eq(ws_rx_init(&rx, &(struct ws_rx_cfg){ .tx = &tx, .msg_buf = buf, .msg_cap = 16,
							  .max_frame = 100 }),
		     -EINVAL);
	cr_assert_eq(ws_rx_init(&rx, &(struct ws_rx_cfg){ .tx = &tx, .msg_buf = buf, .msg_cap = 16 }),
		     0);
	cr_assert_eq(rx.max_frame, 125, "control frames always fit");
	cr_assert_eq(rx.max_msg, 16);
	cr_assert_eq(ws_tx_init(&tx, (enum ws_role)7), -EINVAL);
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

struct bytes {
	const char *s;
	size_t n;
};
#define B(x) { x, sizeof(x) - 1 }

static const struct bytes utf8_good[] = {
	B(""), B("a"), B("\x7f"), B("\xc2\x80"), B("\xdf\xbf"), B("\xe0\xa0\x80"),
	B("\xed\x9f\xbf"), B("\xee\x80\x80"), B("\xef\xbf\xbf"), B("\xf0\x90\x80\x80"),
	B("\xf4\x8f\xbf\xbf"), B("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),
	B("price \xe2\x82\xa9 1,000 \xf0\x9f\x9a\x80 ok"),
};

static const struct bytes utf8_bad[] = {
	B("\x80"), B("\xbf"), B("a\x80z"),                       /* stray continuation */
	B("\xc0\x80"), B("\xc1\xbf"), B("\xe0\x80\x80"),          /* overlong */
	B("\xe0\x9f\xbf"), B("\xf0\x80\x80\x80"), B("\xf0\x8f\xbf\xbf"),
	B("\xc0\xaf"), B("\xe0\x80\xaf"), B("\xf0\x80\x80\xaf"),
	B("\xed\xa0\x80"), B("\xed\xbf\xbf"), B("\xed\xa0\x80\xed\xb0\x80"), /* surrogates */
	B("\xf4\x90\x80\x80"), B("\xf5\x80\x80\x80"), B("\xf7\xbf\xbf\xbf"), /* > U+10FFFF */
	B("\xf8\x88\x80\x80\x80"), B("\xfc\x84\x80\x80\x80\x80"), B("\xfe"), B("\xff"),
	B("\xc2"), B("\xe2\x82"), B("\xf0\x9f\x98"), B("ok\xf4\x8f\xbf"), /* truncated */
	B("\xc2\x41"), B("\xe2\x28\xa1"), B("\xf0\x9f\x41\x80"),  /* lead then ASCII */
	B("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80" "edited"),
};

/* Reference: decode code points by the definition (RFC 3629). */
static bool ref_utf8(const uint8_t *p, size_t n)
{
	static const uint32_t least[4] = { 0, 0x80, 0x800, 0x10000 };
	size_t i = 0;

	while (i < n) {
		uint32_t c = p[i], cp;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < least[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

Test(ws_utf8, known_good_and_bad)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(utf8_good); i++) {
		const uint8_t *s = (const uint8_t *)utf8_good[i].s;

		cr_assert(ws_utf8_valid(s, utf8_good[i].n), "good %zu", i);
		cr_assert(ref_utf8(s, utf8_good[i].n));
	}
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(utf8_bad); i++) {
		const uint8_t *s = (const uint8_t *)utf8_bad[i].s;

		cr_assert_not(ws_utf8_valid(s, utf8_bad[i].n), "bad %zu", i);
		cr_assert_not(ref_utf8(s, utf8_bad[i].n), "reference, bad %zu", i);
	}
}

Test(ws_utf8, every_code_point)
{
	uint8_t b[4];

	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		size_t n;
		bool want = cp < 0xd800 || cp > 0xdfff;

		if (cp < 0x80) {
			b[0] = (uint8_t)cp;
			n = 1;
		} else if (cp < 0x800) {
			b[0] = (uint8_t)(0xc0 | cp >> 6);
			b[1] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			b[0] = (uint8_t)(0xe0 | cp >> 12);
			b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			b[2] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			b[0] = (uint8_t)(0xf0 | cp >> 18);
			b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
			b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
			b[3] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 4;
		}
		if (ws_utf8_valid(b, n) != want)
			cr_assert_fail("U+%04X", cp);
		/* each proper prefix is "inside a sequence", not accepted */
		for (size_t k = 1; k < n; k++)
			if (ws_utf8_step(WS_UTF8_ACCEPT, b, k) == WS_UTF8_ACCEPT)
				cr_assert_fail("prefix of U+%04X accepted", cp);
	}
}

Test(ws_utf8, random_bytes_match_reference_and_split_anywhere)
{
	uint64_t seed = 0xabcdef;
	uint8_t b[40];

	for (int it = 0; it < 200000; it++) {
		size_t n = trand(&seed) % sizeof(b), cut;
		uint32_t s;
		bool ok;

		for (size_t i = 0; i < n; i++) {
			uint64_t r = trand(&seed);

			/* bias towards plausible sequences */
			b[i] = (r & 3) == 0 ? (uint8_t)(0x80 | (r >> 8 & 0x3f)) : (uint8_t)(r >> 16);
		}
		ok = ws_utf8_valid(b, n);
		if (ok != ref_utf8(b, n))
			cr_assert_fail("iteration %d: %d vs reference", it, ok);
		cut = n ? trand(&seed) % (n + 1) : 0;
		s = ws_utf8_step(ws_utf8_step(WS_UTF8_ACCEPT, b, cut), b + cut, n - cut);
		if ((s == WS_UTF8_ACCEPT) != ok)
			cr_assert_fail("iteration %d: split at %zu differs", it, cut);
	}
}

Test(ws_utf8, long_ascii_with_late_error)
{
	uint8_t b[1000];

	memset(b, 'x', sizeof(b));
	cr_assert(ws_utf8_valid(b, sizeof(b)));
	for (size_t at = 0; at < 40; at++) {
		b[sizeof(b) - 1 - at] = 0xff;
		cr_assert_not(ws_utf8_valid(b, sizeof(b)));
		b[sizeof(b) - 1 - at] = 'x';
	}
}

/* Text message 's' split into 'nfrag' fragments at c1 (and c2): the result. */
static ssize_t feed_text_frags(const uint8_t *s, size_t n, size_t c1, size_t c2, struct peer *p)
{
	uint8_t b[256];
	size_t m;

	if (c2 < c1)
		c2 = c1;
	m = mkin(b, WS_SERVER, 0x01, s, c1);
	m += mkin(b + m, WS_SERVER, 0x00, s + c1, c2 - c1);
	m += mkin(b + m, WS_SERVER, 0x80, s + c2, n - c2);
	return ws_rx_feed(&p->rx, b, m);
}

Test(ws_utf8, valid_multibyte_split_across_fragments)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(utf8_good); i++) {
		const uint8_t *s = (const uint8_t *)utf8_good[i].s;
		size_t n = utf8_good[i].n;

		for (size_t c1 = 0; c1 <= n; c1++)
			for (size_t c2 = c1; c2 <= n; c2++) {
				struct peer p;

				peer_init(&p, WS_SERVER, 128, 0, 0);
				cr_assert_gt(feed_text_frags(s, n, c1, c2, &p), 0, "%zu %zu %zu", i,
					     c1, c2);
				cr_assert_eq(p.nmsg, 1);
				cr_assert_eq(p.last_len, n);
				cr_assert_arr_eq(p.last_data, s, n);
				peer_fini(&p);
			}
	}
}

Test(ws_utf8, invalid_sequences_close_1007_whole_or_fragmented)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(utf8_bad); i++) {
		const uint8_t *s = (const uint8_t *)utf8_bad[i].s;
		size_t n = utf8_bad[i].n;
		uint8_t b[128];
		size_t m = mkin(b, WS_SERVER, 0x81, s, n);

		check_violation(WS_SERVER, b, m, WS_E_UTF8, WS_CLOSE_BAD_DATA);
		for (size_t c1 = 0; c1 <= n; c1++) {
			struct peer p;

			peer_init(&p, WS_SERVER, 128, 0, 0);
			cr_assert_eq(feed_text_frags(s, n, c1, c1, &p), -WS_E_UTF8, "%zu at %zu", i,
				     c1);
			cr_assert_eq(p.rx.close_code, WS_CLOSE_BAD_DATA);
			cr_assert_eq(p.rx.cnt.bad_utf8, 1);
			cr_assert_eq(p.nmsg, 0);
			peer_fini(&p);
		}
	}
}

Test(ws_utf8, fails_fast_at_the_bad_fragment)
{
	uint8_t b[64];
	struct peer p;
	size_t n = mkin(b, WS_CLIENT, 0x01, "ok\xff", 3);

	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), -WS_E_UTF8, "refused before the message ends");
	peer_fini(&p);
}

Test(ws_utf8, binary_is_not_checked)
{
	uint8_t b[16];
	struct peer p;
	size_t n = mkin(b, WS_CLIENT, 0x82, "\xff\xfe", 2);

	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, b, n), (ssize_t)n);
	peer_fini(&p);
}

/* ---- encoder ------------------------------------------------------------------------ */

Test(ws_enc, header_lengths)
{
	static const struct {
		uint64_t len;
		size_t srv;
	} t[] = { { 0, 2 }, { 125, 2 }, { 126, 4 }, { 65535, 4 }, { 65536, 10 }, { 1ull << 40, 10 } };

	for (size_t i = 0; i < KIMP_ARRAY_SIZE(t); i++) {
		cr_assert_eq(ws_hdr_len(WS_SERVER, t[i].len), t[i].srv);
		cr_assert_eq(ws_hdr_len(WS_CLIENT, t[i].len), t[i].srv + 4);
		cr_assert_leq(ws_hdr_len(WS_CLIENT, t[i].len), WS_MAX_HDR);
	}
}

Test(ws_enc, mask_matches_bytewise_xor)
{
	uint8_t a[300], b[300], c[300];
	uint64_t seed = 5;

	for (size_t n = 0; n <= 300; n += (n < 70 ? 1 : 23)) {
		uint32_t key = (uint32_t)trand(&seed);
		uint8_t kb[4];

		memcpy(kb, &key, 4);
		fill_bin(a, n, n);
		memcpy(b, a, n);
		ws_mask(b, n, key);
		ws_mask_copy(c, a, n, key);
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(b[i], a[i] ^ kb[i & 3], "n %zu byte %zu", n, i);
		cr_assert_arr_eq(b, c, n);
		/* unaligned starts */
		if (n > 3) {
			memcpy(b, a, n);
			ws_mask(b + 3, n - 3, key);
			for (size_t i = 3; i < n; i++)
				cr_assert_eq(b[i], a[i] ^ kb[(i - 3) & 3]);
		}
	}
}

Test(ws_enc, client_keys_are_fresh_per_frame)
{
	uint8_t out[64];
	uint32_t keys[200];
	struct ws_tx tx;
	int same = 0;

	cr_assert_eq(ws_tx_init(&tx, WS_CLIENT), 0);
	for (int i = 0; i < 200; i++) {
		cr_assert_eq(ws_tx_text(&tx, out, sizeof(out), "abcd", 4), 10);
		cr_assert_eq(out[1], 0x84);
		memcpy(&keys[i], out + 2, 4);
	}
	for (int i = 0; i < 200; i++)
		for (int j = i + 1; j < 200; j++)
			same += keys[i] == keys[j];
	cr_assert_leq(same, 1, "%d repeated keys", same);
	cr_assert_eq(tx.frames, 200);
	cr_assert_eq(tx.bytes, 2000);
}

Test(ws_enc, seeded_encoders_agree_and_seal_equals_copy)
{
	uint8_t pl[1000], a[1100], b[1100], *frame;
	struct ws_tx t1, t2;
	ssize_t n1, n2;

	fill_text(pl, sizeof(pl), 9);
	for (int r = 0; r < 2; r++) {
		for (size_t n = 0; n <= sizeof(pl); n += 111) {
			cr_assert_eq(ws_tx_init(&t1, (enum ws_role)r), 0);
			cr_assert_eq(ws_tx_init(&t2, (enum ws_role)r), 0);
			ws_tx_seed(&t1, 77);
			ws_tx_seed(&t2, 77);
			n1 = ws_tx_text(&t1, a, sizeof(a), pl, n);
			memcpy(b + WS_MAX_HDR, pl, n);
			n2 = ws_tx_seal(&t2, b + WS_MAX_HDR, n, WS_MAX_HDR, WS_OP_TEXT, true, &frame);
			cr_assert_eq(n1, n2);
			cr_assert_eq(frame, b + WS_MAX_HDR - ws_hdr_len((enum ws_role)r, n));
			cr_assert_arr_eq(frame, a, (size_t)n1);
		}
	}
}

Test(ws_enc, errors)
{
	uint8_t out[300], pl[200] = { 0 }, *frame;
	struct ws_tx tx;

	cr_assert_eq(ws_tx_init(&tx, WS_SERVER), 0);
	cr_assert_eq(ws_tx_binary(&tx, out, 5, pl, 4), -ENOBUFS);
	cr_assert_eq(ws_tx_binary(&tx, out, 6, pl, 4), 6);
	cr_assert_eq(ws_tx_binary(&tx, out, 200, pl, 199), -ENOBUFS, "199 needs a 4-byte header");
	cr_assert_eq(ws_tx_ping(&tx, out, sizeof(out), pl, 126), -EINVAL);
	cr_assert_eq(ws_tx_ping(&tx, out, sizeof(out), pl, 125), 127);
	cr_assert_eq(ws_tx_frame(&tx, out, sizeof(out), WS_OP_PING, false, pl, 1), -EINVAL);
	cr_assert_eq(ws_tx_frame(&tx, out, sizeof(out), 0x3, true, pl, 1), -EINVAL);
	cr_assert_eq(ws_tx_frame(&tx, out, sizeof(out), 0xb, true, pl, 1), -EINVAL);
	cr_assert_eq(ws_tx_frame(&tx, out, sizeof(out), WS_OP_CONT, true, pl, 1), -EINVAL);
	cr_assert_eq(ws_tx_frame(&tx, out, sizeof(out), WS_OP_TEXT, false, "a", 1), 3);
	cr_assert_eq(ws_tx_binary(&tx, out, sizeof(out), pl, 1), -EINVAL, "a message is open");
	cr_assert_eq(ws_tx_pong(&tx, out, sizeof(out), pl, 1), 3, "control frames may interleave");
	cr_assert_eq(ws_tx_frame(&tx, out, sizeof(out), WS_OP_CONT, true, "b", 1), 3);
	cr_assert_eq(ws_tx_frame(&tx, out, sizeof(out), WS_OP_CONT, true, "c", 1), -EINVAL);
	cr_assert_eq(ws_tx_seal(&tx, out + 3, 10, 3, WS_OP_BINARY, true, &frame), 12);
	cr_assert_eq(ws_tx_seal(&tx, out + 1, 10, 1, WS_OP_BINARY, true, &frame), -ENOBUFS);
	cr_assert_eq(ws_tx_seal(&tx, out + 14, 200, 3, WS_OP_BINARY, true, &frame), -ENOBUFS);
	/* close: codes and reasons */
	cr_assert_eq(ws_tx_close(&tx, out, sizeof(out), 1005, "x", 1), -EINVAL);
	cr_assert_eq(ws_tx_close(&tx, out, sizeof(out), 1006, NULL, 0), -EINVAL);
	cr_assert_eq(ws_tx_close(&tx, out, sizeof(out), 999, NULL, 0), -EINVAL);
	cr_assert_eq(ws_tx_close(&tx, out, sizeof(out), 1000, "\xff", 1), -EINVAL);
	cr_assert_eq(ws_tx_close(&tx, out, sizeof(out), 1000, (const char *)pl, 124), -EINVAL);
	cr_assert_eq(ws_tx_close(&tx, out, 3, 1000, NULL, 0), -ENOBUFS);
	cr_assert_eq(tx.closed, 0);
	cr_assert_eq(ws_tx_close(&tx, out, sizeof(out), 4000, "done", 4), 8);
	cr_assert_arr_eq(out, "\x88\x06\x0f\xa0" "done", 8);
	/* closed: everything fails fast until reset */
	cr_assert_eq(ws_tx_text(&tx, out, sizeof(out), "a", 1), -EPIPE);
	cr_assert_eq(ws_tx_ping(&tx, out, sizeof(out), "a", 1), -EPIPE);
	cr_assert_eq(ws_tx_close(&tx, out, sizeof(out), 1000, NULL, 0), -EPIPE);
	ws_tx_reset(&tx);
	cr_assert_eq(ws_tx_text(&tx, out, sizeof(out), "a", 1), 3);
}

/* Send one message of n bytes from 'sender' (in place or by copy); check it arrives. */
static void round_trip(enum ws_role sender, unsigned op, size_t n, bool seal)
{
	uint8_t *pl = xmalloc(n), *buf = xmalloc(n + WS_MAX_HDR), *frame;
	size_t hdr = ws_hdr_len(sender, n);
	struct ws_tx tx;
	struct peer p;
	ssize_t len;

	if (op == WS_OP_TEXT)
		fill_text(pl, n, n);
	else
		fill_bin(pl, n, n);
	cr_assert_eq(ws_tx_init(&tx, sender), 0);
	if (seal) {
		memcpy(buf + WS_MAX_HDR, pl, n);
		len = ws_tx_seal(&tx, buf + WS_MAX_HDR, n, WS_MAX_HDR, op, true, &frame);
	} else {
		len = ws_tx_frame(&tx, buf, n + WS_MAX_HDR, op, true, pl, n);
		frame = buf;
	}
	cr_assert_eq(len, (ssize_t)(hdr + n));
	cr_assert_eq(frame[0], 0x80 | op);
	cr_assert_eq(!!(frame[1] & 0x80), sender == WS_CLIENT);

	peer_init(&p, other(sender), MIB, MIB, MIB);
	p.in_lo = frame;
	p.in_hi = frame + len;
	cr_assert_eq(ws_rx_feed(&p.rx, frame, (size_t)len), len, "%zu bytes", n);
	cr_assert_eq(p.nmsg, 1);
	cr_assert_eq(p.last_op, op);
	cr_assert_eq(p.last_len, n);
	cr_assert_eq(p.last_data, frame + hdr, "zero copy");
	cr_assert_arr_eq(p.last_data, pl, n);
	peer_fini(&p);
	free(pl);
	free(buf);
}

/* The same message in three fragments with a ping between; reassembled. */
static void round_trip_fragmented(enum ws_role sender, unsigned op, size_t n)
{
	size_t cut[4] = { 0, n / 3, n - n / 5, n };
	size_t cap = n + 4 * WS_MAX_HDR + WS_CTRL_FRAME_MAX, off = 0;
	uint8_t *pl = xmalloc(n), *buf = xmalloc(cap);
	struct ws_tx tx;
	struct peer p;
	ssize_t r;

	if (op == WS_OP_TEXT)
		fill_text(pl, n, n + 1);
	else
		fill_bin(pl, n, n + 1);
	cr_assert_eq(ws_tx_init(&tx, sender), 0);
	for (int i = 0; i < 3; i++) {
		r = ws_tx_frame(&tx, buf + off, cap - off, i ? WS_OP_CONT : op, i == 2, pl + cut[i],
				cut[i + 1] - cut[i]);
		cr_assert_gt(r, 0);
		off += (size_t)r;
		if (i == 0) {
			r = ws_tx_ping(&tx, buf + off, cap - off, "hb", 2);
			cr_assert_gt(r, 0);
			off += (size_t)r;
		}
	}
	peer_init(&p, other(sender), MIB, MIB, MIB);
	cr_assert_eq(ws_rx_feed(&p.rx, buf, off), (ssize_t)off);
	cr_assert_eq(p.nmsg, 1);
	cr_assert_eq(p.nping, 1);
	cr_assert_eq(p.last_len, n);
	cr_assert_eq(p.last_data, p.msg);
	cr_assert_arr_eq(p.last_data, pl, n);
	peer_fini(&p);
	free(pl);
	free(buf);
}

static const size_t rt_sizes[] = { 0, 1, 125, 126, 127, 65535, 65536, MIB };

Test(ws_enc, round_trip_client_to_server, .timeout = 120)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(rt_sizes); i++) {
		round_trip(WS_CLIENT, WS_OP_BINARY, rt_sizes[i], false);
		round_trip(WS_CLIENT, WS_OP_TEXT, rt_sizes[i], true);
		round_trip_fragmented(WS_CLIENT, WS_OP_TEXT, rt_sizes[i]);
	}
}

Test(ws_enc, round_trip_server_to_client, .timeout = 120)
{
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(rt_sizes); i++) {
		round_trip(WS_SERVER, WS_OP_TEXT, rt_sizes[i], false);
		round_trip(WS_SERVER, WS_OP_BINARY, rt_sizes[i], true);
		round_trip_fragmented(WS_SERVER, WS_OP_BINARY, rt_sizes[i]);
	}
}

/* ---- streams fed in pieces ------------------------------------------------------------- */

#define STREAM_MSG_CAP (1u << 17)
#define FUZZ_MSG_CAP   512u

struct outcome {
	ssize_t err;           /* first error, or 0 */
	size_t left;           /* bytes never consumed */
	uint8_t state;
	struct ws_counters cnt;
	struct elog log;
};

/*
 * Feed s[0..n) to a fresh 'rcv' peer with a msg_cap-byte message buffer
 * (and limit): a first piece of k bytes, then pieces of 'step' bytes (0: all
 * the rest), keeping unconsumed bytes as a network layer would.
 */
static void run_pieces(enum ws_role rcv, const uint8_t *s, size_t n, size_t k, size_t step,
		       size_t msg_cap, struct outcome *o)
{
	uint8_t *stage = xmalloc(n + 1);
	size_t have = 0, off = 0;
	bool first = true;
	struct peer p;

	memset(o, 0, sizeof(*o));
	peer_init(&p, rcv, msg_cap, 0, 0);
	for (;;) {
		size_t piece = first ? k : (step ? step : n - off);
		ssize_t r;

		first = false;
		if (piece > n - off)
			piece = n - off;
		memcpy(stage + have, s + off, piece);
		have += piece;
		off += piece;
		r = ws_rx_feed(&p.rx, stage, have);
		if (r < 0) {
			o->err = r;
			break;
		}
		cr_assert_leq((size_t)r, have);
		memmove(stage, stage + r, have - (size_t)r);
		have -= (size_t)r;
		if (ws_rx_state(&p.rx) != WS_RX_OPEN || off == n)
			break;
	}
	o->left = have + (n - off);
	if (o->err)
		o->left = 0; /* what is left after a failure does not matter */
	o->state = p.rx.state;
	o->cnt = p.rx.cnt;
	o->log = p.log;
	p.log = (struct elog){ 0 };
	peer_fini(&p);
	free(stage);
}

static void same_outcome(const struct outcome *a, const struct outcome *b, const char *what,
			 size_t k)
{
	cr_assert_eq(a->err, b->err, "%s %zu: error %zd vs %zd", what, k, a->err, b->err);
	cr_assert_eq(a->left, b->left, "%s %zu: left %zu vs %zu", what, k, a->left, b->left);
	cr_assert_eq(a->state, b->state, "%s %zu", what, k);
	cr_assert_eq(a->log.len, b->log.len, "%s %zu: log %zu vs %zu", what, k, a->log.len,
		     b->log.len);
	if (a->log.len)
		cr_assert_arr_eq(a->log.p, b->log.p, a->log.len, "%s %zu: events differ", what, k);
	cr_assert_arr_eq(&a->cnt, &b->cnt, sizeof(a->cnt), "%s %zu: counters differ", what, k);
}

/* A mixed stream as 'rcv' receives it; 'big' adds 16- and 64-bit lengths. */
static size_t build_stream(uint8_t *o, enum ws_role rcv, bool big)
{
	uint8_t pl[300];
	size_t n = 0;

	fill_text(pl, sizeof(pl), 4);
	n += mkin(o + n, rcv, 0x81, "Hello", 5);
	n += mkin(o + n, rcv, 0x82, "", 0);
	n += mkin(o + n, rcv, 0x89, "ping", 4);
	n += mkin(o + n, rcv, 0x01, "\xe2\x82", 2);          /* a character split... */
	n += mkin(o + n, rcv, 0x8a, "pong", 4);
	n += mkin(o + n, rcv, 0x00, "\xac x ", 4);           /* ...across fragments */
	n += mkin(o + n, rcv, 0x80, pl, 130);
	n += mkin(o + n, rcv, 0x82, pl, 126);
	n += mkin(o + n, rcv, 0x81, pl, 125);
	if (big) {
		uint8_t *b = xmalloc(70000);

		fill_bin(b, 70000, 5);
		n += mkin(o + n, rcv, 0x82, b, 65535);
		n += mkin(o + n, rcv, 0x82, b, 70000);
		n += mkin(o + n, rcv, 0x02, b, 65536);
		n += mkin(o + n, rcv, 0x80, b, 3);
		free(b);
	}
	n += mkin(o + n, rcv, 0x88, "\x03\xe8" "end", 5);
	return n;
}

Test(ws_stream, every_split_point_gives_the_same_result)
{
	uint8_t s[2048];

	for (int r = 0; r < 2; r++) {
		enum ws_role rcv = (enum ws_role)r;
		size_t n = build_stream(s, rcv, false);
		struct outcome whole, part;

		run_pieces(rcv, s, n, n, 0, STREAM_MSG_CAP, &whole);
		cr_assert_eq(whole.err, 0);
		cr_assert_eq(whole.left, 0);
		cr_assert_eq(whole.state, WS_RX_CLOSED);
		cr_assert_eq(whole.cnt.messages, 5);
		for (size_t k = 0; k <= n; k++) {
			run_pieces(rcv, s, n, k, 0, STREAM_MSG_CAP, &part);
			same_outcome(&whole, &part, "split at", k);
			elog_free(&part.log);
		}
		run_pieces(rcv, s, n, 1, 1, STREAM_MSG_CAP, &part);
		same_outcome(&whole, &part, "byte at a time", 1);
		elog_free(&part.log);
		for (size_t step = 2; step < 40; step++) {
			run_pieces(rcv, s, n, step, step, STREAM_MSG_CAP, &part);
			same_outcome(&whole, &part, "pieces of", step);
			elog_free(&part.log);
		}
		elog_free(&whole.log);
	}
}

Test(ws_stream, byte_at_a_time_with_long_frames)
{
	uint8_t *s = xmalloc(300000);

	for (int r = 0; r < 2; r++) {
		enum ws_role rcv = (enum ws_role)r;
		size_t n = build_stream(s, rcv, true);
		struct outcome whole, part;

		run_pieces(rcv, s, n, n, 0, STREAM_MSG_CAP, &whole);
		cr_assert_eq(whole.err, 0);
		cr_assert_eq(whole.cnt.messages, 8);
		run_pieces(rcv, s, n, 1, 1, STREAM_MSG_CAP, &part);
		same_outcome(&whole, &part, "byte at a time", 1);
		elog_free(&part.log);
		run_pieces(rcv, s, n, 7, 1021, STREAM_MSG_CAP, &part);
		same_outcome(&whole, &part, "pieces of", 1021);
		elog_free(&part.log);
		elog_free(&whole.log);
	}
	free(s);
}

Test(ws_stream, violation_found_at_every_split_point)
{
	uint8_t s[512];

	for (int r = 0; r < 2; r++) {
		enum ws_role rcv = (enum ws_role)r;
		uint8_t cl[16];
		size_t n = build_stream(s, rcv, false) - mkin(cl, rcv, 0x88, "\x03\xe8" "end", 5);
		struct outcome whole, part;

		n += mkin(s + n, rcv, 0x01, "ok", 2);
		n += mkin(s + n, rcv, 0x00, "\xed\xa0", 2);     /* a surrogate begins */
		n += mkin(s + n, rcv, 0x80, "\x80", 1);
		run_pieces(rcv, s, n, n, 0, STREAM_MSG_CAP, &whole);
		cr_assert_eq(whole.err, -WS_E_UTF8);
		cr_assert_eq(whole.cnt.messages, 5);
		for (size_t k = 0; k <= n; k++) {
			run_pieces(rcv, s, n, k, 0, STREAM_MSG_CAP, &part);
			same_outcome(&whole, &part, "split at", k);
			elog_free(&part.log);
		}
		run_pieces(rcv, s, n, 1, 1, STREAM_MSG_CAP, &part);
		same_outcome(&whole, &part, "byte at a time", 1);
		elog_free(&part.log);
		elog_free(&whole.log);
	}
}

/* ---- fuzz ------------------------------------------------------------------------------ */

/* One input fed whole to a fresh peer; every outcome checked for sanity. */
static void fuzz_one(enum ws_role rcv, const uint8_t *in, size_t n, struct peer *p,
		     struct outcome *o)
{
	uint8_t *buf = xmemdup(in, n); /* exact size: ASan sees any overrun */
	uint8_t out[2 * WS_CTRL_FRAME_MAX];
	ssize_t r, f;

	peer_init(p, rcv, FUZZ_MSG_CAP, 0, 0);
	p->in_lo = buf;
	p->in_hi = buf + n;
	r = ws_rx_feed(&p->rx, buf, n);
	if (r >= 0) {
		cr_assert_leq((size_t)r, n);
		cr_assert_eq(violations(&p->rx.cnt), 0);
		if (ws_rx_state(&p->rx) == WS_RX_OPEN && (size_t)r < n) {
			/* what is left is the start of a frame */
			uint8_t *rest = xmemdup(buf + r, n - (size_t)r);
			struct ws_frame fr;

			cr_assert_eq(ws_frame_parse(rest, n - (size_t)r, rcv, FUZZ_MSG_CAP, &fr), 0);
			free(rest);
		}
	} else {
		cr_assert(r > -WS_E_END && r < -WS_E_BASE, "not a violation: %zd", r);
		cr_assert_eq(violations(&p->rx.cnt), 1);
		cr_assert_eq(*ws_counter_of(&p->rx.cnt, (int)r), 1);
		cr_assert(p->rx.close_code == 1002 || p->rx.close_code == 1007 ||
			  p->rx.close_code == 1009);
		cr_assert_eq(ws_rx_state(&p->rx), WS_RX_FAILED);
	}
	if (o) {
		memset(o, 0, sizeof(*o));
		o->err = r < 0 ? r : 0;
		o->left = r < 0 ? 0 : n - (size_t)r;
		o->state = p->rx.state;
		o->cnt = p->rx.cnt; /* before the flush counts pongs sent */
	}
	/* whatever is owed to the peer is well-formed */
	f = ws_rx_ctrl_flush(&p->rx, out, sizeof(out));
	cr_assert_geq(f, 0);
	for (size_t off = 0; off < (size_t)f;) {
		struct ws_frame fr;
		ssize_t m = ws_frame_parse(out + off, (size_t)f - off, other(rcv), 125, &fr);

		cr_assert_gt(m, 0);
		cr_assert(fr.opcode == WS_OP_PONG || fr.opcode == WS_OP_CLOSE);
		off += (size_t)m;
	}
	free(buf);
}

static void mutate(uint8_t *b, size_t *n, size_t cap, uint64_t *seed)
{
	int k = 1 + (int)(trand(seed) % 4);

	while (k--) {
		uint64_t r = trand(seed);
		size_t at = *n ? (size_t)(r >> 16) % *n : 0;

		switch (r % 6) {
		case 0: /* flip a bit */
			if (*n)
				b[at] ^= (uint8_t)(1u << (r >> 8 & 7));
			break;
		case 1: /* set a byte */
			if (*n)
				b[at] = (uint8_t)(r >> 40);
			break;
		case 2: /* hit a header byte */
			if (*n)
				b[(r >> 24) % (*n < 14 ? *n : 14)] = (uint8_t)(r >> 32);
			break;
		case 3: /* truncate */
			*n = at;
			break;
		case 4: /* insert a byte */
			if (*n < cap) {
				memmove(b + at + 1, b + at, *n - at);
				b[at] = (uint8_t)(r >> 48);
				(*n)++;
			}
			break;
		default: /* drop a byte */
			if (*n) {
				memmove(b + at, b + at + 1, *n - at - 1);
				(*n)--;
			}
			break;
		}
	}
}

Test(ws_fuzz, random_and_mutated_frames_never_misbehave)
{
	uint64_t seed = 0x6b696d70, iters = test_scaled(200000);
	uint8_t base[2][2048], b[2200];
	size_t nbase[2];
	uint64_t ok = 0, bad = 0;

	for (int r = 0; r < 2; r++)
		nbase[r] = build_stream(base[r], (enum ws_role)r, false);
	for (uint64_t it = 0; it < iters; it++) {
		enum ws_role rcv = (enum ws_role)(it & 1);
		struct peer p;
		struct outcome whole;
		size_t n;

		if (it % 4 == 0) {
			n = trand(&seed) % 48;
			for (size_t i = 0; i < n; i++)
				b[i] = (uint8_t)(trand(&seed) >> 56);
		} else {
			/* a window of the valid stream, mutated */
			size_t from = trand(&seed) % nbase[rcv];

			n = nbase[rcv] - from;
			if (n > 400)
				n = 400;
			memcpy(b, base[rcv] + from, n);
			if (it % 4 == 1)
				memcpy(b, base[rcv], n = nbase[rcv] < 600 ? nbase[rcv] : 600);
			mutate(b, &n, sizeof(b), &seed);
		}
		fuzz_one(rcv, b, n, &p, it % 97 == 0 ? &whole : NULL);
		if (p.rx.state == WS_RX_FAILED)
			bad++;
		else
			ok++;
		if (it % 97 == 0) {
			/* the same input byte at a time: the same outcome */
			struct outcome part;

			whole.log = p.log;
			p.log = (struct elog){ 0 };
			run_pieces(rcv, b, n, 1, 1, FUZZ_MSG_CAP, &part);
			same_outcome(&whole, &part, "byte at a time, iteration", (size_t)it);
			elog_free(&part.log);
			elog_free(&whole.log);
		}
		peer_fini(&p);
	}
	cr_assert_gt(ok, iters / 20, "some inputs pass (%llu)", (unsigned long long)ok);
	cr_assert_gt(bad, iters / 20, "some inputs fail (%llu)", (unsigned long long)bad);
}

Test(ws_fuzz, parser_on_random_headers)
{
	uint64_t seed = 99;
	uint8_t b[32];

	for (int it = 0; it < 200000; it++) {
		size_t n = trand(&seed) % sizeof(b);
		uint64_t max = (it & 1) ? UINT64_MAX : trand(&seed) % 300;
		enum ws_role role = (enum ws_role)(it >> 1 & 1);
		struct ws_frame f;
		uint8_t *c;
		ssize_t r;

		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)(trand(&seed) >> 56);
		c = xmemdup(b, n);
		r = ws_frame_parse(c, n, role, max, &f);
		if (r > 0) {
			cr_assert_leq((size_t)r, n);
			cr_assert_eq((size_t)r, f.hdr_len + f.len);
			cr_assert_leq(f.len, max);
			cr_assert(f.opcode <= 2 || (f.opcode >= 8 && f.opcode <= 10));
			cr_assert_eq(f.masked, role == WS_SERVER);
		} else if (r < 0) {
			cr_assert(r > -WS_E_END && r < -WS_E_BASE);
		}
		free(c);
	}
}

/* ---- handshake ------------------------------------------------------------------------- */

#define RFC_KEY    "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

static const char good_resp[] = "HTTP/1.1 101 Switching Protocols\r\n"
				"Upgrade: websocket\r\n"
				"Connection: Upgrade\r\n"
				"Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"
				"\r\n";

Test(ws_handshake, rfc_accept_vector)
{
	char acc[WS_ACCEPT_LEN + 1];

	cr_assert_eq(ws_hs_accept(RFC_KEY, WS_KEY_LEN, acc), 0);
	cr_assert_str_eq(acc, RFC_ACCEPT);
	cr_assert_eq(ws_hs_accept(RFC_KEY, 0, acc), -EINVAL);
}

Test(ws_handshake, client_key_is_16_random_bytes)
{
	char k1[WS_KEY_LEN + 1], k2[WS_KEY_LEN + 1];

	cr_assert_eq(ws_hs_client_key(k1), 0);
	cr_assert_eq(ws_hs_client_key(k2), 0);
	cr_assert_eq(strlen(k1), 24);
	cr_assert_eq(k1[22], '=');
	cr_assert_eq(k1[23], '=');
	cr_assert_str_neq(k1, k2);
	cr_assert_eq(strspn(k1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
		     22);
}

Test(ws_handshake, client_request_text)
{
	char out[512];
	struct ws_hs_client_req r = {
		.host = "stream.example.com:9443",
		.path = "/ws?streams=btcusdt@bookTicker",
		.key = RFC_KEY,
		.extra = "X-Api-Key: abc\r\nOrigin: https://kimp.local\r\n",
	};
	static const char want[] = "GET /ws?streams=btcusdt@bookTicker HTTP/1.1\r\n"
				   "Host: stream.example.com:9443\r\n"
				   "Upgrade: websocket\r\n"
				   "Connection: Upgrade\r\n"
				   "Sec-WebSocket-Key: " RFC_KEY "\r\n"
				   "Sec-WebSocket-Version: 13\r\n"
				   "X-Api-Key: abc\r\n"
				   "Origin: https://kimp.local\r\n"
				   "\r\n";
	ssize_t n = ws_hs_client_request(out, sizeof(out), &r);

	cr_assert_eq(n, (ssize_t)strlen(want));
	cr_assert_arr_eq(out, want, (size_t)n);
	cr_assert_null(memmem(out, (size_t)n, "Extensions", 10), "never offers an extension");
	cr_assert_eq(ws_hs_client_request(out, (size_t)n - 1, &r), -ENOBUFS);

	r.protocols = "kimp.v1, json";
	r.extra = NULL;
	n = ws_hs_client_request(out, sizeof(out), &r);
	cr_assert_gt(n, 0);
	cr_assert_not_null(memmem(out, (size_t)n, "\r\nSec-WebSocket-Protocol: kimp.v1, json\r\n", 41));
}

Test(ws_handshake, client_request_refuses_bad_fields)
{
	char out[512];
	struct ws_hs_client_req ok = { .host = "h", .path = "/", .key = RFC_KEY }, r;
	static const char *const bad_extra[] = {
		"X: y",                                   /* no CRLF */
		"X: y\n",                                 /* bare LF */
		"X: y\r\n\r\nGET / HTTP/1.1\r\n",         /* ends the head early */
		"Bad Name: y\r\n",
		"NoColon\r\n",
		"sec-websocket-extensions: permessage-deflate\r\n",
		"X: a\rb\r\n",
	};

	cr_assert_gt(ws_hs_client_request(out, sizeof(out), &ok), 0);
	r = ok;
	r.host = "h\r\nX: injected";
	cr_assert_eq(ws_hs_client_request(out, sizeof(out), &r), -EINVAL);
	r = ok;
	r.path = "/a b";
	cr_assert_eq(ws_hs_client_request(out, sizeof(out), &r), -EINVAL);
	r = ok;
	r.path = "noslash";
	cr_assert_eq(ws_hs_client_request(out, sizeof(out), &r), -EINVAL);
	r = ok;
	r.key = "short";
	cr_assert_eq(ws_hs_client_request(out, sizeof(out), &r), -EINVAL);
	r = ok;
	r.protocols = "a\r\n";
	cr_assert_eq(ws_hs_client_request(out, sizeof(out), &r), -EINVAL);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(bad_extra); i++) {
		r = ok;
		r.extra = bad_extra[i];
		cr_assert_eq(ws_hs_client_request(out, sizeof(out), &r), -EINVAL, "extra %zu", i);
	}
}

Test(ws_handshake, client_check_accepts_good_response_and_keeps_frames)
{
	char buf[256];
	struct ws_hs_response res;
	size_t hl = strlen(good_resp);
	struct peer p;

	memcpy(buf, good_resp, hl);
	memcpy(buf + hl, "\x81\x02hi", 4); /* the first frame came with the response */
	cr_assert_eq(ws_hs_client_check(buf, hl + 4, RFC_KEY, NULL, &res), (ssize_t)hl);
	cr_assert_eq(res.fail, WS_HS_OK);
	cr_assert_eq(res.status, 101);
	cr_assert_null(res.protocol);
	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, (uint8_t *)buf + hl, 4), 4);
	cr_assert_eq(p.nmsg, 1);
	cr_assert_arr_eq(p.last_data, "hi", 2);
	peer_fini(&p);
	/* every prefix: not complete yet */
	for (size_t k = 0; k < hl; k++) {
		char *c = xmemdup(good_resp, k);

		cr_assert_eq(ws_hs_client_check(c, k, RFC_KEY, NULL, &res), 0, "prefix %zu", k);
		free(c);
	}
}

Test(ws_handshake, client_check_is_case_insensitive_and_takes_lists)
{
	static const char r[] = "HTTP/1.1 101 \r\n"
				"upgrade:WebSocket\r\n"
				"CONNECTION: keep-alive ,  UPGRADE\r\n"
				"sec-websocket-accept:   " RFC_ACCEPT "  \r\n"
				"Sec-WebSocket-Protocol: json\r\n"
				"Sec-WebSocket-Extensions:\r\n"
				"Server: x\r\n"
				"\r\n";
	struct ws_hs_response res;

	cr_assert_eq(ws_hs_client_check(r, strlen(r), RFC_KEY, "kimp.v1, json", &res),
		     (ssize_t)strlen(r));
	cr_assert_eq(res.protocol_len, 4);
	cr_assert_arr_eq(res.protocol, "json", 4);
}

static void check_bad_resp(const char *r, const char *offer, enum ws_hs_fail want,
			   unsigned status)
{
	struct ws_hs_response res;

	cr_assert_eq(ws_hs_client_check(r, strlen(r), RFC_KEY, offer, &res), -EPROTO, "%s", r);
	cr_assert_eq(res.fail, want, "%s: %s, want %s", r, ws_hs_fail_str(res.fail),
		     ws_hs_fail_str(want));
	cr_assert_eq(res.status, status, "%s", r);
}

#define UP   "Upgrade: websocket\r\n"
#define CONN "Connection: Upgrade\r\n"
#define ACC  "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"

Test(ws_handshake, client_check_refusals)
{
	check_bad_resp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", NULL, WS_HS_STATUS, 200);
	check_bad_resp("HTTP/1.1 403 Forbidden\r\n" UP CONN ACC "\r\n", NULL, WS_HS_STATUS, 403);
	check_bad_resp("HTTP/1.0 101 x\r\n" UP CONN ACC "\r\n", NULL, WS_HS_HTTP_VERSION, 0);
	check_bad_resp("HTTP/1.1 101 x\r\n" CONN ACC "\r\n", NULL, WS_HS_UPGRADE, 101);
	check_bad_resp("HTTP/1.1 101 x\r\nUpgrade: h2c\r\n" CONN ACC "\r\n", NULL, WS_HS_UPGRADE, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP ACC "\r\n", NULL, WS_HS_CONNECTION, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP "Connection: keep-alive\r\n" ACC "\r\n", NULL,
		       WS_HS_CONNECTION, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP "Connection: upgrades\r\n" ACC "\r\n", NULL,
		       WS_HS_CONNECTION, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN "\r\n", NULL, WS_HS_ACCEPT, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN
		       "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOO=\r\n\r\n",
		       NULL, WS_HS_ACCEPT, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN ACC ACC "\r\n", NULL, WS_HS_ACCEPT, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN ACC
		       "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
		       NULL, WS_HS_EXTENSION, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN ACC "Sec-WebSocket-Protocol: chat\r\n\r\n", NULL,
		       WS_HS_PROTOCOL, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN ACC "Sec-WebSocket-Protocol: chat\r\n\r\n",
		       "json, chat2", WS_HS_PROTOCOL, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN ACC "Sec-WebSocket-Protocol: json, chat\r\n\r\n",
		       "json, chat", WS_HS_PROTOCOL, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN ACC "Sec-WebSocket-Protocol: JSON\r\n\r\n",
		       "json", WS_HS_PROTOCOL, 101);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN ACC "Sec-WebSocket-Protocol: json\r\n"
		       "Sec-WebSocket-Protocol: json\r\n\r\n",
		       "json", WS_HS_PROTOCOL, 101);
	/* malformed heads */
	check_bad_resp("HTTP/1.1 101 x\n" UP CONN ACC "\r\n", NULL, WS_HS_MALFORMED, 0);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP CONN ACC "\n\n", NULL, WS_HS_MALFORMED, 0);
	check_bad_resp("HTTP/1.1 101 x\r\n" UP " folded\r\n" CONN ACC "\r\n", NULL, WS_HS_MALFORMED,
		       101);
	check_bad_resp("HTTP/1.1 101 x\r\nUpgrade : websocket\r\n" CONN ACC "\r\n", NULL,
		       WS_HS_MALFORMED, 101);
	check_bad_resp("HTTP/1.1 1O1 x\r\n" UP CONN ACC "\r\n", NULL, WS_HS_MALFORMED, 0);
	check_bad_resp("HTTP/1.1 1010 x\r\n" UP CONN ACC "\r\n", NULL, WS_HS_MALFORMED, 0);
	check_bad_resp("HTTP/1.1  101\r\n" UP CONN ACC "\r\n", NULL, WS_HS_MALFORMED, 0);
	check_bad_resp("ICY 200 OK\r\n\r\n", NULL, WS_HS_MALFORMED, 0);
	check_bad_resp("\r\n\r\n", NULL, WS_HS_MALFORMED, 0);
}

Test(ws_handshake, client_check_gives_up_on_endless_head)
{
	char *big = xmalloc(WS_HS_MAX + 10);
	struct ws_hs_response res;

	memcpy(big, "HTTP/1.1 101 x\r\n", 16);
	for (size_t i = 16; i < WS_HS_MAX + 10; i++)
		big[i] = (i % 40 == 39) ? '\n' : (i % 40 == 38) ? '\r' : 'a';
	cr_assert_eq(ws_hs_client_check(big, WS_HS_MAX - 1, RFC_KEY, NULL, &res), 0);
	cr_assert_eq(ws_hs_client_check(big, WS_HS_MAX + 10, RFC_KEY, NULL, &res), -EPROTO);
	cr_assert_eq(res.fail, WS_HS_TOO_LONG);
	cr_assert_eq(ws_hs_client_check(good_resp, strlen(good_resp), "short", NULL, &res), -EINVAL);
	free(big);
}

static const char good_req[] = "GET /chat?x=1 HTTP/1.1\r\n"
			       "Host: server.example.com\r\n"
			       "Upgrade: websocket\r\n"
			       "Connection: keep-alive, Upgrade\r\n"
			       "Sec-WebSocket-Key: " RFC_KEY "\r\n"
			       "Origin: http://example.com\r\n"
			       "Sec-WebSocket-Protocol: chat, superchat\r\n"
			       "Sec-WebSocket-Extensions: permessage-deflate\r\n"
			       "Sec-WebSocket-Version: 13\r\n"
			       "\r\n";

Test(ws_handshake, server_parses_request_and_answers_101)
{
	struct ws_hs_request rq;
	struct ws_hs_response res;
	char out[512];
	size_t n = strlen(good_req);
	ssize_t m;

	cr_assert_eq(ws_hs_server_parse(good_req, n, &rq), (ssize_t)n);
	cr_assert_eq(rq.fail, WS_HS_OK);
	cr_assert_eq(rq.path_len, 9);
	cr_assert_arr_eq(rq.path, "/chat?x=1", 9);
	cr_assert_eq(rq.host_len, 18);
	cr_assert_arr_eq(rq.host, "server.example.com", 18);
	cr_assert_arr_eq(rq.key, RFC_KEY, WS_KEY_LEN);
	cr_assert_eq(rq.protocols_len, 15);
	cr_assert(rq.extensions);
	for (size_t k = 0; k < n; k++)
		cr_assert_eq(ws_hs_server_parse(good_req, k, &rq), 0);
	cr_assert_eq(ws_hs_server_parse(good_req, n, &rq), (ssize_t)n);

	m = ws_hs_server_accept(out, sizeof(out), &rq, "superchat");
	cr_assert_gt(m, 0);
	cr_assert_not_null(memmem(out, (size_t)m, "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n", 52));
	cr_assert_null(memmem(out, (size_t)m, "Extensions", 10), "extensions declined");
	cr_assert_eq(ws_hs_client_check(out, (size_t)m, RFC_KEY, "chat, superchat", &res), m);
	cr_assert_arr_eq(res.protocol, "superchat", 9);
	cr_assert_eq(ws_hs_server_accept(out, sizeof(out), &rq, "other"), -EINVAL);
	cr_assert_eq(ws_hs_server_accept(out, sizeof(out), &rq, "chat, superchat"), -EINVAL);
	cr_assert_eq(ws_hs_server_accept(out, 20, &rq, NULL), -ENOBUFS);
	m = ws_hs_server_accept(out, sizeof(out), &rq, NULL);
	cr_assert_eq(ws_hs_client_check(out, (size_t)m, RFC_KEY, NULL, &res), m);
}

static void check_bad_req(const char *r, enum ws_hs_fail want, unsigned status)
{
	struct ws_hs_request rq;
	char out[256];

	cr_assert_eq(ws_hs_server_parse(r, strlen(r), &rq), -EPROTO, "%s", r);
	cr_assert_eq(rq.fail, want, "%s: %s, want %s", r, ws_hs_fail_str(rq.fail),
		     ws_hs_fail_str(want));
	cr_assert_eq(rq.reject_status, status, "%s", r);
	cr_assert_eq(ws_hs_server_accept(out, sizeof(out), &rq, NULL), -EINVAL);
}

#define RQ_HOST "Host: h\r\n"
#define RQ_KEY  "Sec-WebSocket-Key: " RFC_KEY "\r\n"
#define RQ_VER  "Sec-WebSocket-Version: 13\r\n"
#define RQ_GET  "GET / HTTP/1.1\r\n"

Test(ws_handshake, server_refusals)
{
	check_bad_req("POST / HTTP/1.1\r\n" RQ_HOST UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_METHOD, 400);
	check_bad_req("get / HTTP/1.1\r\n" RQ_HOST UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_METHOD, 400);
	check_bad_req("GET / HTTP/1.0\r\n" RQ_HOST UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_HTTP_VERSION,
		      400);
	check_bad_req(RQ_GET UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_HOST, 400);
	check_bad_req(RQ_GET RQ_HOST RQ_HOST UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_HOST, 400);
	check_bad_req(RQ_GET RQ_HOST CONN RQ_KEY RQ_VER "\r\n", WS_HS_UPGRADE, 400);
	check_bad_req(RQ_GET RQ_HOST UP "Connection: close\r\n" RQ_KEY RQ_VER "\r\n",
		      WS_HS_CONNECTION, 400);
	check_bad_req(RQ_GET RQ_HOST UP CONN RQ_KEY "\r\n", WS_HS_WS_VERSION, 426);
	check_bad_req(RQ_GET RQ_HOST UP CONN RQ_KEY "Sec-WebSocket-Version: 8\r\n\r\n",
		      WS_HS_WS_VERSION, 426);
	check_bad_req(RQ_GET RQ_HOST UP CONN RQ_VER "\r\n", WS_HS_KEY, 400);
	check_bad_req(RQ_GET RQ_HOST UP CONN RQ_KEY RQ_KEY RQ_VER "\r\n", WS_HS_KEY, 400);
	check_bad_req(RQ_GET RQ_HOST UP CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n" RQ_VER
		      "\r\n", WS_HS_KEY, 400);                          /* no padding */
	check_bad_req(RQ_GET RQ_HOST UP CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\n" RQ_VER
		      "\r\n", WS_HS_KEY, 400);                          /* 15 bytes */
	check_bad_req(RQ_GET RQ_HOST UP CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2*jZQ==\r\n" RQ_VER
		      "\r\n", WS_HS_KEY, 400);                          /* not base64 */
	check_bad_req(RQ_GET RQ_HOST UP CONN "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZWVl\r\n" RQ_VER
		      "\r\n", WS_HS_KEY, 400);                          /* 18 bytes */
	check_bad_req("GET chat HTTP/1.1\r\n" RQ_HOST UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_MALFORMED,
		      400);
	check_bad_req("GET / HTTP/1.1 x\r\n" RQ_HOST UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_MALFORMED,
		      400);
	check_bad_req("GET /\r\n" RQ_HOST UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_MALFORMED, 400);
	check_bad_req(RQ_GET "Host h\r\n" UP CONN RQ_KEY RQ_VER "\r\n", WS_HS_MALFORMED, 400);
	check_bad_req(RQ_GET RQ_HOST UP CONN RQ_KEY RQ_VER "\n", WS_HS_MALFORMED, 400);
}

Test(ws_handshake, server_reject_texts)
{
	char out[256];
	ssize_t n;

	n = ws_hs_server_reject(out, sizeof(out), 426, NULL);
	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert_str_eq(out, "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
			      "Connection: close\r\nContent-Length: 0\r\n\r\n");
	n = ws_hs_server_reject(out, sizeof(out), 400, NULL);
	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert_str_eq(out,
			 "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	cr_assert_eq(ws_hs_server_reject(out, sizeof(out), 418, NULL), -EINVAL);
	cr_assert_eq(ws_hs_server_reject(out, 10, 400, NULL), -ENOBUFS);
	n = ws_hs_server_reject(out, sizeof(out), 401, "{\"e\":1}");
	cr_assert_gt(n, 0);
	out[n] = '\0';
	cr_assert_str_eq(out, "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json;"
			      "charset=UTF-8\r\nConnection: close\r\nContent-Length: 7\r\n\r\n"
			      "{\"e\":1}");
}

Test(ws_handshake, fuzzed_heads_never_misbehave)
{
	uint64_t seed = 7;
	char b[600];

	for (int it = 0; it < 40000; it++) {
		const char *src = (it & 1) ? good_req : good_resp;
		size_t n = strlen(src);
		struct ws_hs_response res;
		struct ws_hs_request rq;
		char *c;
		ssize_t r;

		memcpy(b, src, n);
		mutate((uint8_t *)b, &n, sizeof(b), &seed);
		c = xmemdup(b, n);
		if (it & 1) {
			r = ws_hs_server_parse(c, n, &rq);
			cr_assert(r == 0 || r == -EPROTO || (r > 0 && (size_t)r <= n));
			if (r < 0)
				cr_assert(rq.fail != WS_HS_OK &&
					  (rq.reject_status == 400 || rq.reject_status == 426));
			if (r > 0)
				cr_assert(ws_hs_server_accept(b, sizeof(b), &rq, NULL) > 0);
		} else {
			r = ws_hs_client_check(c, n, RFC_KEY, "a, b", &res);
			cr_assert(r == 0 || r == -EPROTO || (r > 0 && (size_t)r <= n));
			if (r < 0)
				cr_assert_neq(res.fail, WS_HS_OK);
		}
		free(c);
	}
}

/* ---- against Python's websockets ------------------------------------------------------ */

#define PY "/usr/bin/python3"

/* Run PY -c script dir; its exit status (stderr and stdout pass through). */
static int py_run(const char *script, const char *dir, bool quiet)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		if (quiet) {
			FILE *f = freopen("/dev/null", "w", stderr);

			(void)f;
		}
		execl(PY, PY, "-c", script, dir ? dir : "", (char *)NULL);
		_exit(127);
	}
	return test_wait_child(pid);
}

static void need_python(void)
{
	if (access(PY, X_OK))
		cr_skip_test(PY " is missing");
	if (py_run("import websockets.frames, websockets.streams, websockets.server, "
		   "websockets.client, websockets.uri, websockets.http11",
		   NULL, true))
		cr_skip_test("python3-websockets is not installed for " PY);
}

struct tdir {
	char path[64];
};

static void tdir_init(struct tdir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/kimp-ws-XXXXXX");
	cr_assert_not_null(mkdtemp(d->path));
}

static void tdir_fini(struct tdir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	cr_expect_eq(system(cmd), 0);
}

static void put_file(const struct tdir *d, const char *name, const void *p, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

/* The file's bytes (malloc'd, the caller frees) and its size in *n. */
static uint8_t *get_file(const struct tdir *d, const char *name, size_t *n)
{
	char path[128];
	uint8_t *p;
	FILE *f;
	long sz;

	snprintf(path, sizeof(path), "%s/%s", d->path, name);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	sz = ftell(f);
	cr_assert_geq(sz, 0);
	rewind(f);
	p = xmalloc((size_t)sz);
	cr_assert_eq(fread(p, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return p;
}

/* Parse dir/frames.bin with websockets' Frame.parse; records into dir/got.bin. */
static const char py_parse[] =
	"import sys, struct\n"
	"from websockets.frames import Frame, Close\n"
	"from websockets.streams import StreamReader\n"
	"d = sys.argv[1]\n"
	"mask = open(d + '/mask').read().strip() == '1'\n"
	"r = StreamReader()\n"
	"r.feed_data(open(d + '/frames.bin', 'rb').read())\n"
	"r.feed_eof()\n"
	"out = bytearray()\n"
	"def rec(t, op, code, data):\n"
	"    out.extend(struct.pack('<BBHQ', t, op, code, len(data)) + data)\n"
	"msg = None\n"
	"while r.buffer:\n"
	"    g = Frame.parse(r.read_exact, mask=mask)\n"
	"    try:\n"
	"        next(g)\n"
	"        sys.exit('truncated frame')\n"
	"    except StopIteration as e:\n"
	"        f = e.value\n"
	"    op = int(f.opcode)\n"
	"    if op in (1, 2):\n"
	"        if msg is not None: sys.exit('data frame inside a message')\n"
	"        msg = [op, bytearray(f.data)]\n"
	"    elif op == 0:\n"
	"        if msg is None: sys.exit('stray continuation')\n"
	"        msg[1] += f.data\n"
	"    elif op == 8:\n"
	"        c = Close.parse(f.data)\n"
	"        rec(4, 8, c.code, c.reason.encode())\n"
	"        continue\n"
	"    else:\n"
	"        rec(2 if op == 9 else 3, op, 0, f.data)\n"
	"        continue\n"
	"    if f.fin:\n"
	"        if msg[0] == 1: bytes(msg[1]).decode('utf-8')\n"
	"        rec(1, msg[0], 0, bytes(msg[1]))\n"
	"        msg = None\n"
	"open(d + '/got.bin', 'wb').write(out)\n";

/* Frames from websockets' Frame.serialize into dir/frames.bin, records into dir/expect.bin. */
static const char py_gen[] =
	"import sys, struct\n"
	"from websockets.frames import Frame, Close, Opcode\n"
	"d = sys.argv[1]\n"
	"mask = open(d + '/mask').read().strip() == '1'\n"
	"frames = bytearray(); exp = bytearray()\n"
	"def rec(t, op, code, data):\n"
	"    exp.extend(struct.pack('<BBHQ', t, op, code, len(data)) + data)\n"
	"def put(op, data, fin=True):\n"
	"    frames.extend(Frame(Opcode(op), data, fin).serialize(mask=mask))\n"
	"text = 'kimp \\u00e9\\u20ac\\U0001f600 '\n"
	"for i, n in enumerate([0, 1, 125, 126, 127, 65535, 65536, 1 << 20]):\n"
	"    b = (bytes(range(256)) * (n // 256 + 1))[i:i + n]\n"
	"    put(2, b); rec(1, 2, 0, b)\n"
	"    t = (text * (n // 8 + 1)).encode()[:n].decode('utf-8', 'ignore').encode()\n"
	"    put(1, t); rec(1, 1, 0, t)\n"
	"t = 'ab\\U0001f600cd\\u20ac'.encode()\n"
	"put(1, t[:3], False); put(9, b'ping!'); rec(2, 9, 0, b'ping!')\n"
	"put(0, t[3:5], False); put(10, b''); rec(3, 10, 0, b'')\n"
	"put(0, t[5:], True); rec(1, 1, 0, t)\n"
	"put(2, b'', False); put(0, b'xyz', True); rec(1, 2, 0, b'xyz')\n"
	"put(8, Close(1000, 'bye').serialize()); rec(4, 8, 1000, b'bye')\n"
	"open(d + '/frames.bin', 'wb').write(frames)\n"
	"open(d + '/expect.bin', 'wb').write(exp)\n";

/* Our encoder's frames, parsed by Python as the other side would. */
static void py_parses_ours(enum ws_role sender)
{
	size_t cap = 8 * MIB, off = 0, n;
	uint8_t *frames = xmalloc(cap), *pl = xmalloc(MIB), *got, *frame;
	struct elog exp = { 0 };
	struct ws_tx tx;
	struct tdir d;
	ssize_t r;

	need_python();
	cr_assert_eq(ws_tx_init(&tx, sender), 0);
	for (size_t i = 0; i < KIMP_ARRAY_SIZE(rt_sizes); i++) {
		size_t len = rt_sizes[i];

		fill_bin(pl, len, i);
		r = ws_tx_binary(&tx, frames + off, cap - off, pl, len);
		cr_assert_gt(r, 0);
		off += (size_t)r;
		elog_rec(&exp, WS_EV_MESSAGE, WS_OP_BINARY, 0, pl, len);
		/* text sealed in place */
		fill_text(frames + off + WS_MAX_HDR, len, i);
		elog_rec(&exp, WS_EV_MESSAGE, WS_OP_TEXT, 0, frames + off + WS_MAX_HDR, len);
		r = ws_tx_seal(&tx, frames + off + WS_MAX_HDR, len, WS_MAX_HDR, WS_OP_TEXT, true,
			       &frame);
		cr_assert_gt(r, 0);
		memmove(frames + off, frame, (size_t)r);
		off += (size_t)r;
	}
	/* a text message split inside a 4-byte character, control frames between */
	r = ws_tx_frame(&tx, frames + off, cap - off, WS_OP_TEXT, false, "ab\xf0", 3);
	off += (size_t)r;
	r = ws_tx_ping(&tx, frames + off, cap - off, "hb", 2);
	off += (size_t)r;
	elog_rec(&exp, WS_EV_PING, WS_OP_PING, 0, "hb", 2);
	r = ws_tx_frame(&tx, frames + off, cap - off, WS_OP_CONT, false, "\x9f\x98", 2);
	off += (size_t)r;
	r = ws_tx_pong(&tx, frames + off, cap - off, NULL, 0);
	off += (size_t)r;
	elog_rec(&exp, WS_EV_PONG, WS_OP_PONG, 0, "", 0);
	r = ws_tx_frame(&tx, frames + off, cap - off, WS_OP_CONT, true, "\x80!", 2);
	off += (size_t)r;
	elog_rec(&exp, WS_EV_MESSAGE, WS_OP_TEXT, 0, "ab\xf0\x9f\x98\x80!", 7);
	r = ws_tx_close(&tx, frames + off, cap - off, 1001, "going", 5);
	cr_assert_gt(r, 0);
	off += (size_t)r;
	elog_rec(&exp, WS_EV_CLOSE, WS_OP_CLOSE, 1001, "going", 5);

	tdir_init(&d);
	put_file(&d, "mask", sender == WS_CLIENT ? "1" : "0", 1);
	put_file(&d, "frames.bin", frames, off);
	cr_assert_eq(py_run(py_parse, d.path, false), 0, "python refused our frames");
	got = get_file(&d, "got.bin", &n);
	cr_assert_eq(n, exp.len);
	cr_assert_arr_eq(got, exp.p, n, "python read other messages than we sent");
	tdir_fini(&d);
	free(got);
	elog_free(&exp);
	free(frames);
	free(pl);
}

Test(ws_python, python_parses_our_client_frames)
{
	py_parses_ours(WS_CLIENT);
}

Test(ws_python, python_parses_our_server_frames)
{
	py_parses_ours(WS_SERVER);
}

/* Python's frames, parsed by us. */
static void we_parse_pythons(enum ws_role rcv)
{
	uint8_t *frames, *exp, out[2 * WS_CTRL_FRAME_MAX];
	size_t nf, ne;
	struct peer p;
	struct tdir d;

	need_python();
	tdir_init(&d);
	put_file(&d, "mask", rcv == WS_SERVER ? "1" : "0", 1);
	cr_assert_eq(py_run(py_gen, d.path, false), 0);
	frames = get_file(&d, "frames.bin", &nf);
	exp = get_file(&d, "expect.bin", &ne);
	tdir_fini(&d);

	peer_init(&p, rcv, MIB, MIB, MIB);
	p.in_lo = frames;
	p.in_hi = frames + nf;
	cr_assert_eq(ws_rx_feed(&p.rx, frames, nf), (ssize_t)nf);
	cr_assert_eq(ws_rx_state(&p.rx), WS_RX_CLOSED);
	cr_assert_eq(p.log.len, ne);
	cr_assert_arr_eq(p.log.p, exp, ne, "we read other messages than python sent");
	cr_assert_eq(p.rx.cnt.messages, 18);
	cr_assert_gt(ws_rx_ctrl_flush(&p.rx, out, sizeof(out)), 0, "pong and close owed");
	peer_fini(&p);
	free(frames);
	free(exp);
}

Test(ws_python, we_parse_python_client_frames)
{
	we_parse_pythons(WS_SERVER);
}

Test(ws_python, we_parse_python_server_frames)
{
	we_parse_pythons(WS_CLIENT);
}

/* Python's sans-I/O server answers our request; we check its answer. */
static const char py_server[] =
	"import sys\n"
	"from websockets.server import ServerConnection\n"
	"d = sys.argv[1]\n"
	"s = ServerConnection(subprotocols=['kimp.v1'])\n"
	"s.receive_data(open(d + '/req.bin', 'rb').read())\n"
	"ev = s.events_received()\n"
	"if len(ev) != 1: sys.exit('events %r' % ev)\n"
	"resp = s.accept(ev[0])\n"
	"if s.handshake_exc is not None: sys.exit('handshake: %r' % s.handshake_exc)\n"
	"s.send_response(resp)\n"
	"s.send_text('from python \\u20ac'.encode())\n"
	"open(d + '/resp.bin', 'wb').write(b''.join(s.data_to_send()))\n";

Test(ws_python, our_client_handshake_with_python_server)
{
	char key[WS_KEY_LEN + 1], req[512];
	struct ws_hs_client_req r = {
		.host = "venue.example:8443",
		.path = "/ws/stream?x=1",
		.key = key,
		.protocols = "kimp.v1, other",
		.extra = "User-Agent: kimp\r\n",
	};
	struct ws_hs_response res;
	uint8_t *resp;
	size_t n;
	ssize_t rl, hl;
	struct tdir d;
	struct peer p;

	need_python();
	cr_assert_eq(ws_hs_client_key(key), 0);
	rl = ws_hs_client_request(req, sizeof(req), &r);
	cr_assert_gt(rl, 0);
	tdir_init(&d);
	put_file(&d, "req.bin", req, (size_t)rl);
	cr_assert_eq(py_run(py_server, d.path, false), 0, "python refused our request");
	resp = get_file(&d, "resp.bin", &n);
	tdir_fini(&d);

	hl = ws_hs_client_check((const char *)resp, n, key, r.protocols, &res);
	cr_assert_gt(hl, 0, "%s", ws_hs_fail_str(res.fail));
	cr_assert_eq(res.protocol_len, 7);
	cr_assert_arr_eq(res.protocol, "kimp.v1", 7);
	peer_init(&p, WS_CLIENT, 64, 0, 0);
	cr_assert_eq(ws_rx_feed(&p.rx, resp + hl, n - (size_t)hl), (ssize_t)(n - (size_t)hl));
	cr_assert_eq(p.nmsg, 1);
	cr_assert_eq(p.last_op, WS_OP_TEXT);
	cr_assert_arr_eq(p.last_data, "from python \xe2\x82\xac", 15);
	peer_fini(&p);
	free(resp);
}

/* Python's sans-I/O client: a request, then (a second run) our answer checked. */
static const char py_client_req[] =
	"import sys\n"
	"from websockets.client import ClientConnection\n"
	"from websockets.uri import parse_uri\n"
	"d = sys.argv[1]\n"
	"c = ClientConnection(parse_uri('ws://venue.example:8443/ws/stream?x=1'),"
	" subprotocols=['kimp.v1'])\n"
	"c.send_request(c.connect())\n"
	"open(d + '/req.bin', 'wb').write(b''.join(c.data_to_send()))\n"
	"open(d + '/key', 'w').write(c.key)\n";

static const char py_client_check[] =
	"import sys\n"
	"from websockets.client import ClientConnection\n"
	"from websockets.uri import parse_uri\n"
	"from websockets.http11 import Response\n"
	"d = sys.argv[1]\n"
	"c = ClientConnection(parse_uri('ws://venue.example:8443/ws/stream?x=1'),"
	" subprotocols=['kimp.v1'])\n"
	"c.key = open(d + '/key').read()\n"
	"c.receive_data(open(d + '/resp.bin', 'rb').read())\n"
	"ev = c.events_received()\n"
	"if c.handshake_exc is not None: sys.exit('handshake: %r' % c.handshake_exc)\n"
	"if c.parser_exc is not None: sys.exit('frames: %r' % c.parser_exc)\n"
	"if not isinstance(ev[0], Response) or ev[0].status_code != 101: sys.exit('%r' % ev)\n"
	"if c.subprotocol != 'kimp.v1': sys.exit('subprotocol %r' % c.subprotocol)\n"
	"fr = ev[1:]\n"
	"if len(fr) != 1 or int(fr[0].opcode) != 1 or fr[0].data != b'from kimp':\n"
	"    sys.exit('frames %r' % fr)\n";

Test(ws_python, python_client_handshake_with_our_server)
{
	struct ws_hs_request rq;
	struct ws_tx tx;
	char out[1024];
	uint8_t *req;
	size_t n;
	ssize_t m, f;
	struct tdir d;

	need_python();
	tdir_init(&d);
	cr_assert_eq(py_run(py_client_req, d.path, false), 0);
	req = get_file(&d, "req.bin", &n);
	cr_assert_eq(ws_hs_server_parse((const char *)req, n, &rq), (ssize_t)n,
		     "%s", ws_hs_fail_str(rq.fail));
	cr_assert_eq(rq.path_len, 14);
	cr_assert_arr_eq(rq.path, "/ws/stream?x=1", 14);
	cr_assert_arr_eq(rq.host, "venue.example:8443", 18);
	m = ws_hs_server_accept(out, sizeof(out), &rq, "kimp.v1");
	cr_assert_gt(m, 0);
	cr_assert_eq(ws_tx_init(&tx, WS_SERVER), 0);
	f = ws_tx_text(&tx, (uint8_t *)out + m, sizeof(out) - (size_t)m, "from kimp", 9);
	cr_assert_gt(f, 0);
	put_file(&d, "resp.bin", out, (size_t)(m + f));
	cr_assert_eq(py_run(py_client_check, d.path, false), 0, "python refused our answer");
	tdir_fini(&d);
	free(req);
}
