/* SPDX-License-Identifier: MIT */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "kimp/segment.h"
#include "../testutil.h"

static struct tenv env;

static void setup(void)
{
	tenv_init(&env);
}

static void teardown(void)
{
	tenv_fini(&env);
}

TestSuite(segment, .init = setup, .fini = teardown);

static mode_t file_mode(const char *path)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "stat %s", path);
	return st.st_mode & 07777;
}

Test(segment, create_attach_find_regions)
{
	struct shm_seg a, b;
	void *p;

	cr_assert_eq(shm_seg_create(&a, "seg1", 1 << 20, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(a.hdr->magic, SHM_MAGIC);
	cr_assert_eq(a.hdr->layout_version, SHM_LAYOUT_VERSION);
	cr_assert_geq(a.hdr->size, (uint64_t)(1 << 20));
	cr_assert_eq(a.hdr->creator_pid, getpid());
	cr_assert_str_eq(a.hdr->name, "seg1");
	cr_assert_gt(a.hdr->tsc.tsc_hz, 0);

	cr_assert_eq(shm_region_add(&a, "blob", 10000, SHM_REGION_RAW, &p), 0);
	cr_assert_eq((uintptr_t)p % SHM_REGION_ALIGN, 0, "regions are page aligned");
	memset(p, 0xab, 10000);
	shm_seg_detach(&a);

	cr_assert_eq(shm_seg_attach(&b, "seg1", &env.o), 0, "%s", shm_last_error());
	const struct shm_region_ent *e = shm_region_find(&b, "blob");
	cr_assert_not_null(e);
	cr_assert_geq(e->size, 10000);
	cr_assert_eq(((uint8_t *)shm_region_ptr(&b, e))[9999], 0xab, "data survives detach");
	cr_assert_null(shm_region_find(&b, "nope"));
	shm_seg_detach(&b);
	cr_assert_eq(shm_seg_remove("seg1", &env.o), 0);
	cr_assert_eq(shm_seg_attach(&b, "seg1", &env.o), -ENOENT);
}

Test(segment, create_twice_is_eexist_and_open_attaches)
{
	struct shm_seg a, b, c;

	cr_assert_eq(shm_seg_create(&a, "dup", 4096, &env.o), 0);
	cr_assert_eq(shm_seg_create(&b, "dup", 4096, &env.o), -EEXIST);
	cr_assert_eq(shm_seg_open(&c, "dup", 4096, &env.o), 0);
	cr_assert_eq(c.hdr->created_real_ns, a.hdr->created_real_ns, "same segment");
	shm_seg_detach(&a);
	shm_seg_detach(&c);
}

Test(segment, bad_names_are_refused)
{
	struct shm_seg s;

	cr_assert_eq(shm_seg_create(&s, "", 4096, &env.o), -EINVAL);
	cr_assert_eq(shm_seg_create(&s, "a/b", 4096, &env.o), -EINVAL);
	cr_assert_eq(shm_seg_create(&s, ".hidden", 4096, &env.o), -EINVAL);
	cr_assert_eq(shm_seg_create(&s, "0123456789012345678901234567890123", 4096, &env.o),
		     -EINVAL);
	cr_assert(strstr(shm_last_error(), "bad segment name"));
}

Test(segment, mode_is_0600_whatever_the_umask)
{
	struct shm_seg a, b;
	mode_t old = umask(0);

	cr_assert_eq(shm_seg_create(&a, "open-umask", 4096, &env.o), 0);
	umask(0777);
	cr_assert_eq(shm_seg_create(&b, "closed-umask", 4096, &env.o), 0);
	umask(old);
	cr_assert_eq(file_mode(a.path), 0600, "mode %o", file_mode(a.path));
	cr_assert_eq(file_mode(b.path), 0600, "mode %o", file_mode(b.path));
	shm_seg_detach(&a);
	shm_seg_detach(&b);
}

Test(segment, other_layout_version_is_refused_naming_both)
{
	struct shm_seg a, b;
	uint32_t other = SHM_LAYOUT_VERSION + 6;
	char want[64];
	int fd;

	cr_assert_eq(shm_seg_create(&a, "oldbuild", 4096, &env.o), 0);
	fd = open(a.path, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, &other, sizeof(other),
			    offsetof(struct shm_seg_hdr, layout_version)), (ssize_t)sizeof(other));
	close(fd);
	shm_seg_detach(&a);

	cr_assert_eq(shm_seg_attach(&b, "oldbuild", &env.o), -EPROTO);
	snprintf(want, sizeof(want), "layout version %u", other);
	cr_assert(strstr(shm_last_error(), want), "%s", shm_last_error());
	snprintf(want, sizeof(want), "layout version %u", SHM_LAYOUT_VERSION);
	cr_assert(strstr(shm_last_error(), want), "%s", shm_last_error());
	cr_assert_null(b.base, "nothing mapped");
}

Test(segment, corrupt_directory_is_refused_for_writing_shown_read_only)
{
	struct shm_seg a, b;
	uint64_t bad_off = 1ull << 40;
	void *p;
	int fd;

	cr_assert_eq(shm_seg_create(&a, "corrupt", 8192, &env.o), 0);
	cr_assert_eq(shm_region_add(&a, "r0", 100, SHM_REGION_RAW, &p), 0);
	fd = open(a.path, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, &bad_off, sizeof(bad_off),
			    offsetof(struct shm_seg_hdr, dir[0].off)), (ssize_t)sizeof(bad_off));
	close(fd);
	shm_seg_detach(&a);
	cr_assert_eq(shm_seg_attach(&b, "corrupt", &env.o), -EPROTO);
	cr_assert(strstr(shm_last_error(), "region 0 ('r0') lies outside"), "%s",
		  shm_last_error());
	env.o.readonly = true;
	cr_assert_eq(shm_seg_attach(&b, "corrupt", &env.o), 0, "an observer may look");
	cr_assert(b.readonly);
	cr_assert_eq(shm_region_add(&b, "r1", 100, SHM_REGION_RAW, &p), -EROFS);
	shm_seg_detach(&b);
}

Test(segment, foreign_file_is_refused)
{
	struct shm_seg s;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/" SHM_FILE_PREFIX "junk", env.dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < 9000; i++)
		fputc('x', f);
	fclose(f);
	cr_assert_eq(shm_seg_attach(&s, "junk", &env.o), -EPROTO);
	cr_assert(strstr(shm_last_error(), "bad magic"), "%s", shm_last_error());
}

Test(segment, hugetlbfs_free_refuses_other_filesystems)
{
	uint64_t n, page;

	cr_assert_eq(shm_hugetlbfs_free(env.dir, &n, &page), -ENODEV);
	cr_assert(strstr(shm_last_error(), "is not a hugetlbfs mount"), "%s", shm_last_error());
}

Test(segment, hugetlbfs_unavailable_falls_back_and_says_so_once)
{
	struct shm_seg a, b;

	env.o.allow_hugetlbfs = true;
	env.o.hugetlbfs_dir = env.dir; /* a tmpfs directory, not hugetlbfs */
	cr_assert_eq(shm_seg_create(&a, "fb1", 4096, &env.o), 0);
	cr_assert_eq(a.hdr->backing, SHM_BACK_SHM);
	cr_assert_eq(a.hdr->page_size, 4096);
	cr_assert_eq(env.nlog, 1, "said once: %s", env.log);
	cr_assert(strstr(env.log, "hugetlbfs unavailable"), "%s", env.log);
	cr_assert(strstr(env.log, "is not a hugetlbfs mount"), "%s", env.log);
	cr_assert_eq(shm_seg_create(&b, "fb2", 4096, &env.o), 0);
	cr_assert_eq(env.nlog, 1, "not said again: %s", env.log);
	shm_seg_detach(&a);
	shm_seg_detach(&b);
}

Test(segment, hugetlbfs_without_free_pages_falls_back_naming_why)
{
	uint64_t nfree, page;
	struct shm_seg a;

	if (shm_hugetlbfs_free("/dev/hugepages", &nfree, &page)) {
		tenv_fini(&env);
		cr_skip_test("no hugetlbfs at /dev/hugepages");
	}
	env.o.allow_hugetlbfs = true;
	env.o.hugetlbfs_dir = "/dev/hugepages";
	/* one page more than is free */
	size_t want = (size_t)(nfree + 1) * (size_t)page;
	cr_assert_eq(shm_seg_create(&a, "toobig", want, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(a.hdr->backing, SHM_BACK_SHM);
	cr_assert(strstr(env.log, "free huge pages"), "%s", env.log);
	shm_seg_detach(&a);
}

Test(segment, on_hugetlbfs_when_pages_are_there)
{
	uint64_t nfree, page;
	struct shm_seg a, b;

	/* a skipped test does not run the suite's fini: clean up first */
	if (shm_hugetlbfs_free("/dev/hugepages", &nfree, &page)) {
		tenv_fini(&env);
		cr_skip_test("no hugetlbfs at /dev/hugepages");
	}
	if (nfree < 2) {
		tenv_fini(&env);
		cr_skip_test("no free huge pages (reserve some in /proc/sys/vm/nr_hugepages)");
	}
	env.o.allow_hugetlbfs = true;
	env.o.hugetlbfs_dir = "/dev/hugepages";
	char name[32];
	snprintf(name, sizeof(name), "test-huge-%d", getpid());
	cr_assert_eq(shm_seg_create(&a, name, 4096, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(a.hdr->backing, SHM_BACK_HUGETLBFS);
	cr_assert_eq(a.hdr->page_size, page);
	cr_assert_eq(a.size % page, 0, "whole huge pages");
	uint64_t after;
	cr_assert_eq(shm_hugetlbfs_free("/dev/hugepages", &after, &page), 0);
	cr_assert_lt(after, nfree, "the segment's pages are taken from the pool");
	cr_assert_eq(file_mode(a.path), 0600);
	cr_assert_eq(env.nlog, 0, "no fallback message: %s", env.log);
	cr_assert_eq(shm_seg_attach(&b, name, &env.o), 0, "%s", shm_last_error());
	cr_assert_eq(b.hdr->backing, SHM_BACK_HUGETLBFS);
	shm_seg_detach(&a);
	shm_seg_detach(&b);
	cr_assert_eq(shm_seg_remove(name, &env.o), 0);
}

Test(segment, region_directory_limits)
{
	struct shm_seg s;
	char name[16];
	void *p;

	cr_assert_eq(shm_seg_create(&s, "dir", 80 * 4096, &env.o), 0);
	cr_assert_eq(shm_region_add(&s, "r", 100, SHM_REGION_RAW, &p), 0);
	cr_assert_eq(shm_region_add(&s, "r", 100, SHM_REGION_RAW, &p), -EEXIST);
	cr_assert_eq(shm_region_add(&s, "huge", 1 << 30, SHM_REGION_RAW, &p), -ENOSPC);
	cr_assert(strstr(shm_last_error(), "no room for region 'huge'"), "%s",
		  shm_last_error());
	for (int i = 1; i < SHM_MAX_REGIONS; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		cr_assert_eq(shm_region_add(&s, name, 100, SHM_REGION_RAW, &p), 0, "%s", name);
	}
	cr_assert_eq(shm_region_add(&s, "one-more", 100, SHM_REGION_RAW, &p), -ENOSPC);
	cr_assert(strstr(shm_last_error(), "directory full"), "%s", shm_last_error());
	shm_seg_detach(&s);
}

Test(segment, regions_added_by_two_processes_do_not_collide)
{
	struct shm_seg s;
	enum { PER = 24 };
	pid_t pid;
	void *p;

	cr_assert_eq(shm_seg_create(&s, "race", 64 * 4096, &env.o), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	for (int i = 0; i < PER; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%s%d", pid ? "p" : "c", i);
		if (shm_region_add(&s, name, 4096, SHM_REGION_RAW, &p)) {
			if (!pid)
				_exit(1);
			cr_assert_fail("parent add %s: %s", name, shm_last_error());
		}
		memset(p, pid ? 0x11 : 0x22, 4096);
	}
	if (!pid)
		_exit(0);
	cr_assert_eq(test_wait_child(pid), 0);
	cr_assert_eq(s.hdr->nregions, 2 * PER);
	for (uint32_t i = 0; i < s.hdr->nregions; i++) {
		const struct shm_region_ent *e = &s.hdr->dir[i];
		uint8_t want = e->name[0] == 'p' ? 0x11 : 0x22;
		const uint8_t *d = shm_region_ptr(&s, e);
		cr_assert(d[0] == want && d[4095] == want, "region %s overwritten", e->name);
	}
	shm_seg_detach(&s);
}

Test(segment, tsc_calibration_is_shared)
{
	struct shm_seg a, b;

	cr_assert_eq(shm_seg_create(&a, "tsc", 4096, &env.o), 0);
	cr_assert_eq(shm_seg_attach(&b, "tsc", &env.o), 0);
	cr_assert_eq(memcmp(shm_seg_tsc(&a), shm_seg_tsc(&b), sizeof(struct kimp_tsc_cal)), 0);
	shm_seg_detach(&a);
	shm_seg_detach(&b);
}
