/* SPDX-License-Identifier: MIT */
/*
 * Bench certificates, made at start with the openssl CLI in a temp
 * directory (as tests/libnet/certs.h does): a CA and a P-256 server
 * certificate for localhost / 127.0.0.1, valid two days.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "net_bench.h"

int nb_certs_make(struct nb_certs *c)
{
	char cmd[1024];

	if (access("/usr/bin/openssl", X_OK)) {
		fprintf(stderr, "net_bench: no /usr/bin/openssl to make the test certificates\n");
		return -ENOENT;
	}
	snprintf(c->dir, sizeof(c->dir), "/tmp/kimp-netbench-XXXXXX");
	if (!mkdtemp(c->dir)) {
		c->dir[0] = 0;
		return -errno;
	}
	snprintf(c->ca, sizeof(c->ca), "%s/ca.pem", c->dir);
	snprintf(c->cert, sizeof(c->cert), "%s/server.pem", c->dir);
	snprintf(c->key, sizeof(c->key), "%s/server.key", c->dir);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 " -keyout ca.key -out ca.pem -days 2 -subj /CN=kimp-bench-ca 2>/dev/null && "
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 " -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null && "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext && "
		 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
		 " -days 2 -extfile ext -out server.pem 2>/dev/null",
		 c->dir);
	if (system(cmd)) {
		fprintf(stderr, "net_bench: openssl could not make the test certificates\n");
		nb_certs_free(c);
		return -EIO;
	}
	return 0;
}

void nb_certs_free(struct nb_certs *c)
{
	char cmd[128];

	if (!c->dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	if (system(cmd))
		fprintf(stderr, "net_bench: could not remove %s\n", c->dir);
	c->dir[0] = 0;
}
