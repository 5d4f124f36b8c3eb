/* SPDX-License-Identifier: MIT */
/*
 * exsim's latency trace (sim/trace.c): the header, records with their
 * kind, venue, sequence, TSC and client id, the buffer written out exactly
 * when full and at close, client ids at and past the kept length, the
 * errors (no path, no directory, a full disk on the header and on a flush),
 * off by default, and in a running exsim: a market frame sent and an Upbit
 * order received become records with the order's identifier.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "kimp/sign.h"
#include "kimp/tsc.h"
#include "kimp/venue_id.h"
#include "../testutil.h"
#include "simtest.h"

TestSuite(trace);

static char dir[64], path[128];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/kimp-trace-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.bin", dir);
}

static void rm_tmp(void)
{
	unlink(path);
	rmdir(dir);
}

static off_t size_of(const char *p)
{
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	return st.st_size;
}

/* The file: header into *h, records into r[0..cap): the record count. */
static size_t read_trace(const char *p, struct sim_trace_hdr *h, struct sim_trace_rec *r,
			 size_t cap)
{
	FILE *f = fopen(p, "rb");
	cr_assert_not_null(f);
	cr_assert_eq(fread(h, sizeof(*h), 1, f), 1, "no header");
	size_t n = fread(r, sizeof(*r), cap, f);
	fclose(f);
	return n;
}

static struct sim_scenario sc;

static void defaults(void)
{
	char err[256];
	cr_assert_eq(sim_scenario_load(&sc, NULL, err, sizeof(err)), 0, "%s", err);
}

Test(trace, off_by_default)
{
	struct sim_exch x;
	defaults();
	cr_assert_eq(sc.trace_path[0], '\0', "the built-in scenario traces");
	memset(&x, 0x5a, sizeof(x));
	cr_assert_eq(sim_exch_init(&x, NULL, NULL), 0);
	cr_assert_null(x.trace, "an exchange starts with a trace");
	sim_exch_free(&x);
}

Test(trace, the_scenario_key_names_a_file_beside_the_scenario)
{
	char scn[160], err[256];
	mkdir_tmp();
	snprintf(scn, sizeof(scn), "%s/s.scn", dir);
	test_write_text(scn, "[exsim]\ntrace = out.bin\n");
	cr_assert_eq(sim_scenario_load(&sc, scn, err, sizeof(err)), 0, "%s", err);
	char want[200];
	snprintf(want, sizeof(want), "%s/out.bin", dir);
	cr_assert_str_eq(sc.trace_path, want);
	unlink(scn);
	rm_tmp();
}

Test(trace, records_and_header)
{
	struct sim_trace *t;
	struct sim_trace_hdr h;
	struct sim_trace_rec r[16];

	mkdir_tmp();
	defaults();
	cr_assert_eq(sim_trace_open(&t, path, &sc, 0), 0);
	uint64_t t0 = kimp_rdtsc();
	sim_trace_md(t, 0, t0 + 1);
	sim_trace_md(t, 1, t0 + 2);
	sim_trace_order(t, 0, t0 + 3, "kimp123");
	sim_trace_order(t, 1, t0 + 4, "");
	sim_trace_order(t, 1, t0 + 5, NULL);
	sim_trace_md(t, SIM_MAX_VENUES, t0 + 6); /* no such venue */
	cr_assert_eq(sim_trace_count(t), 6);
	cr_assert_eq(size_of(path), 64, "buffered records were written early");
	cr_assert_eq(sim_trace_close(t), 0);

	cr_assert_eq(read_trace(path, &h, r, 16), 6);
	cr_assert_eq(memcmp(h.magic, SIM_TRACE_MAGIC, 8), 0);
	cr_assert_eq(h.version, SIM_TRACE_VERSION);
	cr_assert_eq(h.rec_size, 64);
	cr_assert_gt(h.tsc_hz, 0);
	cr_assert(h.start_tsc > 0 && h.start_tsc <= t0);
	cr_assert_gt(h.start_real_ns, 0);
	cr_assert_eq(h.venue_id[0], KIMP_VENUE_UPBIT, "the defaults: upbit first");
	cr_assert_eq(h.venue_id[1], KIMP_VENUE_BINANCE);
	const uint8_t kind[6] = { 1, 1, 2, 2, 2, 1 };
	const uint8_t ven[6] = { KIMP_VENUE_UPBIT, KIMP_VENUE_BINANCE, KIMP_VENUE_UPBIT,
				 KIMP_VENUE_BINANCE, KIMP_VENUE_BINANCE, KIMP_VENUE_NONE };
	for (unsigned i = 0; i < 6; i++) {
		cr_assert_eq(r[i].kind, kind[i], "record %u", i);
		cr_assert_eq(r[i].venue, ven[i], "record %u", i);
		cr_assert_eq(r[i].seq, i + 1, "record %u", i);
		cr_assert_eq(r[i].tsc, t0 + 1 + i, "record %u", i);
	}
	cr_assert_eq(r[0].cid_len, 0);
	cr_assert_eq(r[0].cid[0], '\0');
	cr_assert_eq(r[2].cid_len, 7);
	cr_assert_str_eq(r[2].cid, "kimp123");
	cr_assert_eq(r[3].cid_len, 0);
	cr_assert_eq(r[4].cid_len, 0);
	rm_tmp();
}

Test(trace, the_buffer_is_written_when_full_and_not_before)
{
	struct sim_trace *t;

	mkdir_tmp();
	cr_assert_eq(sim_trace_open(&t, path, NULL, 4), 0);
	for (unsigned i = 0; i < 4; i++)
		sim_trace_md(t, 0, i + 1);
	cr_assert_eq(size_of(path), 64, "4 of 4: still buffered");
	sim_trace_md(t, 0, 5);
	cr_assert_eq(size_of(path), 64 + 4 * 64, "the 5th writes the full buffer out");
	cr_assert_eq(sim_trace_flush(t), 0);
	cr_assert_eq(size_of(path), 64 + 5 * 64);
	cr_assert_eq(sim_trace_flush(t), 0, "an empty flush");
	cr_assert_eq(size_of(path), 64 + 5 * 64);
	cr_assert_eq(sim_trace_close(t), 0);
	cr_assert_eq(size_of(path), 64 + 5 * 64);
	rm_tmp();
}

Test(trace, client_ids_at_and_past_the_kept_length)
{
	struct sim_trace *t;
	struct sim_trace_hdr h;
	struct sim_trace_rec r[4];
	char at[SIM_TRACE_CID + 1], over[SIM_TRACE_CID + 2], huge[300];

	memset(at, 'a', SIM_TRACE_CID);
	at[SIM_TRACE_CID] = 0;
	memset(over, 'b', SIM_TRACE_CID + 1);
	over[SIM_TRACE_CID + 1] = 0;
	memset(huge, 'c', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	mkdir_tmp();
	cr_assert_eq(sim_trace_open(&t, path, NULL, 0), 0);
	sim_trace_order(t, 0, 1, at);
	sim_trace_order(t, 0, 2, over);
	sim_trace_order(t, 0, 3, huge);
	cr_assert_eq(sim_trace_close(t), 0);
	cr_assert_eq(read_trace(path, &h, r, 4), 3);
	cr_assert_eq(r[0].cid_len, SIM_TRACE_CID);
	cr_assert_eq(memcmp(r[0].cid, at, SIM_TRACE_CID), 0);
	cr_assert_eq(r[1].cid_len, SIM_TRACE_CID + 1, "the whole length, not the kept one");
	cr_assert_eq(memcmp(r[1].cid, over, SIM_TRACE_CID), 0);
	cr_assert_eq(r[2].cid_len, 255, "a length past 255 says 255");
	cr_assert_eq(r[1].seq, 2, "a long id does not spill into the next record");
	rm_tmp();
}

Test(trace, open_errors)
{
	struct sim_trace *t = (struct sim_trace *)&t;

	cr_assert_eq(sim_trace_open(&t, "", NULL, 0), -EINVAL);
	cr_assert_null(t);
	cr_assert_eq(sim_trace_open(&t, NULL, NULL, 0), -EINVAL);
	cr_assert_eq(sim_trace_open(&t, "/nonexistent-kimp-dir/t.bin", NULL, 0), -ENOENT);
	cr_assert_null(t);
	cr_assert_eq(sim_trace_open(&t, "/dev/full", NULL, 0), -ENOSPC, "the header fails");
	cr_assert_null(t);
	cr_assert_eq(sim_trace_close(NULL), 0);
}

Test(trace, a_failed_write_is_kept_and_reported_at_close)
{
	struct sim_trace *t;
	struct rlimit rl = { 64 + 2 * 64, 64 + 2 * 64 };

	mkdir_tmp();
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_eq(sim_trace_open(&t, path, NULL, 4), 0);
	for (unsigned i = 0; i < 5; i++)
		sim_trace_md(t, 0, i + 1);
	cr_assert_eq(sim_trace_error(t), -EFBIG, "the full buffer's write failed: %d",
		     sim_trace_error(t));
	sim_trace_md(t, 0, 6);
	cr_assert_eq(sim_trace_flush(t), -EFBIG, "the error stays");
	cr_assert_eq(sim_trace_count(t), 6);
	cr_assert_eq(sim_trace_close(t), -EFBIG);
	rm_tmp();
}

/* ---- in a running exsim ------------------------------------------------------------------ */

#define KEY    "exsimUpbitAccessKey000000000000000000000"
#define SECRET "exsimUpbitSecretKey000000000000000000000"

/* A signed Upbit order (query hash over qs), as test_upbit.c makes them. */
static struct simtest_resp *upbit_order(struct simtest *t, struct simtest_http *h,
					const char *ident)
{
	char qs[256], body[320], payload[640], tok[1024], hdr[1200];
	char hash[VENUE_HEX_LEN(VENUE_SHA512_LEN)];

	snprintf(qs, sizeof(qs), "market=KRW-BTC&side=bid&volume=0.01&price=1000000&"
		 "ord_type=limit&identifier=%s", ident);
	snprintf(body, sizeof(body), "{\"market\":\"KRW-BTC\",\"side\":\"bid\",\"volume\":\"0.01\","
		 "\"price\":\"1000000\",\"ord_type\":\"limit\",\"identifier\":\"%s\"}", ident);
	cr_assert_eq(venue_sha512_hex(qs, strlen(qs), hash, sizeof(hash)), 128);
	snprintf(payload, sizeof(payload), "{\"access_key\":\"%s\",\"nonce\":\"%s-nonce\","
		 "\"query_hash\":\"%s\",\"query_hash_alg\":\"SHA512\"}", KEY, ident, hash);
	cr_assert_gt(venue_jwt_sign(VENUE_SHA512, SECRET, strlen(SECRET), NULL, 0, payload,
				    strlen(payload), tok, sizeof(tok)), 0);
	snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s\r\n"
		 "Content-Type: application/json; charset=utf-8\r\n", tok);
	return simtest_http_on(t, h, "POST", "/v1/orders", hdr, body);
}

Test(trace, exsim_records_frames_sent_and_orders_received)
{
	struct simtest t;
	struct sim_trace *tr;
	static struct sim_trace_rec r[4096];
	struct sim_trace_hdr h;

	simtest_start(&t, "[exsim]\nstep = 5ms\n[venue.upbit]\npublish = 10ms\n");
	snprintf(path, sizeof(path), "%s/trace.bin", t.dir);
	cr_assert_eq(sim_trace_open(&tr, path, &t.sc, 0), 0);
	sim_server_exch(t.s)->trace = tr;

	struct simtest_ws *c = simtest_ws_open(&t, "upbit", false, "/websocket/v1", NULL);
	cr_assert_eq(simtest_ws_text(c, "[{\"ticket\":\"t\"},{\"type\":\"orderbook\","
				     "\"codes\":[\"KRW-BTC\"]}]"), 0);
	cr_assert(simtest_ws_wait(&t, c, 3), "no market frames");
	uint64_t before = kimp_rdtsc();
	struct simtest_http *hc = simtest_http_client(&t, "upbit");
	struct simtest_resp *o = upbit_order(&t, hc, "kimp4242");
	uint64_t after = kimp_rdtsc();
	cr_assert_eq(o->err, 0);
	cr_assert_eq(o->status, 201, "%u %s", o->status, o->body);
	simtest_resp_free(o);

	sim_server_exch(t.s)->trace = NULL;
	uint64_t n = sim_trace_count(tr);
	cr_assert_eq(sim_trace_close(tr), 0);
	size_t got = read_trace(path, &h, r, 4096);
	cr_assert_eq(got, n < 4096 ? n : 4096);
	unsigned md = 0, ord = 0;
	uint64_t last_md = 0;
	for (size_t i = 0; i < got; i++) {
		cr_assert_eq(r[i].seq, i + 1);
		cr_assert_eq(r[i].venue, KIMP_VENUE_UPBIT, "only upbit has a client");
		if (r[i].kind == SIM_TRACE_MD) {
			md++;
			cr_assert_geq(r[i].tsc, last_md, "frames out of order");
			last_md = r[i].tsc;
		} else {
			cr_assert_eq(r[i].kind, SIM_TRACE_ORDER);
			ord++;
			cr_assert_str_eq(r[i].cid, "kimp4242");
			cr_assert(r[i].tsc >= before && r[i].tsc <= after,
				  "the receipt TSC is outside the request");
		}
	}
	cr_assert_geq(md, c->nmsg, "frames the client got (%u) but no record (%u)", c->nmsg, md);
	cr_assert_eq(ord, 1);
	simtest_http_free(&t, hc);
	simtest_ws_free(&t, c);
	simtest_stop(&t);
}
