/* SPDX-License-Identifier: MIT */
/*
 * A futex wait as an io_uring operation of libnet's loop
 * (IORING_OP_FUTEX_WAIT, Linux 6.7 and later), so one thread can sleep in
 * io_uring on its network completions and on a shared-memory doorbell at
 * once: a daemon whose hybrid consumer has spun out arms a wait on its
 * ring's doorbell word (kimp/ring.h struct shm_doorbell.seq) and then runs
 * the loop with a long timeout; a producer's shm_doorbell_wake (a plain,
 * shared FUTEX_WAKE) completes the wait, and so does any socket event.
 *
 * The wait is on a 32-bit word, shared (not process-private: the word lives
 * in a segment other processes map), with the match-any bitset, which is
 * what the legacy FUTEX_WAKE the doorbell makes wakes. The kernel compares
 * the word with the expected value when the loop submits the wait (the
 * next net_loop_run): a word that already changed completes at once with
 * -EAGAIN, exactly like futex(2), so the usual protocol (read the sequence,
 * announce sleeping, re-check the inputs, then wait for that sequence)
 * loses no wake-up.
 *
 * liburing 2.3's headers do not know the operation: the SQE is filled by
 * hand (opcode 51; addr the word, addr2 the expected value, addr3 the
 * bitset, fd the FUTEX2_* flags, the op flags 0).
 *
 * Kernels without it (or a loop told not to use it, net_loop_futex_disable)
 * answer net_loop_has_futex() false and net_loop_futex_wait() -EOPNOTSUPP:
 * the caller falls back to a timed net_loop_run and polls its inputs. The
 * probe (IORING_REGISTER_PROBE) runs once per loop, on first use (cold: a
 * system call and an allocation); after that arming a wait is a few stores
 * into the SQ.
 */
#ifndef KIMP_NETFUTEX_H
#define KIMP_NETFUTEX_H

#include <stdbool.h>
#include <stdint.h>
#include "kimp/net.h"

/* What liburing 2.3 lacks (linux/io_uring.h, linux/futex.h of 6.7+). */
#define NET_IORING_OP_FUTEX_WAIT   51
#define NET_FUTEX2_SIZE_U32        0x02u
#define NET_FUTEX2_PRIVATE         128u
#define NET_FUTEX_BITSET_MATCH_ANY 0xffffffffu

/*
 * Caller storage for one wait; must stay put while armed (and until the
 * loop has seen its cancellation). 16-byte aligned: the loop tags its
 * address. 'arg' is the caller's.
 */
struct net_futex_wait {
	void (*cb)(struct net_futex_wait *w, int res);
	void *arg;
	/* private */
	struct net_loop *loop;
	bool armed, cancelling;
} __attribute__((aligned(16)));

/*
 * Does the loop's kernel do futex waits? Probed on the first call for this
 * loop (cold), then a load. False after net_loop_futex_disable().
 */
bool net_loop_has_futex(struct net_loop *l);

/* Never use futex waits on this loop (tests, or an operator's choice). */
void net_loop_futex_disable(struct net_loop *l) kimp_cold;

/*
 * Arm w: wait until the 32-bit word at addr (4-byte aligned; shared memory
 * is fine) is woken by a futex wake, unless it no longer holds val when the
 * loop submits the wait. cb(w, res) then runs from net_loop_run: res 0
 * woken, -EAGAIN the word held another value, -ECANCELED cancelled
 * (net_futex_cancel), another -errno from the kernel (a -EINVAL or
 * -EOPNOTSUPP also turns the loop's futex support off, so the caller falls
 * back). Returns 0 when armed; -EBUSY w is armed; -EINVAL no cb, a NULL or
 * misaligned addr; -EOPNOTSUPP no futex waits on this loop (nothing
 * queued, no callback). A loop freed with a wait armed calls nothing.
 */
int net_loop_futex_wait(struct net_loop *l, struct net_futex_wait *w, const uint32_t *addr,
			uint32_t val, void (*cb)(struct net_futex_wait *w, int res));

/* Cancel an armed wait: its cb comes with -ECANCELED (or 0 / -EAGAIN, if it
 * completed first). Nothing when w is not armed. */
void net_futex_cancel(struct net_futex_wait *w);

static inline bool net_futex_armed(const struct net_futex_wait *w)
{
	return w->armed;
}

#endif
