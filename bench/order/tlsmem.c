/* SPDX-License-Identifier: MIT */
/*
 * A TLS client session over a memory pair, for timing record encryption:
 * certificates made with the openssl CLI in a temp directory (a CA and a
 * P-256 server certificate for localhost, as bench/net does), a libnet
 * client and server context in this process, the handshake pumped between
 * two buffers; after it, what the client seals goes to a sink that only
 * counts it (a socket's copy is not part of this figure).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/tls.h"
#include "obench.h"

#define PIPE_CAP (1u << 17)

struct pipe_buf {
	uint8_t b[PIPE_CAP];
	size_t len;
};

struct ob_tls {
	char dir[64];
	struct net_tls_ctx *cctx, *sctx;
	struct net_tls_sess cli, srv;
	uint8_t cbuf[NET_TLS_BUF_SIZE], sbuf[NET_TLS_BUF_SIZE];
	struct pipe_buf c2s, s2c;
	bool sink;              /* handshake done: client output is only counted */
	uint64_t out;
};

static int to_pipe(struct pipe_buf *p, const void *buf, size_t len)
{
	if (len > PIPE_CAP - p->len)
		return -ENOBUFS;
	memcpy(p->b + p->len, buf, len);
	p->len += len;
	return 0;
}

static int cli_send(void *user, const void *buf, size_t len)
{
	struct ob_tls *t = user;

	t->out += len;
	return t->sink ? 0 : to_pipe(&t->c2s, buf, len);
}

static int srv_send(void *user, const void *buf, size_t len)
{
	struct ob_tls *t = user;

	return to_pipe(&t->s2c, buf, len);
}

static int plain_drop(void *user, const void *buf, size_t len)
{
	(void)user;
	(void)buf;
	(void)len;
	return 0;
}

static int make_certs(struct ob_tls *t)
{
	char cmd[1024];

	if (access("/usr/bin/openssl", X_OK)) {
		fprintf(stderr, OB_PROG ": no /usr/bin/openssl to make the TLS certificates "
			"(--no-tls leaves TLS out)\n");
		return -ENOENT;
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/kimp-obench-tls-XXXXXX");
	if (!mkdtemp(t->dir)) {
		t->dir[0] = 0;
		return -errno;
	}
	snprintf(cmd, sizeof(cmd),
		 "cd %s && "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 " -keyout ca.key -out ca.pem -days 2 -subj /CN=kimp-bench-ca 2>/dev/null && "
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 " -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null && "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext && "
		 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 " -days 2 -extfile ext -out server.pem 2>/dev/null",
		 t->dir);
	if (system(cmd)) {
		fprintf(stderr, OB_PROG ": openssl could not make the TLS certificates\n");
		return -EIO;
	}
	return 0;
}

/* Feed what each side sent to the other until neither has anything more. */
static int pump(struct ob_tls *t)
{
	for (int turn = 0; turn < 64; turn++) {
		bool moved = false;

		if (t->c2s.len) {
			uint8_t tmp[PIPE_CAP];
			size_t n = t->c2s.len;
			ssize_t r;

			memcpy(tmp, t->c2s.b, n);
			t->c2s.len = 0;
			r = net_tls_feed(&t->srv, tmp, n);
			if (r < 0)
				return (int)r;
			moved = true;
		}
		if (t->s2c.len) {
			uint8_t tmp[PIPE_CAP];
			size_t n = t->s2c.len;
			ssize_t r;

			memcpy(tmp, t->s2c.b, n);
			t->s2c.len = 0;
			r = net_tls_feed(&t->cli, tmp, n);
			if (r < 0)
				return (int)r;
			moved = true;
		}
		if (!moved)
			return 0;
	}
	return -EPROTO;
}

int ob_tls_open(struct ob_tls **out, char *suite, size_t cap)
{
	static const struct net_tls_ops cops = { .send = cli_send, .plain = plain_drop };
	static const struct net_tls_ops sops = { .send = srv_send, .plain = plain_drop };
	struct net_tls_conf cc = { .role = NET_TLS_CLIENT, .no_resume = true };
	struct net_tls_conf sc = { .role = NET_TLS_SERVER, .no_resume = true };
	char ca[128], cert[128], key[128], msg[256] = "";
	struct ob_tls *t = calloc(1, sizeof(*t));
	int e;

	if (!t)
		return -ENOMEM;
	e = make_certs(t);
	if (e)
		goto fail;
	snprintf(ca, sizeof(ca), "%s/ca.pem", t->dir);
	snprintf(cert, sizeof(cert), "%s/server.pem", t->dir);
	snprintf(key, sizeof(key), "%s/server.key", t->dir);
	cc.ca_file = ca;
	sc.cert_file = cert;
	sc.key_file = key;
	e = net_tls_ctx_create(&cc, &t->cctx, msg, sizeof(msg));
	if (!e)
		e = net_tls_ctx_create(&sc, &t->sctx, msg, sizeof(msg));
	if (e) {
		fprintf(stderr, OB_PROG ": TLS context: %s (%s)\n", strerror(-e), msg);
		goto fail;
	}
	e = net_tls_sess_init(&t->cli, t->cctx, &cops, t, t->cbuf, sizeof(t->cbuf));
	if (!e)
		e = net_tls_sess_init(&t->srv, t->sctx, &sops, t, t->sbuf, sizeof(t->sbuf));
	if (!e)
		e = net_tls_accept(&t->srv);
	if (!e)
		e = net_tls_connect(&t->cli, "localhost", 443, NET_TLS_NO_RESUME);
	if (!e)
		e = pump(t);
	if (!e && (!net_tls_handshake_done(&t->cli) || !net_tls_handshake_done(&t->srv)))
		e = -EPROTO;
	if (e) {
		fprintf(stderr, OB_PROG ": TLS handshake over memory: %s (%s / %s)\n",
			strerror(-e), net_tls_reason(&t->cli), net_tls_reason(&t->srv));
		goto fail;
	}
	snprintf(suite, cap, "%s", net_tls_cipher(&t->cli));
	t->sink = true;
	*out = t;
	return 0;
fail:
	ob_tls_close(t);
	return e;
}

int ob_tls_write(struct ob_tls *t, const void *p, size_t len)
{
	return net_tls_write(&t->cli, p, len);
}

uint64_t ob_tls_out(const struct ob_tls *t)
{
	return t->out;
}

void ob_tls_close(struct ob_tls *t)
{
	char cmd[128];

	if (!t)
		return;
	if (t->cctx)
		net_tls_sess_reset(&t->cli);
	if (t->sctx)
		net_tls_sess_reset(&t->srv);
	net_tls_ctx_destroy(t->cctx);
	net_tls_ctx_destroy(t->sctx);
	if (t->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
		if (system(cmd))
			fprintf(stderr, OB_PROG ": could not remove %s\n", t->dir);
	}
	free(t);
}
