/* SPDX-License-Identifier: MIT */
/*
 * Faults on one venue: the state in v->fs that the server and the venue
 * files consult.
 *
 *   counted (gap, malformed, truncate, drop_response, http_5xx): 'count'
 *       is added to the venue's counter; sim_fault_take spends one.
 *   timed (stall, delay, burst_429): in force until now + duration; a
 *       later fault of the same kind replaces the time (so a duration of 0
 *       ends one early), and delay also replaces the delay.
 *   clock_skew: the venue's clock is off by skew_ms from now on (0 resets).
 *   ban: armed now; the next request (sim_fault_banned) starts a ban of
 *       'duration', and it and every request until the ban ends are
 *       answered 418. A ban applied while armed replaces the duration; one
 *       applied during a ban arms a new one for the next request after it.
 *   disconnect: the server closes the connections; here it is only counted.
 *
 * applied[kind] counts the faults applied (not the messages they spoiled),
 * and each one is written to the ledger when there is one. Applying is a
 * cold path (it formats the ledger line); the predicates are hot and cheap.
 */
#include <inttypes.h>
#include <stdio.h>
#include "server.h"

/* The ledger's "fault" event: the fault as given, and the venue it hit. */
static void fault_ledger(struct sim_venue *v, const struct sim_fault *f, uint64_t now_ns)
{
	char json[320];

	if (!v->x || !v->x->ledger)
		return;
	snprintf(json, sizeof(json),
		 "\"venue\":\"%s\",\"kind\":\"%s\",\"at_ns\":%" PRIu64 ",\"now_ns\":%" PRIu64
		 ",\"duration_ns\":%" PRIu64 ",\"delay_ns\":%" PRIu64 ",\"count\":%" PRIu32
		 ",\"skew_ms\":%" PRId64,
		 v->cfg ? v->cfg->name : "", sim_fault_name(f->kind), f->at_ns, now_ns,
		 f->duration_ns, f->delay_ns, f->count, f->skew_ms);
	sim_ledger_event(v->x->ledger, "fault", json);
}

static void add_count(uint32_t *c, uint32_t n)
{
	*c = n > UINT32_MAX - *c ? UINT32_MAX : *c + n;
}

static uint64_t until(uint64_t now_ns, uint64_t duration_ns)
{
	return duration_ns > UINT64_MAX - now_ns ? UINT64_MAX : now_ns + duration_ns;
}

void sim_fault_apply(struct sim_venue *v, const struct sim_fault *f, uint64_t now_ns)
{
	struct sim_fault_state *s = &v->fs;
	/* a counted fault given with no count (made by hand) still does something */
	uint32_t n = f->count ? f->count : 1;

	switch (f->kind) {
	case SIM_FAULT_DISCONNECT:
		break;
	case SIM_FAULT_STALL:
		s->stall_until_ns = until(now_ns, f->duration_ns);
		break;
	case SIM_FAULT_GAP:
		add_count(&s->gap, n);
		break;
	case SIM_FAULT_MALFORMED:
		add_count(&s->malformed, n);
		break;
	case SIM_FAULT_TRUNCATE:
		add_count(&s->truncate, n);
		break;
	case SIM_FAULT_DROP_RESPONSE:
		add_count(&s->drop_response, n);
		break;
	case SIM_FAULT_DELAY:
		s->delay_until_ns = until(now_ns, f->duration_ns);
		s->delay_ns = f->delay_ns;
		break;
	case SIM_FAULT_HTTP_5XX:
		add_count(&s->http5xx, n);
		break;
	case SIM_FAULT_BURST_429:
		s->burst429_until_ns = until(now_ns, f->duration_ns);
		break;
	case SIM_FAULT_CLOCK_SKEW:
		s->skew_ms = f->skew_ms;
		break;
	case SIM_FAULT_BAN:
		s->ban_armed = true;
		s->ban_ns = f->duration_ns;
		break;
	case SIM_FAULT_NONE:
	case SIM_FAULT_KIND_COUNT:
	default:
		return;         /* not a fault: nothing applied, nothing logged */
	}
	s->applied[f->kind]++;
	fault_ledger(v, f, now_ns);
}

/* The counter behind a counted kind, or NULL. */
static uint32_t *counter(struct sim_fault_state *s, enum sim_fault_kind k)
{
	switch (k) {
	case SIM_FAULT_GAP:
		return &s->gap;
	case SIM_FAULT_MALFORMED:
		return &s->malformed;
	case SIM_FAULT_TRUNCATE:
		return &s->truncate;
	case SIM_FAULT_DROP_RESPONSE:
		return &s->drop_response;
	case SIM_FAULT_HTTP_5XX:
		return &s->http5xx;
	default:
		return NULL;
	}
}

bool sim_fault_take(struct sim_venue *v, enum sim_fault_kind k)
{
	uint32_t *c = counter(&v->fs, k);

	if (!c || !*c)
		return false;
	(*c)--;
	return true;
}

bool sim_fault_stalled(const struct sim_venue *v, uint64_t now_ns)
{
	return now_ns < v->fs.stall_until_ns;
}

bool sim_fault_429(const struct sim_venue *v, uint64_t now_ns)
{
	return now_ns < v->fs.burst429_until_ns;
}

uint64_t sim_fault_delay(const struct sim_venue *v, uint64_t now_ns)
{
	return now_ns < v->fs.delay_until_ns ? v->fs.delay_ns : 0;
}

#define MS_NS 1000000ull

bool sim_fault_banned(struct sim_venue *v, uint64_t now_ns, uint64_t *left_ns)
{
	struct sim_fault_state *s = &v->fs;
	uint64_t left;

	if (s->ban_armed) {
		s->ban_armed = false;
		s->ban_until_ns = until(now_ns, s->ban_ns);
	} else if (now_ns >= s->ban_until_ns) {
		return false;
	}
	left = s->ban_until_ns > now_ns ? s->ban_until_ns - now_ns : 0;
	*left_ns = left < MS_NS ? MS_NS : left;
	return true;
}

void sim_venue_answered(struct sim_venue *v, unsigned status)
{
	if (status == 429)
		v->sent_429++;
	else if (status == 418)
		v->sent_418++;
}

void sim_fault_status(const struct sim_venue *v, struct jw *w, uint64_t now_ns)
{
	const struct sim_fault_state *s = &v->fs;

	jw_lit(w, ",\"sent_429\":");
	jw_u64(w, v->sent_429);
	jw_lit(w, ",\"sent_418\":");
	jw_u64(w, v->sent_418);
	jw_lit(w, ",\"ban_armed\":");
	jw_lit(w, s->ban_armed ? "true" : "false");
	jw_lit(w, ",\"ban_left_ms\":");
	jw_u64(w, now_ns < s->ban_until_ns ? (s->ban_until_ns - now_ns + MS_NS - 1) / MS_NS : 0);
	jw_lit(w, ",\"rate_limits\":");
	jw_lit(w, !v->cfg || v->cfg->rate_limits ? "true" : "false");
}
