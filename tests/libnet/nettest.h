/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libnet tests: loopback addresses and TLS contexts
 * for the test certificates (certs.h).
 */
#ifndef KIMP_TEST_NETTEST_H
#define KIMP_TEST_NETTEST_H

#include <netinet/in.h>
#include "kimp/tls.h"
#include "certs.h"

static inline struct sockaddr_in test_lo(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return a;
}

/* A client context trusting the test CA; free with net_tls_ctx_destroy. */
static inline struct net_tls_ctx *certs_tls_client(const struct certs *c)
{
	struct net_tls_conf conf = { .role = NET_TLS_CLIENT, .ca_file = c->ca };
	struct net_tls_ctx *ctx;
	char err[256];

	cr_assert_eq(net_tls_ctx_create(&conf, &ctx, err, sizeof(err)), 0, "%s", err);
	return ctx;
}

/* A server context with the test certificate for localhost. */
static inline struct net_tls_ctx *certs_tls_server(const struct certs *c)
{
	struct net_tls_conf conf = { .role = NET_TLS_SERVER, .cert_file = c->cert,
				     .key_file = c->key };
	struct net_tls_ctx *ctx;
	char err[256];

	cr_assert_eq(net_tls_ctx_create(&conf, &ctx, err, sizeof(err)), 0, "%s", err);
	return ctx;
}

#endif
