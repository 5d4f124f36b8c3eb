/* SPDX-License-Identifier: MIT */
/*
 * exsim's certificates, made with wolfSSL's certificate generation: a CA
 * (P-256, CA:TRUE, keyCertSign) and a server certificate for localhost
 * (P-256, SAN DNS:localhost and IP:127.0.0.1, serverAuth) that the CA signs.
 * Clients trust ca.pem; exsim serves server.pem with server.key.
 *
 * They are kept in the state directory (mode 0700, keys 0600) and reused
 * when all four files read back, both certificates are valid now and for at
 * least another day, the server certificate names localhost and 127.0.0.1
 * and verifies against the CA, and each key matches its certificate.
 * Anything else remakes both. Files are written to a temporary name and
 * renamed, so a reader never sees half a file.
 *
 * Cold path: once at startup. Everything wolfSSL allocates here is freed
 * before returning.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "sim.h"

#define CERT_DAYS       365
#define MIN_LEFT_S      86400           /* reuse only with a day to go */
#define FILE_MAX        (64 * 1024)
#define DER_MAX         4096
#define PEM_MAX         8192

static int cerr(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A message into err; returns ret. */
static int cerr(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- files ------------------------------------------------------------------ */

/* dir, and any missing parent, as 0700; an existing dir must be ours (made 0700). */
static int make_dir(const char *dir, char *err, size_t errlen)
{
	char path[300];
	struct stat st;
	size_t n = strlen(dir);

	if (!n)
		return cerr(err, errlen, -EINVAL, "certs: no directory given");
	if (n >= sizeof(path))
		return cerr(err, errlen, -ENAMETOOLONG, "certs: directory name too long: %s",
			    dir);
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i])
			continue;
		path[i] = 0;
		if (mkdir(path, 0700) && errno != EEXIST)
			return cerr(err, errlen, -errno, "certs: cannot make %s: %s", path,
				    strerror(errno));
		path[i] = i < n ? '/' : 0;
	}
	if (stat(dir, &st))
		return cerr(err, errlen, -errno, "certs: %s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cerr(err, errlen, -ENOTDIR, "certs: %s is not a directory", dir);
	if (st.st_uid != geteuid())
		return cerr(err, errlen, -EPERM, "certs: %s belongs to uid %u, not to us",
			    dir, (unsigned)st.st_uid);
	if ((st.st_mode & 07777) != 0700 && chmod(dir, 0700))
		return cerr(err, errlen, -errno, "certs: chmod 700 %s: %s", dir,
			    strerror(errno));
	return 0;
}

/* All of a small file into buf[cap): its length, or -errno. */
static ssize_t read_small(const char *path, void *buf, size_t cap)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got < cap) {
		ssize_t r = read(fd, (char *)buf + got, cap - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? -errno : 0;

			close(fd);
			return e ? e : (ssize_t)got;
		}
		got += (size_t)r;
	}
	close(fd);
	return -EFBIG;
}

/* path, atomically (a temporary, then rename), with exactly 'mode'. */
static int write_file(const char *path, const void *data, size_t len, mode_t mode,
		      char *err, size_t errlen)
{
	const char *p = data;
	char tmp[320];
	int fd, ret = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return cerr(err, errlen, -errno, "certs: cannot create %s: %s", tmp,
			    strerror(errno));
	if (fchmod(fd, mode))
		ret = -errno;
	while (!ret && len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			ret = -errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return cerr(err, errlen, ret, "certs: cannot write %s: %s", path,
			    strerror(-ret));
	}
	return 0;
}

/* ---- checking what is there ----------------------------------------------------- */

static WOLFSSL_X509 *load_x509(const char *path)
{
	unsigned char *buf = malloc(FILE_MAX);
	WOLFSSL_X509 *x = NULL;
	ssize_t n;

	if (!buf)
		return NULL;
	n = read_small(path, buf, FILE_MAX);
	if (n > 0)
		x = wolfSSL_X509_load_certificate_buffer(buf, (int)n, WOLFSSL_FILETYPE_PEM);
	free(buf);
	return x;
}

/* Valid from before now until at least a day from now. */
static bool dates_ok(WOLFSSL_X509 *x)
{
	time_t now = time(NULL), later = now + MIN_LEFT_S;

	return wolfSSL_X509_cmp_time(wolfSSL_X509_get_notBefore(x), &now) == -1 &&
	       wolfSSL_X509_cmp_time(wolfSSL_X509_get_notAfter(x), &later) == 1;
}

/* The key file is only ours and matches the certificate. */
static bool key_matches(const char *cert, const char *key)
{
	WOLFSSL_CTX *ctx;
	struct stat st;
	bool ok = false;

	if (stat(key, &st) || (st.st_mode & 077))
		return false;
	ctx = wolfSSL_CTX_new(wolfTLS_server_method());
	if (!ctx)
		return false;
	if (wolfSSL_CTX_use_certificate_file(ctx, cert, WOLFSSL_FILETYPE_PEM) ==
	    WOLFSSL_SUCCESS &&
	    wolfSSL_CTX_use_PrivateKey_file(ctx, key, WOLFSSL_FILETYPE_PEM) ==
	    WOLFSSL_SUCCESS)
		ok = wolfSSL_CTX_check_private_key(ctx) == WOLFSSL_SUCCESS;
	wolfSSL_CTX_free(ctx);
	return ok;
}

static bool chain_ok(const struct sim_certs *c)
{
	WOLFSSL_CERT_MANAGER *cm = wolfSSL_CertManagerNew();
	bool ok;

	if (!cm)
		return false;
	ok = wolfSSL_CertManagerLoadCA(cm, c->ca, NULL) == WOLFSSL_SUCCESS &&
	     wolfSSL_CertManagerVerify(cm, c->cert, WOLFSSL_FILETYPE_PEM) == WOLFSSL_SUCCESS;
	wolfSSL_CertManagerFree(cm);
	return ok;
}

static bool certs_usable(const struct sim_certs *c)
{
	WOLFSSL_X509 *ca = load_x509(c->ca), *srv = load_x509(c->cert);
	bool ok = ca && srv && dates_ok(ca) && dates_ok(srv) &&
		  wolfSSL_X509_check_host(srv, "localhost", strlen("localhost"), 0, NULL) ==
		  WOLFSSL_SUCCESS &&
		  wolfSSL_X509_check_ip_asc(srv, "127.0.0.1", 0) == WOLFSSL_SUCCESS;

	wolfSSL_X509_free(ca);
	wolfSSL_X509_free(srv);
	return ok && chain_ok(c) && key_matches(c->ca, c->ca_key) &&
	       key_matches(c->cert, c->key);
}

/* ---- making them ------------------------------------------------------------- */

/* GeneralNames: dNSName [2] "localhost", iPAddress [7] 127.0.0.1 (RFC 5280 4.2.1.6). */
static const uint8_t san_der[] = {
	0x30, 0x11,
	0x82, 0x09, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
	0x87, 0x04, 127, 0, 0, 1,
};

struct gen {
	WC_RNG rng;
	ecc_key ca_key, srv_key;
	Cert cert;
	uint8_t ca_der[DER_MAX], srv_der[DER_MAX], der[DER_MAX];
	int ca_len, srv_len;
	uint8_t pem[PEM_MAX];
};

static void name_set(CertName *n, const char *cn)
{
	snprintf(n->org, sizeof(n->org), "kimp");
	snprintf(n->unit, sizeof(n->unit), "exsim");
	snprintf(n->commonName, sizeof(n->commonName), "%s", cn);
}

/* A DER certificate for 'key', signed by 'signer', into out: its length or a wolfSSL error. */
static int make_cert(struct gen *g, ecc_key *key, ecc_key *signer, uint8_t *out)
{
	int ret = wc_MakeCert_ex(&g->cert, out, DER_MAX, ECC_TYPE, key, &g->rng);

	if (ret < 0)
		return ret;
	return wc_SignCert_ex(g->cert.bodySz, g->cert.sigType, out, DER_MAX, ECC_TYPE, signer,
			      &g->rng);
}

static int make_ca(struct gen *g)
{
	int ret = wc_InitCert(&g->cert);

	if (ret)
		return ret;
	name_set(&g->cert.subject, "kimp exsim CA");
	g->cert.sigType = CTC_SHA256wECDSA;
	g->cert.daysValid = CERT_DAYS;
	g->cert.selfSigned = 1;
	g->cert.isCA = 1;
	ret = wc_SetSubjectKeyIdFromPublicKey_ex(&g->cert, ECC_TYPE, &g->ca_key);
	if (!ret)
		ret = wc_SetKeyUsage(&g->cert, "keyCertSign,cRLSign,digitalSignature");
	if (!ret)
		ret = make_cert(g, &g->ca_key, &g->ca_key, g->ca_der);
	if (ret > 0)
		g->ca_len = ret;
	return ret < 0 ? ret : 0;
}

static int make_server(struct gen *g)
{
	int ret = wc_InitCert(&g->cert);

	if (ret)
		return ret;
	name_set(&g->cert.subject, "localhost");
	g->cert.sigType = CTC_SHA256wECDSA;
	g->cert.daysValid = CERT_DAYS;
	g->cert.selfSigned = 0;
	g->cert.isCA = 0;
	memcpy(g->cert.altNames, san_der, sizeof(san_der));
	g->cert.altNamesSz = (int)sizeof(san_der);
	ret = wc_SetIssuerBuffer(&g->cert, g->ca_der, g->ca_len);
	if (!ret)
		ret = wc_SetSubjectKeyIdFromPublicKey_ex(&g->cert, ECC_TYPE, &g->srv_key);
	if (!ret)
		ret = wc_SetAuthKeyIdFromPublicKey_ex(&g->cert, ECC_TYPE, &g->ca_key);
	if (!ret)
		ret = wc_SetKeyUsage(&g->cert, "digitalSignature");
	if (!ret)
		ret = wc_SetExtKeyUsage(&g->cert, "serverAuth");
	if (!ret)
		ret = make_cert(g, &g->srv_key, &g->ca_key, g->srv_der);
	if (ret > 0)
		g->srv_len = ret;
	return ret < 0 ? ret : 0;
}

/* DER as PEM of 'type' into 'path' with 'mode'. */
static int write_pem(struct gen *g, const uint8_t *der, int len, int type, const char *path,
		     mode_t mode, char *err, size_t errlen)
{
	int n = wc_DerToPem(der, (word32)len, g->pem, sizeof(g->pem), type);

	if (n <= 0)
		return cerr(err, errlen, -EIO, "certs: PEM encoding for %s failed (wolfSSL "
			    "%d)", path, n);
	return write_file(path, g->pem, (size_t)n, mode, err, errlen);
}

static int write_key(struct gen *g, ecc_key *key, const char *path, char *err, size_t errlen)
{
	int n = wc_EccKeyToDer(key, g->der, sizeof(g->der));

	if (n <= 0)
		return cerr(err, errlen, -EIO, "certs: encoding the key for %s failed (wolfSSL "
			    "%d)", path, n);
	return write_pem(g, g->der, n, ECC_PRIVATEKEY_TYPE, path, 0600, err, errlen);
}

static int make_all(const struct sim_certs *c, char *err, size_t errlen)
{
	struct gen *g = calloc(1, sizeof(*g));
	int ret = -ENOMEM, wret = 0;
	const char *step = "";

	if (!g)
		return cerr(err, errlen, ret, "certs: out of memory");
	ret = wc_InitRng(&g->rng);
	if (ret) {
		step = "random number generator";
		goto free_g;
	}
	step = "key generation";
	ret = wc_ecc_init(&g->ca_key);
	if (ret)
		goto free_rng;
	ret = wc_ecc_init(&g->srv_key);
	if (ret)
		goto free_ca_key;
	ret = wc_ecc_make_key_ex(&g->rng, 32, &g->ca_key, ECC_SECP256R1);
	if (!ret)
		ret = wc_ecc_make_key_ex(&g->rng, 32, &g->srv_key, ECC_SECP256R1);
	if (!ret) {
		step = "the CA certificate";
		ret = make_ca(g);
	}
	if (!ret) {
		step = "the server certificate";
		ret = make_server(g);
	}
	if (ret)
		goto free_keys;
	wret = write_key(g, &g->ca_key, c->ca_key, err, errlen);
	if (!wret)
		wret = write_key(g, &g->srv_key, c->key, err, errlen);
	if (!wret)
		wret = write_pem(g, g->ca_der, g->ca_len, CERT_TYPE, c->ca, 0644, err, errlen);
	if (!wret)
		wret = write_pem(g, g->srv_der, g->srv_len, CERT_TYPE, c->cert, 0644, err,
				 errlen);
free_keys:
	wc_ecc_free(&g->srv_key);
free_ca_key:
	wc_ecc_free(&g->ca_key);
free_rng:
	wc_FreeRng(&g->rng);
free_g:
	free(g);
	if (ret)
		return cerr(err, errlen, -EIO, "certs: wolfSSL failed making %s (error %d)",
			    step, ret);
	return wret;
}

int sim_certs_ensure(const char *dir, struct sim_certs *out, char *err, size_t errlen)
{
	static const char *const names[] = { "ca.pem", "ca.key", "server.pem", "server.key" };
	char *paths[] = { out->ca, out->ca_key, out->cert, out->key };
	int ret;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < 4; i++) {
		int n = snprintf(paths[i], sizeof(out->ca), "%s/%s", dir, names[i]);

		if (n < 0 || (size_t)n + sizeof(".tmp") > sizeof(out->ca))
			return cerr(err, errlen, -ENAMETOOLONG, "certs: directory name too "
				    "long: %s", dir);
	}
	ret = make_dir(dir, err, errlen);
	if (ret)
		return ret;
	if (wolfSSL_Init() != WOLFSSL_SUCCESS)
		return cerr(err, errlen, -ENOMEM, "certs: wolfSSL_Init failed");
	if (certs_usable(out)) {
		out->reused = true;
		ret = 0;
	} else {
		ret = make_all(out, err, errlen);
	}
	if (!ret && !out->reused && !certs_usable(out))
		ret = cerr(err, errlen, -EIO, "certs: the certificates just made in %s do "
			   "not check out", dir);
	wolfSSL_Cleanup();
	return ret;
}
