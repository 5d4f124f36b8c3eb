/* SPDX-License-Identifier: MIT */
/*
 * kimpctl stats: every metrics region of every kimp segment in the shm
 * directories ([shm] hugetlbfs and shm_dir): per region its writer (proc,
 * pid, heartbeat age), counters, gauges and histograms (count, p50, p90,
 * p99, p99.9, max: out_hist), as kimpctl shm inspect prints a metrics
 * region. A segment that cannot be attached, or a corrupt region, is
 * reported in the document ("error") and makes the exit status 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kimp/metrics.h"
#include "kimpctl.h"
#include "views.h"

static const char stats_usage[] =
	"  stats [--json]              every metrics region of every segment:\n"
	"                              counters, gauges, histograms (count,\n"
	"                              p50/p90/p99/p99.9/max)\n";

static bool region_in_bounds(const struct shm_seg *seg, const struct shm_region_ent *e)
{
	return e->off >= sizeof(struct shm_seg_hdr) && e->off <= seg->size &&
	       e->size <= seg->size - e->off;
}

/* The metrics regions of one segment, each an object of the array. */
static int stats_seg(struct kimpctl *k, struct out *o, const char *name)
{
	const struct shm_seg_hdr *h;
	struct shm_seg seg;
	char rname[SHM_NAME_MAX + 1], title[2 * SHM_NAME_MAX + 32];
	const char *why;
	int status = KIMPCTL_OK;

	if (shm_seg_attach(&seg, name, &k->shm)) {
		out_obj_begin(o, NULL, name);
		out_str(o, "segment", name);
		out_str(o, "error", shm_last_error());
		out_obj_end(o);
		return KIMPCTL_FAIL;
	}
	h = seg.hdr;
	for (uint32_t i = 0; i < atomic_load_explicit((_Atomic uint32_t *)&h->nregions, memory_order_acquire) &&
		    i < SHM_MAX_REGIONS; i++) {
		const struct shm_region_ent *e = &h->dir[i];

		if (e->kind != SHM_REGION_METRICS)
			continue;
		snprintf(rname, sizeof(rname), "%.*s", SHM_NAME_MAX, e->name);
		snprintf(title, sizeof(title), "%s/%s", name, rname);
		out_obj_begin(o, NULL, title);
		if (o->json) {
			out_str(o, "segment", name);
			out_str(o, "region", rname);
		}
		why = NULL;
		if (!region_in_bounds(&seg, e))
			why = "the region lies outside the segment";
		else if (kimpctl_out_metrics(o, shm_region_ptr(&seg, e), e->size, &why))
			why = why ? why : "corrupt";
		if (why) {
			out_str(o, "error", why);
			status = KIMPCTL_FAIL;
		}
		out_obj_end(o);
	}
	shm_seg_detach(&seg);
	return status;
}

int kimpctl_view_stats(struct kimpctl *k, FILE *f, bool json)
{
	struct kimpctl_seg_name *names;
	size_t n;
	int status = kimpctl_seg_names(k, &names, &n);
	struct out o;

	if (!names)
		return status;
	out_init(&o, f, json);
	out_obj_begin(&o, NULL, json ? NULL : "metrics");
	out_arr_begin(&o, "regions");
	for (size_t i = 0; i < n; i++)
		if (stats_seg(k, &o, names[i].name))
			status = KIMPCTL_FAIL;
	out_arr_end(&o);
	out_obj_end(&o);
	out_finish(&o);
	free(names);
	return status;
}

static int stats_run(struct kimpctl *k, int argc, char **argv)
{
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage:\n%s", stats_usage);
			return KIMPCTL_OK;
		}
		if (strcmp(argv[i], "--json")) {
			kimpctl_err(KIMPCTL_USAGE, "stats: unexpected '%s'", argv[i]);
			fprintf(stderr, "usage:\n%s", stats_usage);
			return KIMPCTL_USAGE;
		}
		json = true;
	}
	return kimpctl_view_stats(k, stdout, json);
}

const struct kimpctl_cmd kimpctl_cmd_stats = {
	.name = "stats",
	.usage = stats_usage,
	.run = stats_run,
};
