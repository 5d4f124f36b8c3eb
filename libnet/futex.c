/* SPDX-License-Identifier: MIT */
/*
 * Futex waits on libnet's loop (kimp/netfutex.h): the probe, the SQE filled
 * by hand for IORING_OP_FUTEX_WAIT, its cancellation and its completion.
 */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include "kimp/netfutex.h"
#include "loop_int.h"

_Static_assert(_Alignof(struct net_futex_wait) >= 16, "wait addresses carry a 4-bit tag");

static uint64_t futex_tag(const struct net_futex_wait *w, unsigned kind)
{
	return (uint64_t)(uintptr_t)w | kind;
}

/* IORING_REGISTER_PROBE: does the kernel know IORING_OP_FUTEX_WAIT? */
static kimp_cold bool futex_probe(struct net_loop *l)
{
	struct io_uring_probe *p = io_uring_get_probe_ring(net_loop_uring(l));
	bool ok;

	if (!p)
		return false;
	ok = io_uring_opcode_supported(p, NET_IORING_OP_FUTEX_WAIT);
	io_uring_free_probe(p);
	return ok;
}

bool net_loop_has_futex(struct net_loop *l)
{
	int8_t *st = net_loop_futex_state(l);

	if (kimp_unlikely(!*st))
		*st = futex_probe(l) ? 1 : -1;
	return *st > 0;
}

void net_loop_futex_disable(struct net_loop *l)
{
	*net_loop_futex_state(l) = -1;
}

int net_loop_futex_wait(struct net_loop *l, struct net_futex_wait *w, const uint32_t *addr,
			uint32_t val, void (*cb)(struct net_futex_wait *w, int res))
{
	struct io_uring_sqe *sqe;

	if (w->armed)
		return -EBUSY;
	if (!cb || !addr || ((uintptr_t)addr & 3u))
		return -EINVAL;
	if (!net_loop_has_futex(l))
		return -EOPNOTSUPP;
	sqe = net_loop_sqe(l);
	if (kimp_unlikely(!sqe))
		return -EBUSY;
	/*
	 * io_uring_prep_futex_wait as liburing 2.5 writes it: fd the FUTEX2
	 * flags (a 32-bit word, shared), addr the word, addr2 (off) the value,
	 * addr3 the bitset, the op flags (futex_flags) 0.
	 */
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = NET_IORING_OP_FUTEX_WAIT;
	sqe->fd = (int32_t)NET_FUTEX2_SIZE_U32;
	sqe->addr = (uint64_t)(uintptr_t)addr;
	sqe->off = val;
	sqe->addr3 = NET_FUTEX_BITSET_MATCH_ANY;
	io_uring_sqe_set_data64(sqe, futex_tag(w, NET_OP_FUTEX));
	w->cb = cb;
	w->loop = l;
	w->armed = true;
	w->cancelling = false;
	return 0;
}

void net_futex_cancel(struct net_futex_wait *w)
{
	struct io_uring_sqe *sqe;

	if (!w->armed || w->cancelling)
		return;
	sqe = net_loop_sqe(w->loop);
	if (kimp_unlikely(!sqe))
		return;
	w->cancelling = true;
	io_uring_prep_cancel64(sqe, futex_tag(w, NET_OP_FUTEX), 0);
	io_uring_sqe_set_data64(sqe, futex_tag(w, NET_OP_FUTEX_CANCEL));
}

void net_futex_done(struct net_futex_wait *w, int res)
{
	w->armed = false;
	w->cancelling = false;
	/* the probe said yes and the kernel still refused the operation */
	if (kimp_unlikely(res == -EINVAL || res == -EOPNOTSUPP))
		net_loop_futex_disable(w->loop);
	w->cb(w, res);
}
