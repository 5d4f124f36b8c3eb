/* SPDX-License-Identifier: MIT */
/*
 * Keep a connection up: when it fails or drops, dial again after the
 * backoff (exponential, full jitter, cap, reset after a stable period, a
 * per-host budget of attempts per minute: backoff.h) on a loop timer.
 *
 *   dial()          starts an attempt (e.g. ws_conn_connect); its failure,
 *                   returned or reported later, goes to net_redial_down()
 *   net_redial_up   the attempt succeeded
 *   net_redial_down it failed, or the connection went down: dial again later
 *
 * Names are resolved by dial(), so the reconnect path is where DNS happens.
 */
#ifndef KIMP_REDIAL_H
#define KIMP_REDIAL_H

#include "kimp/backoff.h"
#include "kimp/net.h"

struct net_redial {
	struct net_timer timer;         /* first: the loop fires it */
	struct net_loop *loop;
	struct net_backoff bo;
	int (*dial)(struct net_redial *r);
	void *arg;
	uint64_t dials;                 /* attempts started */
	uint64_t last_dial_ns;
	uint64_t next_at_ns;            /* the scheduled attempt, 0 if none */
	uint64_t last_delay_ns;         /* what the backoff last asked for */
	bool up, stopped;
};

int net_redial_init(struct net_redial *r, struct net_loop *l,
		    const struct net_backoff_conf *conf, uint64_t seed,
		    int (*dial)(struct net_redial *r), void *arg) kimp_cold;
/* Dial now (or when the budget allows). */
void net_redial_start(struct net_redial *r) kimp_cold;
void net_redial_up(struct net_redial *r) kimp_cold;
void net_redial_down(struct net_redial *r) kimp_cold;
/*
 * No more attempts. The timer may still fire (harmlessly): keep r in place
 * until the loop is freed.
 */
void net_redial_stop(struct net_redial *r) kimp_cold;

#endif
