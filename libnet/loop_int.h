/* SPDX-License-Identifier: MIT */
/*
 * libnet internals shared by the loop (loop.c) and the operations kept in
 * their own files (futex.c): the loop's submission queue and ring, the tags
 * those operations put in user_data, and where their completions go.
 * Not for use outside libnet.
 */
#ifndef KIMP_LIBNET_LOOP_INT_H
#define KIMP_LIBNET_LOOP_INT_H

#include <stdint.h>
#include "kimp/net.h"
#include "kimp/netfutex.h"

struct io_uring;
struct io_uring_sqe;

/* Operation kinds (the low 4 bits of user_data) handled outside loop.c. */
#define NET_OP_FUTEX        12u  /* a futex wait: net_futex_done() */
#define NET_OP_FUTEX_CANCEL 13u  /* its cancellation: nothing to do */

/* A free SQE, submitting what is queued if the SQ is full (NULL: none even then). */
struct io_uring_sqe *net_loop_sqe(struct net_loop *l);
/* The loop's ring (cold uses: probing). */
struct io_uring *net_loop_uring(struct net_loop *l);
/* The loop's futex probe result: 0 not probed yet, 1 supported, -1 not. */
int8_t *net_loop_futex_state(struct net_loop *l);

/* futex.c: a futex wait's completion (called by the loop's dispatch). */
void net_futex_done(struct net_futex_wait *w, int res);

#endif
