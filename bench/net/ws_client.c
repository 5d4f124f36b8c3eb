/* SPDX-License-Identifier: MIT */
/*
 * The WebSocket runs: our client (libnet ws_conn over TLS, the loop spinning
 * or blocking) in a forked child, libwebsockets' in an exec'd one
 * (lws/lws_client.c); both count the server's stream the same way (wire.h)
 * and print the same result line, and the server's record of the same
 * connection says whether it had to wait for the client.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/wsconn.h"
#include "net_bench.h"
#include "wire.h"

#define CLI_MAX_MSG 4096
#define CLI_BLOCK_NS 100000000ull   /* blocking mode: wait up to 100 ms */

const char *const nb_ws_names[WS_NR] = {
	[WS_KIMP_SPIN] = "kimp (spin)",
	[WS_KIMP_BLOCK] = "kimp (blocking)",
	[WS_LWS] = "libwebsockets",
};

/* ---- our client, in the child ------------------------------------------------------ */

struct ours_arg {
	const struct nb_cfg *cfg;
	const struct nb_certs *certs;
	uint16_t port;
	bool spin;
};

struct ours {
	struct ws_conn w;
	struct nb_count cnt;
	bool closed;
	int err;
	unsigned close_code;
	char cipher[64];
};

static void o_open(struct ws_conn *w, int err)
{
	struct ours *o = ws_conn_user(w);

	if (err) {
		o->err = err;
		o->closed = true;   /* no on_close follows a failed open */
		return;
	}
	/* no ws_conn accessor for the stream's TLS session: read it directly */
	snprintf(o->cipher, sizeof(o->cipher), "%s", net_tls_cipher(&w->st.tls));
}

static void o_message(struct ws_conn *w, unsigned opcode, uint8_t *data, size_t len)
{
	struct ours *o = ws_conn_user(w);

	nb_count_msg(&o->cnt, opcode == WS_OP_BINARY, data, len);
}

static void o_close(struct ws_conn *w, unsigned code, int err)
{
	struct ours *o = ws_conn_user(w);

	o->closed = true;
	o->close_code = code;
	if (err && !o->err)
		o->err = err;
}

static const struct ws_conn_ops ours_ops = {
	.on_open = o_open,
	.on_message = o_message,
	.on_close = o_close,
};

static int ours_run(struct ours *o, const struct ours_arg *a, struct net_loop *l,
		    struct net_tls_ctx *tls, void *buf)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(a->port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint64_t wait = a->spin ? 0 : CLI_BLOCK_NS;
	int err;

	err = ws_conn_init(&o->w, WS_CLIENT, tls, buf, WS_CONN_BUF_SIZE(CLI_MAX_MSG),
			   CLI_MAX_MSG);
	if (!err)
		err = ws_conn_connect(l, &o->w, "localhost", a->port, (struct sockaddr *)&sa,
				      sizeof(sa), NB_WS_PATH, NULL, 2000000000ull, &ours_ops, o);
	if (err)
		return err;
	while (!o->closed) {
		err = net_loop_run(l, wait);
		if (err < 0)
			return err;
	}
	return o->err;
}

static int ours_main(void *arg, int fd)
{
	const struct ours_arg *a = arg;
	struct net_tls_conf tc = { .role = NET_TLS_CLIENT, .ca_file = a->certs->ca };
	struct net_tls_ctx *tls = NULL;
	struct net_loop *l = NULL;
	struct ours *o = calloc(1, sizeof(*o));
	void *buf = malloc(WS_CONN_BUF_SIZE(CLI_MAX_MSG));
	FILE *f = fdopen(fd, "w");
	char msg[256];
	int err = -ENOMEM;

	if (!o || !buf || !f)
		goto out;
	o->cnt.want = a->cfg->ws_n;
	err = net_tls_ctx_create(&tc, &tls, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "net_bench client: TLS: %s\n", msg);
		goto out;
	}
	err = net_loop_new(&l, NULL);
	if (!err)
		err = ours_run(o, a, l, tls, buf);
	if (err) {
		fprintf(stderr, "net_bench client: %s (got %llu messages)\n", strerror(-err),
			(unsigned long long)o->cnt.got);
		goto out;
	}
	fprintf(f, "flags=%u ", net_loop_setup_flags(l));
	nb_count_print(f, &o->cnt, o->cipher);
	if (o->cnt.got != o->cnt.want || o->cnt.bad || !o->cnt.marker || o->cnt.marker_bad) {
		fprintf(stderr, "net_bench client: got %llu of %llu messages, %llu bad, "
			"marker %s, close %u\n", (unsigned long long)o->cnt.got,
			(unsigned long long)o->cnt.want, (unsigned long long)o->cnt.bad,
			!o->cnt.marker ? "missing" : o->cnt.marker_bad ? "wrong" : "ok",
			o->close_code);
		err = -EBADMSG;
	}
out:
	if (f)
		fclose(f);
	net_loop_free(l);
	net_tls_ctx_destroy(tls);
	free(buf);
	free(o);
	return err;
}

/* ---- the parent's side --------------------------------------------------------------- */

struct ws_line {
	unsigned long long msgs, bad, wall, cpu, usr, sys;
	long vcsw, ivcsw;
	unsigned flags;
	char cipher[64];
};

static int parse_line(const char *out, struct ws_line *w)
{
	const char *p = strstr(out, "msgs=");

	memset(w, 0, sizeof(*w));
	if (!p)
		return -EBADMSG;
	sscanf(out, "flags=%u", &w->flags);
	if (sscanf(p, "msgs=%llu bad=%llu wall_ns=%llu cpu_ns=%llu usr_ns=%llu sys_ns=%llu "
		   "vcsw=%ld ivcsw=%ld cipher=%63s", &w->msgs, &w->bad, &w->wall, &w->cpu,
		   &w->usr, &w->sys, &w->vcsw, &w->ivcsw, w->cipher) != 9)
		return -EBADMSG;
	if (w->msgs < 2 || !w->wall)
		return -EBADMSG;
	return 0;
}

int nb_ws_run(const struct nb_cfg *cfg, const struct nb_certs *certs,
	      struct nb_server *srv, enum nb_ws_kind kind, struct nb_ws_fig *f,
	      struct nb_run_info *info)
{
	struct ours_arg a = { .cfg = cfg, .certs = certs, .port = srv->ws_port,
			      .spin = kind == WS_KIMP_SPIN };
	char port[8], n[24], timeout[16];
	const char *const argv[] = { cfg->lws_bin, "--port", port, "--ca",
			       certs->ca, "--n", n, "--timeout", timeout, NULL };
	struct nb_cpu_snap s0, s1;
	struct nb_srv_ws rec;
	struct ws_line w;
	char *out = NULL;
	size_t len;
	int err, serr;

	memset(f, 0, sizeof(*f));
	snprintf(port, sizeof(port), "%u", srv->ws_port);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)cfg->ws_n);
	snprintf(timeout, sizeof(timeout), "%u", cfg->timeout_s);
	nb_server_drain(srv);
	nb_cpu_snap(cfg->cpu, srv->pid, &s0);
	if (kind == WS_LWS)
		err = nb_spawn(cfg->cpu[1], cfg->timeout_s, NULL, NULL, argv, &out, &len);
	else
		err = nb_spawn(cfg->cpu[1], cfg->timeout_s, ours_main, &a, NULL, &out, &len);
	nb_cpu_snap(cfg->cpu, srv->pid, &s1);
	nb_cpu_delta(&s0, &s1, &f->steal_ms, f->others_ms, &f->run_ms);
	/* the server's record of the connection (none if it never connected) */
	serr = nb_server_ws_result(srv, err ? 2 : 10, &rec);
	if (!err)
		err = parse_line(out, &w);
	free(out);
	if (err) {
		fprintf(stderr, "net_bench: %s: %s\n", nb_ws_names[kind],
			err == -ECHILD ? "client failed" : strerror(-err));
		return err;
	}
	if (serr || rec.err || rec.sent != cfg->ws_n) {
		fprintf(stderr, "net_bench: %s: the server's stream failed: %s (sent %llu)\n",
			nb_ws_names[kind], strerror(-(serr ? serr : rec.err ? rec.err : EPROTO)),
			(unsigned long long)rec.sent);
		return serr ? serr : -EPROTO;
	}
	f->mps = (double)(w.msgs - 1) * 1e9 / (double)w.wall;
	f->cpu_ns = (double)w.cpu / (double)(w.msgs - 1);
	f->usr_ns = (double)w.usr / (double)(w.msgs - 1);
	f->sys_ns = (double)w.sys / (double)(w.msgs - 1);
	f->share = (double)w.cpu / (double)w.wall;
	f->srv_stall = rec.wall_ns ? (double)rec.stall_ns / (double)rec.wall_ns : 0;
	f->vcsw = (double)w.vcsw * 1000.0 / (double)w.msgs;
	f->ivcsw = (double)w.ivcsw * 1000.0 / (double)w.msgs;
	f->ok = true;
	snprintf(info->ws_cipher[kind], sizeof(info->ws_cipher[kind]), "%s", w.cipher);
	if (kind != WS_LWS)
		info->loop_flags = w.flags;
	return 0;
}
