/* SPDX-License-Identifier: MIT */
/*
 * The reference: ../shared/baselines/python_pipeline.py, a typical Python
 * arbitrage bot's per tick work (JSON in, normalize, signal, risk check,
 * order build, serialize, HMAC sign) in one CPython process, run as
 * bench/strat does: a child pinned to the bench's core, its one line
 * "ticks N orders N p50_us X p99_us Y p999_us Z" parsed.
 *
 * Beside it, a snippet of OURS (not part of the baseline): the pipeline's
 * order build, serialize and sign lines alone (the order dict, the query
 * join, hmac-sha256 hexdigest, the signed bytes), copied from
 * process_tick with its SECRET imported from the module, each pass timed
 * with perf_counter_ns and printed in the same line format.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "obench.h"
#include "../common/bench_util.h"

static const char sign_snippet[] =
	"import sys, time, hmac, hashlib\n"
	"sys.path.insert(0, sys.argv[1])\n"
	"import python_pipeline as pp\n"
	"n = int(sys.argv[2])\n"
	"sig = {'symbol': 'BTCUSDT', 'side': 'BUY', 'quantity': 0.01, 'price': 101000.2}\n"
	"lat = []\n"
	"orders = 0\n"
	"for i in range(n):\n"
	"    t0 = time.perf_counter_ns()\n"
	"    order = {'symbol': sig['symbol'], 'side': sig['side'], 'type': 'LIMIT',\n"
	"             'timeInForce': 'IOC', 'quantity': f'{sig[\"quantity\"]:.8f}',\n"
	"             'price': f'{sig[\"price\"]:.2f}', 'timestamp': str(int(time.time() * 1000))}\n"
	"    query = '&'.join(f'{k}={v}' for k, v in order.items())\n"
	"    s = hmac.new(pp.SECRET, query.encode(), hashlib.sha256).hexdigest()\n"
	"    out = (query + '&signature=' + s).encode()\n"
	"    lat.append(time.perf_counter_ns() - t0)\n"
	"    orders += out is not None\n"
	"lat.sort()\n"
	"q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] / 1000\n"
	"print(f'ticks {n} orders {orders} p50_us {q(0.5):.2f} p99_us {q(0.99):.2f} "
	"p999_us {q(0.999):.2f}')\n";

void ob_python_script(const struct ob_cfg *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/python_pipeline.py", cfg->baselines);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run argv pinned to cfg->cpu[0], its stdout into buf: 0 or -errno. */
static int run_child(const struct ob_cfg *cfg, char *const argv[], char *buf, size_t cap,
		     double *wall)
{
	size_t used = 0;
	int fd[2], status, e = 0;
	double t0 = now_s();
	pid_t pid;
	ssize_t n;

	if (pipe(fd)) {
		e = -errno;
		fprintf(stderr, OB_PROG ": pipe: %s\n", strerror(errno));
		return e;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		e = -errno;
		fprintf(stderr, OB_PROG ": fork: %s\n", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return e;
	}
	if (!pid) {
		bu_signals_default();
		if (bu_pin(cfg->cpu[0]))
			_exit(126);
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv(argv[0], argv);
		fprintf(stderr, OB_PROG ": exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	bu_child(1, pid);
	close(fd[1]);
	while (used + 1 < cap && (n = read(fd[0], buf + used, cap - 1 - used)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		used += (size_t)n;
	}
	buf[used] = 0;
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	bu_child(1, 0);
	*wall = now_s() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, OB_PROG ": %s: %s %d\n", argv[0],
			WIFEXITED(status) ? "exit status" : "killed by signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -ECHILD;
	}
	return 0;
}

static int parse_line(const char *what, const char *buf, uint64_t iters, struct ob_py_run *out)
{
	const char *line = strstr(buf, "ticks ");

	if (!line || sscanf(line, "ticks %" SCNu64 " orders %" SCNu64 " p50_us %lf p99_us %lf "
			    "p999_us %lf", &out->ticks, &out->orders, &out->p50_us, &out->p99_us,
			    &out->p999_us) != 5 || out->ticks != iters) {
		fprintf(stderr, OB_PROG ": %s printed no 'ticks %" PRIu64 " orders N p50_us X "
			"p99_us Y p999_us Z' line:\n%s\n", what, iters, buf);
		return -EPROTO;
	}
	return 0;
}

int ob_python_pipe(const struct ob_cfg *cfg, struct ob_py_run *out)
{
	char script[1024], iters[32], buf[4096];
	char *argv[] = { (char *)cfg->python, script, iters, NULL };
	int e;

	ob_python_script(cfg, script, sizeof(script));
	snprintf(iters, sizeof(iters), "%" PRIu64, cfg->py_iters);
	memset(out, 0, sizeof(*out));
	e = run_child(cfg, argv, buf, sizeof(buf), &out->wall_s);
	return e ? e : parse_line(script, buf, cfg->py_iters, out);
}

int ob_python_sign(const struct ob_cfg *cfg, struct ob_py_run *out)
{
	char iters[32], buf[4096];
	char *argv[] = { (char *)cfg->python, (char *)"-c", (char *)sign_snippet,
			 (char *)cfg->baselines, iters, NULL };
	int e;

	snprintf(iters, sizeof(iters), "%" PRIu64, cfg->py_iters);
	memset(out, 0, sizeof(*out));
	e = run_child(cfg, argv, buf, sizeof(buf), &out->wall_s);
	return e ? e : parse_line("the order build+sign snippet", buf, cfg->py_iters, out);
}

void ob_python_version(const struct ob_cfg *cfg, char *buf, size_t len)
{
	char out[256];
	char *argv[] = { (char *)cfg->python, (char *)"-c",
			 (char *)"import sys; print(sys.version.split()[0])", NULL };
	double w;

	snprintf(buf, len, "unknown");
	if (!run_child(cfg, argv, out, sizeof(out), &w)) {
		out[strcspn(out, "\n")] = 0;
		snprintf(buf, len, "%s", out);
	}
}
