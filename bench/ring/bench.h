/* SPDX-License-Identifier: MIT */
/*
 * Ring benchmark: kimp's SPSC ring against ck_ring and a pipe, between two
 * processes pinned to two cores.
 *
 * The parent (CPU a) always measures; a child forked per test (CPU b) is the
 * peer: the echo side of ping-pong, the producer of the one-way and
 * throughput tests. Channels live in shared memory made before the fork.
 */
#ifndef KIMP_BENCH_RING_H
#define KIMP_BENCH_RING_H

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/segment.h"
#include "kimp/tsc.h"

#define BENCH_INLINE static inline __attribute__((always_inline))

#define BENCH_NSIZES  2
/*
 * Each round runs on channels of its own, allocated up front: fresh pages,
 * so the rounds see different physical placements of the hot lines (which
 * home L3 slice serves them), and the median is over placements.
 */
#define BENCH_MAX_SETS 12
#define BENCH_MSG_MAX 128
#define BENCH_BATCH   64
/* A spinning side with less of its CPU than this was disturbed. */
#define BENCH_SHARE_OK 0.95

enum bench_tp { TP_KIMP, TP_CK, TP_PIPE, TP_NR };

enum bench_test {
	T_PINGPONG,   /* round trip through two channels */
	T_ONEWAY,     /* paced, producer's TSC in the message */
	T_TPUT,       /* one message per call */
	T_TPUT_BATCH, /* batch API (kimp only) */
	T_NR,
};

struct bench_cfg {
	unsigned int rounds;
	uint64_t pp_n;           /* ping-pong round trips, after the warm-up */
	uint64_t ow_n;           /* one-way messages, after the warm-up */
	uint64_t tput_n;         /* throughput messages */
	uint64_t warmup_n;       /* round trips per ring before the first round */
	unsigned int pipe_lat_div;  /* the pipe does n / div: a syscall a message */
	unsigned int pipe_tput_div;
	uint32_t slots;
	uint32_t batch;
	uint64_t gap_ns;         /* one-way: pause after the ack before a send */
	unsigned int timeout_s;  /* one test, both processes */
	int cpu[2];              /* parent (measures), child (peer) */
	bool ci;
	const char *json_path;
	const char *commit;
};

/* Control block shared by parent and child, reset before each test. */
struct bench_ctl {
	_Atomic uint32_t ready;     /* child attached and waiting */
	_Atomic uint32_t go;        /* parent says start */
	_Atomic int32_t peer_err;   /* child's set-up error (-errno) */
	uint32_t pad;
	_Atomic uint64_t peer_errors; /* child's verification failures */
	_Atomic uint64_t peer_share;  /* child's CPU time / wall time, ppm */
	uint8_t pad0[KIMP_FALSE_SHARING - 32];
	_Atomic uint64_t ack;       /* one-way: messages the consumer has taken */
	uint8_t pad1[KIMP_FALSE_SHARING - 8];
};

/* One test between the two processes. */
struct bench_run {
	const struct bench_cfg *cfg;
	struct bench_ctl *ctl;
	const struct kimp_tsc_cal *cal;
	void *chan;              /* the transport's channel for this size */
	size_t size;             /* 64 or 128 */
	uint64_t n;              /* measured messages or round trips */
	uint64_t warm;           /* unmeasured ones first */
	uint64_t gap_ticks;
	uint64_t *samples;       /* parent: n latencies, in ticks */
	uint64_t t_start;        /* parent: TSC when it said go */
	uint64_t ticks;          /* throughput: go to the last message */
	uint64_t errors;         /* messages that failed verification */
	uint64_t negative;       /* one-way: receive stamp before send stamp */
	double cpu_share;        /* CPU time / wall time, the lower side */
	uint64_t steal_ms;       /* hypervisor steal on the two CPUs */
};

typedef int (*bench_fn)(struct bench_run *r);

struct bench_env {
	const struct bench_cfg *cfg;
	const struct kimp_tsc_cal *cal;
	struct bench_ctl *ctl;
	unsigned int nsets;      /* channel sets; round i uses set i % nsets */
	void *chan[BENCH_MAX_SETS][TP_NR][BENCH_NSIZES];
	/* kimp */
	struct shm_opts opts;
	struct shm_seg seg;
	char seg_name[SHM_NAME_MAX];
	bool seg_made;
};

struct transport {
	const char *name;
	bool blocking;                         /* sleeps: cpu_share means nothing */
	int (*init)(struct bench_env *env);    /* channels: every set, size */
	void (*fini)(struct bench_env *env);
	int (*open)(struct bench_run *r);      /* per test, before the fork */
	void (*close)(struct bench_run *r);    /* per test, child reaped */
	bench_fn main[T_NR];                   /* parent: measures */
	bench_fn peer[T_NR];                   /* child */
};

extern const struct transport tp_kimp, tp_ck, tp_pipe;
extern const size_t bench_sizes[BENCH_NSIZES];

/* Latency summary, one-way ns. */
struct bench_lat {
	double p50, p99, p999, max;
};

/* Every figure for one transport and message size in one round. */
struct bench_fig {
	struct bench_lat pp;     /* ping-pong RTT / 2 */
	struct bench_lat ow;     /* timestamped one-way */
	double mps;              /* Mmsg/s, single-message API */
	double mps_batch;        /* Mmsg/s, batch API; NAN when none */
	uint64_t ow_negative;
	double cpu_share;        /* lowest of its tests; < 1: something else ran */
	uint64_t steal_ms;       /* hypervisor took the vCPUs away this long */
};

/* harness.c */
int bench_pin(int cpu);
int bench_signals(void);
void bench_abort_unlink(const char *path);
int bench_run_test(const struct transport *t, enum bench_test kind,
		   struct bench_run *r);
int bench_start_main(struct bench_run *r);
void bench_start_peer(struct bench_run *r);
void bench_lat_from_ticks(struct bench_lat *l, uint64_t *ticks, uint64_t n,
			  const struct kimp_tsc_cal *cal, unsigned int div);
double bench_median(double *v, unsigned int n);

/* report.c */
void bench_print(const struct bench_cfg *cfg, const struct bench_env *env,
		 const struct bench_fig *med);
int bench_json(const struct bench_cfg *cfg, const struct bench_env *env,
	       const struct bench_fig *rounds, const struct bench_fig *med);

/* Figures are stored [round][transport][size]. */
static inline size_t bench_fig_idx(unsigned int round, unsigned int tp, unsigned int si)
{
	return ((size_t)round * TP_NR + tp) * BENCH_NSIZES + si;
}

/* ---- messages ------------------------------------------------------------
 * Word 0 is the header word a kimp ring owns (its slot mark: see ring.h), so
 * msg_fill leaves it alone; ck_ring and the pipe carry it as payload like
 * any other word. Word 1 the sequence number, word 2 the sender's TSC
 * (one-way), the body derived from the sequence, the last word the sequence
 * xor a key: a torn, stale or misplaced message fails msg_ok().
 */
#define MSG_KEY 0x9e3779b97f4a7c15ull

struct msg64 {
	uint64_t w[8];
};

struct msg128 {
	uint64_t w[16];
};

BENCH_INLINE void msg_fill(void *m, size_t size, uint64_t seq)
{
	uint64_t *w = m;
	size_t n = size / 8;

	w[1] = seq;
	w[2] = 0;
	for (size_t i = 3; i < n - 1; i++)
		w[i] = seq + i;
	w[n - 1] = seq ^ MSG_KEY;
}

BENCH_INLINE void msg_stamp(void *m, uint64_t tsc)
{
	((uint64_t *)m)[2] = tsc;
}

BENCH_INLINE uint64_t msg_stamp_of(const void *m)
{
	return ((const uint64_t *)m)[2];
}

BENCH_INLINE bool msg_ok(const void *m, size_t size, uint64_t seq)
{
	const uint64_t *w = m;

	return w[1] == seq && w[size / 8 - 1] == (seq ^ MSG_KEY);
}

/* fmin() without libm (the bench links without -lm). */
static inline double bench_dmin(double a, double b)
{
	return b < a ? b : a;
}

/* Wait until the TSC has moved on by 'ticks'. */
BENCH_INLINE void bench_pause_ticks(uint64_t ticks)
{
	uint64_t t0 = kimp_rdtsc();

	while (kimp_rdtsc() - t0 < ticks)
		kimp_cpu_relax();
}

/* One-way pacing: wait until the consumer has taken 'seq' messages. */
BENCH_INLINE void bench_wait_ack(const struct bench_run *r, uint64_t seq)
{
	while (atomic_load_explicit(&r->ctl->ack, memory_order_acquire) < seq)
		kimp_cpu_relax();
	bench_pause_ticks(r->gap_ticks);
}

BENCH_INLINE void bench_ack(const struct bench_run *r, uint64_t seq)
{
	atomic_store_explicit(&r->ctl->ack, seq, memory_order_release);
}

/* One-way sample: receive stamp minus send stamp; clocks that disagree count. */
BENCH_INLINE void bench_ow_sample(struct bench_run *r, uint64_t i, uint64_t t0,
				  uint64_t t1)
{
	if (i < r->warm)
		return;
	if (kimp_unlikely(t1 < t0)) {
		r->negative++;
		t1 = t0;
	}
	r->samples[i - r->warm] = t1 - t0;
}

/*
 * The loops take the message size as a constant: FN##_sz(r, size) is
 * always inlined into FN(r) twice, once per size.
 */
#define BENCH_BY_SIZE(fn)						\
static int fn(struct bench_run *r)					\
{									\
	return r->size == 64 ? fn##_sz(r, 64) : fn##_sz(r, 128);	\
}

#endif
