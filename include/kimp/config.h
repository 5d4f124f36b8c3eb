/* SPDX-License-Identifier: MIT */
/*
 * The kimp configuration file: INI-style sections of `key = value` lines,
 * `#` or `;` comments, blank lines ignored.
 *
 *   [shm]
 *   hugetlbfs = /dev/hugepages
 *
 * Every error names the file, the line and the key. Cold path only.
 */
#ifndef KIMP_CONFIG_H
#define KIMP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"

struct kimp_conf;

/*
 * Parse 'path'. 0 and *out (free with kimp_conf_free), or -errno with a
 * message "FILE:LINE: ..." in err.
 */
int kimp_conf_load(const char *path, struct kimp_conf **out, char *err,
		   size_t errlen) kimp_cold;
/* Parse text as if it came from file 'name' (tests, embedded defaults). */
int kimp_conf_parse(const char *name, const char *text, struct kimp_conf **out,
		    char *err, size_t errlen) kimp_cold;
void kimp_conf_free(struct kimp_conf *c);

/* The raw value of section.key, or NULL. Owned by c. */
const char *kimp_conf_get(const struct kimp_conf *c, const char *section,
			  const char *key);

/*
 * Typed getters: 0 with *out set (to 'def' when the key is absent), or
 * -EINVAL with "FILE:LINE: key 'section.key': ..." in err.
 */
int kimp_conf_str(const struct kimp_conf *c, const char *section, const char *key,
		  const char *def, const char **out, char *err, size_t errlen);
int kimp_conf_u64(const struct kimp_conf *c, const char *section, const char *key,
		  uint64_t def, uint64_t *out, char *err, size_t errlen);
int kimp_conf_bool(const struct kimp_conf *c, const char *section, const char *key,
		   bool def, bool *out, char *err, size_t errlen);
/* Durations: "250ms", "10us", "5s", "100ns"; a bare number is nanoseconds. */
int kimp_conf_ns(const struct kimp_conf *c, const char *section, const char *key,
		 uint64_t def, uint64_t *out, char *err, size_t errlen);

/*
 * The same as kimp_conf_u64 / kimp_conf_ns, and the value must lie in
 * [lo, hi]: else -EINVAL with "FILE:LINE: key 'section.key': V is out of
 * range LO..HI" (" ns" after each for durations).
 */
int kimp_conf_u64_in(const struct kimp_conf *c, const char *section, const char *key,
		     uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
		     size_t errlen);
int kimp_conf_ns_in(const struct kimp_conf *c, const char *section, const char *key,
		    uint64_t def, uint64_t lo, uint64_t hi, uint64_t *out, char *err,
		    size_t errlen);

/*
 * A segment name (what shm_seg_create takes: 1 to SHM_NAME_MAX - 1 of
 * A-Z a-z 0-9 . _ -, not starting with '.'), copied into out (SHM_NAME_MAX
 * bytes). Same contract as the getters above.
 */
int kimp_conf_segment(const struct kimp_conf *c, const char *section, const char *key,
		      const char *def, char *out, char *err, size_t errlen);

/* A number (strtod syntax, finite). Same contract as the getters above. */
int kimp_conf_f64(const struct kimp_conf *c, const char *section, const char *key,
		  double def, double *out, char *err, size_t errlen);

/*
 * Distinct section names in file order: start with *iter = 0; NULL after
 * the last. Owned by c. The unnamed top section is "".
 */
const char *kimp_conf_next_section(const struct kimp_conf *c, size_t *iter);

/*
 * Every key in 'section' is one of keys[] (NULL-terminated; an entry
 * "prefix.*" takes any "prefix.X"): 0, or -EINVAL
 * with "FILE:LINE: key 'section.key': unknown key" in err.
 */
int kimp_conf_check_keys(const struct kimp_conf *c, const char *section,
			 const char *const *keys, char *err, size_t errlen);

/*
 * The line section.key was set on (0: not set), and the file's name. Key ""
 * gives the line of the section's first [header].
 */
unsigned kimp_conf_line(const struct kimp_conf *c, const char *section, const char *key);
const char *kimp_conf_name(const struct kimp_conf *c);

#endif
