/* SPDX-License-Identifier: MIT */
/*
 * TLS contexts: one wolfSSL context per role, made at startup, and the
 * client's resumption cache (latest resumable session per host:port, fed by
 * wolfSSL's new-session callback). Cold path only.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/tls.h"
#include "tls_int.h"

/* Key shares and supported groups, in order of preference. */
static int tls_groups[] = {
	WOLFSSL_ECC_X25519,
	WOLFSSL_ECC_SECP256R1,
	WOLFSSL_ECC_SECP384R1,
};

static int tls_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int tls_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* -errno for a file wolfSSL would not load: unreadable, or bad content. */
static int tls_file_err(const char *path)
{
	if (access(path, R_OK))
		return -errno;
	return -EBADMSG;
}

static int tls_ctx_client(struct net_tls_ctx *ctx, const struct net_tls_conf *c,
			  char *err, size_t errlen);
static int tls_ctx_server(struct net_tls_ctx *ctx, const struct net_tls_conf *c,
			  char *err, size_t errlen);
static int tls_new_session(WOLFSSL *ssl, WOLFSSL_SESSION *sess);

int net_tls_ctx_create(const struct net_tls_conf *c, struct net_tls_ctx **out,
		       char *err, size_t errlen)
{
	struct net_tls_ctx *ctx = NULL;
	WOLFSSL_METHOD *method;
	uint32_t nslots = 0;
	size_t alpn_len = 0;
	int ret;

	*out = NULL;
	if (c->role != NET_TLS_CLIENT && c->role != NET_TLS_SERVER)
		return tls_errf(err, errlen, -EINVAL, "tls: role must be client or server");
	if (c->min_version && c->min_version != NET_TLS_V1_2 &&
	    c->min_version != NET_TLS_V1_3)
		return tls_errf(err, errlen, -EINVAL,
				"tls: min_version 0x%04x: only TLS 1.2 and 1.3",
				c->min_version);
	if (c->role == NET_TLS_SERVER && (!c->cert_file || !c->key_file))
		return tls_errf(err, errlen, -EINVAL,
				"tls: a server needs cert_file and key_file");
	if (c->alpn) {
		alpn_len = strlen(c->alpn);
		if (!alpn_len || alpn_len >= NET_TLS_ALPN_LIST_MAX)
			return tls_errf(err, errlen, -EINVAL,
					"tls: alpn list must be 1..%d bytes",
					NET_TLS_ALPN_LIST_MAX - 1);
	}
	if (c->role == NET_TLS_CLIENT && !c->no_resume)
		nslots = c->cache_slots ? c->cache_slots : NET_TLS_CACHE_DEFAULT;

	ctx = calloc(1, sizeof(*ctx) + nslots * sizeof(ctx->slots[0]));
	if (!ctx)
		return tls_errf(err, errlen, -ENOMEM, "tls: out of memory");
	ctx->role = c->role;
	ctx->no_resume = c->no_resume;
	ctx->nslots = nslots;
	ctx->alpn_len = (uint16_t)alpn_len;
	if (alpn_len)
		memcpy(ctx->alpn, c->alpn, alpn_len);

	net_tls_pool_install(); /* before wolfSSL allocates anything */
	if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
		free(ctx);
		return tls_errf(err, errlen, -ENOMEM, "tls: wolfSSL_Init failed");
	}
	ctx->wolf_inited = true;
	method = c->role == NET_TLS_CLIENT ? wolfSSLv23_client_method()
					   : wolfSSLv23_server_method();
	ctx->wctx = method ? wolfSSL_CTX_new(method) : NULL;
	if (!ctx->wctx) {
		ret = tls_errf(err, errlen, -ENOMEM, "tls: wolfSSL_CTX_new failed");
		goto destroy;
	}
	if (wolfSSL_CTX_SetMinVersion(ctx->wctx, c->min_version == NET_TLS_V1_3
					 ? WOLFSSL_TLSV1_3 : WOLFSSL_TLSV1_2)
	    != WOLFSSL_SUCCESS) {
		ret = tls_errf(err, errlen, -EINVAL, "tls: cannot set the minimum version");
		goto destroy;
	}
	if (wolfSSL_CTX_set_cipher_list(ctx->wctx, c->ciphers ? c->ciphers
					: NET_TLS_DEFAULT_CIPHERS) != WOLFSSL_SUCCESS) {
		ret = tls_errf(err, errlen, -EINVAL, "tls: no usable cipher suite in '%s'",
			       c->ciphers ? c->ciphers : NET_TLS_DEFAULT_CIPHERS);
		goto destroy;
	}
	if (wolfSSL_CTX_set_groups(ctx->wctx, tls_groups, (int)KIMP_ARRAY_SIZE(tls_groups))
	    != WOLFSSL_SUCCESS) {
		ret = tls_errf(err, errlen, -EINVAL, "tls: cannot set the key share groups");
		goto destroy;
	}
	ret = c->role == NET_TLS_CLIENT ? tls_ctx_client(ctx, c, err, errlen)
					: tls_ctx_server(ctx, c, err, errlen);
	if (ret)
		goto destroy;
	*out = ctx;
	return 0;

destroy:
	net_tls_ctx_destroy(ctx);
	return ret;
}

static int tls_ctx_client(struct net_tls_ctx *ctx, const struct net_tls_conf *c,
			  char *err, size_t errlen)
{
	WOLFSSL_CTX *w = ctx->wctx;

	/* Verification is not optional for a client; the callback that records
	 * why it failed is set per connection. */
	wolfSSL_CTX_set_verify(w, WOLFSSL_VERIFY_PEER, NULL);
	if (c->ca_file) {
		if (wolfSSL_CTX_load_verify_locations(w, c->ca_file, NULL) != WOLFSSL_SUCCESS)
			return tls_errf(err, errlen, tls_file_err(c->ca_file),
					"tls: cannot load CA file '%s'", c->ca_file);
	} else if (wolfSSL_CTX_load_system_CA_certs(w) != WOLFSSL_SUCCESS) {
		return tls_errf(err, errlen, -ENOENT,
				"tls: cannot load the system CA certificates");
	}
	if (ctx->no_resume) {
		wolfSSL_CTX_set_session_cache_mode(w, WOLFSSL_SESS_CACHE_OFF);
		return 0;
	}
	if (wolfSSL_CTX_UseSessionTicket(w) != WOLFSSL_SUCCESS)
		return tls_errf(err, errlen, -EINVAL, "tls: cannot enable session tickets");
	/* Sessions live in our cache only; wolfSSL's global one stays out. */
	wolfSSL_CTX_set_session_cache_mode(w, WOLFSSL_SESS_CACHE_CLIENT |
					   WOLFSSL_SESS_CACHE_NO_INTERNAL_STORE);
	wolfSSL_CTX_sess_set_new_cb(w, tls_new_session);
	return 0;
}

/* One direction of the self-test's in-memory connection. */
struct tls_loop {
	uint8_t buf[1 << 16];
	size_t len, off;
};

static int tls_loop_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_loop *l = arg;
	size_t n = l->len - l->off;

	(void)ssl;
	if (!n)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (n > (size_t)sz)
		n = (size_t)sz;
	memcpy(buf, l->buf + l->off, n);
	l->off += n;
	return (int)n;
}

static int tls_loop_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct tls_loop *l = arg;

	(void)ssl;
	if ((size_t)sz > sizeof(l->buf) - l->len)
		return WOLFSSL_CBIO_ERR_GENERAL;
	memcpy(l->buf + l->len, buf, (size_t)sz);
	l->len += (size_t)sz;
	return sz;
}

/*
 * A handshake between the server context w and a throwaway client that
 * checks no chain, only the server's proof that it holds the key
 * (CertificateVerify in TLS 1.3). 0 when it completes, else -EBADMSG.
 */
static int tls_selftest(WOLFSSL_CTX *w)
{
	struct tls_loop *c2s = calloc(2, sizeof(*c2s)), *s2c = c2s + 1;
	WOLFSSL_METHOD *method = wolfSSLv23_client_method();
	WOLFSSL_CTX *cw = method ? wolfSSL_CTX_new(method) : NULL;
	WOLFSSL *c = NULL, *s = NULL;
	int ret = -EBADMSG, cdone = 0, sdone = 0;

	if (!c2s || !cw)
		goto free_objs;
	wolfSSL_CTX_set_verify(cw, WOLFSSL_VERIFY_NONE, NULL);
	c = wolfSSL_new(cw);
	s = wolfSSL_new(w);
	if (!c || !s)
		goto free_objs;
	wolfSSL_SSLSetIORecv(c, tls_loop_recv);
	wolfSSL_SSLSetIOSend(c, tls_loop_send);
	wolfSSL_SSLSetIORecv(s, tls_loop_recv);
	wolfSSL_SSLSetIOSend(s, tls_loop_send);
	wolfSSL_SetIOReadCtx(c, s2c);
	wolfSSL_SetIOWriteCtx(c, c2s);
	wolfSSL_SetIOReadCtx(s, c2s);
	wolfSSL_SetIOWriteCtx(s, s2c);
	for (int round = 0; round < 8 && !(cdone && sdone); round++) {
		if (!cdone) {
			int r = wolfSSL_connect(c);

			cdone = r == WOLFSSL_SUCCESS;
			if (!cdone && wolfSSL_get_error(c, r) != WOLFSSL_ERROR_WANT_READ)
				goto free_objs;
		}
		if (!sdone) {
			int r = wolfSSL_accept(s);

			sdone = r == WOLFSSL_SUCCESS;
			if (!sdone && wolfSSL_get_error(s, r) != WOLFSSL_ERROR_WANT_READ)
				goto free_objs;
		}
	}
	if (cdone && sdone)
		ret = 0;
free_objs:
	wolfSSL_free(c);
	wolfSSL_free(s);
	wolfSSL_CTX_free(cw);
	free(c2s);
	return ret;
}

static int tls_ctx_server(struct net_tls_ctx *ctx, const struct net_tls_conf *c,
			  char *err, size_t errlen)
{
	WOLFSSL_CTX *w = ctx->wctx;

	if (wolfSSL_CTX_use_certificate_chain_file(w, c->cert_file) != WOLFSSL_SUCCESS)
		return tls_errf(err, errlen, tls_file_err(c->cert_file),
				"tls: cannot load certificate chain '%s'", c->cert_file);
	if (wolfSSL_CTX_use_PrivateKey_file(w, c->key_file, WOLFSSL_FILETYPE_PEM)
	    != WOLFSSL_SUCCESS)
		return tls_errf(err, errlen, tls_file_err(c->key_file),
				"tls: cannot load private key '%s'", c->key_file);
	/* wolfSSL_CTX_check_private_key passes any EC key in this build: prove
	 * the pair with a handshake instead */
	if (wolfSSL_CTX_check_private_key(w) != WOLFSSL_SUCCESS || tls_selftest(w))
		return tls_errf(err, errlen, -EBADMSG,
				"tls: private key '%s' does not match '%s'",
				c->key_file, c->cert_file);
	wolfSSL_CTX_set_verify(w, WOLFSSL_VERIFY_NONE, NULL);
	/* Our order, ChaCha20 first, whatever a client with AES-NI prefers. */
	wolfSSL_CTX_set_options(w, WOLFSSL_OP_CIPHER_SERVER_PREFERENCE);
	if (ctx->no_resume) {
		wolfSSL_CTX_NoTicketTLSv12(w);
		wolfSSL_CTX_no_ticket_TLSv13(w);
		wolfSSL_CTX_set_session_cache_mode(w, WOLFSSL_SESS_CACHE_OFF);
	}
	return 0;
}

void net_tls_ctx_destroy(struct net_tls_ctx *ctx)
{
	if (!ctx)
		return;
	for (uint32_t i = 0; i < ctx->nslots; i++)
		if (ctx->slots[i].sess)
			wolfSSL_SESSION_free(ctx->slots[i].sess);
	if (ctx->wctx)
		wolfSSL_CTX_free(ctx->wctx);
	if (ctx->wolf_inited)
		wolfSSL_Cleanup(); /* wolfSSL counts Init and Cleanup calls */
	free(ctx);
}

/* ---- resumption cache ------------------------------------------------ */

static struct net_tls_cache_ent *tls_cache_find(struct net_tls_ctx *ctx,
						const char *host, uint16_t port)
{
	for (uint32_t i = 0; i < ctx->nslots; i++) {
		struct net_tls_cache_ent *e = &ctx->slots[i];

		if (e->sess && e->port == port && !strcmp(e->host, host))
			return e;
	}
	return NULL;
}

WOLFSSL_SESSION *net_tls_cache_get(struct net_tls_ctx *ctx, const char *host,
				   uint16_t port)
{
	struct net_tls_cache_ent *e = tls_cache_find(ctx, host, port);

	if (!e)
		return NULL;
	e->stamp = ++ctx->clock;
	return e->sess;
}

void net_tls_cache_forget(struct net_tls_ctx *ctx, const char *host, uint16_t port)
{
	struct net_tls_cache_ent *e = tls_cache_find(ctx, host, port);

	if (!e)
		return;
	wolfSSL_SESSION_free(e->sess);
	e->sess = NULL;
}

uint32_t net_tls_cache_count(const struct net_tls_ctx *ctx)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < ctx->nslots; i++)
		n += ctx->slots[i].sess != NULL;
	return n;
}

/*
 * wolfSSL calls this when a connection has a resumable session: at the end
 * of a TLS 1.2 handshake, and for every TLS 1.3 NewSessionTicket, which
 * comes after the handshake. Returning 1 keeps the reference it handed us.
 * Only verified handshakes get here: a failed verification aborts first.
 */
static int tls_new_session(WOLFSSL *ssl, WOLFSSL_SESSION *sess)
{
	struct net_tls_sess *s = wolfSSL_GetIOReadCtx(ssl);
	struct net_tls_cache_ent *e, *victim = NULL;
	struct net_tls_ctx *ctx;

	if (!s || !s->ctx || !s->host[0] || !wolfSSL_SESSION_is_resumable(sess))
		return 0;
	ctx = s->ctx;
	e = tls_cache_find(ctx, s->host, s->port);
	if (!e) {
		for (uint32_t i = 0; i < ctx->nslots; i++) {
			struct net_tls_cache_ent *c = &ctx->slots[i];

			if (!c->sess) {
				victim = c;
				break;
			}
			if (!victim || c->stamp < victim->stamp)
				victim = c;
		}
		if (!victim)
			return 0;
		e = victim;
		if (e->sess)
			wolfSSL_SESSION_free(e->sess);
		e->sess = NULL;
		e->port = s->port;
		memcpy(e->host, s->host, sizeof(e->host));
	} else if (e->sess != sess) {
		wolfSSL_SESSION_free(e->sess);
	} else {
		/* the same object again (a second ticket on one connection):
		 * we already hold a reference, drop the new one */
		e->stamp = ++ctx->clock;
		return 0;
	}
	e->sess = sess;
	e->stamp = ++ctx->clock;
	return 1;
}
