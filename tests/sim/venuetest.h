/* SPDX-License-Identifier: MIT */
/*
 * Helpers the exsim venue tests share (test_upbit.c, test_bithumb.c) on
 * top of simtest.h: a member dropped from a JSON copy, a frame compared
 * with a capture's shape, a reply's header, the HTTP clients a test opened
 * (tracked, then closed and buried together), waiting for a WebSocket
 * message with given needles, and a request sent without waiting for its
 * answer. What they return that is malloc'd is the caller's to free;
 * hdr_of's text is a static buffer, valid to the next call.
 */
#ifndef KIMP_TEST_VENUETEST_H
#define KIMP_TEST_VENUETEST_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../testutil.h"
#include "shape.h"
#include "simtest.h"

/* Remove one member "key":value (not the first) from a copy of json. */
static inline char *drop_key(const char *json, const char *key)
{
	char pat[64], *out = strdup(json), *p, *e;
	int depth = 0;

	cr_assert_not_null(out);
	snprintf(pat, sizeof(pat), ",\"%s\":", key);
	p = strstr(out, pat);
	if (!p)
		return out;
	for (e = p + strlen(pat); *e; e++) {
		if (*e == '"') {
			for (e++; *e && *e != '"'; e++)
				if (*e == '\\')
					e++;
			continue;
		}
		if (*e == '{' || *e == '[')
			depth++;
		else if ((*e == '}' || *e == ']') && !depth--)
			break;
		else if (*e == ',' && !depth)
			break;
	}
	memmove(p, e, strlen(e) + 1);
	return out;
}

/* ours has the shape of line 'line' of the capture fixture (shape.h's json_same_shape). */
static inline void assert_shape(const char *fixture, unsigned line, const char *ours)
{
	char *cap = test_fixture_line(fixture, line), why[512];

	cr_assert_not_null(cap, "%s line %u", fixture, line);
	cr_assert(json_same_shape(cap, ours, why, sizeof(why)), "%s:%u: %s\nours: %s", fixture,
		  line, why, ours);
	free(cap);
}

/* Header name of r's reply, or NULL (a static buffer: valid to the next call). */
static inline char *hdr_of(const struct simtest_resp *r, const char *name)
{
	static char buf[256];

	return (char *)simtest_resp_header(r, name, buf, sizeof(buf));
}

/* ---- clients and servers ---------------------------------------------------------- */

/* The HTTP clients a test opened (track), closed and buried by close_clients. */
static struct simtest_http *clients[32];
static unsigned nclients;

static inline struct simtest_http *track(struct simtest_http *h)
{
	cr_assert_lt(nclients, sizeof(clients) / sizeof(clients[0]));
	clients[nclients++] = h;
	return h;
}

static inline bool http_closed(void *arg)
{
	return http_client_state(arg) == HTTP_CLIENT_IDLE;
}

/* Close every tracked client, run until each is idle, bury it; none tracked after. */
static inline void close_clients(struct simtest *t)
{
	for (unsigned i = 0; i < nclients; i++) {
		http_client_close(&clients[i]->c);
		simtest_run_until(t, http_closed, &clients[i]->c);
		simtest_bury(t, clients[i], clients[i]->buf, &clients[i]->c.st.tls);
	}
	nclients = 0;
}

/* ---- WebSocket messages ----------------------------------------------------------- */

/* The first kept message at or after 'from' that contains every needle; -1 if none. */
static inline int ws_find(const struct simtest_ws *c, uint32_t from, const char *n1,
			  const char *n2)
{
	for (uint32_t i = from; i < c->kept; i++)
		if (strstr(c->msg[i], n1) && (!n2 || strstr(c->msg[i], n2)))
			return (int)i;
	return -1;
}

struct ws_want {
	struct simtest_ws *c;
	uint32_t from;
	const char *n1, *n2;
};

static inline bool ws_found(void *arg)
{
	struct ws_want *w = arg;

	return ws_find(w->c, w->from, w->n1, w->n2) >= 0 || w->c->closed;
}

/* Run until a message with both needles arrives (or c closes): its index, or -1. */
static inline int ws_wait_for(struct simtest *t, struct simtest_ws *c, uint32_t from,
			      const char *n1, const char *n2)
{
	struct ws_want w = { c, from, n1, n2 };

	simtest_run_until(t, ws_found, &w);
	return ws_find(c, from, n1, n2);
}

static inline void subscribe(struct simtest_ws *c, const char *req)
{
	cr_assert_eq(simtest_ws_text(c, req), 0);
}

/* Send a request on h and return without waiting for its answer. */
static inline void send_nowait(struct simtest_http *h, const char *method, const char *target,
			       const char *headers, const char *body, struct simtest_resp *into)
{
	static struct net_http_tmpl tm;
	struct net_http_req *r;
	char host[32];
	const char *p = headers;

	snprintf(host, sizeof(host), "localhost:%u", h->c.st.port);
	cr_assert_eq(net_http_tmpl_init(&tm, method, "/", host), 0);
	if (body)
		cr_assert_eq(net_http_tmpl_body_stage(&tm, strlen(body) + 16), 0);
	r = http_client_req_begin(&h->c, &tm);
	cr_assert_not_null(r);
	net_http_req_put_str(r, target + 1);
	while (p && *p) {
		const char *colon = strchr(p, ':'), *eol = strstr(p, "\r\n");

		net_http_req_hdr_n(r, p, (size_t)(colon - p));
		colon++;
		while (*colon == ' ')
			colon++;
		net_http_req_put(r, colon, (size_t)(eol - colon));
		p = eol + 2;
	}
	if (body) {
		net_http_req_body(r);
		net_http_req_put_str(r, body);
	}
	h->resp = into;
	h->done = false;
	cr_assert_eq(http_client_send(&h->c, 1), 0);
}

#endif /* KIMP_TEST_VENUETEST_H */
