/* SPDX-License-Identifier: MIT */
/*
 * The TLS session engine: wolfSSL driven through its custom I/O callbacks.
 *
 * Receive: net_tls_feed points the session at the caller's ciphertext and
 * calls wolfSSL, whose recv callback copies from there (from the pull-mode
 * stage first) and says WANT_READ when nothing is left. In push mode feed
 * keeps calling wolfSSL_read until then, so every byte is taken before it
 * returns and the caller's buffer can be recycled at once. In pull mode what
 * wolfSSL has not taken when feed returns is copied to the stage.
 *
 * Send: the send callback hands each record to ops->send and returns its
 * full size, so wolfSSL never sees WANT_WRITE.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "kimp/tls.h"
#include "tls_int.h"

static inline size_t tls_min(size_t a, size_t b)
{
	return a < b ? a : b;
}

static inline bool tls_is_client(const struct net_tls_sess *s)
{
	return s->ctx->role == NET_TLS_CLIENT;
}

/* ---- wolfSSL I/O callbacks ------------------------------------------- */

static int tls_io_recv(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct net_tls_sess *s = arg;
	size_t want = (size_t)sz, got = 0, n;

	(void)ssl;
	if (s->stage_len) {
		n = tls_min(want, s->stage_len);
		memcpy(buf, s->buf + s->stage_off, n);
		s->stage_off += (uint32_t)n;
		s->stage_len -= (uint32_t)n;
		if (!s->stage_len)
			s->stage_off = 0;
		got = n;
	}
	if (got < want && s->in_off < s->in_len) {
		n = tls_min(want - got, s->in_len - s->in_off);
		memcpy(buf + got, s->in + s->in_off, n);
		s->in_off += n;
		got += n;
	}
	if (!got)
		return WOLFSSL_CBIO_ERR_WANT_READ;
	if (s->state == NET_TLS_HANDSHAKE)
		s->st.hs_in += got;
	return (int)got;
}

static int tls_io_send(WOLFSSL *ssl, char *buf, int sz, void *arg)
{
	struct net_tls_sess *s = arg;
	int ret;

	(void)ssl;
	ret = s->ops.send(s->user, buf, (size_t)sz);
	if (kimp_unlikely(ret)) {
		s->cb_err = ret < 0 ? ret : -EIO;
		return WOLFSSL_CBIO_ERR_GENERAL;
	}
	s->st.out += (uint64_t)sz;
	if (s->state == NET_TLS_HANDSHAKE)
		s->st.hs_out += (uint64_t)sz;
	return sz;
}

/*
 * Verification outcome per certificate. wolfSSL decides (this build calls
 * the callback for good certificates too); we count the leaf checks and
 * keep the first X509 error for the reason string.
 */
static int tls_verify_cb(int ok, WOLFSSL_X509_STORE_CTX *store)
{
	WOLFSSL *ssl = wolfSSL_X509_STORE_CTX_get_ex_data(store,
				wolfSSL_get_ex_data_X509_STORE_CTX_idx());
	struct net_tls_sess *s = ssl ? wolfSSL_GetIOReadCtx(ssl) : NULL;

	if (s) {
		if (wolfSSL_X509_STORE_CTX_get_error_depth(store) == 0)
			s->st.peer_certs++;
		if (!ok && !s->verify_err)
			s->verify_err = wolfSSL_X509_STORE_CTX_get_error(store);
	}
	return ok;
}

/* ---- errors ---------------------------------------------------------- */

static int tls_errno(int werr)
{
	switch (werr) {
	case ASN_NO_SIGNER_E:
	case ASN_SIG_CONFIRM_E:
	case ASN_SELF_SIGNED_E:
	case DOMAIN_NAME_MISMATCH:
	case IPADDR_MISMATCH:
	case VERIFY_CERT_ERROR:
	case NO_PEER_CERT:
		return -EKEYREJECTED;
	case ASN_AFTER_DATE_E:
	case ASN_BEFORE_DATE_E:
		return -EKEYEXPIRED;
	case FATAL_ERROR:
		return -ECONNABORTED;
	case MATCH_SUITE_ERROR:
		return -EPROTONOSUPPORT;
	case MEMORY_E:
		return -ENOMEM;
	default:
		return -EPROTO;
	}
}

static void tls_format_reason(struct net_tls_sess *s)
{
	char *r = s->reason;
	size_t n = sizeof(s->reason);
	WOLFSSL_ALERT_HISTORY h;
	char text[WOLFSSL_MAX_ERROR_SZ];

	switch (s->wolf_err) {
	case 0:
		if (s->cb_err)
			snprintf(r, n, "callback failed: %s", strerror(-s->err));
		else if (s->err == -ECONNRESET)
			snprintf(r, n, "peer closed the connection during the handshake");
		else
			snprintf(r, n, "TLS I/O failed: %s", strerror(-s->err));
		return;
	case ASN_NO_SIGNER_E:
		snprintf(r, n, "certificate verify failed: unknown CA (no trusted signer)");
		return;
	case ASN_SIG_CONFIRM_E:
		snprintf(r, n, "certificate verify failed: bad signature");
		return;
	case ASN_SELF_SIGNED_E:
		snprintf(r, n, "certificate verify failed: self-signed");
		return;
	case ASN_AFTER_DATE_E:
		snprintf(r, n, "certificate verify failed: expired");
		return;
	case ASN_BEFORE_DATE_E:
		snprintf(r, n, "certificate verify failed: not yet valid");
		return;
	case DOMAIN_NAME_MISMATCH:
		snprintf(r, n, "host name mismatch: certificate does not name '%.64s'",
			 s->host);
		return;
	case IPADDR_MISMATCH:
		snprintf(r, n, "IP address mismatch: certificate does not name '%.64s'",
			 s->host);
		return;
	case NO_PEER_CERT:
		snprintf(r, n, "certificate verify failed: peer sent no certificate");
		return;
	case FATAL_ERROR:
		if (s->ssl && wolfSSL_get_alert_history(s->ssl, &h) == WOLFSSL_SUCCESS &&
		    h.last_rx.code >= 0) {
			snprintf(r, n, "peer sent fatal alert: %s (%d)",
				 wolfSSL_alert_desc_string_long(h.last_rx.code),
				 h.last_rx.code);
			return;
		}
		snprintf(r, n, "peer sent a fatal alert");
		return;
	case VERIFY_MAC_ERROR:
	case DECRYPT_ERROR:
		snprintf(r, n, "bad record: authentication failed (corrupted or forged)");
		return;
	case MATCH_SUITE_ERROR:
		snprintf(r, n, "no cipher suite in common with the peer");
		return;
	}
	wolfSSL_ERR_error_string_n((unsigned long)s->wolf_err, text, sizeof(text));
	switch (s->wolf_err) {
	case PARSE_ERROR:
	case LENGTH_ERROR:
	case BUFFER_ERROR:
	case UNKNOWN_RECORD_TYPE:
	case VERSION_ERROR:
	case OUT_OF_ORDER_E:
		snprintf(r, n, "malformed or unexpected record: %s (%d)", text, s->wolf_err);
		return;
	default:
		snprintf(r, n, "TLS error: %s (%d)", text, s->wolf_err);
		return;
	}
}

/* Make the session sticky-failed with err; werr is wolfSSL's code or 0. */
static kimp_cold int tls_fail(struct net_tls_sess *s, int err, int werr)
{
	s->state = NET_TLS_FAILED;
	s->err = err;
	s->wolf_err = werr;
	tls_format_reason(s);
	return err;
}

/*
 * After a wolfSSL call returned ret <= 0: -EAGAIN (wants ciphertext), 0
 * (the peer's close_notify: the session is now CLOSED), or the session
 * fails.
 */
static int tls_status(struct net_tls_sess *s, int ret)
{
	int e = wolfSSL_get_error(s->ssl, ret);

	if (kimp_likely(e == WOLFSSL_ERROR_WANT_READ))
		return -EAGAIN;
	if (s->cb_err)
		return tls_fail(s, s->cb_err, 0);
	if (e == WOLFSSL_ERROR_ZERO_RETURN) {
		if (s->state == NET_TLS_HANDSHAKE)
			return tls_fail(s, -ECONNRESET, 0);
		s->state = NET_TLS_CLOSED;
		return 0;
	}
	if (e == WOLFSSL_ERROR_WANT_WRITE || e == WOLFSSL_ERROR_SYSCALL)
		return tls_fail(s, -EIO, 0);
	return tls_fail(s, tls_errno(e), e);
}

/* ---- handshake ------------------------------------------------------- */

static kimp_cold void tls_opened(struct net_tls_sess *s)
{
	char *name = NULL;
	unsigned short len = 0;

	s->state = NET_TLS_OPEN;
	s->resumed = wolfSSL_session_reused(s->ssl) == 1;
	s->verified = tls_is_client(s) &&
		(s->resumed || wolfSSL_get_verify_result(s->ssl) == X509_V_OK);
	s->alpn[0] = 0;
	if (s->ctx->alpn_len &&
	    wolfSSL_ALPN_GetProtocol(s->ssl, &name, &len) == WOLFSSL_SUCCESS &&
	    name && len && len < sizeof(s->alpn)) {
		memcpy(s->alpn, name, len);
		s->alpn[len] = 0;
	}
}

/* One step of the handshake: 0 (done or waiting for ciphertext) or fail. */
static int tls_handshake(struct net_tls_sess *s)
{
	int ret = tls_is_client(s) ? wolfSSL_connect(s->ssl) : wolfSSL_accept(s->ssl);

	if (ret == WOLFSSL_SUCCESS) {
		tls_opened(s);
		return 0;
	}
	ret = tls_status(s, ret);
	return ret == -EAGAIN ? 0 : ret;
}

/* Push mode: decrypt and deliver until wolfSSL wants more ciphertext. */
static int tls_drain(struct net_tls_sess *s)
{
	int cap = s->buf_cap > INT_MAX ? INT_MAX : (int)s->buf_cap;

	for (;;) {
		int n = wolfSSL_read(s->ssl, s->buf, cap);
		int ret;

		if (kimp_unlikely(n <= 0)) {
			ret = tls_status(s, n);
			return ret == -EAGAIN ? 0 : ret;
		}
		ret = s->ops.plain(s->user, s->buf, (size_t)n);
		if (kimp_unlikely(ret)) {
			s->cb_err = ret < 0 ? ret : -EIO;
			return tls_fail(s, s->cb_err, 0);
		}
		if (kimp_unlikely(s->state != NET_TLS_OPEN))
			return s->err;
	}
}

/* Pull mode: keep what wolfSSL did not take. Returns the bytes kept. */
static size_t tls_stage(struct net_tls_sess *s, const uint8_t *p, size_t len)
{
	size_t room;

	if (s->stage_off && s->stage_off + s->stage_len + len > s->buf_cap) {
		memmove(s->buf, s->buf + s->stage_off, s->stage_len);
		s->stage_off = 0;
	}
	room = s->buf_cap - s->stage_off - s->stage_len;
	len = tls_min(len, room);
	memcpy(s->buf + s->stage_off + s->stage_len, p, len);
	s->stage_len += (uint32_t)len;
	return len;
}

ssize_t net_tls_feed(struct net_tls_sess *s, const void *buf, size_t len)
{
	size_t taken;
	int ret = 0;

	if (kimp_unlikely(s->state != NET_TLS_OPEN)) {
		if (s->state == NET_TLS_FAILED)
			return s->err;
		if (s->state == NET_TLS_IDLE)
			return -ENOTCONN;
		if (s->state == NET_TLS_CLOSED) {
			s->st.in += len;
			return (ssize_t)len;
		}
	}
	s->in = buf;
	s->in_len = len;
	s->in_off = 0;
	if (s->state == NET_TLS_HANDSHAKE)
		ret = tls_handshake(s);
	if (!ret && s->state == NET_TLS_OPEN && s->ops.plain)
		ret = tls_drain(s);
	taken = s->in_off;
	if (!ret && taken < len) {
		if (s->state == NET_TLS_CLOSED || s->ops.plain)
			taken = len; /* after close_notify: dropped */
		else
			taken += tls_stage(s, s->in + taken, len - taken);
	}
	s->in = NULL;
	s->in_len = s->in_off = 0;
	if (kimp_unlikely(ret))
		return ret;
	s->st.in += taken;
	return (ssize_t)taken;
}

ssize_t net_tls_read(struct net_tls_sess *s, void *buf, size_t cap)
{
	int n;

	if (kimp_unlikely(s->state != NET_TLS_OPEN)) {
		switch (s->state) {
		case NET_TLS_FAILED:
			return s->err;
		case NET_TLS_CLOSED:
			return 0;
		case NET_TLS_HANDSHAKE:
			return -EAGAIN;
		default:
			return -ENOTCONN;
		}
	}
	if (kimp_unlikely(s->ops.plain))
		return -EINVAL;
	if (!cap)
		return 0;
	n = wolfSSL_read(s->ssl, buf, cap > INT_MAX ? INT_MAX : (int)cap);
	if (kimp_likely(n > 0))
		return n;
	return tls_status(s, n);
}

int net_tls_write(struct net_tls_sess *s, const void *buf, size_t len)
{
	const char *p = buf;

	if (kimp_unlikely(s->state != NET_TLS_OPEN || s->sent_close)) {
		if (s->state == NET_TLS_FAILED)
			return s->err;
		if (s->state == NET_TLS_CLOSED || s->sent_close)
			return -EPIPE;
		return -ENOTCONN;
	}
	while (len) {
		int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
		int n = wolfSSL_write(s->ssl, p, chunk);

		if (kimp_unlikely(n <= 0)) {
			int ret = tls_status(s, n);

			/* the send callback never blocks: anything but a
			 * failure here is wolfSSL misbehaving */
			return s->state == NET_TLS_FAILED ? ret : tls_fail(s, -EIO, 0);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int net_tls_shutdown(struct net_tls_sess *s)
{
	int ret;

	if (s->state == NET_TLS_FAILED)
		return s->err;
	if (s->state != NET_TLS_OPEN && s->state != NET_TLS_CLOSED)
		return -ENOTCONN;
	if (s->sent_close)
		return 0;
	s->sent_close = true;
	ret = wolfSSL_shutdown(s->ssl);
	if (ret == WOLFSSL_SUCCESS || ret == WOLFSSL_SHUTDOWN_NOT_DONE)
		return 0;
	ret = tls_status(s, ret);
	return ret == -EAGAIN ? 0 : ret;
}

/* ---- setup ----------------------------------------------------------- */

int net_tls_sess_init(struct net_tls_sess *s, struct net_tls_ctx *ctx,
		      const struct net_tls_ops *ops, void *user, void *buf,
		      size_t buf_cap)
{
	memset(s, 0, sizeof(*s));
	if (!ctx || !ops || !ops->send || !buf || !buf_cap || buf_cap > UINT32_MAX)
		return -EINVAL;
	s->ctx = ctx;
	s->ops = *ops;
	s->user = user;
	s->buf = buf;
	s->buf_cap = (uint32_t)buf_cap;
	return 0;
}

void net_tls_sess_reset(struct net_tls_sess *s)
{
	struct net_tls_ctx *ctx = s->ctx;
	struct net_tls_ops ops = s->ops;
	void *user = s->user;
	uint8_t *buf = s->buf;
	uint32_t cap = s->buf_cap;

	if (s->ssl)
		wolfSSL_free(s->ssl);
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->ops = ops;
	s->user = user;
	s->buf = buf;
	s->buf_cap = cap;
}

/* A fresh WOLFSSL wired to this session. 0 or -ENOMEM. */
static int tls_new_ssl(struct net_tls_sess *s)
{
	WOLFSSL *ssl = wolfSSL_new(s->ctx->wctx);

	if (!ssl)
		return -ENOMEM;
	wolfSSL_SSLSetIORecv(ssl, tls_io_recv);
	wolfSSL_SSLSetIOSend(ssl, tls_io_send);
	wolfSSL_SetIOReadCtx(ssl, s);
	wolfSSL_SetIOWriteCtx(ssl, s);
	s->ssl = ssl;
	return 0;
}

/* Offer the ALPN list of the context. 0 or -ENOMEM. */
static int tls_use_alpn(struct net_tls_sess *s)
{
	char list[NET_TLS_ALPN_LIST_MAX];

	if (!s->ctx->alpn_len)
		return 0;
	memcpy(list, s->ctx->alpn, s->ctx->alpn_len);
	list[s->ctx->alpn_len] = 0;
	if (wolfSSL_UseALPN(s->ssl, list, s->ctx->alpn_len,
			    WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) != WOLFSSL_SUCCESS)
		return -ENOMEM;
	return 0;
}

static bool tls_is_ip(const char *host)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

int net_tls_connect(struct net_tls_sess *s, const char *host, uint16_t port,
		    unsigned flags)
{
	WOLFSSL_SESSION *cached;
	size_t len = host ? strlen(host) : 0;
	int ret;

	if (!s->ctx)
		return -EINVAL;
	if (s->state != NET_TLS_IDLE)
		return -EISCONN;
	if (!tls_is_client(s))
		return -EOPNOTSUPP;
	if (!len || len > NET_TLS_HOST_MAX)
		return -EINVAL;
	ret = tls_new_ssl(s);
	if (ret)
		return ret;
	memcpy(s->host, host, len + 1);
	s->port = port;

	ret = -ENOMEM;
	/* SNI carries DNS names only (RFC 6066 section 3); an IP literal is
	 * still checked against the certificate's IP SANs. */
	if (!tls_is_ip(host) &&
	    wolfSSL_UseSNI(s->ssl, WOLFSSL_SNI_HOST_NAME, host, (unsigned short)len)
	    != WOLFSSL_SUCCESS)
		goto undo_ssl;
	if (wolfSSL_check_domain_name(s->ssl, host) != WOLFSSL_SUCCESS)
		goto undo_ssl;
	wolfSSL_set_verify(s->ssl, WOLFSSL_VERIFY_PEER, tls_verify_cb);
	if (tls_use_alpn(s))
		goto undo_ssl;
	if (!(flags & NET_TLS_NO_RESUME) && !s->ctx->no_resume) {
		cached = net_tls_cache_get(s->ctx, host, port);
		/* an expired session is refused: forget it, do a full handshake */
		if (cached && wolfSSL_set_session(s->ssl, cached) != WOLFSSL_SUCCESS)
			net_tls_cache_forget(s->ctx, host, port);
	}
	s->state = NET_TLS_HANDSHAKE;
	return tls_handshake(s); /* sends the ClientHello */

undo_ssl:
	net_tls_sess_reset(s);
	return ret;
}

int net_tls_accept(struct net_tls_sess *s)
{
	int ret;

	if (!s->ctx)
		return -EINVAL;
	if (s->state != NET_TLS_IDLE)
		return -EISCONN;
	if (tls_is_client(s))
		return -EOPNOTSUPP;
	ret = tls_new_ssl(s);
	if (ret)
		return ret;
	ret = tls_use_alpn(s);
	if (ret) {
		net_tls_sess_reset(s);
		return ret;
	}
	s->state = NET_TLS_HANDSHAKE;
	return 0;
}

/* ---- queries --------------------------------------------------------- */

uint16_t net_tls_version(const struct net_tls_sess *s)
{
	if (!s->ssl || !net_tls_handshake_done(s))
		return 0;
	return (uint16_t)wolfSSL_version(s->ssl);
}

const char *net_tls_cipher(const struct net_tls_sess *s)
{
	const char *name;
	int suite;

	if (!s->ssl || !net_tls_handshake_done(s))
		return "";
	suite = wolfSSL_get_current_cipher_suite(s->ssl);
	if (suite < 0)
		return "";
	name = wolfSSL_get_cipher_name_iana_from_suite((unsigned char)(suite >> 8),
						       (unsigned char)suite);
	return name ? name : "";
}

const char *net_tls_group(const struct net_tls_sess *s)
{
	const char *name;

	if (!s->ssl || !net_tls_handshake_done(s))
		return "";
	name = wolfSSL_get_curve_name(s->ssl);
	return name ? name : "";
}

const char *net_tls_alpn(const struct net_tls_sess *s)
{
	return s->alpn;
}

const char *net_tls_reason(const struct net_tls_sess *s)
{
	return s->reason;
}

void net_tls_stats(const struct net_tls_sess *s, struct net_tls_stats *out)
{
	*out = s->st;
}
