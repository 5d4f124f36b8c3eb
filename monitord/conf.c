/* SPDX-License-Identifier: MIT */
/*
 * monitord's configuration: the [monitord] section (keys and defaults in
 * /work/notes/conf_monitord.txt), and the control token, read once at
 * start from token_file (mode 0600 at most: refused otherwise) or the
 * environment variable token_env.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "monitord.h"
#include "views.h"

#define SEC "monitord"

/* "A.B.C.D:PORT" into *a. 0 or -EINVAL. */
static int parse_addr(const char *s, struct sockaddr_in *a)
{
	const char *colon = strrchr(s, ':');
	char host[64];
	char *end;
	unsigned long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host) || !colon[1])
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port > 65535 || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, !strcmp(host, "localhost") ? "127.0.0.1" : host,
		      &a->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

/* The token in 'path': its first line, mode 0600 or stricter. */
static int read_token(const char *path, char *out, size_t cap, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), ret = 0;

	if (fd < 0) {
		snprintf(err, errlen, "[" SEC "] token_file %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "[" SEC "] token_file %s: not a regular file", path);
		ret = -EINVAL;
		goto close_fd;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "[" SEC "] token_file %s: mode %04o lets others read it "
			 "(chmod 600)", path, (unsigned)(st.st_mode & 07777));
		ret = -EPERM;
		goto close_fd;
	}
	n = read(fd, out, cap - 1);
	if (n < 0) {
		snprintf(err, errlen, "[" SEC "] token_file %s: %s", path, strerror(errno));
		ret = -errno;
		goto close_fd;
	}
	out[n] = 0;
	out[strcspn(out, "\r\n")] = 0;
	if (!out[0]) {
		snprintf(err, errlen, "[" SEC "] token_file %s: empty", path);
		ret = -EINVAL;
	}
close_fd:
	close(fd);
	return ret;
}

/* The www directory beside the binary's tree: up from exe's directory. */
static void default_www(const char *exe, char *out, size_t cap)
{
	char dir[PATH_MAX], probe[PATH_MAX + 64];

	snprintf(out, cap, "monitord/www");
	if (!exe || !realpath(exe, dir))
		return;
	for (int up = 0; up < 5; up++) {
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir)
			return;
		*slash = 0;
		snprintf(probe, sizeof(probe), "%s/monitord/www/index.html", dir);
		if (!access(probe, R_OK)) {
			size_t n = strlen(probe) - strlen("/index.html");

			if (n < cap) {
				memcpy(out, probe, n);
				out[n] = 0;
			}
			return;
		}
	}
}

/*
 * The log drain's keys: log_dir (default RUN_DIR/logs of [supervisor],
 * where the supervisor writes NAME.log; "" off), log_max_bytes, log_keep,
 * log_drain_every. 0 or -EINVAL with "FILE:LINE: key ..." in err.
 */
static int log_conf(const struct kimp_conf *c, struct mon_conf *out, char *err, size_t errlen)
{
	const char *dir = kimp_conf_get(c, SEC, "log_dir");
	char run[MON_PATH_MAX - 16];

	if (kimp_conf_u64_in(c, SEC, "log_max_bytes", 64ull << 20, 256, 1ull << 50,
			     &out->log_max_bytes, err, errlen) ||
	    kimp_conf_u64_in(c, SEC, "log_keep", 5, 0, 1000, &out->log_keep, err, errlen) ||
	    kimp_conf_ns_in(c, SEC, "log_drain_every", 100000000ull, 1000000ull, 10000000000ull,
			    &out->log_drain_every_ns, err, errlen))
		return -EINVAL;
	if (dir) {
		if (strlen(dir) >= sizeof(out->log_dir) - 64 || strchr(dir, '\n')) {
			snprintf(err, errlen, "%s:%u: key '" SEC ".log_dir': '%.40s...' is too long "
				 "(at most %d bytes)", kimp_conf_name(c),
				 kimp_conf_line(c, SEC, "log_dir"), dir, MON_PATH_MAX - 65);
			return -EINVAL;
		}
		snprintf(out->log_dir, sizeof(out->log_dir), "%s", dir);   /* "": off */
		return 0;
	}
	if (kimpctl_run_dir(c, run, sizeof(run), err, errlen))
		return -EINVAL;
	snprintf(out->log_dir, sizeof(out->log_dir), "%s/logs", run);
	return 0;
}

int mon_conf_load(const struct kimp_conf *c, const char *exe, struct mon_conf *out, char *err,
		  size_t errlen)
{
	const char *s, *tf, *te, *procs;
	uint64_t hb_def = 5000000000ull;

	memset(out, 0, sizeof(*out));
	if (kimp_conf_segment(c, SEC, "name", "monitord", out->name, err, errlen))
		return -EINVAL;
	if (kimp_conf_str(c, SEC, "listen", "127.0.0.1:9480", &s, err, errlen))
		return -EINVAL;
	if (parse_addr(s, &out->listen)) {
		snprintf(err, errlen, "[" SEC "] listen '%s': not A.B.C.D:PORT", s);
		return -EINVAL;
	}
	if (kimp_conf_str(c, SEC, "ws_listen", "", &s, err, errlen))
		return -EINVAL;
	out->ws_own = *s != 0;
	if (out->ws_own && parse_addr(s, &out->ws_listen)) {
		snprintf(err, errlen, "[" SEC "] ws_listen '%s': not A.B.C.D:PORT", s);
		return -EINVAL;
	}
	if (kimp_conf_ns_in(c, SEC, "push_every", 500000000ull, 10000000ull, 60000000000ull,
			    &out->push_every_ns, err, errlen))
		return -EINVAL;
	if (kimp_conf_ns(c, "supervisor", "heartbeat_timeout", hb_def, &hb_def, err, errlen) ||
	    kimp_conf_ns_in(c, SEC, "heartbeat_timeout", hb_def, 1000000ull, 3600000000000ull,
			    &out->heartbeat_timeout_ns, err, errlen))
		return -EINVAL;
	if (kimp_conf_ns_in(c, SEC, "control_wait", 2000000000ull, 0, 60000000000ull,
			    &out->control_wait_ns, err, errlen))
		return -EINVAL;
	if (kimp_conf_str(c, SEC, "www", NULL, &s, err, errlen))
		return -EINVAL;
	if (s)
		snprintf(out->www, sizeof(out->www), "%s", s);
	else
		default_www(exe, out->www, sizeof(out->www));
	if (kimp_conf_str(c, SEC, "procs", "feedd stratd riskd orderd", &procs, err, errlen))
		return -EINVAL;
	for (const char *p = procs; *p;) {
		size_t n;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (!n)
			break;
		if (out->nprocs == MON_PROCS_MAX || n >= SHM_NAME_MAX) {
			snprintf(err, errlen, "[" SEC "] procs: at most %d names of at most %d "
				 "characters", MON_PROCS_MAX, SHM_NAME_MAX - 1);
			return -EINVAL;
		}
		memcpy(out->procs[out->nprocs], p, n);
		out->procs[out->nprocs++][n] = 0;
		p += n;
	}
	if (log_conf(c, out, err, errlen))
		return -EINVAL;
	if (kimp_conf_str(c, SEC, "token_file", NULL, &tf, err, errlen) ||
	    kimp_conf_str(c, SEC, "token_env", "KIMP_MONITOR_TOKEN", &te, err, errlen))
		return -EINVAL;
	if (tf && *tf) {
		if (read_token(tf, out->token, sizeof(out->token), err, errlen))
			return -EINVAL;
		out->token_src = "token_file";
	} else if (te && *te && (s = getenv(te)) && *s) {
		if (strlen(s) >= sizeof(out->token)) {
			snprintf(err, errlen, "[" SEC "] token_env %s: longer than %d bytes", te,
				 MON_TOKEN_MAX - 1);
			return -EINVAL;
		}
		snprintf(out->token, sizeof(out->token), "%s", s);
		out->token_src = "token_env";
	}
	return 0;
}

bool mon_token_eq(const char *want, const char *got, size_t got_len)
{
	size_t wl = strlen(want);
	unsigned diff = wl != got_len;

	/* every byte of the presented token is looked at, whatever matches */
	for (size_t i = 0; i < got_len; i++)
		diff |= (unsigned)(unsigned char)got[i] ^
			(unsigned)(unsigned char)(i < wl ? want[i] : 0);
	return wl && !diff;
}
