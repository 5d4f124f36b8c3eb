/* SPDX-License-Identifier: MIT */
/*
 * kimpctl reset VENUE: clear a venue's sticky failure in orderd. After an
 * auth error, or replies it cannot read several times running, orderd stops
 * the venue's sessions and refuses its orders until an operator has looked
 * (kimp/order.h kimp_ord_state.venue[].sticky). This command asks orderd,
 * through its control region (kimp_ord_control.reset_req/reset_done), to
 * start the venue again: orderd reconnects, syncs the clock and reconciles
 * every live order before it takes a new one.
 *
 * The venue is named as libvenue names it (upbit, binance: the venues with
 * order entry). What orderd did is read back from its state region: the
 * failure cleared, the venue was not stopped (nothing to do), or it stopped
 * again at once (the cause is still there: orderd's log says which).
 *
 * Also the list of venue names sign.c shares (kimpctl.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "kimp/order.h"
#include "kimp/venue_ord.h"
#include "kimpctl.h"

#define RESET_WAIT_DEFAULT_NS 5000000000ull  /* 5 s */

static const char reset_usage[] =
	"  reset VENUE [SEGMENT] [--wait DURATION]\n"
	"                              clear VENUE's sticky failure in orderd (its\n"
	"                              sessions stopped after an auth or protocol\n"
	"                              error): orderd reconnects and reconciles before\n"
	"                              new orders; waits for orderd (default 5s, up\n"
	"                              to 3600s; SEGMENT default " KIMP_ORD_SEGMENT ")\n";

/* orderd's state and control regions, magic and version checked (said). */
static int ord_regions(const struct shm_seg *seg, const char *name,
		       const struct kimp_ord_state **st, struct kimp_ord_control **ctl)
{
	uint64_t size;
	void *p;

	if (kimpctl_region(seg, "reset", name, KIMP_ORD_STATE, sizeof(**st), &p, &size))
		return KIMPCTL_FAIL;
	*st = p;
	if ((*st)->magic != KIMP_ORD_MAGIC || (*st)->version != KIMP_ORD_VERSION)
		return kimpctl_err(KIMPCTL_FAIL, "reset: segment '%s': region '%s' is not orderd's "
				   "state of version %u (magic 0x%08" PRIx32 ", version %" PRIu32
				   ": a orderd of another build, or one still making it)", name,
				   KIMP_ORD_STATE, KIMP_ORD_VERSION, (*st)->magic,
				   (*st)->version);
	if (kimpctl_region(seg, "reset", name, KIMP_ORD_CONTROL, sizeof(**ctl), &p, &size))
		return KIMPCTL_FAIL;
	*ctl = p;
	if ((*ctl)->magic != KIMP_ORD_MAGIC || (*ctl)->version != KIMP_ORD_VERSION)
		return kimpctl_err(KIMPCTL_FAIL, "reset: segment '%s': region '%s' is not orderd's "
				   "control region of version %u (magic 0x%08" PRIx32 ", version %"
				   PRIu32 ")", name, KIMP_ORD_CONTROL, KIMP_ORD_VERSION,
				   (*ctl)->magic, (*ctl)->version);
	return KIMPCTL_OK;
}

static int reset_run(struct kimpctl *k, int argc, char **argv)
{
	const char *pos[2], *venue, *name;
	struct kimpctl_req rq = { .cmd = "reset", .daemon = "orderd",
				  .metrics = KIMP_ORD_METRICS,
				  .wait_ns = RESET_WAIT_DEFAULT_NS };
	const struct venue_ord *vo;
	const struct kimp_ord_state *st = NULL;
	struct kimp_ord_control *ctl = NULL;
	struct shm_seg seg;
	char list[128];
	bool done, was;
	int v, status;

	status = kimpctl_ctl_args(argc, argv, reset_usage, pos, 2, "one VENUE and one SEGMENT",
				  &rq.wait_ns, &done);
	if (status || done)
		return status;
	venue = pos[0];
	name = pos[1];
	if (!venue)
		return kimpctl_usage_err("reset", reset_usage, "a VENUE is needed (one of %s)",
				       venue_ord_names(list, sizeof(list)));
	vo = venue_ord_by_name(venue);
	if (!vo)
		return kimpctl_usage_err("reset", reset_usage, "'%s' is not a venue with order entry (one of %s)", venue,
				       venue_ord_names(list, sizeof(list)));
	v = (int)vo->venue;
	if (!name)
		name = KIMP_ORD_SEGMENT;
	rq.segment = name;

	/* a command writes: kimpctl maps the segment writable */
	k->shm.readonly = false;
	status = shm_seg_attach(&seg, name, &k->shm);
	if (status)
		return kimpctl_err(KIMPCTL_FAIL, "reset: %s%s; nothing was requested",
				   shm_last_error(), status == -ENOENT ?
				   " (orderd makes it when it first starts)" : "");
	status = ord_regions(&seg, name, &st, &ctl);
	if (status)
		goto detach;
	if (st->venue[v].mode == KIMP_ORD_OFF) {
		status = kimpctl_err(KIMPCTL_FAIL, "reset: orderd does not trade %s (no [order.%s] "
				     "in its configuration, or mode = off); nothing was requested",
				     venue, venue);
		goto detach;
	}
	was = st->venue[v].sticky;
	rq.req = (_Atomic uint64_t *)&ctl->reset_req[v];
	rq.done = (_Atomic uint64_t *)&ctl->reset_done[v];
	status = kimpctl_request(&seg, &rq);
	if (status)
		goto detach;
	if (!was)
		printf("orderd: %s was not stopped: nothing to reset\n", venue);
	else if (st->venue[v].sticky)
		printf("orderd: %s: reset, but it stopped again at once: the cause is still "
		       "there (orderd's log says which)\n", venue);
	else
		printf("orderd: %s: sticky failure cleared: reconnecting and reconciling before "
		       "new orders\n", venue);
	fflush(stdout);
detach:
	shm_seg_detach(&seg);
	return status;
}

const struct kimpctl_cmd kimpctl_cmd_reset = {
	.name = "reset",
	.usage = reset_usage,
	.run = reset_run,
};
