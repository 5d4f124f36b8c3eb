/* SPDX-License-Identifier: MIT */
/*
 * exsim as the benches drive it (bench_exsim.h): the load scenario for one
 * rate, the process (pinned, its stdout on a pipe read until "exsim:
 * ready"), its control listener, and nothing left behind when the bench
 * stops or is interrupted. Moved here from bench/sim/exsim.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"
#include "bench_exsim.h"

const char *const bx_venue_names[BX_NVENUES] = {
	[BX_BINANCE] = "binance",
	[BX_UPBIT] = "upbit",
};

/* ---- the temp dir and the scenario ---------------------------------------------- */

int bx_exsim_dir(struct bx_exsim *x, const char *tag)
{
	memset(x, 0, sizeof(*x));
	x->out_fd = -1;
	if (snprintf(x->dir, sizeof(x->dir), "/tmp/kimp-%s-XXXXXX", tag) >=
	    (int)sizeof(x->dir)) {
		x->dir[0] = 0;
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(x->dir)) {
		x->dir[0] = 0;
		return -errno;
	}
	return 0;
}

void bx_exsim_dir_free(struct bx_exsim *x)
{
	char cmd[128];

	if (!x->dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	if (system(cmd))
		fprintf(stderr, "%s: could not remove %s\n", x->prog ? x->prog : "bench", x->dir);
	x->dir[0] = 0;
}

/* "[exsim]" (spaces allowed inside and around the brackets). */
static bool is_section(const char *line, const char *name, bool *any)
{
	const char *p = line + strspn(line, " \t");
	size_t n = strlen(name);

	*any = *p == '[';
	if (!*any)
		return false;
	p += 1 + strspn(p + 1, " \t");
	if (strncmp(p, name, n))
		return false;
	p += n;
	p += strspn(p, " \t");
	return *p == ']';
}

static bool is_key(const char *line, const char *key)
{
	const char *p = line + strspn(line, " \t");
	size_t n = strlen(key);

	return !strncmp(p, key, n) && (p[n] == ' ' || p[n] == '\t' || p[n] == '=');
}

/*
 * The base scenario with [exsim] load_rate set: an existing load_rate line
 * in [exsim] is replaced, a missing one goes right after the section
 * header, a missing section at the end.
 */
static int copy_scenario(FILE *in, FILE *out, uint64_t load_rate)
{
	char line[1024];
	bool in_exsim = false, done = false, any;

	while (fgets(line, sizeof(line), in)) {
		if (is_section(line, "exsim", &any)) {
			in_exsim = true;
			fputs(line, out);
			if (!strchr(line, '\n'))
				fputc('\n', out);
			fprintf(out, "load_rate = %" PRIu64 "\n", load_rate);
			done = true;
			continue;
		}
		if (any)
			in_exsim = false;
		if (in_exsim && is_key(line, "load_rate"))
			continue;
		fputs(line, out);
	}
	if (ferror(in))
		return -EIO;
	if (!done)
		fprintf(out, "\n[exsim]\nload_rate = %" PRIu64 "\n", load_rate);
	return 0;
}

static int write_scenario(const struct bx_exsim_cfg *c, struct bx_exsim *x, uint64_t load_rate)
{
	FILE *in = NULL, *out;
	int err = 0;

	snprintf(x->scn, sizeof(x->scn), "%s/load-%" PRIu64 ".scn", x->dir, load_rate);
	if (c->scenario) {
		in = fopen(c->scenario, "r");
		if (!in) {
			err = -errno;
			fprintf(stderr, "%s: scenario %s: %s\n", c->prog, c->scenario, strerror(errno));
			return err;
		}
	}
	out = fopen(x->scn, "w");
	if (!out) {
		err = -errno;
		goto out_in;
	}
	fprintf(out, "# %s: %s with load_rate %" PRIu64 "\n", c->prog,
		c->scenario ? c->scenario : "built-in defaults", load_rate);
	if (in)
		err = copy_scenario(in, out, load_rate);
	else
		fprintf(out, "[exsim]\nload_rate = %" PRIu64 "\n", load_rate);
	if (ferror(out) && !err)
		err = -EIO;
	if (fclose(out) && !err)
		err = -errno;
	if (err)
		fprintf(stderr, "%s: write %s: %s\n", c->prog, x->scn, strerror(-err));
out_in:
	if (in)
		fclose(in);
	return err;
}

/* ---- exsim's announcement ----------------------------------------------------------- */

/* The port of the first "wss://HOST:PORT" or "http://HOST:PORT" after key. */
static uint16_t url_port(const char *line, const char *key)
{
	const char *p = strstr(line, key), *colon;
	unsigned long v;
	char *end;

	if (!p)
		return 0;
	p += strlen(key);
	p = strstr(p, "://");
	if (!p)
		return 0;
	colon = strchr(p + 3, ':');
	if (!colon)
		return 0;
	v = strtoul(colon + 1, &end, 10);
	return v > 0 && v < 65536 && end != colon + 1 ? (uint16_t)v : 0;
}

/* src into dst[0..cap), cut short if it must be. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static void parse_line(struct bx_exsim *x, const char *line)
{
	if (!strncmp(line, "exsim: ca ", 10) && strlen(line + 10) < sizeof(x->ca))
		copy_cut(x->ca, sizeof(x->ca), line + 10);
	else if (!strncmp(line, "exsim: binance ", 15)) {
		x->ws_port[BX_BINANCE] = url_port(line, " ws ");
		x->rest_port[BX_BINANCE] = url_port(line, " rest ");
	} else if (!strncmp(line, "exsim: upbit ", 13)) {
		x->ws_port[BX_UPBIT] = url_port(line, " ws ");
		x->rest_port[BX_UPBIT] = url_port(line, " rest ");
	}
	else if (!strncmp(line, "exsim: control ", 15))
		x->control_port = url_port(line, "control");
	else if (!strncmp(line, "exsim: ready", 12))
		copy_cut(x->ready_line, sizeof(x->ready_line), line);
}

/* Read lines until "exsim: ready", EOF or the deadline. */
static int read_ready(struct bx_exsim *x, uint64_t deadline)
{
	char buf[8192];
	size_t len = 0;

	while (!x->ready_line[0]) {
		uint64_t now = bu_mono_ns();
		struct pollfd p = { .fd = x->out_fd, .events = POLLIN };
		char *nl;
		ssize_t n;
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)((deadline - now) / 1000000 + 1));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			continue;
		if (len == sizeof(buf) - 1)
			len = 0;        /* a line this long is not one of ours */
		n = read(x->out_fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ECHILD;
		len += (size_t)n;
		buf[len] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = 0;
			parse_line(x, buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
	}
	return 0;
}

static __attribute__((noreturn)) void child_main(const struct bx_exsim_cfg *c,
						 const struct bx_exsim *x, int out_fd,
						 pid_t parent)
{
	char state[96];
	const char *argv[] = { c->exsim, "--scenario", x->scn, "--state", state, NULL };
	int devnull;

	bu_signals_default();
	/* never outlive the bench */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(1);
	if (c->cpu >= 0 && bu_pin(c->cpu)) {
		fprintf(stderr, "%s: pin exsim to CPU %d: %s\n", c->prog, c->cpu,
			strerror(errno));
		_exit(1);
	}
	snprintf(state, sizeof(state), "%s/state", x->dir);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(1);
	execv(argv[0], (char *const *)argv);
	fprintf(stderr, "%s: exec %s: %s\n", c->prog, argv[0], strerror(errno));
	_exit(127);
}

static void say_exit(const char *prog, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) != pid)
		return;
	if (WIFEXITED(status))
		fprintf(stderr, "%s: exsim exited with status %d\n", prog, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr, "%s: exsim died of signal %d\n", prog, WTERMSIG(status));
}

int bx_exsim_start(struct bx_exsim *x, const struct bx_exsim_cfg *c, uint64_t load_rate)
{
	pid_t parent = getpid(), pid;
	int pfd[2], err;

	x->prog = c->prog;
	x->pid = 0;
	x->out_fd = -1;
	x->ca[0] = x->ready_line[0] = 0;
	memset(x->ws_port, 0, sizeof(x->ws_port));
	memset(x->rest_port, 0, sizeof(x->rest_port));
	x->control_port = 0;
	err = write_scenario(c, x, load_rate);
	if (err)
		return err;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_main(c, x, pfd[1], parent);
	}
	close(pfd[1]);
	x->pid = pid;
	bu_child(BX_EXSIM_SLOT, pid);
	x->out_fd = pfd[0];
	err = read_ready(x, bu_mono_ns() + (uint64_t)c->start_timeout_s * 1000000000ull);
	if (err == -ETIMEDOUT) {
		fprintf(stderr, "%s: exsim did not say \"exsim: ready\" within %u s\n",
			c->prog, c->start_timeout_s);
		goto fail;
	}
	if (err) {
		usleep(100000);
		if (err == -ECHILD)
			fprintf(stderr, "%s: exsim closed its stdout before "
				"\"exsim: ready\"\n", c->prog);
		else
			fprintf(stderr, "%s: reading exsim's stdout: %s\n", c->prog,
				strerror(-err));
		say_exit(c->prog, x->pid);
		goto fail;
	}
	if (!x->ca[0] || !x->ws_port[BX_BINANCE] || !x->ws_port[BX_UPBIT]) {
		fprintf(stderr, "%s: exsim is ready but did not announce %s\n", c->prog,
			!x->ca[0] ? "its CA (exsim: ca PATH)" :
			!x->ws_port[BX_BINANCE] ? "a binance ws listener" :
						  "an upbit ws listener");
		err = -EPROTO;
		goto fail;
	}
	fcntl(x->out_fd, F_SETFL, fcntl(x->out_fd, F_GETFL) | O_NONBLOCK);
	return 0;
fail:
	bx_exsim_stop(x);
	return err;
}

void bx_exsim_drain(struct bx_exsim *x)
{
	char buf[4096];
	ssize_t n;

	if (x->out_fd < 0)
		return;
	while ((n = read(x->out_fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
}

bool bx_exsim_alive(struct bx_exsim *x)
{
	return bu_child_alive(x->prog, "exsim", &x->pid, BX_EXSIM_SLOT);
}

void bx_exsim_stop(struct bx_exsim *x)
{
	bu_child_stop(x->prog, "exsim", &x->pid, BX_EXSIM_SLOT, 3000000000ull, NULL, NULL);
	bx_exsim_drain(x);
	if (x->out_fd >= 0)
		close(x->out_fd);
	x->out_fd = -1;
}

/* ---- the control listener ----------------------------------------------------------- */

/* The number after "key": at or after p, before 'end' (NULL: anywhere). */
static bool json_u64_after(const char *p, const char *end, const char *key, uint64_t *out)
{
	const char *k = strstr(p, key);
	char *e;

	if (!k || (end && k > end))
		return false;
	k += strlen(key);
	k += strspn(k, " \t:");
	errno = 0;
	*out = strtoull(k, &e, 10);
	return e != k && !errno;
}

static void parse_status(const char *body, struct bx_status *st)
{
	bool got[BX_NVENUES] = { false, false };

	json_u64_after(body, NULL, "\"ws_slow_closed\"", &st->ws_slow_closed);
	st->paused = strstr(body, "\"paused\":true") != NULL;
	for (int v = 0; v < BX_NVENUES; v++) {
		char name[32];
		const char *p, *next;

		snprintf(name, sizeof(name), "\"name\":\"%s\"", bx_venue_names[v]);
		p = strstr(body, name);
		if (!p)
			continue;
		next = strstr(p + 1, "\"name\":");
		got[v] = json_u64_after(p, next, "\"published\"", &st->published[v]);
		json_u64_after(p, next, "\"ws_conns\"", &st->ws_conns[v]);
	}
	st->ok = got[BX_BINANCE] && got[BX_UPBIT];
}

/*
 * One request to the control listener, its answer (status line, headers,
 * body) in buf[0..cap), NUL-terminated. 0, or -errno (-EPROTO: not 200).
 */
static int control_req(const struct bx_exsim *x, const char *method, const char *path,
		       char *buf, size_t cap)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(x->control_port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = 2 };
	char req[256];
	size_t len = 0;
	int fd, n, err = 0;

	buf[0] = 0;
	if (!x->control_port)
		return -ENOTCONN;
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Content-Length: 0\r\nConnection: close\r\n\r\n", method, path);
	if (n < 0 || n >= (int)sizeof(req))
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		err = -errno;
		goto out;
	}
	for (;;) {
		ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == cap - 1)
			break;
	}
	buf[len] = 0;
	if (strncmp(buf, "HTTP/1.1 200", 12))
		err = -EPROTO;
out:
	close(fd);
	return err;
}

void bx_exsim_status(const struct bx_exsim *x, struct bx_status *st)
{
	static char buf[65536];
	char *body;

	memset(st, 0, sizeof(*st));
	if (control_req(x, "GET", "/status", buf, sizeof(buf)))
		return;
	body = strstr(buf, "\r\n\r\n");
	if (body)
		parse_status(body + 4, st);
}

int bx_exsim_post(const struct bx_exsim *x, const char *path)
{
	char buf[4096];

	return control_req(x, "POST", path, buf, sizeof(buf));
}

/* ---- rates, coins, CPUs ---------------------------------------------------------------- */

int bx_parse_rate(const char *s, uint64_t *out)
{
	char buf[32];
	uint64_t mult = 1, v;
	size_t n;

	if (!strcmp(s, "max")) {
		*out = BX_RATE_MAX;
		return 0;
	}
	if (!strcmp(s, "quiet")) {
		*out = BX_RATE_QUIET;
		return 0;
	}
	n = strlen(s);
	if (!n || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == 'k' || buf[n - 1] == 'K')
		mult = 1000;
	else if (buf[n - 1] == 'm' || buf[n - 1] == 'M')
		mult = 1000000;
	if (mult > 1)
		buf[n - 1] = 0;
	if (bu_parse_u64(buf, 1, 1000000000ull / mult, &v))
		return -EINVAL;
	*out = v * mult;
	return 0;
}

int bx_parse_rates(const char *s, uint64_t *out, unsigned max, unsigned *n)
{
	char buf[256], *save = NULL, *tok;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == max || bx_parse_rate(tok, &out[*n]))
			return -EINVAL;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

void bx_rate_name(uint64_t rate, char *buf, size_t len)
{
	if (rate == BX_RATE_MAX)
		snprintf(buf, len, "max");
	else if (rate == BX_RATE_QUIET)
		snprintf(buf, len, "quiet");
	else if (rate % 1000000 == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(rate / 1000000));
	else if (rate % 1000 == 0)
		snprintf(buf, len, "%lluk", (unsigned long long)(rate / 1000));
	else
		snprintf(buf, len, "%llu", (unsigned long long)rate);
}

int bx_parse_coins(const char *s, char (*coins)[12], unsigned *n)
{
	char buf[256], *save = NULL, *tok;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -EINVAL;
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(tok);

		if (*n == BX_MAX_COINS || !len || len >= sizeof(coins[0]))
			return -EINVAL;
		for (size_t i = 0; i < len; i++) {
			if (!isalnum((unsigned char)tok[i]))
				return -EINVAL;
			coins[*n][i] = (char)toupper((unsigned char)tok[i]);
		}
		coins[*n][len] = 0;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

int bx_scenario_coins(const char *path, char (*coins)[12], unsigned *n)
{
	static const char *const defaults[] = { "BTC", "ETH", "XRP" };
	char line[1024];
	FILE *f;
	int err = 0;

	*n = 0;
	if (path) {
		f = fopen(path, "r");
		if (!f)
			return -errno;
		while (!err && fgets(line, sizeof(line), f)) {
			char *p = line + strspn(line, " \t"), *end;
			size_t len;

			if (strncmp(p, "[coin.", 6))
				continue;
			p += 6;
			end = strchr(p, ']');
			len = end ? (size_t)(end - p) : 0;
			if (!len || len >= sizeof(coins[0]) || *n == BX_MAX_COINS) {
				err = -EINVAL;
				break;
			}
			for (size_t i = 0; i < len; i++)
				if (!isupper((unsigned char)p[i]) && !isdigit((unsigned char)p[i]))
					err = -EINVAL;
			memcpy(coins[*n], p, len);
			coins[(*n)++][len] = 0;
		}
		if (ferror(f) && !err)
			err = -EIO;
		fclose(f);
		if (err)
			return err;
	}
	if (!*n)
		for (unsigned i = 0; i < 3; i++)
			snprintf(coins[(*n)++], sizeof(coins[0]), "%s", defaults[i]);
	return 0;
}
