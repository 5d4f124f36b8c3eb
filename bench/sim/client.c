/* SPDX-License-Identifier: MIT */
/*
 * The bench's client: one net_loop, N TLS WebSocket connections (libnet
 * ws_conn, verifying exsim's CA for "localhost") to each venue, subscribed
 * to every instrument's market data: Binance's combined stream of
 * <coin>usdt@bookTicker, @trade and @depth@100ms; Upbit's /websocket/v1
 * with orderbook and trade of KRW-<coin> and KRW-USDT in the SIMPLE format.
 * Every message is counted (messages, payload bytes) and checked to look
 * like JSON: an object or an array, first and last byte.
 *
 * The loop blocks (up to 1 ms) rather than spins, so the client's CPU time
 * says what the messages cost it, at quiet rates too.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kimp/wsconn.h"
#include "../common/bench_util.h"
#include "sim_bench.h"

#define CL_MAX_MSG   (256 * 1024)       /* exsim's SIM_WS_MAX_MSG */
#define CL_WAIT_NS   1000000ull         /* one blocking loop turn at most */
#define CL_CONNECT_NS 5000000000ull
#define CL_PATH_MAX  4096
#define CL_UPBIT_BURST 5                /* Upbit: WebSocket upgrades a second */
#define CL_UPBIT_GAP_NS 1100000000ull

struct sb_conn {
	struct ws_conn w;
	struct sb_client *cl;
	enum sb_venue v;
	unsigned idx;
	bool started, open, closed, was_open;
	int err;
	unsigned close_code;
	struct sb_count cnt;
	void *buf;
};

struct sb_client {
	struct net_loop *l;
	struct net_tls_ctx *tls;
	unsigned n;
	struct sb_conn *c;
	unsigned failed;                /* connections that failed or closed */
	char binance_path[CL_PATH_MAX]; /* outlives the handshakes */
	char upbit_req[CL_PATH_MAX];
	size_t upbit_req_len;
	char bad_sample[128];
	char cipher[64];
};

/* ---- the subscriptions -------------------------------------------------------------- */

static int binance_path(const struct sb_cfg *c, char *out, size_t cap)
{
	static const char *const streams[] = { "bookTicker", "trade", "depth@100ms" };
	size_t nstreams = c->full_feed ? 3 : 2;
	size_t len = (size_t)snprintf(out, cap, "/stream?streams=");

	for (unsigned i = 0; i < c->ncoins; i++) {
		char sym[16];
		size_t k;

		for (k = 0; c->coins[i][k] && k < 11; k++)
			sym[k] = (char)tolower((unsigned char)c->coins[i][k]);
		sym[k] = 0;
		for (size_t s = 0; s < nstreams; s++) {
			len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%susdt@%s",
						i || s ? "/" : "", sym, streams[s]);
			if (len >= cap)
				return -ENAMETOOLONG;
		}
	}
	return 0;
}

/* [{"ticket":..},{"type":"orderbook","codes":[..]},{"type":"trade","codes":[..]},
 *  {"format":"SIMPLE"}] */
static int upbit_req(const struct sb_cfg *c, char *out, size_t cap, size_t *out_len)
{
	static const char *const types[] = { "orderbook", "trade" };
	size_t len = (size_t)snprintf(out, cap, "[{\"ticket\":\"kimp-sim-bench\"}");

	for (size_t t = 0; t < KIMP_ARRAY_SIZE(types); t++) {
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0,
					",{\"type\":\"%s\",\"codes\":[", types[t]);
		/* the top feed asks for one level of each book (the .1 suffix) */
		const char *sfx = !c->full_feed && t == 0 ? ".1" : "";

		for (unsigned i = 0; i < c->ncoins && len < cap; i++)
			len += (size_t)snprintf(out + len, len < cap ? cap - len : 0,
						"\"KRW-%s%s\",", c->coins[i], sfx);
		/* the rate pair Upbit lists beside the coins */
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "\"KRW-USDT%s\"]}",
					sfx);
	}
	len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, ",{\"format\":\"SIMPLE\"}]");
	if (len >= cap)
		return -ENAMETOOLONG;
	*out_len = len;
	return 0;
}

/* ---- one connection -------------------------------------------------------------------- */

/* An object or an array, first and last byte (trailing whitespace allowed). */
static inline bool json_ish(const uint8_t *d, size_t len)
{
	while (len && (d[len - 1] == '\n' || d[len - 1] == '\r' || d[len - 1] == ' '))
		len--;
	if (len < 2)
		return false;
	return (d[0] == '{' && d[len - 1] == '}') || (d[0] == '[' && d[len - 1] == ']');
}

static void keep_sample(struct sb_client *cl, const struct sb_conn *c, const uint8_t *d,
			size_t len)
{
	size_t o = (size_t)snprintf(cl->bad_sample, sizeof(cl->bad_sample), "%s #%u, %zu bytes: ",
				    bx_venue_names[c->v], c->idx, len);

	for (size_t i = 0; i < len && o + 5 < sizeof(cl->bad_sample); i++)
		o += (size_t)snprintf(cl->bad_sample + o, sizeof(cl->bad_sample) - o,
				      isprint(d[i]) && d[i] != '\\' ? "%c" : "\\x%02x", d[i]);
}

static void c_open(struct ws_conn *w, int err)
{
	struct sb_conn *c = ws_conn_user(w);
	struct sb_client *cl = c->cl;

	if (err) {
		c->err = err;
		c->closed = true;       /* no on_close follows a failed open */
		cl->failed++;
		return;
	}
	c->open = c->was_open = true;
	if (!cl->cipher[0])
		snprintf(cl->cipher, sizeof(cl->cipher), "%s", net_tls_cipher(&w->st.tls));
	if (c->v == SB_UPBIT) {
		err = ws_conn_send(w, WS_OP_TEXT, cl->upbit_req, cl->upbit_req_len);
		if (err) {
			c->err = err;
			ws_conn_close(w, WS_CLOSE_NORMAL);
		}
	}
}

static void c_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct sb_conn *c = ws_conn_user(w);

	(void)opcode;
	c->cnt.msgs++;
	c->cnt.bytes += len;
	if (kimp_unlikely(!json_ish(data, len))) {
		if (!c->cnt.bad && !c->cl->bad_sample[0])
			keep_sample(c->cl, c, data, len);
		c->cnt.bad++;
	}
}

static void c_close(struct ws_conn *w, unsigned code, int err)
{
	struct sb_conn *c = ws_conn_user(w);

	c->open = false;
	c->closed = true;
	c->close_code = code;
	if (err && !c->err)
		c->err = err;
	c->cl->failed++;
}

static const struct ws_conn_ops conn_ops = {
	.on_open = c_open,
	.on_message = c_message,
	.on_close = c_close,
};

static int conn_start(struct sb_client *cl, struct sb_conn *c, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	const char *path = c->v == SB_BINANCE ? cl->binance_path : "/websocket/v1";
	int err;

	c->buf = malloc(WS_CONN_BUF_SIZE(CL_MAX_MSG));
	if (!c->buf)
		return -ENOMEM;
	err = ws_conn_init(&c->w, WS_CLIENT, cl->tls, c->buf, WS_CONN_BUF_SIZE(CL_MAX_MSG),
			   CL_MAX_MSG);
	if (err)
		return err;
	return ws_conn_connect(cl->l, &c->w, "localhost", port, (struct sockaddr *)&sa,
			       sizeof(sa), path, NULL, CL_CONNECT_NS, &conn_ops, c);
}

/* Say why the first failed connection failed. */
static int conn_failure(const struct sb_client *cl)
{
	for (unsigned i = 0; i < cl->n; i++) {
		const struct sb_conn *c = &cl->c[i];

		if (!c->closed)
			continue;
		if (!c->was_open)
			fprintf(stderr, "sim_bench: %s connection #%u could not connect: %s\n",
				bx_venue_names[c->v], c->idx,
				c->err ? strerror(-c->err) : "refused");
		else
			fprintf(stderr, "sim_bench: %s connection #%u closed after %llu messages: "
				"close code %u%s%s\n", bx_venue_names[c->v], c->idx,
				(unsigned long long)c->cnt.msgs, c->close_code,
				c->err ? ", " : "", c->err ? strerror(-c->err) : "");
		return c->err ? c->err : -ECONNRESET;
	}
	return -ECONNRESET;
}

int sb_client_run(struct sb_client *cl, uint64_t deadline_ns)
{
	while (bu_mono_ns() < deadline_ns) {
		int r = net_loop_run(cl->l, CL_WAIT_NS);

		if (r < 0) {
			fprintf(stderr, "sim_bench: client loop: %s\n", strerror(-r));
			return r;
		}
		if (kimp_unlikely(cl->failed))
			return conn_failure(cl);
	}
	return 0;
}

static bool all_receiving(const struct sb_client *cl)
{
	for (unsigned i = 0; i < cl->n; i++)
		if (!cl->c[i].cnt.msgs)
			return false;
	return true;
}

/*
 * Start the connections not started yet: Binance's all at once, Upbit's at
 * most CL_UPBIT_BURST a second (its limit on upgrades per IP).
 */
static int start_some(struct sb_client *cl, const struct bx_exsim *x, uint64_t now,
		      uint64_t *next_upbit)
{
	unsigned upbit = 0;

	for (unsigned i = 0; i < cl->n; i++) {
		struct sb_conn *k = &cl->c[i];
		int err;

		if (k->started)
			continue;
		if (k->v == SB_UPBIT && (now < *next_upbit || upbit == CL_UPBIT_BURST))
			continue;
		upbit += k->v == SB_UPBIT;
		k->started = true;
		err = conn_start(cl, k, x->ws_port[k->v]);
		if (err) {
			fprintf(stderr, "sim_bench: %s connection #%u: %s\n",
				bx_venue_names[k->v], k->idx, strerror(-err));
			return err;
		}
	}
	if (upbit)
		*next_upbit = now + CL_UPBIT_GAP_NS;
	return 0;
}

int sb_client_start(const struct sb_cfg *c, const struct bx_exsim *x,
		    struct sb_client **out)
{
	struct net_tls_conf tc = { .role = NET_TLS_CLIENT, .ca_file = x->ca };
	struct sb_client *cl = calloc(1, sizeof(*cl));
	uint64_t deadline = bu_mono_ns() + (uint64_t)c->start_timeout_s * 1000000000ull;
	uint64_t next_upbit = 0;
	char msg[256];
	int err = -ENOMEM;

	*out = NULL;
	if (!cl)
		return err;
	cl->n = c->conns * SB_NVENUES;
	cl->c = calloc(cl->n, sizeof(*cl->c));
	if (!cl->c)
		goto fail;
	err = binance_path(c, cl->binance_path, sizeof(cl->binance_path));
	if (!err)
		err = upbit_req(c, cl->upbit_req, sizeof(cl->upbit_req), &cl->upbit_req_len);
	if (err) {
		fprintf(stderr, "sim_bench: too many coins for one subscription\n");
		goto fail;
	}
	err = net_tls_ctx_create(&tc, &cl->tls, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "sim_bench: client TLS with CA %s: %s\n", x->ca, msg);
		goto fail;
	}
	{
		struct net_loop_cfg lc = { .max_conns = cl->n + 4 };

		err = net_loop_new(&cl->l, &lc);
	}
	if (err) {
		fprintf(stderr, "sim_bench: client loop: %s\n", strerror(-err));
		goto fail;
	}
	for (unsigned i = 0; i < cl->n; i++) {
		cl->c[i].cl = cl;
		cl->c[i].v = i % SB_NVENUES ? SB_UPBIT : SB_BINANCE;
		cl->c[i].idx = i / SB_NVENUES;
	}
	while (!all_receiving(cl)) {
		uint64_t now = bu_mono_ns();
		int r;

		if (now >= deadline) {
			for (unsigned i = 0; i < cl->n; i++)
				if (!cl->c[i].cnt.msgs)
					fprintf(stderr, "sim_bench: %s connection #%u: %s within "
						"%u s\n", bx_venue_names[cl->c[i].v], cl->c[i].idx,
						cl->c[i].open ? "no message" : "not open",
						c->start_timeout_s);
			err = -ETIMEDOUT;
			goto fail;
		}
		err = start_some(cl, x, now, &next_upbit);
		if (err)
			goto fail;
		r = net_loop_run(cl->l, CL_WAIT_NS);
		if (r < 0) {
			err = r;
			fprintf(stderr, "sim_bench: client loop: %s\n", strerror(-r));
			goto fail;
		}
		if (cl->failed) {
			err = conn_failure(cl);
			goto fail;
		}
	}
	*out = cl;
	return 0;
fail:
	sb_client_free(cl);
	return err;
}

void sb_client_counts(const struct sb_client *cl, struct sb_count out[SB_NVENUES])
{
	memset(out, 0, sizeof(*out) * SB_NVENUES);
	for (unsigned i = 0; i < cl->n; i++) {
		const struct sb_conn *c = &cl->c[i];

		out[c->v].msgs += c->cnt.msgs;
		out[c->v].bytes += c->cnt.bytes;
		out[c->v].bad += c->cnt.bad;
	}
}

const char *sb_client_bad_sample(const struct sb_client *cl)
{
	return cl->bad_sample;
}

const char *sb_client_cipher(const struct sb_client *cl)
{
	return cl->cipher;
}

unsigned sb_client_loop_flags(const struct sb_client *cl)
{
	return net_loop_setup_flags(cl->l);
}

void sb_client_free(struct sb_client *cl)
{
	uint64_t deadline = bu_mono_ns() + 1000000000ull;
	bool open = false;

	if (!cl)
		return;
	if (cl->l && cl->c) {
		for (unsigned i = 0; i < cl->n; i++) {
			if (cl->c[i].open) {
				ws_conn_close(&cl->c[i].w, WS_CLOSE_NORMAL);
				open = true;
			}
		}
		/* let the closes go out (exsim may still be streaming at us) */
		while (open && bu_mono_ns() < deadline) {
			if (net_loop_run(cl->l, CL_WAIT_NS) < 0)
				break;
			open = false;
			for (unsigned i = 0; i < cl->n; i++)
				open |= cl->c[i].open;
		}
	}
	net_loop_free(cl->l);
	net_tls_ctx_destroy(cl->tls);
	if (cl->c)
		for (unsigned i = 0; i < cl->n; i++)
			free(cl->c[i].buf);
	free(cl->c);
	free(cl);
}
