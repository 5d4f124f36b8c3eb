/* SPDX-License-Identifier: MIT */
/*
 * The reference: ../shared/baselines/python_pipeline.py, a typical Python
 * arbitrage bot's per-tick work (JSON in, normalize, signal, risk check,
 * order build, serialize, HMAC sign) in one CPython process. It is run as
 * a child pinned to the core the bench measures on, and its one line of
 * output, "ticks N orders N p50_us X p99_us Y p999_us Z", is parsed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sbench.h"
#include "../common/bench_util.h"

void sb_python_script(const struct sb_cfg *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/python_pipeline.py", cfg->baselines);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int sb_python_run(const struct sb_cfg *cfg, struct sb_py_run *out)
{
	char script[1024], iters[32], buf[4096];
	const char *line;
	size_t used = 0;
	int fd[2], status, e = 0;
	double t0 = now_s();
	pid_t pid;
	ssize_t n;

	sb_python_script(cfg, script, sizeof(script));
	snprintf(iters, sizeof(iters), "%" PRIu64, cfg->py_iters);
	memset(out, 0, sizeof(*out));
	if (pipe(fd)) {
		e = -errno;
		fprintf(stderr, "strat_bench: pipe: %s\n", strerror(errno));
		return e;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		e = -errno;
		fprintf(stderr, "strat_bench: fork: %s\n", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		return e;
	}
	if (!pid) {
		bu_signals_default();
		if (bu_pin(cfg->cpu))
			_exit(126);
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execl(cfg->python, cfg->python, script, iters, (char *)NULL);
		fprintf(stderr, "strat_bench: exec %s: %s\n", cfg->python, strerror(errno));
		_exit(127);
	}
	bu_child(0, pid);
	close(fd[1]);
	while (used + 1 < sizeof(buf) && (n = read(fd[0], buf + used, sizeof(buf) - 1 - used)) != 0) {
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
	bu_child(0, 0);
	out->wall_s = now_s() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "strat_bench: %s %s %s: %s %d\n", cfg->python, script, iters,
			WIFEXITED(status) ? "exit status" : "killed by signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -ECHILD;
	}
	line = strstr(buf, "ticks ");
	if (!line || sscanf(line, "ticks %" SCNu64 " orders %" SCNu64 " p50_us %lf p99_us %lf "
			    "p999_us %lf", &out->ticks, &out->orders, &out->p50_us, &out->p99_us,
			    &out->p999_us) != 5 || out->ticks != cfg->py_iters) {
		fprintf(stderr, "strat_bench: %s printed no 'ticks %s orders N p50_us X p99_us Y "
			"p999_us Z' line:\n%s\n", script, iters, buf);
		return -EPROTO;
	}
	return 0;
}
