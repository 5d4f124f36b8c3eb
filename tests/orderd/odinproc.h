/* SPDX-License-Identifier: MIT */
/*
 * An orderd opened in the test's own process (orderd_open on the config
 * odt_conf writes), against exsim and riskd's ring from odtest.h, its
 * report rings attached as t's consumers, turned until 'venue' is ready
 * and riskd's ring is attached. For tests that drive orderd's turns
 * themselves (the hot path, orderd_step). Close with odt_inproc_close.
 */
#ifndef KIMP_TEST_ODINPROC_H
#define KIMP_TEST_ODINPROC_H

#include "odtest.h"
#include "kimp/config.h"
#include "kimp/daemon.h"
#include "../../orderd/orderd.h"

/* exsim's market moving slowly, no jumps */
#define ODT_QUIET_SCENARIO                                                                    \
	"[exsim]\nseed = 7\nstep = 100ms\n[market]\nusdkrw_vol = 0.01\npremium_vol = 0.0002\n"  \
	"jump_rate = 0\njump_size = 0\n[coin.BTC]\nvol = 0.05\nkrw_vol_bps = 0.1\n"

struct odt_inproc {
	struct orderd_conf conf;
	struct orderd_keys keys;
	struct orderd d;
	struct kimp_conf *kc;
};

static inline void odt_inproc_open(struct odt *t, struct odt_inproc *p, unsigned venue,
				   const char *extra_orderd)
{
	struct shm_opts so;
	char path[160], err[768];

	odt_init(t);
	odt_exsim(t, ODT_QUIET_SCENARIO);
	odt_riskd(t);
	odt_conf(t, 1u << venue, extra_orderd, NULL, NULL, path, sizeof(path));
	cr_assert_eq(kimp_conf_load(path, &p->kc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(orderd_conf_load(p->kc, &p->conf, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kimp_shm_opts_conf(p->kc, &so, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(orderd_keys_load(&p->conf, &p->keys, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(orderd_open(&p->d, &p->conf, &p->keys, &so, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(shm_seg_attach(&t->od, t->od_name, &t->so), 0);
	t->od_att = true;
	struct shm_ring *r1, *r2;
	cr_assert_eq(shm_ring_lookup(&t->od, KIMP_ORD_REP_RISKD, &r1), 0);
	cr_assert_eq(shm_ring_lookup(&t->od, KIMP_ORD_REP_STRATD, &r2), 0);
	cr_assert_eq(shm_ring_consumer(r1, &t->rep), 0);
	cr_assert_eq(shm_ring_consumer(r2, &t->rep2), 0);
	uint64_t end = kimp_mono_ns() + ODT_DEADLINE_NS;
	while (!p->d.st->venue[venue].ready || !p->d.have_orders) {
		orderd_turn(&p->d, 64);
		odt_poll(t);
		cr_assert_lt(kimp_mono_ns(), end, "venue %u never ready", venue);
	}
}

static inline void odt_inproc_close(struct odt *t, struct odt_inproc *p)
{
	orderd_close(&p->d);
	orderd_keys_free(&p->keys);
	kimp_conf_free(p->kc);
	odt_fini(t);
}

#endif
