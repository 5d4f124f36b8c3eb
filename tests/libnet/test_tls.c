/* SPDX-License-Identifier: MIT */
/*
 * The TLS engine: client and server sessions wired to each other in memory
 * (suite tls), then against OpenSSL's s_server and s_client over loopback
 * TCP (suite tls_peer). Keys and certificates are made per test in a
 * private directory with the openssl CLI; without it the tests skip.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/memory.h>
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kimp/tls.h"

#define OPENSSL "/usr/bin/openssl"

/* ---- keys and certificates ------------------------------------------- */

/*
 * A CA, a server certificate for localhost and 127.0.0.1, one for another
 * name, an unrelated CA, and an expired server certificate: OpenSSL 3.0's
 * req/x509 cannot backdate, so that one comes from `openssl ca`, which takes
 * explicit -startdate/-enddate.
 */
static const char gen_script[] =
	"set -e\n"
	"O=" OPENSSL "\n"
	"cd \"$1\"\n"
	"ec() { $O ecparam -name prime256v1 -genkey -noout -out \"$1\"; }\n"
	"ec ca.key; ec ca2.key; ec srv.key; ec other.key\n"
	"$O req -x509 -new -key ca.key -sha256 -days 3650 -subj '/CN=kimp test CA' "
	"  -addext 'basicConstraints=critical,CA:TRUE' "
	"  -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca.pem\n"
	"$O req -x509 -new -key ca2.key -sha256 -days 3650 -subj '/CN=unrelated CA' "
	"  -addext 'basicConstraints=critical,CA:TRUE' "
	"  -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca2.pem\n"
	"printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n"
	"extendedKeyUsage=serverAuth\\n' > srv.ext\n"
	"printf 'subjectAltName=DNS:other.example\\nbasicConstraints=CA:FALSE\\n"
	"extendedKeyUsage=serverAuth\\n' > other.ext\n"
	"$O req -new -key srv.key -subj '/CN=localhost' -out srv.csr\n"
	"$O req -new -key other.key -subj '/CN=other.example' -out other.csr\n"
	"$O x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 365 "
	"  -sha256 -extfile srv.ext -out srv.pem\n"
	"$O x509 -req -in other.csr -CA ca.pem -CAkey ca.key -set_serial 3 -days 365 "
	"  -sha256 -extfile other.ext -out other.pem\n"
	"mkdir db; : > db/index.txt; echo 10 > db/serial\n"
	"cat > ca.cnf <<EOF\n"
	"[ca]\ndefault_ca = d\n"
	"[d]\ndir = .\ndatabase = db/index.txt\nserial = db/serial\n"
	"new_certs_dir = db\ncertificate = ca.pem\nprivate_key = ca.key\n"
	"default_md = sha256\npolicy = p\nx509_extensions = x\n"
	"[p]\ncommonName = supplied\n"
	"[x]\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n"
	"basicConstraints = CA:FALSE\nextendedKeyUsage = serverAuth\n"
	"EOF\n"
	"$O ca -batch -config ca.cnf -in srv.csr -startdate 20200101000000Z "
	"  -enddate 20200201000000Z -out expired.pem\n"
	"echo garbage > garbage.pem\n";

static char dir[64];
static bool have_openssl;

/* dir/name, in one of a few rotating buffers (several per call are fine). */
static const char *P(const char *name)
{
	static char bufs[8][128];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static void certs_setup(void)
{
	char cmd[256];
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	have_openssl = access(OPENSSL, X_OK) == 0;
	if (!have_openssl)
		return;
	snprintf(dir, sizeof(dir), "/tmp/kimp-tls-XXXXXX");
	cr_assert_not_null(mkdtemp(dir), "mkdtemp");
	f = fopen(P("gen.sh"), "w");
	cr_assert_not_null(f);
	fputs(gen_script, f);
	cr_assert_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "sh %s/gen.sh %s > %s/gen.log 2>&1", dir, dir, dir);
	cr_assert_eq(system(cmd), 0, "certificate generation failed, see %s/gen.log", dir);
}

static void certs_teardown(void);

static void need_openssl(void)
{
	if (!have_openssl)
		cr_skip_test("no %s", OPENSSL);
}

/* ---- contexts ---------------------------------------------------------- */

static struct net_tls_ctx *ctx_make(const struct net_tls_conf *c)
{
	struct net_tls_ctx *ctx = NULL;
	char err[256] = "";
	int ret = net_tls_ctx_create(c, &ctx, err, sizeof(err));

	cr_assert_eq(ret, 0, "ctx: %d %s", ret, err);
	return ctx;
}

static struct net_tls_ctx *client_ctx(const char *ca)
{
	struct net_tls_conf c = { .role = NET_TLS_CLIENT, .ca_file = P(ca) };

	return ctx_make(&c);
}

static struct net_tls_ctx *server_ctx(const char *cert, const char *key)
{
	struct net_tls_conf c = { .role = NET_TLS_SERVER, .cert_file = P(cert),
				  .key_file = P(key) };

	return ctx_make(&c);
}

/* ---- in-memory ends ---------------------------------------------------- */

struct q {
	uint8_t *b;
	size_t off, len, cap;
};

static void q_put(struct q *q, const void *p, size_t n)
{
	if (q->len + n > q->cap) {
		q->cap = (q->len + n) * 2 + 4096;
		q->b = realloc(q->b, q->cap);
		cr_assert_not_null(q->b);
	}
	memcpy(q->b + q->len, p, n);
	q->len += n;
}

static void q_clear(struct q *q)
{
	q->off = q->len = 0;
}

struct end {
	struct net_tls_sess s;
	struct q out;       /* ciphertext sent, not yet delivered */
	struct q got;       /* plaintext received */
	int send_err;       /* fault injection: what the callbacks return */
	int plain_err;
	bool echo;          /* write back what arrives (push mode) */
	bool pull;
	int fd;             /* sockets: ciphertext goes here instead of out */
	uint8_t *buf;
};

static int end_send(void *user, const void *buf, size_t len)
{
	struct end *e = user;
	const uint8_t *p = buf;

	if (e->send_err)
		return e->send_err;
	if (e->fd < 0) {
		q_put(&e->out, buf, len);
		return 0;
	}
	while (len) {
		ssize_t n = send(e->fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int end_plain(void *user, const void *buf, size_t len)
{
	struct end *e = user;

	if (e->plain_err)
		return e->plain_err;
	q_put(&e->got, buf, len);
	if (e->echo)
		return net_tls_write(&e->s, buf, len);
	return 0;
}

static void end_init(struct end *e, struct net_tls_ctx *ctx, bool pull, size_t cap)
{
	struct net_tls_ops ops = { .send = end_send, .plain = pull ? NULL : end_plain };

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->pull = pull;
	e->buf = malloc(cap);
	cr_assert_not_null(e->buf);
	cr_assert_eq(net_tls_sess_init(&e->s, ctx, &ops, e, e->buf, cap), 0);
}

static void end_fini(struct end *e)
{
	net_tls_sess_reset(&e->s);
	free(e->buf);
	free(e->out.b);
	free(e->got.b);
	memset(e, 0, sizeof(*e));
}

/* Pull mode: read all the plaintext there is, in small pieces. */
static int end_pull(struct end *e)
{
	uint8_t tmp[3000]; /* smaller than a record on purpose */

	for (;;) {
		ssize_t n = net_tls_read(&e->s, tmp, sizeof(tmp));

		if (n > 0) {
			q_put(&e->got, tmp, (size_t)n);
			continue;
		}
		return n == -EAGAIN || n == 0 ? 0 : (int)n;
	}
}

/* from's ciphertext into to, chunk bytes per feed. true if any moved. */
static bool deliver(struct end *from, struct end *to, size_t chunk, int *err)
{
	bool moved = false;

	while (from->out.off < from->out.len) {
		size_t n = from->out.len - from->out.off;
		ssize_t r;
		int pr = 0;

		r = net_tls_feed(&to->s, from->out.b + from->out.off, n < chunk ? n : chunk);
		if (r >= 0) {
			from->out.off += (size_t)r;
			if (r)
				moved = true;
		}
		if (r >= 0 && to->pull)
			pr = end_pull(to);
		if (r < 0 || pr < 0) {
			if (!*err)
				*err = r < 0 ? (int)r : pr;
			from->out.off = from->out.len; /* the rest is moot */
			moved = true;
			break;
		}
		if (!r)
			cr_assert(to->pull && to->s.stage_len, "feed took nothing");
	}
	if (from->out.off == from->out.len)
		q_clear(&from->out);
	return moved;
}

/* Shuttle ciphertext both ways until both are quiet. The first error. */
static int pump(struct end *a, struct end *b, size_t chunk)
{
	int err = 0;
	bool moved = true;

	while (moved) {
		moved = deliver(a, b, chunk, &err);
		moved |= deliver(b, a, chunk, &err);
	}
	return err;
}

struct pair {
	struct net_tls_ctx *cctx, *sctx;
	struct end c, s;
};

static struct pair pr;

static void pair_open(const char *ca, const char *cert, bool cpull, size_t ccap)
{
	pr.cctx = client_ctx(ca);
	pr.sctx = server_ctx(cert, strcmp(cert, "other.pem") ? "srv.key" : "other.key");
	end_init(&pr.c, pr.cctx, cpull, ccap);
	end_init(&pr.s, pr.sctx, false, NET_TLS_BUF_SIZE);
}

static void pair_close(void)
{
	end_fini(&pr.c);
	end_fini(&pr.s);
	net_tls_ctx_destroy(pr.cctx);
	net_tls_ctx_destroy(pr.sctx);
	memset(&pr, 0, sizeof(pr));
}

/* A handshake between pr.c and pr.s that must succeed. */
static void handshake(const char *host, uint16_t port, unsigned flags, size_t chunk)
{
	int ret;

	cr_assert_eq(net_tls_accept(&pr.s.s), 0);
	ret = net_tls_connect(&pr.c.s, host, port, flags);
	cr_assert_eq(ret, 0, "connect: %d %s", ret, net_tls_reason(&pr.c.s));
	cr_assert_eq(net_tls_state(&pr.c.s), NET_TLS_HANDSHAKE);
	ret = pump(&pr.c, &pr.s, chunk);
	cr_assert_eq(ret, 0, "handshake: %d client '%s' server '%s'", ret,
		     net_tls_reason(&pr.c.s), net_tls_reason(&pr.s.s));
	cr_assert(net_tls_handshake_done(&pr.c.s));
	cr_assert(net_tls_handshake_done(&pr.s.s));
}

/* Both ends back to IDLE, for another connection on the same contexts. */
static void pair_reset(void)
{
	net_tls_sess_reset(&pr.c.s);
	net_tls_sess_reset(&pr.s.s);
	q_clear(&pr.c.out);
	q_clear(&pr.s.out);
	q_clear(&pr.c.got);
	q_clear(&pr.s.got);
}

static uint8_t pattern(size_t i, unsigned salt)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ salt;

	return (uint8_t)(x >> 29 ^ x >> 43);
}

/* 'len' bytes from 'from' to 'to', intact and in one piece. */
static void transfer(struct end *from, struct end *to, size_t len, size_t chunk,
		     unsigned salt)
{
	uint8_t *data = malloc(len ? len : 1);
	int ret;

	cr_assert_not_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = pattern(i, salt);
	q_clear(&to->got);
	ret = net_tls_write(&from->s, data, len);
	cr_assert_eq(ret, 0, "write %zu: %d %s", len, ret, net_tls_reason(&from->s));
	ret = pump(&pr.c, &pr.s, chunk);
	cr_assert_eq(ret, 0, "pump: %d", ret);
	cr_assert_eq(to->got.len, len, "got %zu of %zu", to->got.len, len);
	cr_assert(!memcmp(to->got.b, data, len), "%zu bytes differ", len);
	free(data);
}

static void suite_setup(void)
{
	certs_setup();
}

static void suite_teardown(void)
{
	if (pr.cctx || pr.sctx)
		pair_close();
	certs_teardown();
}

TestSuite(tls, .init = suite_setup, .fini = suite_teardown, .timeout = 60);

/* ---- in-memory tests ----------------------------------------------------- */

Test(tls, handshake_tls13_chacha_x25519)
{
	struct net_tls_stats st;

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);

	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_OPEN);
	cr_expect_eq(net_tls_version(&pr.c.s), NET_TLS_V1_3);
	cr_expect_eq(net_tls_version(&pr.s.s), NET_TLS_V1_3);
	cr_expect_str_eq(net_tls_cipher(&pr.c.s), "TLS_CHACHA20_POLY1305_SHA256");
	cr_expect_str_eq(net_tls_cipher(&pr.s.s), "TLS_CHACHA20_POLY1305_SHA256");
	cr_expect_str_eq(net_tls_group(&pr.c.s), "X25519");
	cr_expect(net_tls_peer_verified(&pr.c.s));
	cr_expect(!net_tls_peer_verified(&pr.s.s), "no client certificates");
	cr_expect(!net_tls_resumed(&pr.c.s));
	cr_expect(!net_tls_resumed(&pr.s.s));
	cr_expect_str_eq(net_tls_reason(&pr.c.s), "");
	cr_expect_str_eq(net_tls_alpn(&pr.c.s), "");
	net_tls_stats(&pr.c.s, &st);
	cr_expect_eq(st.peer_certs, 1);
	cr_expect_gt(st.hs_in, 500, "server flight with a certificate: %llu",
		     (unsigned long long)st.hs_in);
	cr_expect_gt(st.hs_out, 0);
	cr_expect_geq(st.in, st.hs_in);
	cr_expect_eq(net_tls_error(&pr.c.s), 0);
}

Test(tls, cipher_names_that_work)
{
	static const struct { const char *list, *want; uint16_t ver; } cases[] = {
		{ "TLS13-CHACHA20-POLY1305-SHA256", "TLS_CHACHA20_POLY1305_SHA256", NET_TLS_V1_3 },
		{ "TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256", NET_TLS_V1_3 },
		{ "TLS13-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256", NET_TLS_V1_3 },
		{ "TLS13-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384", NET_TLS_V1_3 },
		{ "NO-SUCH-SUITE:TLS13-AES256-GCM-SHA384", "TLS_AES_256_GCM_SHA384",
		  NET_TLS_V1_3 },
	};

	need_openssl();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_tls_conf c = { .role = NET_TLS_CLIENT, .ca_file = P("ca.pem"),
					  .ciphers = cases[i].list };

		pr.cctx = ctx_make(&c);
		pr.sctx = server_ctx("srv.pem", "srv.key");
		end_init(&pr.c, pr.cctx, false, NET_TLS_BUF_SIZE);
		end_init(&pr.s, pr.sctx, false, NET_TLS_BUF_SIZE);
		handshake("localhost", 443, 0, SIZE_MAX);
		cr_expect_str_eq(net_tls_cipher(&pr.c.s), cases[i].want, "list %s",
				 cases[i].list);
		cr_expect_eq(net_tls_version(&pr.c.s), cases[i].ver);
		pair_close();
	}
}

Test(tls, no_common_suite)
{
	struct net_tls_conf cc = { .role = NET_TLS_CLIENT, .ciphers = "TLS13-AES256-GCM-SHA384" };
	struct net_tls_conf sc = { .role = NET_TLS_SERVER,
				   .ciphers = "TLS13-CHACHA20-POLY1305-SHA256" };

	need_openssl();
	cc.ca_file = P("ca.pem");
	sc.cert_file = P("srv.pem");
	sc.key_file = P("srv.key");
	pr.cctx = ctx_make(&cc);
	pr.sctx = ctx_make(&sc);
	end_init(&pr.c, pr.cctx, false, NET_TLS_BUF_SIZE);
	end_init(&pr.s, pr.sctx, false, NET_TLS_BUF_SIZE);
	cr_assert_eq(net_tls_accept(&pr.s.s), 0);
	cr_assert_eq(net_tls_connect(&pr.c.s, "localhost", 443, 0), 0);
	cr_expect_eq(pump(&pr.c, &pr.s, SIZE_MAX), -EPROTONOSUPPORT);
	cr_expect_eq(net_tls_error(&pr.s.s), -EPROTONOSUPPORT);
	cr_expect_str_eq(net_tls_reason(&pr.s.s), "no cipher suite in common with the peer");
	cr_expect_eq(net_tls_error(&pr.c.s), -ECONNABORTED, "%s", net_tls_reason(&pr.c.s));
	cr_log_info("no common suite: server '%s', client '%s'", net_tls_reason(&pr.s.s),
		    net_tls_reason(&pr.c.s));
}

Test(tls, data_both_ways_1b_to_256k)
{
	static const size_t sizes[] = {
		1, 2, 100, 1000, 4096, 16383, 16384, 16385, 65536, 100000, 262144,
	};

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		transfer(&pr.c, &pr.s, sizes[i], SIZE_MAX, (unsigned)i);
		transfer(&pr.s, &pr.c, sizes[i], SIZE_MAX, (unsigned)i + 100);
	}
	/* zero bytes is a no-op, not an error */
	cr_expect_eq(net_tls_write(&pr.c.s, "", 0), 0);
	cr_expect_eq(pr.c.out.len, 0);
}

Test(tls, data_every_size_up_to_two_records)
{
	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	for (size_t n = 1; n <= 2 * NET_TLS_RECORD_MAX + 1; n += n < 64 ? 1 : 997)
		transfer(n & 1 ? &pr.c : &pr.s, n & 1 ? &pr.s : &pr.c, n, SIZE_MAX,
			 (unsigned)n);
}

Test(tls, byte_at_a_time)
{
	struct net_tls_stats st;

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, 1);
	cr_expect_str_eq(net_tls_cipher(&pr.c.s), "TLS_CHACHA20_POLY1305_SHA256");
	transfer(&pr.c, &pr.s, 5000, 1, 1);
	transfer(&pr.s, &pr.c, 40000, 1, 2);
	net_tls_stats(&pr.c.s, &st);
	cr_expect_gt(st.in, 40000);
}

Test(tls, pull_mode_with_a_small_stage)
{
	need_openssl();
	/* a stage smaller than one record: feed takes what fits, read drains */
	pair_open("ca.pem", "srv.pem", true, 1000);
	handshake("localhost", 443, 0, SIZE_MAX);
	cr_expect_eq(net_tls_read(&pr.c.s, (char[8]){0}, 8), -EAGAIN, "nothing yet");
	transfer(&pr.s, &pr.c, 262144, SIZE_MAX, 7);
	transfer(&pr.c, &pr.s, 70000, SIZE_MAX, 8);
	transfer(&pr.s, &pr.c, 1, 3, 9);
	/* the peer's close_notify reads as 0, like read(2) */
	cr_assert_eq(net_tls_shutdown(&pr.s.s), 0);
	cr_assert_eq(pump(&pr.c, &pr.s, SIZE_MAX), 0);
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_CLOSED);
	cr_expect_eq(net_tls_read(&pr.c.s, (char[8]){0}, 8), 0);
}

Test(tls, pull_mode_rejects_push_calls)
{
	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	cr_expect_eq(net_tls_read(&pr.c.s, (char[8]){0}, 8), -EINVAL, "push-mode session");
}

/* A handshake that the client must refuse with err and reason. */
static void expect_refused(const char *ca, const char *cert, const char *host, int err,
			   const char *reason)
{
	int ret;

	pair_open(ca, cert, false, NET_TLS_BUF_SIZE);
	cr_assert_eq(net_tls_accept(&pr.s.s), 0);
	cr_assert_eq(net_tls_connect(&pr.c.s, host, 443, 0), 0);
	ret = pump(&pr.c, &pr.s, SIZE_MAX);
	cr_expect_eq(ret, err, "pump gave %d (%s)", ret, net_tls_reason(&pr.c.s));
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_FAILED);
	cr_expect_eq(net_tls_error(&pr.c.s), err);
	cr_expect_str_eq(net_tls_reason(&pr.c.s), reason);
	cr_expect(!net_tls_peer_verified(&pr.c.s));
	cr_expect(!net_tls_handshake_done(&pr.c.s));
	/* sticky: everything fails fast with the same code */
	cr_expect_eq(net_tls_write(&pr.c.s, "x", 1), err);
	cr_expect_eq(net_tls_feed(&pr.c.s, "x", 1), err);
	cr_expect_eq(net_tls_shutdown(&pr.c.s), err);
	/* the client told the server why, with an alert */
	cr_expect_eq(net_tls_state(&pr.s.s), NET_TLS_FAILED);
	cr_expect_eq(net_tls_error(&pr.s.s), -ECONNABORTED, "server: %s",
		     net_tls_reason(&pr.s.s));
	cr_expect(!strncmp(net_tls_reason(&pr.s.s), "peer sent fatal alert: ", 23),
		  "server: %s", net_tls_reason(&pr.s.s));
	cr_expect_eq(net_tls_cache_count(pr.cctx), 0, "nothing cached from a failure");
	cr_log_info("client: %s; server: %s", net_tls_reason(&pr.c.s), net_tls_reason(&pr.s.s));
}

Test(tls, wrong_ca_refused)
{
	need_openssl();
	expect_refused("ca2.pem", "srv.pem", "localhost", -EKEYREJECTED,
		       "certificate verify failed: unknown CA (no trusted signer)");
}

Test(tls, wrong_host_refused)
{
	need_openssl();
	expect_refused("ca.pem", "other.pem", "localhost", -EKEYREJECTED,
		       "host name mismatch: certificate does not name 'localhost'");
}

Test(tls, expired_certificate_refused)
{
	need_openssl();
	expect_refused("ca.pem", "expired.pem", "localhost", -EKEYEXPIRED,
		       "certificate verify failed: expired");
}

Test(tls, ip_literal_checked_against_ip_sans)
{
	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("127.0.0.1", 443, 0, SIZE_MAX);
	cr_expect(net_tls_peer_verified(&pr.c.s));
	pair_close();
	expect_refused("ca.pem", "srv.pem", "127.0.0.2", -EKEYREJECTED,
		       "host name mismatch: certificate does not name '127.0.0.2'");
}

Test(tls, system_store_does_not_trust_the_test_ca)
{
	struct net_tls_conf c = { .role = NET_TLS_CLIENT };
	char err[256];
	int ret;

	need_openssl();
	ret = net_tls_ctx_create(&c, &pr.cctx, err, sizeof(err));
	if (ret == -ENOENT)
		cr_skip_test("no system CA store: %s", err);
	cr_assert_eq(ret, 0, "%s", err);
	pr.sctx = server_ctx("srv.pem", "srv.key");
	end_init(&pr.c, pr.cctx, false, NET_TLS_BUF_SIZE);
	end_init(&pr.s, pr.sctx, false, NET_TLS_BUF_SIZE);
	cr_assert_eq(net_tls_accept(&pr.s.s), 0);
	cr_assert_eq(net_tls_connect(&pr.c.s, "localhost", 443, 0), 0);
	cr_expect_eq(pump(&pr.c, &pr.s, SIZE_MAX), -EKEYREJECTED);
	cr_expect_str_eq(net_tls_reason(&pr.c.s),
			 "certificate verify failed: unknown CA (no trusted signer)");
}

Test(tls, second_connection_resumes)
{
	struct net_tls_stats full, res;

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 8443, 0, SIZE_MAX);
	cr_assert(!net_tls_resumed(&pr.c.s));
	/* the TLS 1.3 ticket came after the handshake, in the same flight */
	cr_assert_eq(net_tls_cache_count(pr.cctx), 1, "ticket cached");
	transfer(&pr.c, &pr.s, 100, SIZE_MAX, 1);
	net_tls_stats(&pr.c.s, &full);
	pair_reset();

	handshake("localhost", 8443, 0, SIZE_MAX);
	cr_expect(net_tls_resumed(&pr.c.s), "client resumed");
	cr_expect(net_tls_resumed(&pr.s.s), "server resumed");
	cr_expect(net_tls_peer_verified(&pr.c.s), "identity from the verified session");
	cr_expect_eq(net_tls_version(&pr.c.s), NET_TLS_V1_3);
	cr_expect_str_eq(net_tls_cipher(&pr.c.s), "TLS_CHACHA20_POLY1305_SHA256");
	net_tls_stats(&pr.c.s, &res);
	/* no Certificate/CertificateVerify: nothing to verify, a smaller flight */
	cr_expect_eq(full.peer_certs, 1);
	cr_expect_eq(res.peer_certs, 0, "no certificate in a resumed handshake");
	cr_expect_lt(res.hs_in + 250, full.hs_in, "resumed %llu vs full %llu bytes",
		     (unsigned long long)res.hs_in, (unsigned long long)full.hs_in);
	transfer(&pr.s, &pr.c, 1000, SIZE_MAX, 2);
	pair_reset();

	/* the cache is keyed by host:port */
	handshake("localhost", 9443, 0, SIZE_MAX);
	cr_expect(!net_tls_resumed(&pr.c.s), "another port, no session");
	cr_expect_eq(net_tls_cache_count(pr.cctx), 2);
	pair_reset();

	/* and a connection can decline it */
	handshake("localhost", 8443, NET_TLS_NO_RESUME, SIZE_MAX);
	cr_expect(!net_tls_resumed(&pr.c.s), "NO_RESUME");
	pair_reset();

	net_tls_cache_forget(pr.cctx, "localhost", 8443);
	handshake("localhost", 8443, 0, SIZE_MAX);
	cr_expect(!net_tls_resumed(&pr.c.s), "forgotten");
}

Test(tls, resumption_byte_at_a_time)
{
	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, 1);
	pair_reset();
	handshake("localhost", 443, 0, 1);
	cr_expect(net_tls_resumed(&pr.c.s));
	transfer(&pr.c, &pr.s, 300, 1, 3);
}

Test(tls, cache_keeps_the_newest_hosts)
{
	struct net_tls_conf c = { .role = NET_TLS_CLIENT, .cache_slots = 2 };

	need_openssl();
	c.ca_file = P("ca.pem");
	pr.cctx = ctx_make(&c);
	pr.sctx = server_ctx("srv.pem", "srv.key");
	end_init(&pr.c, pr.cctx, false, NET_TLS_BUF_SIZE);
	end_init(&pr.s, pr.sctx, false, NET_TLS_BUF_SIZE);
	for (uint16_t port = 1; port <= 3; port++) {
		handshake("localhost", port, 0, SIZE_MAX);
		pair_reset();
	}
	cr_expect_eq(net_tls_cache_count(pr.cctx), 2);
	handshake("localhost", 1, 0, SIZE_MAX);
	cr_expect(!net_tls_resumed(&pr.c.s), "port 1 was evicted");
	pair_reset();
	handshake("localhost", 3, 0, SIZE_MAX);
	cr_expect(net_tls_resumed(&pr.c.s), "port 3 is kept");
}

Test(tls, no_resume_context)
{
	struct net_tls_conf c = { .role = NET_TLS_CLIENT, .no_resume = true };

	need_openssl();
	c.ca_file = P("ca.pem");
	pr.cctx = ctx_make(&c);
	pr.sctx = server_ctx("srv.pem", "srv.key");
	end_init(&pr.c, pr.cctx, false, NET_TLS_BUF_SIZE);
	end_init(&pr.s, pr.sctx, false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	pair_reset();
	handshake("localhost", 443, 0, SIZE_MAX);
	cr_expect(!net_tls_resumed(&pr.c.s));
	cr_expect_eq(net_tls_cache_count(pr.cctx), 0);
}

Test(tls, alpn)
{
	struct net_tls_conf cc = { .role = NET_TLS_CLIENT, .alpn = "http/1.1" };
	struct net_tls_conf sc = { .role = NET_TLS_SERVER, .alpn = "h2,http/1.1" };

	need_openssl();
	cc.ca_file = P("ca.pem");
	sc.cert_file = P("srv.pem");
	sc.key_file = P("srv.key");
	pr.cctx = ctx_make(&cc);
	pr.sctx = ctx_make(&sc);
	end_init(&pr.c, pr.cctx, false, NET_TLS_BUF_SIZE);
	end_init(&pr.s, pr.sctx, false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	cr_expect_str_eq(net_tls_alpn(&pr.c.s), "http/1.1");
	cr_expect_str_eq(net_tls_alpn(&pr.s.s), "http/1.1");
}

Test(tls, garbage_before_hello_fails_cleanly)
{
	uint8_t junk[64];
	ssize_t r;

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = pattern(i, 77);
	junk[0] = 0x16; /* looks like a handshake record, is not one */
	cr_assert_eq(net_tls_accept(&pr.s.s), 0);
	r = net_tls_feed(&pr.s.s, junk, sizeof(junk));
	cr_expect_lt(r, 0);
	cr_expect_eq(net_tls_state(&pr.s.s), NET_TLS_FAILED);
	cr_expect_eq(net_tls_error(&pr.s.s), (int)r);
	cr_expect_neq(net_tls_reason(&pr.s.s)[0], 0);
	cr_expect_eq(net_tls_feed(&pr.s.s, junk, 1), r, "sticky");
	cr_log_info("garbage hello: %zd %s", r, net_tls_reason(&pr.s.s));
}

Test(tls, corrupted_record_fails_cleanly)
{
	int ret;

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	cr_assert_eq(net_tls_write(&pr.s.s, "hello, tampered world", 21), 0);
	cr_assert_gt(pr.s.out.len, 10);
	pr.s.out.b[pr.s.out.len - 3] ^= 0x40; /* in the AEAD tag */
	ret = pump(&pr.c, &pr.s, SIZE_MAX);
	cr_expect_eq(ret, -EPROTO, "%d %s", ret, net_tls_reason(&pr.c.s));
	cr_expect_str_eq(net_tls_reason(&pr.c.s),
			 "bad record: authentication failed (corrupted or forged)");
	cr_expect_eq(pr.c.got.len, 0, "no plaintext from a bad record");
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_FAILED);
	cr_expect_eq(net_tls_write(&pr.c.s, "x", 1), -EPROTO, "sticky");
	cr_log_info("corrupted record: %s", net_tls_reason(&pr.c.s));
	/* a record header promising garbage, after the handshake */
	pair_reset();
	handshake("localhost", 443, NET_TLS_NO_RESUME, SIZE_MAX);
	ret = (int)net_tls_feed(&pr.c.s, "\x17\x03\x03\x00\x20xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
				37);
	cr_expect_eq(ret, -EPROTO, "%d %s", ret, net_tls_reason(&pr.c.s));
}

Test(tls, close_notify_both_ways)
{
	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	cr_assert_eq(net_tls_write(&pr.c.s, "bye", 3), 0);
	cr_assert_eq(net_tls_shutdown(&pr.c.s), 0);
	cr_expect_eq(net_tls_shutdown(&pr.c.s), 0, "twice is fine");
	cr_expect_eq(net_tls_write(&pr.c.s, "x", 1), -EPIPE, "after our close_notify");
	cr_assert_eq(pump(&pr.c, &pr.s, SIZE_MAX), 0);
	cr_expect_eq(pr.s.got.len, 3, "data before close_notify arrives");
	cr_expect_eq(net_tls_state(&pr.s.s), NET_TLS_CLOSED);
	cr_expect(net_tls_handshake_done(&pr.s.s));
	cr_expect_eq(net_tls_error(&pr.s.s), 0, "a clean close is no error");
	cr_expect_eq(net_tls_write(&pr.s.s, "x", 1), -EPIPE, "after the peer's");
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_OPEN, "half closed");
	cr_assert_eq(net_tls_shutdown(&pr.s.s), 0, "answer it");
	cr_assert_eq(pump(&pr.c, &pr.s, SIZE_MAX), 0);
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_CLOSED);
	cr_expect_eq(net_tls_feed(&pr.c.s, "late", 4), 4, "bytes after close dropped");
	cr_expect_eq(pr.c.got.len, 0);
}

Test(tls, send_callback_failure_is_sticky)
{
	int ret;

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	pr.c.send_err = -ENOBUFS;
	ret = net_tls_write(&pr.c.s, "data", 4);
	cr_expect_eq(ret, -ENOBUFS);
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_FAILED);
	cr_expect_str_eq(net_tls_reason(&pr.c.s), "callback failed: No buffer space available");
	pr.c.send_err = 0;
	cr_expect_eq(net_tls_write(&pr.c.s, "data", 4), -ENOBUFS, "sticky");

	/* during the handshake: connect itself reports it */
	pair_reset();
	pr.c.send_err = -EPIPE;
	cr_expect_eq(net_tls_connect(&pr.c.s, "localhost", 443, 0), -EPIPE);
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_FAILED);
}

Test(tls, plain_callback_failure_is_sticky)
{
	ssize_t r;

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	pr.s.plain_err = -EMSGSIZE;
	cr_assert_eq(net_tls_write(&pr.c.s, "data", 4), 0);
	r = net_tls_feed(&pr.s.s, pr.c.out.b, pr.c.out.len);
	cr_expect_eq(r, -EMSGSIZE);
	cr_expect_eq(net_tls_error(&pr.s.s), -EMSGSIZE);
	cr_expect_eq(net_tls_feed(&pr.s.s, "x", 1), -EMSGSIZE);
}

Test(tls, misuse_is_reported)
{
	uint8_t buf[64];
	struct net_tls_ops ops = { .send = end_send };

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	cr_expect_eq(net_tls_feed(&pr.c.s, "x", 1), -ENOTCONN, "idle");
	cr_expect_eq(net_tls_write(&pr.c.s, "x", 1), -ENOTCONN, "idle");
	cr_expect_eq(net_tls_shutdown(&pr.c.s), -ENOTCONN, "idle");
	cr_expect_eq(net_tls_version(&pr.c.s), 0);
	cr_expect_str_eq(net_tls_cipher(&pr.c.s), "");
	cr_expect_eq(net_tls_connect(&pr.s.s, "localhost", 443, 0), -EOPNOTSUPP);
	cr_expect_eq(net_tls_accept(&pr.c.s), -EOPNOTSUPP);
	cr_expect_eq(net_tls_connect(&pr.c.s, "", 443, 0), -EINVAL);
	cr_expect_eq(net_tls_connect(&pr.c.s, NULL, 443, 0), -EINVAL);
	char longhost[NET_TLS_HOST_MAX + 2];

	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = 0;
	cr_expect_eq(net_tls_connect(&pr.c.s, longhost, 443, 0), -EINVAL);
	cr_assert_eq(net_tls_connect(&pr.c.s, "localhost", 443, 0), 0);
	cr_expect_eq(net_tls_connect(&pr.c.s, "localhost", 443, 0), -EISCONN);
	cr_expect_eq(net_tls_write(&pr.c.s, "x", 1), -ENOTCONN, "mid-handshake");
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_HANDSHAKE);

	struct net_tls_sess s;

	cr_expect_eq(net_tls_sess_init(&s, NULL, &ops, NULL, buf, sizeof(buf)), -EINVAL);
	cr_expect_eq(net_tls_sess_init(&s, pr.cctx, &ops, NULL, NULL, 0), -EINVAL);
	ops.send = NULL;
	cr_expect_eq(net_tls_sess_init(&s, pr.cctx, &ops, NULL, buf, sizeof(buf)), -EINVAL);
}

Test(tls, context_errors_are_explained)
{
	struct net_tls_ctx *ctx = NULL;
	char err[256];
	struct net_tls_conf c;

	need_openssl();
	c = (struct net_tls_conf){ .role = NET_TLS_CLIENT, .ca_file = P("nonexistent.pem") };
	cr_expect_eq(net_tls_ctx_create(&c, &ctx, err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, "nonexistent.pem"), "%s", err);
	cr_expect_null(ctx);
	c.ca_file = P("garbage.pem");
	cr_expect_eq(net_tls_ctx_create(&c, &ctx, err, sizeof(err)), -EBADMSG, "%s", err);
	c = (struct net_tls_conf){ .role = NET_TLS_SERVER, .cert_file = P("srv.pem") };
	cr_expect_eq(net_tls_ctx_create(&c, &ctx, err, sizeof(err)), -EINVAL, "no key");
	c.key_file = P("ca.key");
	cr_expect_eq(net_tls_ctx_create(&c, &ctx, err, sizeof(err)), -EBADMSG,
		     "key of another certificate: %s", err);
	cr_expect(strstr(err, "does not match"), "%s", err);
	c = (struct net_tls_conf){ .role = NET_TLS_CLIENT, .min_version = 0x0301 };
	cr_expect_eq(net_tls_ctx_create(&c, &ctx, err, sizeof(err)), -EINVAL, "TLS 1.0");
	c = (struct net_tls_conf){ .role = 0 };
	cr_expect_eq(net_tls_ctx_create(&c, &ctx, err, sizeof(err)), -EINVAL, "no role");
	c = (struct net_tls_conf){ .role = NET_TLS_CLIENT, .ca_file = P("ca.pem"),
				   .ciphers = "NOPE-NOT-A-SUITE" };
	cr_expect_eq(net_tls_ctx_create(&c, &ctx, err, sizeof(err)), -EINVAL, "%s", err);
	cr_expect_null(ctx);
}

/*
 * What wolfSSL allocates in steady state, counted through its allocator
 * hooks. The engine adds nothing; this build of wolfSSL mallocs and frees one
 * I/O buffer per record each way (no LARGE_STATIC_BUFFERS or static memory).
 * The bound pins that: a newer build that allocates more fails here.
 */
static long n_malloc, n_free, n_realloc;

static void *count_malloc(size_t n)
{
	n_malloc++;
	return malloc(n);
}

static void count_free(void *p)
{
	n_free += p != NULL;
	free(p);
}

static void *count_realloc(void *p, size_t n)
{
	n_realloc++;
	return realloc(p, n);
}

Test(tls, steady_state_allocations_per_record)
{
	const int records = 200;
	char msg[256];
	long m0, f0, r0;

	need_openssl();
	cr_assert_eq(wolfSSL_SetAllocators(count_malloc, count_free, count_realloc), 0);
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	memset(msg, 'm', sizeof(msg));
	transfer(&pr.c, &pr.s, sizeof(msg), SIZE_MAX, 1); /* warm up */
	q_clear(&pr.s.got);

	m0 = n_malloc, f0 = n_free, r0 = n_realloc;
	for (int i = 0; i < records; i++)
		cr_assert_eq(net_tls_write(&pr.c.s, msg, sizeof(msg)), 0);
	long wm = n_malloc - m0, wf = n_free - f0;

	m0 = n_malloc, f0 = n_free;
	cr_assert_eq(pump(&pr.c, &pr.s, 317), 0); /* records split across feeds */
	long rm = n_malloc - m0, rf = n_free - f0;

	cr_assert_eq(pr.s.got.len, records * sizeof(msg));
	cr_log_info("wolfSSL per record: write %.2f malloc %.2f free, read %.2f malloc "
		    "%.2f free, %ld realloc", (double)wm / records, (double)wf / records,
		    (double)rm / records, (double)rf / records, n_realloc - r0);
	cr_expect_leq(wm, records, "write: %ld mallocs for %d records", wm, records);
	cr_expect_leq(rm, records, "read: %ld mallocs for %d records", rm, records);
	cr_expect_eq(wm, wf, "write: every buffer freed");
	cr_expect_eq(rm, rf, "read: every buffer freed");
	cr_expect_eq(n_realloc, r0);
	pair_close();
	wolfSSL_SetAllocators(NULL, NULL, NULL);
}

/*
 * With the pool that net_tls_ctx_create installs, those per-record buffers
 * come back from free lists: no wolfSSL allocation reaches malloc in the
 * steady state.
 */
Test(tls, steady_state_takes_nothing_from_malloc)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	cr_skip_test("the pool stays out of the way under sanitizers");
#endif
	const int records = 200;
	uint64_t g0, r0, b0, g1, r1, b1;
	char msg[256];

	need_openssl();
	pair_open("ca.pem", "srv.pem", false, NET_TLS_BUF_SIZE);
	handshake("localhost", 443, 0, SIZE_MAX);
	memset(msg, 'm', sizeof(msg));
	transfer(&pr.c, &pr.s, sizeof(msg), SIZE_MAX, 1); /* warm up */
	cr_assert_eq(pump(&pr.s, &pr.c, 317), 0);
	q_clear(&pr.s.got);
	net_tls_pool_stats(&g0, &r0, &b0);
	for (int i = 0; i < records; i++)
		cr_assert_eq(net_tls_write(&pr.c.s, msg, sizeof(msg)), 0);
	cr_assert_eq(pump(&pr.c, &pr.s, 317), 0);
	for (int i = 0; i < records; i++)
		cr_assert_eq(net_tls_write(&pr.s.s, msg, sizeof(msg)), 0);
	cr_assert_eq(pump(&pr.s, &pr.c, 317), 0);
	net_tls_pool_stats(&g1, &r1, &b1);
	cr_assert_eq(pr.s.got.len, records * sizeof(msg));
	cr_assert_eq(g1, g0, "%llu blocks taken from malloc in steady state",
		     (unsigned long long)(g1 - g0));
	cr_assert_eq(b1, b0);
	cr_assert_geq(r1 - r0, (uint64_t)(2 * records), "the record buffers were reused");
	pair_close();
}

/* ---- against OpenSSL over loopback TCP --------------------------------- */

struct child {
	pid_t pid;
	int in, out; /* its stdin (we write), its stdout (we read) */
};

static struct child kid = { .pid = -1, .in = -1, .out = -1 };

/* Run argv with stdin and stdout on pipes and stderr into errfile. */
static void spawn(const char *const argv[], const char *errfile)
{
	int pin[2], pout[2];

	cr_assert_eq(pipe(pin), 0);
	cr_assert_eq(pipe(pout), 0);
	kid.pid = fork();
	cr_assert_geq(kid.pid, 0);
	if (!kid.pid) {
		int e = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(pin[0], 0);
		dup2(pout[1], 1);
		if (e >= 0)
			dup2(e, 2);
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	kid.in = pin[1];
	kid.out = pout[0];
}

static int kid_wait(void)
{
	int st;

	cr_assert_eq(waitpid(kid.pid, &st, 0), kid.pid);
	kid.pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void kid_kill(void)
{
	if (kid.pid > 0) {
		kill(kid.pid, SIGTERM);
		waitpid(kid.pid, NULL, 0);
	}
	if (kid.in >= 0)
		close(kid.in);
	if (kid.out >= 0)
		close(kid.out);
	kid = (struct child){ .pid = -1, .in = -1, .out = -1 };
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Append what the child's stdout has now (one read). false on EOF. */
static bool kid_read_some(struct q *acc)
{
	char tmp[4096];
	ssize_t n = read(kid.out, tmp, sizeof(tmp));

	if (n <= 0)
		return false;
	q_put(acc, tmp, (size_t)n);
	q_put(acc, "", 1); /* keep it a string */
	acc->len--;
	return true;
}

/* Read the child's stdout until want(acc) holds; false after timeout_ms. */
static bool kid_read_until(struct q *acc, bool (*want)(const char *), int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (!acc->b || !want((char *)acc->b)) {
		struct pollfd p = { .fd = kid.out, .events = POLLIN };
		uint64_t t = now_ms();

		if (t >= end || poll(&p, 1, (int)(end - t)) <= 0 || !kid_read_some(acc))
			return false;
	}
	return true;
}

/* s_server prints "ACCEPT 127.0.0.1:PORT" once it listens. */
static bool has_accept_line(const char *out)
{
	const char *p = strstr(out, "ACCEPT ");

	return p && strchr(p, '\n');
}

/*
 * Connect to 127.0.0.1:port, polling until the listener accepts (it may
 * still be starting), with a bounded number of tries and a short pause
 * between them. The fd, or -1.
 */
static int connect_poll(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 500; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		cr_assert_geq(fd, 0);
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)))
			return fd;
		close(fd);
		if (errno != ECONNREFUSED)
			return -1;
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	return -1;
}

/*
 * Drive e over its socket until done(e) or the session fails, the socket
 * closes or timeout_ms passes. 0 when done, else an -errno.
 */
static int sock_pump(struct end *e, bool (*done)(struct end *), int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	uint8_t tmp[16384];

	while (!done(e)) {
		struct pollfd p = { .fd = e->fd, .events = POLLIN };
		uint64_t t = now_ms();
		ssize_t n;

		if (net_tls_state(&e->s) == NET_TLS_FAILED)
			return net_tls_error(&e->s);
		if (t >= end)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)(end - t)) <= 0)
			return -ETIMEDOUT;
		n = recv(e->fd, tmp, sizeof(tmp), 0);
		if (n < 0)
			return -errno;
		if (!n)
			return -ECONNRESET;
		n = net_tls_feed(&e->s, tmp, (size_t)n);
		if (n < 0)
			return (int)n;
		if (e->pull && end_pull(e) < 0)
			return net_tls_error(&e->s);
	}
	return 0;
}

static bool is_open(struct end *e)
{
	return net_tls_handshake_done(&e->s);
}

static bool is_closed(struct end *e)
{
	return net_tls_state(&e->s) == NET_TLS_CLOSED;
}

static size_t want_bytes;

static bool got_enough(struct end *e)
{
	return e->got.len >= want_bytes;
}

static void peer_setup(void)
{
	certs_setup();
}

static void peer_teardown(void)
{
	kid_kill();
	if (pr.c.fd > 0)
		close(pr.c.fd);
	if (pr.s.fd > 0)
		close(pr.s.fd);
	suite_teardown();
}

TestSuite(tls_peer, .init = peer_setup, .fini = peer_teardown, .timeout = 60);

/* Start `openssl s_server -rev` with extra args; returns its port. */
static uint16_t s_server_start(const char *extra1, const char *extra2)
{
	const char *argv[16] = {
		OPENSSL, "s_server", "-accept", "127.0.0.1:0", "-cert", P("srv.pem"),
		"-key", P("srv.key"), "-rev", "-naccept", "3",
	};
	struct q acc = { 0 };
	unsigned port = 0;
	const char *p;
	int n = 11;

	if (extra1)
		argv[n++] = extra1;
	if (extra2)
		argv[n++] = extra2;
	spawn(argv, P("s_server.err"));
	cr_assert(kid_read_until(&acc, has_accept_line, 10000), "s_server did not start: %s",
		  acc.b ? (char *)acc.b : "");
	p = strchr(strstr((char *)acc.b, "ACCEPT "), ':');
	cr_assert_not_null(p);
	cr_assert_eq(sscanf(p + 1, "%u", &port), 1);
	free(acc.b);
	return (uint16_t)port;
}

/* Our client against s_server on port: handshake, verified, and an echo. */
static void client_round(uint16_t port, const char *line, const char *reversed)
{
	int ret;

	pr.c.fd = connect_poll(port);
	cr_assert_geq(pr.c.fd, 0, "connect to s_server");
	cr_assert_eq(net_tls_connect(&pr.c.s, "localhost", port, 0), 0);
	ret = sock_pump(&pr.c, is_open, 10000);
	cr_assert_eq(ret, 0, "handshake with s_server: %d %s", ret, net_tls_reason(&pr.c.s));
	cr_expect(net_tls_peer_verified(&pr.c.s));
	q_clear(&pr.c.got);
	cr_assert_eq(net_tls_write(&pr.c.s, line, strlen(line)), 0);
	want_bytes = strlen(reversed);
	ret = sock_pump(&pr.c, got_enough, 10000);
	cr_assert_eq(ret, 0, "echo: %d %s", ret, net_tls_reason(&pr.c.s));
	cr_expect(pr.c.got.len == strlen(reversed) &&
		  !memcmp(pr.c.got.b, reversed, strlen(reversed)), "echo differs");
}

static void client_hangup(void)
{
	cr_expect_eq(net_tls_shutdown(&pr.c.s), 0);
	close(pr.c.fd);
	pr.c.fd = -1;
	net_tls_sess_reset(&pr.c.s);
}

Test(tls_peer, client_vs_openssl_s_server)
{
	/* 40 lines of 1000: one write of several records; s_server -rev
	 * reverses line by line (its lines are limited to its 16 KiB buffer) */
	static char text[40 * 1001 + 1], rev[40 * 1001 + 1];

	need_openssl();
	pr.cctx = client_ctx("ca.pem");
	end_init(&pr.c, pr.cctx, false, NET_TLS_BUF_SIZE);
	uint16_t port = s_server_start(NULL, NULL);

	for (size_t l = 0; l < 40; l++) {
		char *t = text + l * 1001, *r = rev + l * 1001;

		for (size_t i = 0; i < 1000; i++)
			t[i] = (char)('a' + pattern(l * 1000 + i, 5) % 26);
		for (size_t i = 0; i < 1000; i++)
			r[i] = t[999 - i];
		t[1000] = r[1000] = '\n';
	}

	client_round(port, "hello from kimp\n", "pmik morf olleh\n");
	cr_expect_eq(net_tls_version(&pr.c.s), NET_TLS_V1_3);
	cr_expect_str_eq(net_tls_cipher(&pr.c.s), "TLS_CHACHA20_POLY1305_SHA256");
	cr_expect_str_eq(net_tls_group(&pr.c.s), "X25519");
	cr_expect(!net_tls_resumed(&pr.c.s));
	q_clear(&pr.c.got);
	cr_assert_eq(net_tls_write(&pr.c.s, text, strlen(text)), 0);
	want_bytes = strlen(rev);
	cr_assert_eq(sock_pump(&pr.c, got_enough, 10000), 0, "%s", net_tls_reason(&pr.c.s));
	cr_expect(pr.c.got.len == strlen(rev) && !memcmp(pr.c.got.b, rev, strlen(rev)),
		  "long echo differs");
	client_hangup();

	/* the next connection resumes with s_server's ticket */
	cr_expect_eq(net_tls_cache_count(pr.cctx), 1);
	client_round(port, "again\n", "niaga\n");
	cr_expect(net_tls_resumed(&pr.c.s), "resumed with OpenSSL");
	client_hangup();
}

Test(tls_peer, client_vs_openssl_s_server_tls12)
{
	need_openssl();
	pr.cctx = client_ctx("ca.pem");
	end_init(&pr.c, pr.cctx, true, NET_TLS_BUF_SIZE); /* pull mode here */
	uint16_t port = s_server_start("-tls1_2", NULL);

	client_round(port, "twelve\n", "evlewt\n");
	cr_expect_eq(net_tls_version(&pr.c.s), NET_TLS_V1_2);
	cr_expect_str_eq(net_tls_cipher(&pr.c.s),
			 "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
	client_hangup();
	client_round(port, "ticket\n", "tekcit\n");
	cr_expect(net_tls_resumed(&pr.c.s), "TLS 1.2 ticket resumption");
	client_hangup();
}

Test(tls_peer, min_tls13_refuses_a_tls12_server)
{
	struct net_tls_conf c = { .role = NET_TLS_CLIENT, .min_version = NET_TLS_V1_3 };
	int ret;

	need_openssl();
	c.ca_file = P("ca.pem");
	pr.cctx = ctx_make(&c);
	end_init(&pr.c, pr.cctx, false, NET_TLS_BUF_SIZE);
	uint16_t port = s_server_start("-tls1_2", NULL);

	pr.c.fd = connect_poll(port);
	cr_assert_geq(pr.c.fd, 0);
	cr_assert_eq(net_tls_connect(&pr.c.s, "localhost", port, 0), 0);
	ret = sock_pump(&pr.c, is_open, 10000);
	cr_expect(ret == -ECONNABORTED || ret == -EPROTONOSUPPORT || ret == -EPROTO,
		  "%d %s", ret, net_tls_reason(&pr.c.s));
	cr_expect_eq(net_tls_state(&pr.c.s), NET_TLS_FAILED);
	cr_log_info("TLS 1.3 client vs TLS 1.2 server: %d %s", ret, net_tls_reason(&pr.c.s));
}

static int listen_any(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int accept_wait(int lfd, int timeout_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* s_client with ca against our echo server; returns s_client's stderr. */
static char *s_client_round(const char *ca, const char *suites, bool expect_ok)
{
	static char errtext[8192];
	char portarg[32];
	uint16_t port;
	int lfd = listen_any(&port), ret;
	struct q acc = { 0 };
	const char *argv[24] = {
		OPENSSL, "s_client", "-connect", portarg, "-servername", "localhost",
		"-CAfile", P(ca), "-verify_return_error", "-verify_hostname", "localhost",
		"-brief", "-no_ign_eof", "-nocommands",
	};
	int n = 14;
	FILE *f;

	snprintf(portarg, sizeof(portarg), "127.0.0.1:%u", port);
	if (suites) {
		argv[n++] = "-ciphersuites";
		argv[n++] = suites;
	}
	pr.sctx = server_ctx("srv.pem", "srv.key");
	end_init(&pr.s, pr.sctx, false, NET_TLS_BUF_SIZE);
	pr.s.echo = true;
	spawn(argv, P("s_client.err"));
	pr.s.fd = accept_wait(lfd, 10000);
	close(lfd);
	cr_assert_geq(pr.s.fd, 0, "s_client did not connect");
	cr_assert_eq(net_tls_accept(&pr.s.s), 0);
	ret = sock_pump(&pr.s, is_open, 10000);
	if (expect_ok) {
		const char *line = "ping from s_client\n";

		cr_assert_eq(ret, 0, "handshake: %d %s", ret, net_tls_reason(&pr.s.s));
		cr_assert_eq(write(kid.in, line, strlen(line)), (ssize_t)strlen(line));
		/* s_client sends the line, we echo it, s_client prints it */
		for (uint64_t end = now_ms() + 10000; now_ms() < end;) {
			struct pollfd p[2] = { { .fd = pr.s.fd, .events = POLLIN },
					       { .fd = kid.out, .events = POLLIN } };
			uint8_t tmp[4096];

			cr_assert_gt(poll(p, 2, 10000), 0);
			if (p[0].revents) {
				ssize_t r = recv(pr.s.fd, tmp, sizeof(tmp), 0);

				cr_assert_gt(r, 0);
				cr_assert_eq(net_tls_feed(&pr.s.s, tmp, (size_t)r), r, "%s",
					     net_tls_reason(&pr.s.s));
			}
			if (p[1].revents &&
			    (!kid_read_some(&acc) || strstr((char *)acc.b, line)))
				break;
		}
		cr_expect(acc.b && strstr((char *)acc.b, line), "echo seen by s_client");
		cr_expect_eq(pr.s.got.len, strlen(line));
		/* stdin EOF: s_client sends close_notify and exits */
		close(kid.in);
		kid.in = -1;
		ret = sock_pump(&pr.s, is_closed, 10000);
		cr_expect_eq(ret, 0, "close_notify from s_client: %d %s", ret,
			     net_tls_reason(&pr.s.s));
		net_tls_shutdown(&pr.s.s); /* s_client may be gone: ignore */
		cr_expect_eq(kid_wait(), 0, "s_client exit status");
	} else {
		cr_expect_neq(ret, 0, "s_client should have refused us");
		cr_expect_neq(kid_wait(), 0, "s_client exit status");
	}
	f = fopen(P("s_client.err"), "r");
	cr_assert_not_null(f);
	errtext[fread(errtext, 1, sizeof(errtext) - 1, f)] = 0;
	fclose(f);
	free(acc.b);
	return errtext;
}

Test(tls_peer, openssl_s_client_verifies_our_server)
{
	char *err;

	need_openssl();
	err = s_client_round("ca.pem", NULL, true);
	cr_expect(strstr(err, "Verification: OK"), "%s", err);
	cr_expect(strstr(err, "Verified peername: localhost"), "%s", err);
	cr_expect(strstr(err, "Protocol version: TLSv1.3"), "%s", err);
	cr_expect(strstr(err, "Ciphersuite: TLS_CHACHA20_POLY1305_SHA256"), "%s", err);
	cr_expect(strstr(err, "X25519"), "%s", err);
	cr_expect_str_eq(net_tls_cipher(&pr.s.s), "TLS_CHACHA20_POLY1305_SHA256");
}

Test(tls_peer, our_server_prefers_chacha_over_aes)
{
	char *err;

	need_openssl();
	/* a client that (like one with AES-NI) lists AES first */
	err = s_client_round("ca.pem", "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
			     true);
	cr_expect(strstr(err, "Ciphersuite: TLS_CHACHA20_POLY1305_SHA256"), "%s", err);
}

Test(tls_peer, openssl_s_client_with_another_ca_refuses)
{
	char *err;

	need_openssl();
	err = s_client_round("ca2.pem", NULL, false);
	cr_expect(strstr(err, "verify error"), "%s", err);
	/*
	 * OpenSSL refuses the chain before it has handshake keys to write with,
	 * so its alert comes unencrypted, which a TLS 1.3 server expecting an
	 * encrypted Finished can only call a bad record.
	 */
	cr_expect_eq(net_tls_state(&pr.s.s), NET_TLS_FAILED);
	cr_expect(net_tls_error(&pr.s.s) == -EPROTO || net_tls_error(&pr.s.s) == -ECONNABORTED,
		  "%d %s", net_tls_error(&pr.s.s), net_tls_reason(&pr.s.s));
	cr_log_info("our server after s_client refused: %s", net_tls_reason(&pr.s.s));
}

static void certs_teardown(void)
{
	char cmd[128];

	if (!dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	dir[0] = 0;
}
