/* SPDX-License-Identifier: MIT */
/*
 * Test certificates, made at test time with the openssl CLI in a temp
 * directory: a CA and a server certificate for localhost / 127.0.0.1.
 */
#ifndef KIMP_TEST_CERTS_H
#define KIMP_TEST_CERTS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct certs {
	char dir[64];
	char ca[96], cert[96], key[96];
};

static inline void certs_make(struct certs *c)
{
	char cmd[1024];

	if (access("/usr/bin/openssl", X_OK))
		cr_skip_test("no /usr/bin/openssl");
	snprintf(c->dir, sizeof(c->dir), "/tmp/kimp-certs-XXXXXX");
	cr_assert_not_null(mkdtemp(c->dir));
	snprintf(c->ca, sizeof(c->ca), "%s/ca.pem", c->dir);
	snprintf(c->cert, sizeof(c->cert), "%s/server.pem", c->dir);
	snprintf(c->key, sizeof(c->key), "%s/server.key", c->dir);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 " -keyout ca.key -out ca.pem -days 2 -subj /CN=kimp-test-ca 2>/dev/null && "
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 " -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null && "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext && "
		 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 " -days 2 -extfile ext -out server.pem 2>/dev/null",
		 c->dir);
	cr_assert_eq(system(cmd), 0, "openssl made the test certificates");
}

static inline void certs_free(struct certs *c)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	cr_expect_eq(system(cmd), 0);
}

#endif
