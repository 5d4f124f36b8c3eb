/* SPDX-License-Identifier: MIT */
/*
 * exsim's certificates (sim/certs.c): made, then reused; a real TLS
 * handshake (libnet's engine, client and server wired in memory) to
 * "localhost" and to 127.0.0.1 against the CA; remade when a file is
 * corrupt, a key is exposed or the certificates run out within a day.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kimp/tls.h"
#include "../../sim/sim.h"

static char base[64];
static char dir[128];
static char err[512];

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/kimp-certs-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
	/* two levels that do not exist yet */
	snprintf(dir, sizeof(dir), "%s/state/exsim", base);
	err[0] = 0;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(certs, .init = setup, .fini = teardown);

static void ensure(struct sim_certs *c, bool reused)
{
	int ret = sim_certs_ensure(dir, c, err, sizeof(err));

	cr_assert_eq(ret, 0, "ensure: %d %s", ret, err);
	cr_assert_eq(c->reused, reused, "reused should be %d", reused);
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "r");
	char *buf = calloc(1, 65536);

	cr_assert_not_null(f, "%s", p);
	cr_assert_not_null(buf);
	*len = fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

static mode_t mode_of(const char *p)
{
	struct stat st;

	cr_assert_eq(stat(p, &st), 0, "%s", p);
	return st.st_mode & 07777;
}

/* ---- a TLS handshake in memory --------------------------------------------- */

struct q {
	uint8_t b[65536];
	size_t len;
};

struct end {
	struct net_tls_sess s;
	struct q out;           /* ciphertext sent, not yet delivered */
	uint8_t buf[NET_TLS_BUF_SIZE];
};

static int end_send(void *user, const void *buf, size_t len)
{
	struct end *e = user;

	cr_assert_leq(e->out.len + len, sizeof(e->out.b));
	memcpy(e->out.b + e->out.len, buf, len);
	e->out.len += len;
	return 0;
}

static int end_plain(void *user, const void *buf, size_t len)
{
	return 0;
}

/* Move from's ciphertext to 'to': true if any moved; the first error in *err. */
static bool deliver(struct end *from, struct end *to, int *err_out)
{
	ssize_t r;

	if (!from->out.len)
		return false;
	r = net_tls_feed(&to->s, from->out.b, from->out.len);
	if (r < 0 && !*err_out)
		*err_out = (int)r;
	from->out.len = 0;
	return true;
}

/*
 * A handshake to host with a client trusting c->ca and a server serving
 * c->cert / c->key: 0, or the client's error (reason in err).
 */
static int handshake(const struct sim_certs *c, const char *host)
{
	struct net_tls_conf cc = { .role = NET_TLS_CLIENT, .ca_file = c->ca };
	struct net_tls_conf sc = { .role = NET_TLS_SERVER, .cert_file = c->cert,
				   .key_file = c->key };
	const struct net_tls_ops ops = { .send = end_send, .plain = end_plain };
	struct net_tls_ctx *cctx = NULL, *sctx = NULL;
	struct end *ce = calloc(1, sizeof(*ce)), *se = calloc(1, sizeof(*se));
	int ret = 0, e = 0;
	bool moved = true;

	cr_assert(ce && se);
	cr_assert_eq(net_tls_ctx_create(&cc, &cctx, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(net_tls_ctx_create(&sc, &sctx, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(net_tls_sess_init(&ce->s, cctx, &ops, ce, ce->buf, sizeof(ce->buf)), 0);
	cr_assert_eq(net_tls_sess_init(&se->s, sctx, &ops, se, se->buf, sizeof(se->buf)), 0);
	cr_assert_eq(net_tls_accept(&se->s), 0);
	cr_assert_eq(net_tls_connect(&ce->s, host, 443, NET_TLS_NO_RESUME), 0);
	while (moved) {
		moved = deliver(ce, se, &e);
		moved |= deliver(se, ce, &e);
	}
	if (net_tls_error(&ce->s)) {
		ret = net_tls_error(&ce->s);
		snprintf(err, sizeof(err), "%s", net_tls_reason(&ce->s));
	} else if (e) {
		ret = e;
		snprintf(err, sizeof(err), "server: %s", net_tls_reason(&se->s));
	} else {
		cr_assert(net_tls_handshake_done(&ce->s), "client done");
		cr_assert(net_tls_handshake_done(&se->s), "server done");
		cr_assert(net_tls_peer_verified(&ce->s), "the client verified the server");
	}
	net_tls_sess_reset(&ce->s);
	net_tls_sess_reset(&se->s);
	net_tls_ctx_destroy(cctx);
	net_tls_ctx_destroy(sctx);
	free(ce);
	free(se);
	return ret;
}

static void handshakes_ok(const struct sim_certs *c)
{
	int ret;

	ret = handshake(c, "localhost");
	cr_assert_eq(ret, 0, "to localhost: %d %s", ret, err);
	ret = handshake(c, "127.0.0.1");
	cr_assert_eq(ret, 0, "to 127.0.0.1: %d %s", ret, err);
}

/* ---- tests ---------------------------------------------------------------------- */

Test(certs, made_then_reused)
{
	struct sim_certs c, again;
	char *before[4], *after[4];
	size_t len;

	ensure(&c, false);
	cr_assert_eq(mode_of(dir), 0700);
	cr_assert_eq(mode_of(c.ca_key), 0600);
	cr_assert_eq(mode_of(c.key), 0600);
	cr_assert_eq(mode_of(c.ca) & 077, 044, "certificates are public");
	cr_assert(strstr(c.ca, "/ca.pem") && strstr(c.ca_key, "/ca.key") &&
		  strstr(c.cert, "/server.pem") && strstr(c.key, "/server.key"));
	before[0] = slurp(c.ca, &len);
	cr_assert(strstr(before[0], "-----BEGIN CERTIFICATE-----"));
	before[1] = slurp(c.ca_key, &len);
	cr_assert(strstr(before[1], "-----BEGIN EC PRIVATE KEY-----"));
	before[2] = slurp(c.cert, &len);
	before[3] = slurp(c.key, &len);

	ensure(&again, true);
	cr_assert_str_eq(again.cert, c.cert);
	after[0] = slurp(c.ca, &len);
	after[1] = slurp(c.ca_key, &len);
	after[2] = slurp(c.cert, &len);
	after[3] = slurp(c.key, &len);
	for (int i = 0; i < 4; i++) {
		cr_assert_str_eq(before[i], after[i], "file %d untouched", i);
		free(before[i]);
		free(after[i]);
	}
}

Test(certs, a_real_handshake_to_localhost_and_127_0_0_1)
{
	struct sim_certs c;

	ensure(&c, false);
	handshakes_ok(&c);
	/* the check has teeth: a name the certificate does not carry fails */
	cr_assert_eq(handshake(&c, "example.com"), -EKEYREJECTED, "%s", err);
	cr_assert_eq(handshake(&c, "127.0.0.2"), -EKEYREJECTED, "%s", err);
}

Test(certs, a_corrupt_certificate_is_remade)
{
	struct sim_certs c;
	FILE *f;

	ensure(&c, false);
	f = fopen(c.cert, "w");
	cr_assert_not_null(f);
	fputs("-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	ensure(&c, false);
	handshakes_ok(&c);
	ensure(&c, true);
}

Test(certs, a_corrupt_or_missing_file_of_any_kind_is_remade)
{
	struct sim_certs c;

	ensure(&c, false);
	cr_assert_eq(truncate(c.ca, 100), 0);
	ensure(&c, false);
	cr_assert_eq(unlink(c.key), 0);
	ensure(&c, false);
	cr_assert_eq(truncate(c.ca_key, 10), 0);
	ensure(&c, false);
	handshakes_ok(&c);
}

Test(certs, a_server_certificate_from_another_ca_is_remade)
{
	struct sim_certs c;
	char *ca1;
	size_t len;
	FILE *f;

	ensure(&c, false);
	ca1 = slurp(c.ca, &len);
	/* a whole new set, then the old CA back: the server cert no longer verifies */
	cr_assert_eq(unlink(c.ca), 0);
	ensure(&c, false);
	f = fopen(c.ca, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(ca1, 1, len, f), len);
	fclose(f);
	free(ca1);
	ensure(&c, false);
	handshakes_ok(&c);
}

Test(certs, a_key_others_can_read_is_remade)
{
	struct sim_certs c;

	ensure(&c, false);
	cr_assert_eq(chmod(c.key, 0644), 0);
	ensure(&c, false);
	cr_assert_eq(mode_of(c.key), 0600);
}

Test(certs, an_open_directory_is_closed)
{
	struct sim_certs c;

	ensure(&c, false);
	cr_assert_eq(chmod(dir, 0755), 0);
	ensure(&c, true);
	cr_assert_eq(mode_of(dir), 0700);
}

/* With the openssl CLI: a set good for a month is reused, one good for a day is not. */
static void openssl_set(int days)
{
	char cmd[1536];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && O=/usr/bin/openssl && "
		 "$O ecparam -name prime256v1 -genkey -noout -out ca.key && "
		 "$O ecparam -name prime256v1 -genkey -noout -out server.key && "
		 "chmod 600 ca.key server.key && "
		 "$O req -x509 -new -key ca.key -sha256 -days %d -subj '/CN=other CA' "
		 " -addext 'basicConstraints=critical,CA:TRUE' "
		 " -addext 'keyUsage=critical,keyCertSign,cRLSign' -out ca.pem && "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext && "
		 "$O req -new -key server.key -subj /CN=localhost -out server.csr 2>/dev/null && "
		 "$O x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 7 "
		 " -days %d -sha256 -extfile ext -out server.pem 2>/dev/null && rm ext server.csr",
		 dir, days, days);
	cr_assert_eq(system(cmd), 0, "openssl made a set");
}

Test(certs, reused_only_with_a_day_to_go)
{
	struct sim_certs c;
	char *mine, *now;
	size_t len;

	if (access("/usr/bin/openssl", X_OK))
		cr_skip_test("no /usr/bin/openssl");
	ensure(&c, false);      /* makes the directory */
	openssl_set(30);
	mine = slurp(c.cert, &len);
	ensure(&c, true);
	handshakes_ok(&c);
	openssl_set(1);
	ensure(&c, false);
	now = slurp(c.cert, &len);
	cr_assert_str_neq(mine, now, "remade");
	free(mine);
	free(now);
	handshakes_ok(&c);
}

Test(certs, directory_errors)
{
	struct sim_certs c;
	char longdir[400], p[192];
	FILE *f;

	snprintf(p, sizeof(p), "%s/file", base);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_eq(sim_certs_ensure(p, &c, err, sizeof(err)), -ENOTDIR);
	cr_assert(strstr(err, "is not a directory"), "%s", err);
	snprintf(p, sizeof(p), "%s/file/sub", base);
	cr_assert_eq(sim_certs_ensure(p, &c, err, sizeof(err)), -ENOTDIR, "%s", err);
	cr_assert(strstr(err, "cannot make"), "%s", err);

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = 0;
	cr_assert_eq(sim_certs_ensure(longdir, &c, err, sizeof(err)), -ENAMETOOLONG);
	cr_assert(strstr(err, "directory name too long"), "%s", err);
	cr_assert_eq(sim_certs_ensure("", &c, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "certs: no directory given");

	if (geteuid() == 0) {
		snprintf(p, sizeof(p), "%s/theirs", base);
		cr_assert_eq(mkdir(p, 0700), 0);
		cr_assert_eq(chown(p, 65534, 65534), 0);
		cr_assert_eq(sim_certs_ensure(p, &c, err, sizeof(err)), -EPERM);
		cr_assert(strstr(err, "belongs to uid 65534"), "%s", err);
	}
}
