/* SPDX-License-Identifier: MIT */
/*
 * Reconnect with backoff on a loop timer.
 */
#include <errno.h>
#include <string.h>
#include "kimp/redial.h"

/*
 * Dial at 'at'. An armed timer is left alone: when it fires, fire() sees
 * next_at_ns still ahead and waits out the rest.
 */
static void schedule(struct net_redial *r, uint64_t at)
{
	uint64_t now = net_now_ns();

	r->next_at_ns = at;
	r->last_delay_ns = at > now ? at - now : 0;
	if (net_timer_armed(&r->timer))
		return;
	net_timer_start(r->loop, &r->timer, r->last_delay_ns ? r->last_delay_ns : 1);
}

static void try_dial(struct net_redial *r)
{
	uint64_t now = net_now_ns(), retry;
	int err;

	if (r->stopped || r->up)
		return;
	if (net_backoff_attempt(&r->bo, now, &retry)) {
		schedule(r, retry); /* the budget is spent until then */
		return;
	}
	r->next_at_ns = 0;
	r->dials++;
	r->last_dial_ns = now;
	err = r->dial(r);
	if (err)
		net_redial_down(r);
}

static void fire(struct net_timer *t)
{
	struct net_redial *r = (struct net_redial *)t;

	if (r->next_at_ns && net_now_ns() < r->next_at_ns) {
		/* re-scheduled later while this timer was armed */
		net_timer_start(r->loop, &r->timer, r->next_at_ns - net_now_ns());
		return;
	}
	try_dial(r);
}

int net_redial_init(struct net_redial *r, struct net_loop *l,
		    const struct net_backoff_conf *conf, uint64_t seed,
		    int (*dial)(struct net_redial *r), void *arg)
{
	memset(r, 0, sizeof(*r));
	r->loop = l;
	r->dial = dial;
	r->arg = arg;
	r->timer.fn = fire;
	return net_backoff_init(&r->bo, conf, seed);
}

void net_redial_start(struct net_redial *r)
{
	r->stopped = false;
	try_dial(r);
}

void net_redial_up(struct net_redial *r)
{
	r->up = true;
	net_backoff_up(&r->bo, net_now_ns());
}

void net_redial_down(struct net_redial *r)
{
	r->up = false;
	if (r->stopped)
		return;
	schedule(r, net_backoff_down(&r->bo, net_now_ns()));
}

/* A timer still armed fires into try_dial, which sees 'stopped'. Not
 * cancelled: a later start must not find a timer stuck in cancellation. */
void net_redial_stop(struct net_redial *r)
{
	r->stopped = true;
	r->next_at_ns = 0;
}
