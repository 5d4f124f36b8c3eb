/* SPDX-License-Identifier: MIT */
/* Pieces exsim's global venues share: venue_util.h. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/sign.h"
#include "server.h"
#include "venue_util.h"

bool sv_sig_match_hex256(const struct venue_hmac_key *k, const struct iovec *iov, unsigned n,
			 const char *sig, size_t siglen)
{
	char want[VENUE_HEX_LEN(VENUE_SHA256_LEN)], got[2 * VENUE_SHA256_LEN];

	if (!k || siglen != 2 * VENUE_SHA256_LEN)
		return false;
	if (venue_hmac_key_signv(k, iov, n, VENUE_HEX, want, sizeof(want)) != 2 * VENUE_SHA256_LEN)
		return false;
	for (size_t i = 0; i < siglen; i++)
		got[i] = (char)(sig[i] >= 'A' && sig[i] <= 'F' ? sig[i] + 32 : sig[i]);
	return venue_ct_eq(want, got, sizeof(got));
}

kimp_cold void sv_start_views(struct sim_venue *v)
{
	for (uint32_t i = 0; i < v->ninst; i++) {
		struct sim_inst *in = sim_venue_inst(v, i);

		sim_inst_view(in, 0, in->update_id, in->book_ts_ms);
	}
}
