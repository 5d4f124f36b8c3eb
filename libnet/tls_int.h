/* SPDX-License-Identifier: MIT */
/*
 * Private to libnet/tls*.c: the context and its resumption cache.
 * Include <wolfssl/options.h> before this header.
 */
#ifndef KIMP_LIBNET_TLS_INT_H
#define KIMP_LIBNET_TLS_INT_H

#include <wolfssl/ssl.h>
#include "kimp/tls.h"

#define NET_TLS_ALPN_LIST_MAX 128

/* One host:port and the latest resumable session it gave us. */
struct net_tls_cache_ent {
	WOLFSSL_SESSION *sess; /* owned reference; NULL: free slot */
	uint64_t stamp;        /* last stored or used: the oldest is evicted */
	uint16_t port;
	char host[NET_TLS_HOST_MAX + 1];
};

struct net_tls_ctx {
	WOLFSSL_CTX *wctx;
	enum net_tls_role role;
	bool no_resume;
	bool wolf_inited;                 /* owes a wolfSSL_Cleanup */
	uint16_t alpn_len;
	char alpn[NET_TLS_ALPN_LIST_MAX]; /* comma-separated, as wolfSSL takes it */
	uint64_t clock;                   /* cache stamps */
	uint32_t nslots;
	struct net_tls_cache_ent slots[];
};

/* The cached session for host:port or NULL; still owned by the cache. */
WOLFSSL_SESSION *net_tls_cache_get(struct net_tls_ctx *ctx, const char *host,
				   uint16_t port) kimp_cold;

#endif
