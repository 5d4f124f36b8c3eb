/* SPDX-License-Identifier: MIT */
/*
 * decode_bench's table on stdout and its JSON (bench/results/README.md
 * describes the fields).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "dbench.h"
#include "../common/bench_util.h"

static const char goal_name[] =
	"ours at least 5x faster than cJSON and faster than simdjson on every message type";

static double ratio(const struct db_case *c, enum db_parser p)
{
	return bu_ratio(c->med[p], c->med[DB_OURS]);
}

static bool goal_met(const struct db_case *c)
{
	return ratio(c, DB_CJSON) >= DB_GOAL_CJSON && ratio(c, DB_SIMD) > DB_GOAL_SIMD;
}

static unsigned goal_missed(const struct db_run *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->ncases; i++)
		n += !r->cases[i].probe && !goal_met(&r->cases[i]);
	return n;
}

/* The double path lost something on this lexeme. */
static bool prec_lost(const struct db_prec *p)
{
	return !p->exact_ok || !p->dbl_ok || p->exact != p->dbl;
}

/* ---- the table ------------------------------------------------------------------------------ */

void db_print(const struct db_run *r)
{
	const struct db_cfg *cfg = r->cfg;
	unsigned missed = goal_missed(r);

	printf("\ndecode: CPU ns per message, median of %u rounds (%s); cJSON %s, simdjson %s "
	       "(%s); %s\n", cfg->rounds, cfg->ci ? "ci" : "full", dref_cjson_version(),
	       dref_simd_version(), dref_simd_impl(),
	       cfg->cpu >= 0 ? "pinned" : "not pinned");
	printf("%-33s %6s %9s %9s %9s %9s %10s %9s %-6s | %-19s |\n", "", "", "", "", "",
	       "", "", "", "", "parse only, no fill");
	printf("%-33s %6s %9s %9s %9s %9s %10s %9s %-6s | %9s %9s | %s\n", "input", "bytes",
	       "levels", "ours", "cJSON", "simdjson", "cJSON/ours", "simd/ours", "goal", "cJSON",
	       "simdjson", "disturbed");
	for (unsigned i = 0; i < r->ncases; i++) {
		const struct db_case *c = &r->cases[i];
		char lv[24];

		snprintf(lv, sizeof(lv), "%u+%u", c->nbids, c->nasks);
		printf("%-33s %6zu %9s %9.1f %9.1f %9.1f %9.2fx %8.2fx %-6s | %9.1f %9.1f | "
		       "%u/%u\n", c->name, c->len,
		       c->kind == VD_BOOK || c->kind == VD_DIFF || c->kind == VD_SNAPSHOT ? lv : "-",
		       c->med[DB_OURS], c->med[DB_CJSON], c->med[DB_SIMD], ratio(c, DB_CJSON),
		       ratio(c, DB_SIMD), c->probe ? "probe" : goal_met(c) ? "met" : "MISSED",
		       c->med[DB_CJSON_PARSE],
		       c->med[DB_SIMD_PARSE], c->disturbed, c->rounds * DB_NPARSERS);
	}
	printf("goal (%s): %s", goal_name,
	       missed ? "missed on " : "met on every input (the probes aside)\n");
	if (missed) {
		unsigned k = 0;

		for (unsigned i = 0; i < r->ncases; i++)
			if (!r->cases[i].probe && !goal_met(&r->cases[i]))
				printf("%s%s", k++ ? ", " : "", r->cases[i].name);
		printf("\n");
	}
	for (unsigned i = 0; i < r->ncases; i++)
		if (r->cases[i].probe)
			printf("probe, not in the goal: %s: %s, %s\n", r->cases[i].name,
			       r->cases[i].how, goal_met(&r->cases[i]) ? "the goal's ratios hold" :
			       "below the goal's ratios");
	for (unsigned i = 0; i < r->nskips; i++)
		printf("not measured: %s: %s\n", r->skips[i].name, r->skips[i].why);
	printf("precision of the double path (strtod or a bare number, x 10^dec, llround; ids\n"
	       "through valuedouble as cJSON has them, simdjson reads ids exactly):\n");
	for (unsigned i = 0; i < r->nprec; i++) {
		const struct db_prec *p = &r->prec[i];

		printf("  %-22s %-62s ", p->lexeme, p->what);
		if (!prec_lost(p))
			printf("exact\n");
		else if (!p->exact_ok)
			printf("does not fit int64 at %u decimals\n", p->dec);
		else if (p->dec)
			printf("%" PRId64 " for %" PRId64 "\n", p->dbl, p->exact);
		else
			printf("%" PRIu64 " for %" PRIu64 "\n", (uint64_t)p->dbl, (uint64_t)p->exact);
	}
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static void json_parsers(FILE *f, const char *key, const double *v)
{
	fprintf(f, "\"%s\": {", key);
	for (unsigned p = 0; p < DB_NPARSERS; p++) {
		fprintf(f, "%s\"%s\": ", p ? ", " : "", db_parser_name[p]);
		bu_json_num(f, v[p]);
	}
	fputs("}", f);
}

static void json_rounds(FILE *f, const char *key, const double v[][DB_MAX_ROUNDS],
			unsigned n)
{
	fprintf(f, "\"%s\": {", key);
	for (unsigned p = 0; p < DB_NPARSERS; p++) {
		fprintf(f, "%s\"%s\": [", p ? ", " : "", db_parser_name[p]);
		for (unsigned k = 0; k < n; k++) {
			if (k)
				fputs(", ", f);
			bu_json_num(f, v[p][k]);
		}
		fputs("]", f);
	}
	fputs("}", f);
}

static const char *venue_name(enum kimp_venue v)
{
	switch (v) {
	case KIMP_VENUE_UPBIT: return "upbit";
	case KIMP_VENUE_BITHUMB: return "bithumb";
	case KIMP_VENUE_COINONE: return "coinone";
	case KIMP_VENUE_BINANCE: return "binance";
	case KIMP_VENUE_BYBIT: return "bybit";
	case KIMP_VENUE_OKX: return "okx";
	default: return "?";
	}
}

static void json_case(FILE *f, const struct db_case *c)
{
	fputs("    {\"name\": ", f);
	bu_json_str(f, c->name);
	fprintf(f, ", \"venue\": \"%s\", \"kind\": \"%s\", \"api\": \"%s\",\n",
		venue_name(c->venue), vd_kind_name(c->kind),
		c->snapshot ? "decode_snapshot" : "decode");
	fprintf(f, "     \"source\": {\"file\": ");
	bu_json_str(f, c->file);
	fprintf(f, ", \"line\": %u, \"how\": ", c->line);
	bu_json_str(f, c->how);
	fprintf(f, "}, \"bytes\": %zu, \"bids\": %u, \"asks\": %u, \"verified\": true,\n",
		c->len, c->nbids, c->nasks);
	fprintf(f, "     \"iters_per_round\": {");
	for (unsigned p = 0; p < DB_NPARSERS; p++)
		fprintf(f, "%s\"%s\": %" PRIu64, p ? ", " : "", db_parser_name[p], c->iters[p]);
	fputs("},\n     ", f);
	json_rounds(f, "rounds_ns", c->ns, c->rounds);
	fputs(",\n     ", f);
	json_rounds(f, "rounds_wall_ns", c->wall, c->rounds);
	fprintf(f, ",\n     \"disturbed\": %u,\n     ", c->disturbed);
	json_parsers(f, "median_ns", c->med);
	fputs(",\n     ", f);
	json_parsers(f, "median_wall_ns", c->med_wall);
	fputs(",\n     \"ratio_vs_ours\": {", f);
	fputs("\"cjson\": ", f);
	bu_json_num(f, ratio(c, DB_CJSON));
	fputs(", \"simdjson\": ", f);
	bu_json_num(f, ratio(c, DB_SIMD));
	fprintf(f, "}, \"probe\": %s, \"goal_met\": %s}", c->probe ? "true" : "false",
		goal_met(c) ? "true" : "false");
}

static void json_write(FILE *f, const void *arg)
{
	const struct db_run *r = arg;
	const struct db_cfg *cfg = r->cfg;
	unsigned missed = goal_missed(r), k = 0;

	bu_json_head(f, "decode", cfg->commit);
	fputs(",\n  \"units\": {\"time\": \"ns per message (CPU time of the thread; *_wall_ns: "
	      "wall time)\", \"ratio\": \"the parser's median / ours' median (above 1: ours is "
	      "faster)\"},\n", f);
	bu_json_machine_open(f);
	if (cfg->cpu >= 0)
		fprintf(f, ", \"pinned_cpu\": %d},\n", cfg->cpu);
	else
		fputs(", \"pinned_cpu\": null},\n", f);
	fprintf(f, "  \"config\": {\"mode\": \"%s\", \"rounds\": %u, \"round_ms\": %.0f, "
		"\"px_dec\": %d, \"qty_dec\": %d, \"levels_cap\": %d, \"diff_levels\": %u, "
		"\"snapshot_levels\": %u, \"fixtures\": ", cfg->ci ? "ci" : "full", cfg->rounds,
		(double)cfg->round_ns / 1e6, DB_PX_DEC, DB_QTY_DEC, DB_LEVELS_CAP,
		cfg->diff_levels, cfg->snap_levels);
	bu_json_str(f, cfg->fixtures);
	fputs(", \"only\": ", f);
	if (cfg->only)
		bu_json_str(f, cfg->only);
	else
		fputs("null", f);
	fprintf(f, ",\n    \"parsers\": {\"ours\": \"libvenue venue_md_*.decode / "
		"decode_snapshot\", \"cjson\": \"%s\", \"simdjson\": \"%s\", "
		"\"simdjson_implementation\": ", dref_cjson_version(), dref_simd_version());
	bu_json_str(f, dref_simd_impl());
	fprintf(f, "}},\n  \"wall_s\": %.1f,\n  \"cases\": [\n", r->wall_s);
	for (unsigned i = 0; i < r->ncases; i++) {
		json_case(f, &r->cases[i]);
		fputs(i + 1 < r->ncases ? ",\n" : "\n", f);
	}
	fputs("  ],\n  \"skipped\": [", f);
	for (unsigned i = 0; i < r->nskips; i++) {
		fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", f);
		bu_json_str(f, r->skips[i].name);
		fputs(", \"why\": ", f);
		bu_json_str(f, r->skips[i].why);
		fputs("}", f);
	}
	fputs(r->nskips ? "\n  ],\n" : "],\n", f);
	fputs("  \"precision\": [", f);
	for (unsigned i = 0; i < r->nprec; i++) {
		const struct db_prec *p = &r->prec[i];

		fputs(i ? ",\n    {\"lexeme\": " : "\n    {\"lexeme\": ", f);
		bu_json_str(f, p->lexeme);
		fputs(", \"what\": ", f);
		bu_json_str(f, p->what);
		fprintf(f, ", \"decimals\": %u, \"exact\": ", p->dec);
		if (!p->exact_ok)
			fputs("null", f);
		else if (p->dec)
			fprintf(f, "%" PRId64, p->exact);
		else
			fprintf(f, "%" PRIu64, (uint64_t)p->exact);
		fputs(", \"double_path\": ", f);
		if (!p->dbl_ok)
			fputs("null", f);
		else if (p->dec)
			fprintf(f, "%" PRId64, p->dbl);
		else
			fprintf(f, "%" PRIu64, (uint64_t)p->dbl);
		fprintf(f, ", \"lost\": %s}", prec_lost(p) ? "true" : "false");
	}
	fputs(r->nprec ? "\n  ],\n" : "],\n", f);
	fputs("  \"goal\": {\"text\": ", f);
	bu_json_str(f, goal_name);
	fprintf(f, ", \"cjson_ratio_min\": %.1f, \"simdjson_ratio_above\": %.1f, \"met\": %s, "
		"\"missed\": [", DB_GOAL_CJSON, DB_GOAL_SIMD, missed ? "false" : "true");
	for (unsigned i = 0; i < r->ncases; i++) {
		if (r->cases[i].probe || goal_met(&r->cases[i]))
			continue;
		if (k++)
			fputs(", ", f);
		bu_json_str(f, r->cases[i].name);
	}
	fputs("]}\n}\n", f);
}

int db_json(const struct db_run *r)
{
	return bu_json_file("decode_bench", r->cfg->json_path, json_write, r);
}
