/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory segments: named files on hugetlbfs (or /dev/shm as the
 * fallback), mapped MAP_SHARED, pre-faulted and mlock'ed where the limits
 * allow. Every segment starts with a header (magic, layout version, size,
 * creation time, TSC calibration) and a directory of named regions, so a
 * restarted process attaches and finds its rings, tables and metrics where it
 * left them.
 *
 * All functions here are cold: call them at startup or from tools.
 */
#ifndef KIMP_SEGMENT_H
#define KIMP_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kimp/compiler.h"
#include "kimp/tsc.h"

#define SHM_MAGIC          0x4d48535f504d494bULL /* "KIMP_SHM" little-endian */
/*
 * Bump on any change to a struct that lives in shared memory (segment header,
 * ring header, seqlock, metrics, messages). A build with another version
 * refuses to attach.
 */
#define SHM_LAYOUT_VERSION 5u

#define SHM_NAME_MAX       32   /* segment and region names, with the NUL */
#define SHM_MAX_REGIONS    64
#define SHM_REGION_ALIGN   4096 /* regions start on a page boundary */
#define SHM_FILE_PREFIX    "kimp-"

enum shm_region_kind {
	SHM_REGION_RAW = 0,
	SHM_REGION_RING = 1,
	SHM_REGION_SEQTAB = 2,
	SHM_REGION_METRICS = 3,
};

/* One directory entry. Lives in shared memory. */
struct shm_region_ent {
	char name[SHM_NAME_MAX];
	uint64_t off;     /* from the start of the segment */
	uint64_t size;
	uint32_t kind;    /* enum shm_region_kind */
	uint32_t reserved0;
	uint64_t reserved1;
};
KIMP_ASSERT_SIZE(struct shm_region_ent, 64);

#define SHM_BACK_HUGETLBFS 1u
#define SHM_BACK_SHM       2u

/* The segment header. Lives in shared memory at offset 0. */
struct shm_seg_hdr {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t hdr_size;          /* sizeof(struct shm_seg_hdr) */
	uint64_t size;              /* mapped bytes */
	uint64_t created_real_ns;   /* CLOCK_REALTIME at creation */
	uint32_t backing;           /* SHM_BACK_* */
	int32_t creator_pid;
	uint64_t page_size;         /* 2 MiB on hugetlbfs, 4 KiB otherwise */
	char name[SHM_NAME_MAX];
	uint8_t pad0[48];
	/* line 2: TSC calibration, shared by every attached process */
	struct kimp_tsc_cal tsc;
	/* line 3: directory state, guarded by dir_lock (cold path only) */
	uint32_t dir_lock;          /* 0, or the pid that holds it */
	uint32_t nregions;          /* published with release after the entry */
	uint64_t alloc_off;         /* next free byte */
	uint8_t pad1[48];
	struct shm_region_ent dir[SHM_MAX_REGIONS];
};
KIMP_ASSERT_OFFSET(struct shm_seg_hdr, tsc, 128);
KIMP_ASSERT_OFFSET(struct shm_seg_hdr, dir_lock, 192);
KIMP_ASSERT_OFFSET(struct shm_seg_hdr, dir, 256);
KIMP_ASSERT_SIZE(struct shm_seg_hdr, 256 + 64 * SHM_MAX_REGIONS);

/* Where segments live. Fill with shm_opts_default() and override. */
struct shm_opts {
	const char *hugetlbfs_dir;  /* default /dev/hugepages */
	const char *shm_dir;        /* fallback, default /dev/shm */
	bool allow_hugetlbfs;       /* default true */
	bool mlock;                 /* default true; failure is reported, not fatal */
	uint64_t calib_window_ns;   /* TSC calibration window, default 20 ms */
	bool readonly;              /* attach as an observer (tools): PROT_READ,
				     * no prefault, no mlock, no region adds */
};

/*
 * A valid segment or region name: 1 to SHM_NAME_MAX - 1 of A-Z a-z 0-9
 * . _ -, not starting with '.'.
 */
bool shm_name_ok(const char *name);
void shm_opts_default(struct shm_opts *o);

/* A process's handle on a mapped segment. Process-private. */
struct shm_seg {
	struct shm_seg_hdr *hdr;    /* == base */
	uint8_t *base;
	size_t size;
	char path[256];
	bool locked;                /* mlock succeeded */
	bool readonly;
};

/*
 * Create segment 'name' with at least 'size' usable bytes. Fails with -EEXIST
 * when it exists. On hugetlbfs when the mount is there and has enough free
 * pages; otherwise /dev/shm with MADV_HUGEPAGE, reported once per process.
 */
int shm_seg_create(struct shm_seg *s, const char *name, size_t size,
		   const struct shm_opts *o) kimp_cold;

/*
 * Attach to an existing segment. -ENOENT when missing, -EPROTO when the magic
 * or the layout version differ (shm_last_error() says both versions).
 */
int shm_seg_attach(struct shm_seg *s, const char *name,
		   const struct shm_opts *o) kimp_cold;

/* Attach if it exists, else create. */
int shm_seg_open(struct shm_seg *s, const char *name, size_t size,
		 const struct shm_opts *o) kimp_cold;

/* Unmap. The segment stays for the next process. */
void shm_seg_detach(struct shm_seg *s) kimp_cold;

/*
 * Free huge pages usable through the hugetlbfs mounted at 'dir': the
 * mount's own count when it has a size= limit, else the kernel's pool for
 * its page size (free less reserved). 0, or -ENODEV when 'dir' is not
 * hugetlbfs, or -errno.
 */
int shm_hugetlbfs_free(const char *dir, uint64_t *pages, uint64_t *page_size) kimp_cold;

/* Remove segment 'name' (from whichever backing holds it). 0 or -errno. */
int shm_seg_remove(const char *name, const struct shm_opts *o) kimp_cold;

/*
 * Find the backing file of segment 'name': writes its path to 'path'.
 * 0 or -ENOENT.
 */
int shm_seg_path(const char *name, const struct shm_opts *o, char *path,
		 size_t len) kimp_cold;

/*
 * Region directory. shm_region_add() reserves 'size' bytes (zeroed) under
 * 'name'; -EEXIST when taken, -ENOSPC when the segment or directory is full.
 * shm_region_find() returns the entry or NULL. Returned pointers point into
 * the mapping and stay valid until shm_seg_detach().
 */
int shm_region_add(struct shm_seg *s, const char *name, size_t size,
		   enum shm_region_kind kind, void **out) kimp_cold;
const struct shm_region_ent *shm_region_find(const struct shm_seg *s,
					     const char *name) kimp_cold;

static inline void *shm_region_ptr(const struct shm_seg *s,
				   const struct shm_region_ent *e)
{
	return s->base + e->off;
}

/* The segment's TSC calibration. */
static inline const struct kimp_tsc_cal *shm_seg_tsc(const struct shm_seg *s)
{
	return &s->hdr->tsc;
}

/*
 * Validate a header read from the file at 'path' of 'file_size' bytes: 0, or
 * -EPROTO with shm_last_error() set. Only the magic and layout version are
 * read before the versions are known to agree. Used by attach and kimpctl.
 */
int shm_hdr_check(const struct shm_seg_hdr *h, uint64_t file_size,
		  const char *path) kimp_cold;

/*
 * Diagnostics. The text of the last error that a libshm call in this thread
 * returned, naming the file and what differed. Owned by libshm; valid until
 * the next failing call in the same thread.
 */
const char *shm_last_error(void);

/*
 * Cold-path messages ("hugetlbfs unavailable, using /dev/shm", "mlock
 * failed") go to this sink; default prints "kimp: ..." to stderr. Pass NULL
 * to restore the default.
 */
typedef void (*shm_log_fn)(void *ctx, const char *msg);
void shm_set_log(shm_log_fn fn, void *ctx);
void shm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2))) kimp_cold;

/* Reset the "said once" memory (tests). */
void shm_log_reset_once(void);

#endif
