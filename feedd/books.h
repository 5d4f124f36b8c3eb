/* SPDX-License-Identifier: MIT */
/*
 * feedd internals shared by its files: the book record and md ring events
 * (books.c), the connections and message path (feed.c).
 */
#ifndef KIMP_FEEDD_BOOKS_H
#define KIMP_FEEDD_BOOKS_H

#include "feedd.h"

/* Write b->rec (header and filled levels) to the shared table. */
void fd_book_write(struct feedd *fd, struct fd_book *b);
/*
 * Write only b->rec's header (everything before the levels): for an update
 * that left the levels the table holds as they were.
 */
void fd_book_write_head(struct feedd *fd, struct fd_book *b);
/*
 * Change b's status (and why): record, table, gauge and a KIMP_MSG_MD_STATUS
 * event. Nothing when it is already so. tsc 0: now.
 */
void fd_book_status(struct feedd *fd, struct fd_book *b, unsigned status, unsigned reason,
		    uint64_t tsc, uint64_t now_ns);
/*
 * Publish a KIMP_MSG_MD_TOP when b is live, the top differs from the last
 * one published and id (the venue's update id, 0 if none) is newer.
 */
void fd_book_top(struct feedd *fd, struct fd_book *b, const struct kimp_level *bid,
		 const struct kimp_level *ask, uint64_t id, uint64_t tsc, int64_t venue_ts);
void fd_book_trade(struct feedd *fd, struct fd_book *b, const struct vd_msg *v, uint64_t tsc);
/* Copy the best KIMP_BOOK_LEVELS a side into b->rec. */
void fd_book_set_levels(struct fd_book *b, const struct vd_level *bids, uint32_t nb,
			const struct vd_level *asks, uint32_t na);
bool fd_levels_crossed(const struct kimp_book *r);

/* feed.c */
void fd_on_message(struct fd_ws *s, unsigned opcode, uint8_t *data, size_t len);
void fd_housekeep(struct feedd *fd, uint64_t now_ns);
int fd_feed_start(struct feed *f, char *err, size_t errlen) kimp_cold;
void fd_feed_stop(struct feed *f) kimp_cold;
extern const struct ws_conn_ops fd_ws_ops;

#endif
