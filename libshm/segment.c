/* SPDX-License-Identifier: MIT */
/*
 * Named shared-memory segments on hugetlbfs, or /dev/shm as the fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "kimp/segment.h"
#include "shm_internal.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define SHM_SMALL_PAGE 4096ull
#define SHM_DATA_START shm_align_up(sizeof(struct shm_seg_hdr), SHM_REGION_ALIGN)

void shm_opts_default(struct shm_opts *o)
{
	o->hugetlbfs_dir = "/dev/hugepages";
	o->shm_dir = "/dev/shm";
	o->allow_hugetlbfs = true;
	o->mlock = true;
	o->calib_window_ns = 20000000ull;
	o->readonly = false;
}

static const struct shm_opts *opts_or_default(const struct shm_opts *o,
					      struct shm_opts *tmp)
{
	if (o)
		return o;
	shm_opts_default(tmp);
	return tmp;
}

bool shm_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SHM_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static int seg_file(char *path, size_t len, const char *dir, const char *name)
{
	int n = snprintf(path, len, "%s/" SHM_FILE_PREFIX "%s", dir, name);
	return (n < 0 || (size_t)n >= len) ? -ENAMETOOLONG : 0;
}

int shm_seg_path(const char *name, const struct shm_opts *o, char *path, size_t len)
{
	struct shm_opts tmp;
	const char *dirs[2];

	o = opts_or_default(o, &tmp);
	dirs[0] = o->hugetlbfs_dir;
	dirs[1] = o->shm_dir;
	if (!shm_name_ok(name))
		return shm_fail(-EINVAL, "bad segment name '%s' (1-%d of [A-Za-z0-9._-])",
				name, SHM_NAME_MAX - 1);
	for (int i = 0; i < 2; i++) {
		if (!dirs[i] || seg_file(path, len, dirs[i], name))
			continue;
		if (access(path, F_OK) == 0)
			return 0;
	}
	return shm_fail(-ENOENT, "segment '%s' not found in %s or %s", name,
			o->hugetlbfs_dir, o->shm_dir);
}

static int read_sys_u64(const char *path, uint64_t *v)
{
	unsigned long long x;
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%llu", &x) == 1;
	fclose(f);
	if (!ok)
		return -EINVAL;
	*v = x;
	return 0;
}

int shm_hugetlbfs_free(const char *dir, uint64_t *pages, uint64_t *page_size)
{
	char path[128];
	uint64_t nfree, resv;
	struct statfs st;

	if (statfs(dir, &st))
		return shm_fail(-errno, "%s: %s", dir, strerror(errno));
	if ((unsigned long)st.f_type != HUGETLBFS_MAGIC)
		return shm_fail(-ENODEV, "%s is not a hugetlbfs mount", dir);
	*page_size = (uint64_t)st.f_bsize;
	if (st.f_blocks) {
		/* a mount with size=: its own accounting */
		*pages = (uint64_t)st.f_bfree;
		return 0;
	}
	/* no size limit: statfs says 0, the pool for this page size decides */
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%llukB/free_hugepages",
		 (unsigned long long)(*page_size >> 10));
	if (read_sys_u64(path, &nfree))
		return shm_fail(-ENOENT, "%s: cannot read %s", dir, path);
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%llukB/resv_hugepages",
		 (unsigned long long)(*page_size >> 10));
	if (read_sys_u64(path, &resv))
		resv = 0;
	*pages = nfree > resv ? nfree - resv : 0;
	return 0;
}

/*
 * Is there a hugetlbfs at 'dir' with room for 'bytes'? If not, why not, in
 * 'why'.
 */
static bool hugetlbfs_usable(const char *dir, uint64_t bytes, uint64_t *page,
			     char *why, size_t whylen)
{
	uint64_t nfree, need;

	if (shm_hugetlbfs_free(dir, &nfree, page)) {
		snprintf(why, whylen, "%s", shm_last_error());
		return false;
	}
	need = shm_align_up(bytes, *page) / *page;
	if (nfree < need) {
		snprintf(why, whylen,
			 "%s has %llu free huge pages of %llu KiB, %llu needed "
			 "(reserve more in /proc/sys/vm/nr_hugepages)",
			 dir, (unsigned long long)nfree,
			 (unsigned long long)(*page >> 10), (unsigned long long)need);
		return false;
	}
	return true;
}

/* The kernel's shmem THP policy: the bracketed word of shmem_enabled. */
static const char *shmem_thp_mode(void)
{
	static char mode[32];
	char buf[128], *l, *r;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "re");

	snprintf(mode, sizeof(mode), "unknown");
	if (!f)
		return mode;
	if (fgets(buf, sizeof(buf), f) && (l = strchr(buf, '[')) && (r = strchr(l, ']'))) {
		*r = 0;
		snprintf(mode, sizeof(mode), "%s%s", l + 1,
			 strcmp(l + 1, "never") ? "" : ", so 4 KiB pages");
	}
	fclose(f);
	return mode;
}

static void seg_lock_memory(struct shm_seg *s, const struct shm_opts *o)
{
	struct rlimit rl;

	s->locked = false;
	if (!o->mlock)
		return;
	if (mlock(s->base, s->size) == 0) {
		s->locked = true;
		return;
	}
	if (shm_once(SHM_ONCE_MLOCK)) {
		getrlimit(RLIMIT_MEMLOCK, &rl);
		shm_log("mlock of segment %s failed (%s; RLIMIT_MEMLOCK %llu KiB): "
			"pages may be swapped out", s->path, strerror(errno),
			(unsigned long long)(rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur >> 10));
	}
}

/* Fault every page in now, so the hot path never takes a page fault. */
static void seg_prefault(struct shm_seg *s, uint64_t page)
{
	if (madvise(s->base, s->size, MADV_POPULATE_WRITE) == 0)
		return;
	for (size_t off = 0; off < s->size; off += page)
		((volatile uint8_t *)s->base)[off] = ((volatile uint8_t *)s->base)[off];
}

static int seg_map(struct shm_seg *s, int fd, size_t size, uint32_t backing,
		   uint64_t page, const struct shm_opts *o)
{
	int prot = o->readonly ? PROT_READ : PROT_READ | PROT_WRITE;
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return shm_fail(-errno, "mmap %s (%zu bytes): %s", s->path, size,
				strerror(errno));
	s->base = p;
	s->hdr = p;
	s->size = size;
	if (o->readonly)
		return 0; /* an observer: no prefault, no lock */
	if (backing == SHM_BACK_SHM && madvise(p, size, MADV_HUGEPAGE) &&
	    shm_once(SHM_ONCE_HUGEPAGE))
		shm_log("madvise(MADV_HUGEPAGE) on %s: %s", s->path, strerror(errno));
	seg_prefault(s, page);
	seg_lock_memory(s, o);
	return 0;
}

static void hdr_init(struct shm_seg *s, const char *name, uint32_t backing,
		     uint64_t page, const struct shm_opts *o)
{
	struct shm_seg_hdr *h = s->hdr;

	h->layout_version = SHM_LAYOUT_VERSION;
	h->hdr_size = sizeof(*h);
	h->size = s->size;
	h->created_real_ns = kimp_real_ns();
	h->backing = backing;
	h->creator_pid = getpid();
	h->page_size = page;
	snprintf(h->name, sizeof(h->name), "%s", name);
	kimp_tsc_calibrate(&h->tsc, o->calib_window_ns);
	h->alloc_off = SHM_DATA_START;
	atomic_store_explicit((_Atomic uint32_t *)&h->nregions, 0, memory_order_relaxed);
	/* release: the magic is the last thing attachers check */
	atomic_store_explicit((_Atomic uint64_t *)&h->magic, SHM_MAGIC, memory_order_release);
}

/*
 * Create, size, reserve and map the backing file at s->path. 0, or -errno
 * with nothing left behind.
 */
static int seg_make(struct shm_seg *s, uint64_t total, uint32_t backing, uint64_t page,
		    const struct shm_opts *o)
{
	int fd, err;

	fd = open(s->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return shm_fail(-errno, "create %s: %s", s->path, strerror(errno));
	/* the umask must not widen or narrow it: exactly 0600 */
	if (fchmod(fd, 0600) || ftruncate(fd, (off_t)total)) {
		err = shm_fail(-errno, "size %s to %llu bytes: %s", s->path,
			       (unsigned long long)total, strerror(errno));
		goto unlink;
	}
	/* reserve the memory now: running out later would be a SIGBUS */
	/* a signal during a large reservation interrupts it: try again */
	do
		err = posix_fallocate(fd, 0, (off_t)total);
	while (err == EINTR);
	if (err && err != EOPNOTSUPP && err != EINVAL) {
		err = shm_fail(-err, "reserve %llu bytes for %s: %s",
			       (unsigned long long)total, s->path, strerror(err));
		goto unlink;
	}
	err = seg_map(s, fd, total, backing, page, o);
	if (err)
		goto unlink;
	close(fd);
	return 0;

unlink:
	unlink(s->path);
	close(fd);
	return err;
}

int shm_seg_create(struct shm_seg *s, const char *name, size_t size,
		   const struct shm_opts *o)
{
	char why[256], other[256];
	struct shm_opts tmp;
	uint64_t page = SHM_SMALL_PAGE, data;
	int err;

	memset(s, 0, sizeof(*s));
	o = opts_or_default(o, &tmp);
	if (o->readonly)
		return shm_fail(-EINVAL, "cannot create segment '%s' read-only", name);
	if (!shm_name_ok(name))
		return shm_fail(-EINVAL, "bad segment name '%s' (1-%d of [A-Za-z0-9._-])",
				name, SHM_NAME_MAX - 1);
	if (shm_seg_path(name, o, other, sizeof(other)) == 0)
		return shm_fail(-EEXIST, "segment '%s' exists: %s", name, other);

	data = SHM_DATA_START + shm_align_up(size ? size : 1, SHM_REGION_ALIGN);
	why[0] = 0;
	if (!o->allow_hugetlbfs) {
		snprintf(why, sizeof(why), "huge pages disabled by configuration");
	} else if (hugetlbfs_usable(o->hugetlbfs_dir, data, &page, why, sizeof(why))) {
		err = seg_file(s->path, sizeof(s->path), o->hugetlbfs_dir, name);
		if (err)
			return shm_fail(err, "segment path for '%s' too long", name);
		err = seg_make(s, shm_align_up(data, page), SHM_BACK_HUGETLBFS, page, o);
		if (!err) {
			hdr_init(s, name, SHM_BACK_HUGETLBFS, page, o);
			return 0;
		}
		/* someone took the pages between the check and the reservation */
		snprintf(why, sizeof(why), "%s", shm_last_error());
	}

	if (shm_once(SHM_ONCE_FALLBACK))
		shm_log("hugetlbfs unavailable (%s): segments go to %s with MADV_HUGEPAGE "
			"(shmem huge pages: %s)", why, o->shm_dir, shmem_thp_mode());
	err = seg_file(s->path, sizeof(s->path), o->shm_dir, name);
	if (err)
		return shm_fail(err, "segment path for '%s' too long", name);
	err = seg_make(s, data, SHM_BACK_SHM, SHM_SMALL_PAGE, o);
	if (err)
		return err;
	hdr_init(s, name, SHM_BACK_SHM, SHM_SMALL_PAGE, o);
	return 0;
}

/* The segment name a backing file path stands for (after the prefix). */
static const char *name_of_path(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strncmp(base, SHM_FILE_PREFIX, strlen(SHM_FILE_PREFIX)))
		base += strlen(SHM_FILE_PREFIX);
	return base;
}

int shm_hdr_check(const struct shm_seg_hdr *h, uint64_t file_size, const char *path)
{
	if (file_size < sizeof(*h))
		return shm_fail(-EPROTO, "%s: %llu byte%s is too small for a kimp segment",
				path, (unsigned long long)file_size, file_size == 1 ? "" : "s");
	if (h->magic != SHM_MAGIC)
		return shm_fail(-EPROTO, "%s: not a kimp segment (bad magic), or still "
				"being created", path);
	/* only magic and layout_version are read before the versions agree */
	if (h->layout_version != SHM_LAYOUT_VERSION)
		return shm_fail(-EPROTO, "%s: segment layout version %u, this build "
				"uses layout version %u; stop the engine and remove it "
				"('kimpctl shm rm %s') or run the matching build",
				path, h->layout_version, SHM_LAYOUT_VERSION, name_of_path(path));
	if (h->hdr_size != sizeof(*h) || h->size != file_size ||
	    h->nregions > SHM_MAX_REGIONS || h->alloc_off > h->size)
		return shm_fail(-EPROTO, "%s: corrupt header (size %llu, file %llu, "
				"%u regions)", path, (unsigned long long)h->size,
				(unsigned long long)file_size, h->nregions);
	return 0;
}

/* Every directory entry inside the segment: what a writer must insist on. */
static int dir_check(const struct shm_seg_hdr *h, const char *path)
{
	for (uint32_t i = 0; i < h->nregions; i++) {
		const struct shm_region_ent *e = &h->dir[i];
		if (e->off < sizeof(*h) || e->off > h->size || e->size > h->size - e->off)
			return shm_fail(-EPROTO, "%s: region %u ('%.*s') lies outside the "
					"segment", path, i, SHM_NAME_MAX - 1, e->name);
	}
	return 0;
}

int shm_seg_attach(struct shm_seg *s, const char *name, const struct shm_opts *o)
{
	struct shm_seg_hdr h;
	struct shm_opts tmp;
	struct stat st;
	int fd, err;

	memset(s, 0, sizeof(*s));
	o = opts_or_default(o, &tmp);
	err = shm_seg_path(name, o, s->path, sizeof(s->path));
	if (err)
		return err;
	fd = open(s->path, (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return shm_fail(-errno, "open %s: %s", s->path, strerror(errno));
	if (fstat(fd, &st)) {
		err = shm_fail(-errno, "stat %s: %s", s->path, strerror(errno));
		goto close;
	}
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		memset(&h, 0, sizeof(h));
	err = shm_hdr_check(&h, (uint64_t)st.st_size, s->path);
	if (!err && !o->readonly)
		err = dir_check(&h, s->path);
	if (err)
		goto close;
	err = seg_map(s, fd, (size_t)st.st_size, h.backing,
		      h.backing == SHM_BACK_HUGETLBFS ? h.page_size : SHM_SMALL_PAGE, o);
	s->readonly = o->readonly;
close:
	close(fd);
	return err;
}

int shm_seg_open(struct shm_seg *s, const char *name, size_t size,
		 const struct shm_opts *o)
{
	int err = shm_seg_attach(s, name, o);

	if (err != -ENOENT)
		return err;
	err = shm_seg_create(s, name, size, o);
	if (err == -EEXIST)
		err = shm_seg_attach(s, name, o);
	return err;
}

void shm_seg_detach(struct shm_seg *s)
{
	if (s->base)
		munmap(s->base, s->size);
	s->base = NULL;
	s->hdr = NULL;
	s->size = 0;
}

int shm_seg_remove(const char *name, const struct shm_opts *o)
{
	char path[256];
	struct shm_opts tmp;
	int removed = 0;

	o = opts_or_default(o, &tmp);
	if (!shm_name_ok(name))
		return shm_fail(-EINVAL, "bad segment name '%s'", name);
	const char *dirs[2] = { o->hugetlbfs_dir, o->shm_dir };
	for (int i = 0; i < 2; i++) {
		if (!dirs[i] || seg_file(path, sizeof(path), dirs[i], name))
			continue;
		if (unlink(path) == 0)
			removed++;
		else if (errno != ENOENT)
			return shm_fail(-errno, "remove %s: %s", path, strerror(errno));
	}
	return removed ? 0 : shm_fail(-ENOENT, "segment '%s' not found", name);
}

/* ---- region directory ---------------------------------------------------- */

static void dir_lock(struct shm_seg_hdr *h)
{
	_Atomic uint32_t *l = (_Atomic uint32_t *)&h->dir_lock;
	uint32_t me = (uint32_t)getpid();

	for (;;) {
		uint32_t cur = 0;
		/* acquire: pairs with the release in dir_unlock */
		if (atomic_compare_exchange_weak_explicit(l, &cur, me, memory_order_acquire,
							  memory_order_relaxed))
			return;
		/* a holder that died mid-update: take the lock over */
		if (cur && kill((pid_t)cur, 0) && errno == ESRCH &&
		    atomic_compare_exchange_strong_explicit(l, &cur, me, memory_order_acquire,
							    memory_order_relaxed))
			return;
		sched_yield();
	}
}

static void dir_unlock(struct shm_seg_hdr *h)
{
	atomic_store_explicit((_Atomic uint32_t *)&h->dir_lock, 0, memory_order_release);
}

static const struct shm_region_ent *dir_find(const struct shm_seg_hdr *h, const char *name)
{
	/* acquire: pairs with the release store of nregions in shm_region_add */
	uint32_t n = atomic_load_explicit((_Atomic uint32_t *)&h->nregions,
					  memory_order_acquire);

	for (uint32_t i = 0; i < n && i < SHM_MAX_REGIONS; i++)
		if (!strncmp(h->dir[i].name, name, SHM_NAME_MAX))
			return &h->dir[i];
	return NULL;
}

const struct shm_region_ent *shm_region_find(const struct shm_seg *s, const char *name)
{
	return dir_find(s->hdr, name);
}

int shm_region_add(struct shm_seg *s, const char *name, size_t size,
		   enum shm_region_kind kind, void **out)
{
	struct shm_seg_hdr *h = s->hdr;
	struct shm_region_ent *e;
	uint64_t need = shm_align_up(size ? size : 1, SHM_REGION_ALIGN);
	int err = 0;

	if (!shm_name_ok(name))
		return shm_fail(-EINVAL, "bad region name '%s'", name);
	if (s->readonly)
		return shm_fail(-EROFS, "%s is attached read-only", s->path);
	dir_lock(h);
	if (dir_find(h, name)) {
		err = shm_fail(-EEXIST, "region '%s' exists in %s", name, s->path);
		goto unlock;
	}
	if (h->nregions >= SHM_MAX_REGIONS) {
		err = shm_fail(-ENOSPC, "%s: region directory full (%d)", s->path,
			       SHM_MAX_REGIONS);
		goto unlock;
	}
	if (h->alloc_off + need > h->size) {
		err = shm_fail(-ENOSPC, "%s: no room for region '%s' (%llu bytes; "
			       "%llu of %llu used)", s->path, name,
			       (unsigned long long)need, (unsigned long long)h->alloc_off,
			       (unsigned long long)h->size);
		goto unlock;
	}
	e = &h->dir[h->nregions];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->off = h->alloc_off;
	e->size = need;
	e->kind = kind;
	memset(s->base + e->off, 0, need);
	h->alloc_off += need;
	*out = s->base + e->off;
	/* release: the entry is complete before readers can see it */
	atomic_store_explicit((_Atomic uint32_t *)&h->nregions, h->nregions + 1,
			      memory_order_release);
unlock:
	dir_unlock(h);
	return err;
}
