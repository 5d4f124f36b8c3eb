/* SPDX-License-Identifier: MIT */
/*
 * An I/O-agnostic TLS engine over wolfSSL.
 *
 * The engine never touches a socket. The network layer hands it the
 * ciphertext that arrived (net_tls_feed) and takes the ciphertext it must
 * send through the ops->send callback, called synchronously from inside
 * feed, write, connect and shutdown. Plaintext comes out either through the
 * ops->plain callback (push mode, also called from inside feed) or, when that
 * callback is NULL, into a caller buffer with net_tls_read (pull mode).
 *
 * A context (struct net_tls_ctx) is made once at startup for one role,
 * client or server; a session (struct net_tls_sess) is one connection and
 * lives in caller storage, so it can sit inside the caller's connection
 * struct. Sessions are reused: net_tls_sess_reset returns one to IDLE.
 *
 * Defaults: TLS 1.3 preferred, 1.2 allowed (conf.min_version); suites in the
 * order of NET_TLS_DEFAULT_CIPHERS, ChaCha20-Poly1305 first (this wolfSSL
 * build has no AES-NI), the server picking by its own order; key shares
 * X25519, then P-256, then P-384; session tickets on both sides. A client
 * always verifies the server: against conf.ca_file, or the system CA store
 * when that is NULL, and the certificate must name the host given to
 * net_tls_connect (a DNS name, or an IP address literal, which is checked
 * against the IP SANs and sent without SNI).
 *
 * Resumption (client): the context keeps the latest resumable session per
 * host:port in a small fixed cache, filled from wolfSSL's new-session
 * callback (TLS 1.3 tickets arrive after the handshake, so they are caught
 * whenever they come), and net_tls_connect offers it on the next connect to
 * the same host:port. net_tls_resumed says whether the handshake resumed.
 *
 * Errors: functions that act return 0 (or a byte count) or -errno. Would-block
 * is -EAGAIN, a status. Any other error leaves the session sticky-failed:
 * every later call returns the same code until net_tls_sess_reset. The codes:
 *
 *   -EKEYREJECTED   the peer's certificate is not trusted or names another
 *                   host
 *   -EKEYEXPIRED    the peer's certificate has expired or is not yet valid
 *   -ECONNABORTED   the peer sent a fatal alert (this is also how a peer
 *                   that refuses our version or suites usually says so)
 *   -EPROTONOSUPPORT no cipher suite in common with the peer
 *   -EPROTO         malformed, undecryptable or unexpected records
 *   -ECONNRESET     the peer closed (close_notify) during the handshake
 *   -ENOMEM         out of memory inside wolfSSL
 *   (the callback's own code) ops->send or ops->plain failed
 *
 * and net_tls_reason says it in words ("certificate verify failed: expired").
 *
 * Threads: a context and all of its sessions belong to one thread, as one
 * io_uring belongs to one thread (the resumption cache is not locked, and
 * this wolfSSL build has no HAVE_WRITE_DUP).
 *
 * Allocation: the engine allocates nothing after net_tls_ctx_create, and
 * wolfSSL allocates its connection state in net_tls_connect/net_tls_accept
 * (the reconnect path). This wolfSSL build also allocates and frees one I/O
 * buffer per record each way (it has no LARGE_STATIC_BUFFERS or
 * WOLFSSL_STATIC_MEMORY); the first context installs size-class free lists
 * as wolfSSL's allocator (tls_pool.c), so in steady state those buffers are
 * reused and no system allocation happens. The tls suite measures both.
 */
#ifndef KIMP_TLS_H
#define KIMP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kimp/compiler.h"

#define NET_TLS_V1_2 0x0303 /* protocol versions as on the wire */
#define NET_TLS_V1_3 0x0304

/* The most plaintext one record carries; a buffer this big (plus a little
 * for record overhead in pull mode) never splits a record. */
#define NET_TLS_RECORD_MAX 16384
#define NET_TLS_BUF_SIZE   (NET_TLS_RECORD_MAX + 512)

#define NET_TLS_HOST_MAX   253 /* a DNS name, without the NUL */
#define NET_TLS_ALPN_MAX   32  /* the negotiated protocol, with the NUL */
#define NET_TLS_REASON_MAX 160
#define NET_TLS_CACHE_DEFAULT 16

/*
 * Suite preference. wolfSSL's names; the IANA names
 * (TLS_CHACHA20_POLY1305_SHA256, ...) are accepted too, and unknown names are
 * ignored. Keep a TLS 1.3 suite in any list of your own: a wolfSSL client
 * given only 1.2 suites still offers TLS 1.3, and a wolfSSL server then fails
 * the handshake with a record version error.
 */
#define NET_TLS_DEFAULT_CIPHERS                                               \
	"TLS13-CHACHA20-POLY1305-SHA256:TLS13-AES128-GCM-SHA256:"             \
	"TLS13-AES256-GCM-SHA384:"                                            \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"          \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"          \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"

enum net_tls_role {
	NET_TLS_CLIENT = 1,
	NET_TLS_SERVER = 2,
};

struct net_tls_conf {
	enum net_tls_role role;
	uint16_t min_version;   /* NET_TLS_V1_2 (also when 0) or NET_TLS_V1_3 */
	const char *ca_file;    /* client: PEM trust anchors; NULL: system store */
	const char *cert_file;  /* server: PEM chain, leaf first */
	const char *key_file;   /* server: PEM private key */
	const char *alpn;       /* comma-separated protocols ("http/1.1") or NULL */
	const char *ciphers;    /* NULL: NET_TLS_DEFAULT_CIPHERS */
	uint32_t cache_slots;   /* client: hosts remembered; 0: the default */
	bool no_resume;         /* offer, keep and issue no session tickets */
};

struct net_tls_ctx;

/*
 * Make a context. 0 and *out (free with net_tls_ctx_destroy), or -errno with
 * a message in err: -EINVAL for a bad conf, -ENOENT or -EACCES for a file
 * that cannot be read, -EBADMSG for a file wolfSSL rejects (the message
 * names it), -ENOMEM.
 */
int net_tls_ctx_create(const struct net_tls_conf *conf, struct net_tls_ctx **out,
		       char *err, size_t errlen) kimp_cold;
/* Free the context and its cache. Reset its sessions first. NULL is fine. */
void net_tls_ctx_destroy(struct net_tls_ctx *ctx) kimp_cold;
/* Hosts with a resumable session in the cache (tests, metrics). */
uint32_t net_tls_cache_count(const struct net_tls_ctx *ctx) kimp_cold;
/* Drop host:port's cached session (e.g. after the peer rotated its keys). */
void net_tls_cache_forget(struct net_tls_ctx *ctx, const char *host,
			  uint16_t port) kimp_cold;

/*
 * The callbacks run inside the engine's calls. They may call net_tls_write
 * and net_tls_shutdown on their own session, never net_tls_sess_reset (return
 * an error instead, and reset after the call returns).
 */
struct net_tls_ops {
	/*
	 * Ciphertext to send, in order. Copy or queue all len bytes before
	 * returning: buf is valid only during the call. Return 0, or -errno to
	 * fail the session with that code. Required.
	 */
	int (*send)(void *user, const void *buf, size_t len);
	/*
	 * Plaintext that arrived, in order, at most one record per call; buf is
	 * valid only during the call. Return 0, or -errno to fail the session.
	 * NULL selects pull mode: net_tls_read.
	 */
	int (*plain)(void *user, const void *buf, size_t len);
};

enum net_tls_state {
	NET_TLS_IDLE = 0,      /* no connection: after init or reset */
	NET_TLS_HANDSHAKE = 1,
	NET_TLS_OPEN = 2,      /* handshake done: data flows both ways */
	NET_TLS_CLOSED = 3,    /* the peer's close_notify arrived */
	NET_TLS_FAILED = 4,    /* sticky: see net_tls_error, net_tls_reason */
};

struct net_tls_stats {
	uint64_t in;         /* ciphertext bytes taken by feed */
	uint64_t out;        /* ciphertext bytes given to ops->send */
	uint64_t hs_in;      /* ... of those, during the handshake */
	uint64_t hs_out;
	uint32_t peer_certs; /* peer certificates wolfSSL checked (0 if resumed) */
};

/*
 * One connection. Lives in caller storage; every field is private to
 * tls.c, read it through the functions below.
 */
struct net_tls_sess {
	struct net_tls_ctx *ctx;
	struct WOLFSSL *ssl;          /* owned; NULL while IDLE */
	struct net_tls_ops ops;
	void *user;
	/* ciphertext being fed: the caller's buffer, only during feed */
	const uint8_t *in;
	size_t in_len, in_off;
	/* caller storage: plaintext scratch (push) or ciphertext stage (pull) */
	uint8_t *buf;
	uint32_t buf_cap;
	uint32_t stage_off, stage_len; /* pull mode: unread staged bytes */
	uint8_t state;                 /* enum net_tls_state */
	bool resumed, verified, sent_close;
	int err;                       /* sticky -errno once FAILED */
	int cb_err;                    /* what ops->send or ops->plain returned */
	int wolf_err;                  /* wolfSSL's code behind err */
	int verify_err;                /* X509_V_ERR_* from the verify callback */
	uint16_t port;
	struct net_tls_stats st;
	char host[NET_TLS_HOST_MAX + 1];
	char alpn[NET_TLS_ALPN_MAX];
	char reason[NET_TLS_REASON_MAX];
};

/*
 * Bind a session to a context, callbacks and caller storage 'buf' of
 * 'buf_cap' bytes (NET_TLS_BUF_SIZE recommended; it must outlive the
 * session): in push mode the plaintext scratch wolfSSL decrypts into, in pull
 * mode the stage that holds ciphertext fed but not yet read. Allocates
 * nothing. 0 or -EINVAL.
 */
int net_tls_sess_init(struct net_tls_sess *s, struct net_tls_ctx *ctx,
		      const struct net_tls_ops *ops, void *user, void *buf,
		      size_t buf_cap) kimp_cold;
/* Free the connection (no close_notify: call net_tls_shutdown first for a
 * clean close) and return to IDLE, keeping ctx, ops and storage. */
void net_tls_sess_reset(struct net_tls_sess *s) kimp_cold;

#define NET_TLS_NO_RESUME 0x1u /* connect: do not offer a cached session */

/*
 * Client: start a handshake with host (a DNS name for SNI and verification,
 * or an IP literal) on port (the cache key). Emits the ClientHello through
 * ops->send. The session must be IDLE. 0 or -errno; -EINVAL for a bad host,
 * -EISCONN when not IDLE, -EOPNOTSUPP on a server context.
 */
int net_tls_connect(struct net_tls_sess *s, const char *host, uint16_t port,
		    unsigned flags) kimp_cold;
/* Server: wait for a ClientHello (emits nothing yet). 0 or -errno. */
int net_tls_accept(struct net_tls_sess *s) kimp_cold;

/*
 * Hand over len bytes of ciphertext that arrived. Advances the handshake,
 * sends what it answers through ops->send and, in push mode, decrypts and
 * delivers all the plaintext through ops->plain before returning. Returns
 * the bytes taken: all of them, except in pull mode when the stage is full
 * (read, then feed the rest). Bytes after the peer's close_notify are
 * dropped. -ENOTCONN when IDLE, or a sticky error.
 */
ssize_t net_tls_feed(struct net_tls_sess *s, const void *buf, size_t len);

/*
 * Pull mode: up to cap bytes of plaintext into buf. Returns the byte count,
 * -EAGAIN when more ciphertext is needed, 0 once the peer's close_notify has
 * arrived, or a sticky error.
 */
ssize_t net_tls_read(struct net_tls_sess *s, void *buf, size_t cap);

/*
 * Encrypt len bytes and send them through ops->send (in records of at most
 * NET_TLS_RECORD_MAX). 0, -ENOTCONN before the handshake is done, -EPIPE after
 * either side closed, or a sticky error.
 */
int net_tls_write(struct net_tls_sess *s, const void *buf, size_t len);

/* Send close_notify. 0, -ENOTCONN when there is nothing to close, or a
 * sticky error. The session stays readable until the peer's close_notify. */
int net_tls_shutdown(struct net_tls_sess *s) kimp_cold;

static inline enum net_tls_state net_tls_state(const struct net_tls_sess *s)
{
	return (enum net_tls_state)s->state;
}

static inline bool net_tls_handshake_done(const struct net_tls_sess *s)
{
	return s->state == NET_TLS_OPEN || s->state == NET_TLS_CLOSED;
}

/* The handshake resumed a session (no certificate exchange). */
static inline bool net_tls_resumed(const struct net_tls_sess *s)
{
	return s->resumed;
}

/*
 * The peer's identity was checked: a client's handshake verified the
 * server's chain and name, or resumed a session that had (the cache only
 * holds sessions from verified handshakes to the same host:port). Always
 * false on a server (no client certificates).
 */
static inline bool net_tls_peer_verified(const struct net_tls_sess *s)
{
	return s->verified;
}

/* 0 or the sticky -errno of a FAILED session. */
static inline int net_tls_error(const struct net_tls_sess *s)
{
	return s->err;
}

/* The negotiated version (NET_TLS_V1_3, ...), 0 before the handshake. */
uint16_t net_tls_version(const struct net_tls_sess *s) kimp_cold;
/* The negotiated suite, IANA name ("TLS_CHACHA20_POLY1305_SHA256"), or "".
 * Static string owned by wolfSSL. */
const char *net_tls_cipher(const struct net_tls_sess *s) kimp_cold;
/* The group of the key exchange ("X25519"), or "". Owned by wolfSSL, valid
 * until reset. */
const char *net_tls_group(const struct net_tls_sess *s) kimp_cold;
/* The ALPN protocol agreed, or "" (none). Owned by the session. */
const char *net_tls_alpn(const struct net_tls_sess *s) kimp_cold;
/* Why the session failed, "" if it has not. Owned by the session, valid
 * until reset. */
const char *net_tls_reason(const struct net_tls_sess *s) kimp_cold;
/* Byte counters since connect/accept. */
void net_tls_stats(const struct net_tls_sess *s, struct net_tls_stats *out) kimp_cold;

/*
 * wolfSSL's allocator: per-thread size-class free lists. Installed by the
 * first net_tls_ctx_create over wolfSSL's default allocator only (and not
 * under sanitizers). Counters: blocks taken from malloc, blocks reused, and
 * blocks too large for a class.
 */
void net_tls_pool_install(void) kimp_cold;
void net_tls_pool_stats(uint64_t *grows, uint64_t *reuses, uint64_t *big) kimp_cold;

#endif
