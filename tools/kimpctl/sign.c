/* SPDX-License-Identifier: MIT */
/*
 * kimpctl sign VENUE: what the venue expects for a payload signed with a
 * secret, printed for an operator chasing signature errors. The signing is
 * libvenue's own (venue_ord.key_init, then venue_ord.sign_payload), so
 * what this prints is what orderd sends:
 *
 *   binance   the hex HMAC-SHA256 of the payload (the signature parameter)
 *   upbit     the JWT (HS512; access_key from --key; nonce from --nonce or
 *             a fresh random UUID; query_hash of the payload when it is not
 *             empty); --verbose writes its decoded payload JSON to stderr
 *
 * The secret never comes from the command line (ps and /proc show every
 * argument to every user, shells keep history): from the environment
 * variable (--secret-env NAME, default KIMP_<VENUE>_SECRET) when it is set
 * and not empty, else from the first line of stdin (echo off on a
 * terminal). The payload is --payload STR, the content of --payload-file
 * F, or else the rest of stdin (after the secret's line when the secret
 * came from there); one trailing newline of a file or of stdin is dropped.
 * The secret is wiped from our buffers once the key is set up.
 *
 * Cold code: an operator's tool, it allocates and formats freely.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "kimp/venue_ord.h"
#include "kimpctl.h"

#define SIGN_SECRET_MAX  1024            /* bytes of a secret */
#define SIGN_PAYLOAD_MAX (1u << 20)      /* bytes of a payload */
#define SIGN_OUT_MAX     16384           /* the signature or token */
#define SIGN_NONCE_MAX   64

static const char sign_usage[] =
	"  sign VENUE [--payload STR | --payload-file F] [--key API_KEY] [--nonce UUID]\n"
	"       [--secret-env NAME] [--verbose]\n"
	"                              print the signature (binance: hex HMAC-SHA256)\n"
	"                              or token (upbit: JWT) VENUE expects for the\n"
	"                              payload; the secret comes from $KIMP_<VENUE>_SECRET\n"
	"                              (or NAME), else stdin's first line, never from\n"
	"                              the command line; the payload, when not given,\n"
	"                              is the rest of stdin\n";

static int sign_err(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int sign_err(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("kimpctl: sign: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static int sign_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sign_usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("kimpctl: sign: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage:\n%s", sign_usage);
	return KIMPCTL_USAGE;
}

/* Drop one trailing "\n" (or "\r\n") from s[0..*n). */
static void chomp(char *s, size_t *n)
{
	if (*n && s[*n - 1] == '\n') {
		(*n)--;
		if (*n && s[*n - 1] == '\r')
			(*n)--;
	}
	s[*n] = '\0';
}

/*
 * Read f to its end into a malloc'd buffer (NUL-terminated): 0, -EFBIG past
 * SIGN_PAYLOAD_MAX, -errno.
 */
static int slurp(FILE *f, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	int err = 0;

	if (!b)
		return -ENOMEM;
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			/* room for one byte past the limit, to see it is there */
			if (cap > SIGN_PAYLOAD_MAX) {
				err = -EFBIG;
				goto fail;
			}
			cap = cap * 2 > SIGN_PAYLOAD_MAX ? SIGN_PAYLOAD_MAX + 1 : cap * 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				err = -ENOMEM;
				goto fail;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				err = -EIO;
				goto fail;
			}
			break;
		}
	}
	if (n > SIGN_PAYLOAD_MAX) {
		err = -EFBIG;
		goto fail;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return 0;
fail:
	free(b);
	return err;
}

/*
 * The secret's line from stdin into buf (NUL-terminated, newline dropped),
 * echo off when stdin is a terminal: its length, 0 when stdin had nothing,
 * -E2BIG for a line longer than cap - 1.
 */
static int read_secret_line(const char *venue, char *buf, size_t cap)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &old);
	size_t n = 0;
	int c, ret;

	if (tty) {
		fprintf(stderr, "%s secret (not echoed): ", venue);
		quiet = old;
		quiet.c_lflag &= (tcflag_t)~ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	while ((c = getchar()) != EOF && c != '\n') {
		if (n + 1 >= cap) {
			/* drain the line so nothing of it reaches the payload */
			while ((c = getchar()) != EOF && c != '\n')
				;
			ret = -E2BIG;
			goto out;
		}
		buf[n++] = (char)c;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	ret = (int)n;
out:
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return ret;
}

/* A nonce goes into the JWT's JSON as it is: printable, no quote or backslash. */
static bool nonce_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= SIGN_NONCE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

/* The JWT's payload part, decoded, on stderr (--verbose). */
static void show_jwt_payload(const char *jwt)
{
	const char *a = strchr(jwt, '.'), *b = a ? strchr(a + 1, '.') : NULL;
	char dec[4096];
	int n;

	if (!b)
		return;
	n = venue_b64url_decode(a + 1, (size_t)(b - a - 1), dec, sizeof(dec) - 1);
	if (n < 0)
		return;
	dec[n] = '\0';
	fprintf(stderr, "%s\n", dec);
}

struct sign_args {
	const char *venue, *payload, *payload_file, *key, *nonce, *secret_env;
	bool verbose;
};

/* The option's value: "--name VALUE" or "--name=VALUE"; NULL when a is not it. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int parse_args(int argc, char **argv, struct sign_args *s, bool *done)
{
	static const char *const names[] = { "--payload", "--payload-file", "--key", "--nonce",
					      "--secret-env" };
	bool opts = true;

	memset(s, 0, sizeof(*s));
	*done = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		const char **slot[] = { &s->payload, &s->payload_file, &s->key, &s->nonce,
					&s->secret_env };
		bool missing = false, matched = false;

		if (opts && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			printf("usage:\n%s", sign_usage);
			*done = true;
			return KIMPCTL_OK;
		}
		if (opts && !strcmp(a, "--")) {
			opts = false;
			continue;
		}
		if (opts && (!strcmp(a, "--secret") || !strncmp(a, "--secret=", 9)))
			return sign_usage_err("--secret is refused: a secret on the command line "
					      "is visible to every user of this machine (ps, "
					      "/proc/PID/cmdline) and stays in shell history; put "
					      "it in the environment ($KIMP_<VENUE>_SECRET, or "
					      "--secret-env NAME) or on the first line of stdin");
		if (opts && !strcmp(a, "--verbose")) {
			s->verbose = true;
			continue;
		}
		for (size_t k = 0; opts && k < KIMP_ARRAY_SIZE(names) && !matched; k++) {
			v = opt_value(argc, argv, &i, names[k], &missing);
			if (missing)
				return sign_usage_err("%s needs a value", names[k]);
			if (v) {
				if (*slot[k])
					return sign_usage_err("%s given twice", names[k]);
				*slot[k] = v;
				matched = true;
			}
		}
		if (matched)
			continue;
		if (opts && a[0] == '-' && a[1])
			return sign_usage_err("unknown option '%s'", a);
		if (s->venue)
			return sign_usage_err("unexpected '%s' (one VENUE only)", a);
		s->venue = a;
	}
	if (!s->venue)
		return sign_usage_err("which venue?");
	if (s->payload && s->payload_file)
		return sign_usage_err("--payload and --payload-file: give one");
	if (s->nonce && !nonce_ok(s->nonce))
		return sign_usage_err("--nonce '%s': 1 to %d printable characters, no quote, "
				      "backslash or blank", s->nonce, SIGN_NONCE_MAX - 1);
	if (s->secret_env && !*s->secret_env)
		return sign_usage_err("--secret-env needs a variable name");
	return KIMPCTL_OK;
}

static int sign_run(struct kimpctl *k, int argc, char **argv)
{
	char env_name[64], list[128], secret[SIGN_SECRET_MAX], *payload = NULL, *out = NULL;
	const struct venue_ord *vo;
	struct vo_keys *keys = NULL;
	struct sign_args a;
	struct vo_ctx ctx;
	size_t slen = 0, plen = 0;
	const char *env;
	bool done, secret_from_stdin = false;
	int ret, n;

	(void)k;
	secret[0] = '\0';
	ret = parse_args(argc, argv, &a, &done);
	if (ret || done)
		return ret;
	vo = venue_ord_by_name(a.venue);
	if (!vo || !vo->key_init || !vo->sign_payload)
		return sign_usage_err("unknown venue '%s' (order entry knows %s)", a.venue,
				      venue_ord_names(list, sizeof(list)));
	if (a.secret_env) {
		snprintf(env_name, sizeof(env_name), "%s", a.secret_env);
	} else {
		n = snprintf(env_name, sizeof(env_name), "KIMP_%s_SECRET", vo->name);
		for (int i = 5; i < n - 7; i++)
			env_name[i] = (char)toupper((unsigned char)env_name[i]);
	}
	if (!a.key && vo->venue == KIMP_VENUE_UPBIT)
		return sign_usage_err("%s needs --key ACCESS_KEY (it goes into the token)",
				      vo->name);

	/* the secret: the environment, else stdin's first line */
	env = getenv(env_name);
	if (env && *env) {
		slen = strlen(env);
		if (slen >= sizeof(secret))
			return sign_err(KIMPCTL_USAGE, "$%s: longer than %d bytes", env_name,
					SIGN_SECRET_MAX - 1);
		memcpy(secret, env, slen + 1);
	} else {
		n = read_secret_line(vo->name, secret, sizeof(secret));
		if (n == -E2BIG) {
			ret = sign_err(KIMPCTL_USAGE, "the secret on stdin is longer than %d bytes",
				       SIGN_SECRET_MAX - 1);
			goto out;
		}
		if (n <= 0) {
			ret = sign_err(KIMPCTL_USAGE, "no secret for %s: $%s is %s and stdin was "
				       "empty (put the secret in $%s or on the first line of "
				       "stdin; never on the command line)", vo->name, env_name,
				       env ? "empty" : "not set", env_name);
			goto out;
		}
		slen = (size_t)n;
		secret_from_stdin = true;
	}

	/* the payload */
	if (a.payload) {
		plen = strlen(a.payload);
		payload = strdup(a.payload);
		ret = payload ? 0 : -ENOMEM;
	} else if (a.payload_file) {
		FILE *f = fopen(a.payload_file, "rb");

		if (!f) {
			ret = sign_err(KIMPCTL_FAIL, "--payload-file %s: %s", a.payload_file,
				       strerror(errno));
			goto out;
		}
		ret = slurp(f, &payload, &plen);
		fclose(f);
		if (!ret)
			chomp(payload, &plen);
	} else {
		ret = slurp(stdin, &payload, &plen);
		if (!ret)
			chomp(payload, &plen);
	}
	if (ret) {
		ret = sign_err(KIMPCTL_FAIL, "the payload (%s): %s",
			       a.payload_file ? a.payload_file : a.payload ? "--payload" : "stdin",
			       ret == -EFBIG ? "more than 1 MiB" : strerror(-ret));
		goto out;
	}
	if (secret_from_stdin && !a.payload && !a.payload_file && a.verbose)
		fprintf(stderr, "payload: the rest of stdin, %zu bytes\n", plen);

	/* the key, then the secret wiped */
	keys = calloc(1, sizeof(*keys));
	out = malloc(SIGN_OUT_MAX);
	if (!keys || !out) {
		ret = sign_err(KIMPCTL_FAIL, "out of memory");
		goto out;
	}
	ret = vo->key_init(keys, a.key ? a.key : "kimpctl-sign", secret, slen, NULL);
	explicit_bzero(secret, sizeof(secret));
	if (ret) {
		ret = sign_err(KIMPCTL_USAGE, "%s refused the key%s: %s", vo->name,
			       a.key ? " (--key: printable, no quote, backslash or blank)" : "",
			       strerror(-ret));
		goto out;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.vo = vo;
	ctx.keys = keys;
	ctx.fixed_nonce = a.nonce;
	vo_ctx_seed(&ctx);
	n = vo->sign_payload(&ctx, payload, plen, out, SIGN_OUT_MAX);
	if (n < 0) {
		ret = sign_err(KIMPCTL_FAIL, "signing for %s failed: %s", vo->name, strerror(-n));
		goto out;
	}
	printf("%.*s\n", n, out);
	if (a.verbose) {
		if (vo->venue == KIMP_VENUE_UPBIT)
			show_jwt_payload(out);
		else
			fprintf(stderr, "signed %zu bytes: %s\n", plen, payload);
	}
	ret = fflush(stdout) ? sign_err(KIMPCTL_FAIL, "stdout: %s", strerror(errno))
			     : KIMPCTL_OK;
out:
	explicit_bzero(secret, sizeof(secret));
	if (keys)
		explicit_bzero(keys, sizeof(*keys));
	free(keys);
	free(out);
	free(payload);
	return ret;
}

const struct kimpctl_cmd kimpctl_cmd_sign = {
	.name = "sign",
	.usage = sign_usage,
	.run = sign_run,
};
