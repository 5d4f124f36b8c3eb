/* SPDX-License-Identifier: MIT */
/*
 * kimpctl sign VENUE, run as the real binary ($KIMPCTL): the signing test
 * vectors of ../shared/fixtures/venues (testvectors-hmac.jsonl for
 * Binance, testvectors-kr-auth.jsonl for Upbit, read with sim's jsonr) with
 * the secret from the environment and from stdin, payloads from the
 * command line, a file and stdin, and every refusal: no secret, unknown
 * venue, a secret on the command line, limits at their boundaries.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kimp/sign.h"
#include "../../sim/sim.h"
#include "../testutil.h"
#include "ctlrun.h"

#define EXIT_USAGE 2    /* kimpctl: bad command line */
#define EXIT_FAIL  1    /* kimpctl: the command failed */

static char dir[64];

static void setup(void)
{
	test_mkdtemp(dir, sizeof(dir), "kimp-ctlsign");
}

static void teardown(void)
{
	test_rmtree(dir);
}

TestSuite(kimpctl_sign, .init = setup, .fini = teardown);

/*
 * Run kimpctl with args (NULL-terminated, at most 14), stdin from 'in' (NULL:
 * /dev/null), the secret variables unset but for env_name=env_val (either
 * NULL: none).
 */
static void run_in(struct run *r, const char *env_name, const char *env_val, const char *in,
		   size_t in_len, const char *const *args)
{
	char outp[128], errp[128], inp[128];
	const char *argv[16];
	size_t n = 0;
	pid_t pid;

	argv[n++] = kimpctl_path();
	cr_assert_eq(access(argv[0], X_OK), 0, "%s (run `make all` first, or set KIMPCTL)",
		     argv[0]);
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	snprintf(outp, sizeof(outp), "%s/stdout", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	snprintf(inp, sizeof(inp), "%s/stdin", dir);
	if (in)
		test_write_file(inp, in, in_len);
	fflush(NULL);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int i = open(in ? inp : "/dev/null", O_RDONLY);

		if (o < 0 || e < 0 || i < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || dup2(i, 0) < 0)
			_exit(126);
		unsetenv("KIMP_CONFIG");
		unsetenv("KIMP_UPBIT_SECRET");
		unsetenv("KIMP_BINANCE_SECRET");
		unsetenv("MY_SIGN_SECRET");
		if (env_name)
			setenv(env_name, env_val, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	r->status = test_wait_child(pid);
	ctl_slurp(outp, r->out, sizeof(r->out));
	ctl_slurp(errp, r->err, sizeof(r->err));
	if (in)
		unlink(inp);
}

static void run(struct run *r, const char *env_name, const char *env_val, const char *in,
		const char *const *args)
{
	run_in(r, env_name, env_val, in, in ? strlen(in) : 0, args);
}

/* stdout is exactly want and a newline. */
static void assert_printed(const struct run *r, const char *want, const char *what)
{
	size_t n = strlen(want);

	cr_assert_eq(r->status, 0, "%s: exit %d: %s", what, r->status, r->err);
	cr_assert(!strncmp(r->out, want, n) && r->out[n] == '\n' && !r->out[n + 1],
		  "%s:\n got  %s want %s", what, r->out, want);
}

/* ---- the vectors -------------------------------------------------------------------- */

#define TOKS 256

struct vec {
	char *line;
	struct jr_tok tok[TOKS];
};

static bool vec_load(struct vec *v, const char *file, unsigned n)
{
	v->line = test_fixture_line(file, n);
	if (!v->line)
		return false;
	cr_assert_gt(jr_parse(v->line, strlen(v->line), v->tok, TOKS), 0, "%s:%u", file, n + 1);
	return true;
}

/* Member k of object token o (unescaped) into out: its length, -1 when absent. */
static int str_at(const char *src, const struct jr_tok *t, int o, const char *k, char *out,
		  size_t cap)
{
	int i = jr_get(src, t, o, k);

	return i < 0 ? -1 : jr_str(src, &t[i], out, cap);
}

static bool vec_is(const struct vec *v, const char *k, const char *want)
{
	char buf[128];

	return str_at(v->line, v->tok, 0, k, buf, sizeof(buf)) >= 0 && !strcmp(buf, want);
}

static const char BN_SECRET[] = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
static const char BN_PAYLOAD[] = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&"
				 "price=0.1&recvWindow=5000&timestamp=1499827319559";
static const char BN_SIG[] = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";

Test(kimpctl_sign, binance_every_hmac_vector_with_the_secret_in_the_environment)
{
	char secret[256], payload[2048], want[256], what[128];
	unsigned checked = 0;
	struct vec v;
	struct run r;

	for (unsigned i = 0; vec_load(&v, "testvectors-hmac.jsonl", i); i++, free(v.line)) {
		if (!vec_is(&v, "exchange", "binance") || !vec_is(&v, "algorithm", "HMAC-SHA256"))
			continue;
		cr_assert(vec_is(&v, "encoding", "hex"));
		cr_assert_gt(str_at(v.line, v.tok, 0, "secret", secret, sizeof(secret)), 0);
		cr_assert_geq(str_at(v.line, v.tok, 0, "payload", payload, sizeof(payload)), 0);
		cr_assert_gt(str_at(v.line, v.tok, 0, "expected", want, sizeof(want)), 0);
		cr_assert_gt(str_at(v.line, v.tok, 0, "case", what, sizeof(what)), 0);
		run(&r, "KIMP_BINANCE_SECRET", secret, NULL,
		    (const char *const[]){ "sign", "binance", "--payload", payload, NULL });
		assert_printed(&r, want, what);
		cr_assert_eq(r.err[0], '\0', "%s: nothing on stderr: %s", what, r.err);
		checked++;
	}
	cr_assert_geq(checked, 6, "every Binance HMAC vector (%u)", checked);
}

Test(kimpctl_sign, binance_secret_and_payload_on_stdin)
{
	char in[512];
	struct run r;

	/* the secret's line, then the payload; a trailing newline is dropped */
	snprintf(in, sizeof(in), "%s\n%s\n", BN_SECRET, BN_PAYLOAD);
	run(&r, NULL, NULL, in, (const char *const[]){ "sign", "binance", NULL });
	assert_printed(&r, BN_SIG, "stdin");
	/* CRLF line ends too */
	snprintf(in, sizeof(in), "%s\r\n%s\r\n", BN_SECRET, BN_PAYLOAD);
	run(&r, NULL, NULL, in, (const char *const[]){ "sign", "binance", NULL });
	assert_printed(&r, BN_SIG, "stdin, CRLF");
	/* the secret in the environment: the whole of stdin is the payload */
	snprintf(in, sizeof(in), "%s\n", BN_PAYLOAD);
	run(&r, "KIMP_BINANCE_SECRET", BN_SECRET, in,
	    (const char *const[]){ "sign", "binance", NULL });
	assert_printed(&r, BN_SIG, "payload on stdin");
	/* only one newline is dropped: a second is part of the payload */
	snprintf(in, sizeof(in), "%s\n\n", BN_PAYLOAD);
	run(&r, "KIMP_BINANCE_SECRET", BN_SECRET, in,
	    (const char *const[]){ "sign", "binance", NULL });
	cr_assert_eq(r.status, 0);
	assert_lacks(r.out, BN_SIG);
	/* --verbose tells what was signed, on stderr */
	snprintf(in, sizeof(in), "%s\n%s", BN_SECRET, BN_PAYLOAD);
	run(&r, NULL, NULL, in, (const char *const[]){ "sign", "binance", "--verbose", NULL });
	assert_printed(&r, BN_SIG, "verbose");
	assert_has(r.err, BN_PAYLOAD);
	assert_lacks(r.err, BN_SECRET);
}

Test(kimpctl_sign, binance_payload_file_and_secret_env_name)
{
	char path[128], in[512];
	struct run r;

	snprintf(path, sizeof(path), "%s/payload", dir);
	snprintf(in, sizeof(in), "%s\n", BN_PAYLOAD);
	test_write_file(path, in, strlen(in));
	run(&r, "MY_SIGN_SECRET", BN_SECRET, NULL,
	    (const char *const[]){ "sign", "binance", "--payload-file", path, "--secret-env",
				   "MY_SIGN_SECRET", NULL });
	assert_printed(&r, BN_SIG, "--payload-file, --secret-env");
	/* --opt=value forms */
	run(&r, "MY_SIGN_SECRET", BN_SECRET, NULL,
	    (const char *const[]){ "sign", "--payload-file=/dev/null", "binance",
				   "--secret-env=MY_SIGN_SECRET", NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* the HMAC of the empty payload */
	{
		char want[65];

		cr_assert_eq(venue_hmac_sha256(BN_SECRET, strlen(BN_SECRET), "", 0, VENUE_HEX, want,
					       sizeof(want)), 64);
		assert_printed(&r, want, "empty payload");
	}
	/* the default variable is not looked at when another is named */
	run(&r, "KIMP_BINANCE_SECRET", BN_SECRET, NULL,
	    (const char *const[]){ "sign", "binance", "--payload", "x", "--secret-env",
				   "MY_SIGN_SECRET", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "$MY_SIGN_SECRET is not set");
}

Test(kimpctl_sign, upbit_kr_auth_vectors_with_a_fixed_nonce)
{
	char secret[256], qs[2048], want[2048], payload[1024], key[128], nonce[64], hdr[128];
	unsigned checked = 0, with_params = 0;
	struct jr_tok pt[32];
	struct vec v;
	struct run r;

	for (unsigned i = 0; vec_load(&v, "testvectors-kr-auth.jsonl", i); i++, free(v.line)) {
		int np;

		if (!vec_is(&v, "exchange", "upbit") ||
		    str_at(v.line, v.tok, 0, "expected_jwt", want, sizeof(want)) < 0)
			continue;
		cr_assert_gt(str_at(v.line, v.tok, 0, "jwt_header_json", hdr, sizeof(hdr)), 0);
		if (!strstr(hdr, "\"HS512\""))
			continue;       /* the venue signs HS512; HS256 is the doc's other form */
		cr_assert_gt(str_at(v.line, v.tok, 0, "secret", secret, sizeof(secret)), 0);
		np = str_at(v.line, v.tok, 0, "jwt_payload_json", payload, sizeof(payload));
		cr_assert_gt(np, 0);
		cr_assert_gt(jr_parse(payload, (size_t)np, pt, 32), 0);
		cr_assert_gt(str_at(payload, pt, 0, "access_key", key, sizeof(key)), 0);
		cr_assert_gt(str_at(payload, pt, 0, "nonce", nonce, sizeof(nonce)), 0);
		if (str_at(v.line, v.tok, 0, "query_string", qs, sizeof(qs)) < 0)
			qs[0] = '\0';
		else
			with_params++;
		run(&r, "KIMP_UPBIT_SECRET", secret, NULL,
		    (const char *const[]){ "sign", "upbit", "--key", key, "--nonce", nonce,
					   "--payload", qs, "--verbose", NULL });
		assert_printed(&r, want, v.line);
		/* --verbose: the token's payload JSON, decoded, on stderr */
		cr_assert(!strncmp(r.err, payload, (size_t)np) && r.err[np] == '\n', "%s\nvs\n%s",
			  r.err, payload);
		checked++;
	}
	cr_assert_geq(checked, 2);
	cr_assert_geq(with_params, 1, "a vector with a query_hash");
}

Test(kimpctl_sign, upbit_secret_on_stdin_and_a_random_nonce)
{
	static const char qs[] = "market=KRW-BTC&side=bid&volume=0.01&price=100000000&"
				 "ord_type=limit&identifier=arb-000001";
	char in[512], tok1[1024], dec[1024];
	const char *nonce;
	enum venue_hash alg;
	struct run r;
	int n;

	snprintf(in, sizeof(in), "test-secret-key-0123456789\n%s\n", qs);
	run(&r, NULL, NULL, in, (const char *const[]){ "sign", "upbit", "--key", "ak", NULL });
	cr_assert_eq(r.status, 0, "%s", r.err);
	n = (int)strcspn(r.out, "\n");
	cr_assert_lt((size_t)n, sizeof(tok1));
	memcpy(tok1, r.out, (size_t)n);
	tok1[n] = '\0';
	/* a real token for that secret, HS512, with a fresh UUID nonce and the hash */
	n = venue_jwt_verify(tok1, strlen(tok1), "test-secret-key-0123456789", 26, dec,
			     sizeof(dec) - 1, &alg);
	cr_assert_gt(n, 0, "%d: %s", n, tok1);
	dec[n] = '\0';
	cr_assert_eq(alg, VENUE_SHA512);
	assert_has(dec, "\"access_key\":\"ak\"");
	assert_has(dec, "\"query_hash\":\"15ecfc8b63d06af39b4a134b32cfee1d93d524ccf6b9a4281b289a1d7f"
			"1fcf1000d43cc2f91d21702629b288bfbd77427aad14087a27231ff04d148c2da29fa3\"");
	nonce = strstr(dec, "\"nonce\":\"");
	cr_assert_not_null(nonce);
	nonce += 9;
	cr_assert_eq(strcspn(nonce, "\""), 36, "a UUID: %s", dec);
	cr_assert_eq(nonce[14], '4', "version 4: %s", dec);
	/* another run, another nonce */
	run(&r, NULL, NULL, in, (const char *const[]){ "sign", "upbit", "--key", "ak", NULL });
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, tok1, strlen(tok1)), "a fresh nonce each time");
}

/* ---- refusals ------------------------------------------------------------------------- */

Test(kimpctl_sign, no_secret_names_the_variable_and_says_stdin_was_empty)
{
	struct run r;

	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "binance", "--payload", "x", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "$KIMP_BINANCE_SECRET is not set");
	assert_has(r.err, "stdin was empty");
	cr_assert_eq(r.out[0], '\0');
	/* an empty variable is no secret; an empty first line neither */
	run(&r, "KIMP_UPBIT_SECRET", "", "\nmarket=KRW-BTC\n",
	    (const char *const[]){ "sign", "upbit", "--key", "ak", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "$KIMP_UPBIT_SECRET is empty");
	assert_has(r.err, "stdin was empty");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "upbit", "--key", "ak",
							 "--secret-env", "MY_SIGN_SECRET", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "$MY_SIGN_SECRET is not set");
}

Test(kimpctl_sign, a_secret_on_the_command_line_is_refused)
{
	static const char *const forms[][5] = {
		{ "sign", "binance", "--secret", "hunter2", NULL },
		{ "sign", "binance", "--secret=hunter2", NULL },
		{ "sign", "--secret", "hunter2", "upbit", NULL },
	};
	struct run r;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		run(&r, "KIMP_BINANCE_SECRET", BN_SECRET, NULL, forms[i]);
		cr_assert_eq(r.status, EXIT_USAGE, "form %zu", i);
		assert_has(r.err, "--secret is refused");
		assert_has(r.err, "command line");
		assert_has(r.err, "stdin");
		cr_assert_eq(r.out[0], '\0', "nothing signed");
	}
	/* after "--" it is only a stray word */
	run(&r, "KIMP_BINANCE_SECRET", BN_SECRET, NULL,
	    (const char *const[]){ "sign", "binance", "--", "--secret", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "unexpected '--secret'");
}

Test(kimpctl_sign, unknown_venue_and_usage_errors)
{
	struct run r;
	char path[128];

	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "kraken", "--payload", "x", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "unknown venue 'kraken' (order entry knows upbit, bithumb, coinone, binance, "
			      "bybit, okx)");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "Binance", NULL });
	cr_assert_eq(r.status, EXIT_USAGE, "names are lower case");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "which venue?");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "upbit", "binance", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "one VENUE only");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "binance", "--colour", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "unknown option '--colour'");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "binance", "--payload", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "--payload needs a value");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "binance", "--payload", "a",
							 "--payload-file", "/dev/null", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "give one");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "binance", "--key", "a",
							 "--key", "b", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "--key given twice");
	run(&r, "KIMP_UPBIT_SECRET", "s", NULL,
	    (const char *const[]){ "sign", "upbit", "--payload", "x", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "upbit needs --key");
	run(&r, "KIMP_UPBIT_SECRET", "s", NULL,
	    (const char *const[]){ "sign", "upbit", "--key", "ak", "--nonce", "a\"b", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "--nonce");
	run(&r, "KIMP_UPBIT_SECRET", "s", NULL,
	    (const char *const[]){ "sign", "upbit", "--key", "a key", "--payload", "", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "upbit refused the key");
	snprintf(path, sizeof(path), "%s/none", dir);
	run(&r, "KIMP_BINANCE_SECRET", "s", NULL,
	    (const char *const[]){ "sign", "binance", "--payload-file", path, NULL });
	cr_assert_eq(r.status, EXIT_FAIL);
	assert_has(r.err, "No such file");
	/* help */
	run(&r, NULL, NULL, NULL, (const char *const[]){ "sign", "--help", NULL });
	cr_assert_eq(r.status, 0);
	assert_has(r.out, "sign VENUE");
	run(&r, NULL, NULL, NULL, (const char *const[]){ "help", NULL });
	assert_has(r.out, "sign VENUE");
}

Test(kimpctl_sign, secret_and_payload_sizes_at_their_limits)
{
	static char secret[1100], in[1200], want[65];
	char path[128], *big;
	size_t mib = 1u << 20;
	struct run r;

	/* a secret of 1023 bytes is taken, 1024 is not: from stdin and the environment */
	memset(secret, 'k', 1023);
	secret[1023] = '\0';
	cr_assert_eq(venue_hmac_sha256(secret, 1023, "p", 1, VENUE_HEX, want, sizeof(want)), 64);
	snprintf(in, sizeof(in), "%s\n", secret);
	run(&r, NULL, NULL, in, (const char *const[]){ "sign", "binance", "--payload", "p", NULL });
	assert_printed(&r, want, "1023-byte secret on stdin");
	run(&r, "KIMP_BINANCE_SECRET", secret, NULL,
	    (const char *const[]){ "sign", "binance", "--payload", "p", NULL });
	assert_printed(&r, want, "1023-byte secret in the environment");
	secret[1023] = 'k';
	secret[1024] = '\0';
	snprintf(in, sizeof(in), "%s\n", secret);
	run(&r, NULL, NULL, in, (const char *const[]){ "sign", "binance", "--payload", "p", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "longer than 1023 bytes");
	run(&r, "KIMP_BINANCE_SECRET", secret, NULL,
	    (const char *const[]){ "sign", "binance", "--payload", "p", NULL });
	cr_assert_eq(r.status, EXIT_USAGE);
	assert_has(r.err, "longer than 1023 bytes");
	assert_lacks(r.err, "kkkkkkkk");

	/* a payload of 1 MiB is taken, one byte more is not */
	big = malloc(mib + 1);
	cr_assert_not_null(big);
	memset(big, 'a', mib + 1);
	snprintf(path, sizeof(path), "%s/big", dir);
	test_write_file(path, big, mib);
	run(&r, "KIMP_BINANCE_SECRET", "s", NULL,
	    (const char *const[]){ "sign", "binance", "--payload-file", path, NULL });
	cr_assert_eq(venue_hmac_sha256("s", 1, big, mib, VENUE_HEX, want, sizeof(want)), 64);
	assert_printed(&r, want, "1 MiB payload");
	test_write_file(path, big, mib + 1);
	run(&r, "KIMP_BINANCE_SECRET", "s", NULL,
	    (const char *const[]){ "sign", "binance", "--payload-file", path, NULL });
	cr_assert_eq(r.status, EXIT_FAIL);
	assert_has(r.err, "more than 1 MiB");
	run_in(&r, "KIMP_BINANCE_SECRET", "s", big, mib + 1,
	       (const char *const[]){ "sign", "binance", NULL });
	cr_assert_eq(r.status, EXIT_FAIL);
	assert_has(r.err, "the payload (stdin): more than 1 MiB");
	free(big);
}
