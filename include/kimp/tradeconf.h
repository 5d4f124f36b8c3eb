/* SPDX-License-Identifier: MIT */
/*
 * What stratd and riskd both need to know about trading on each venue,
 * read once from the configuration: the engine's coins, each venue's
 * instruments with their scales and rules (libvenue's published rules with
 * the configuration's overrides), fees, and the starting balances.
 *
 *   [engine]        coins = BTC ETH XRP USDT      (inst id = index + 1)
 *   [venue.NAME]    px_dec, qty_dec, quote, coins (feedd's keys), and
 *                   taker_fee, maker_fee, trading = true|false,
 *                   tick.COIN, step.COIN, min_notional, max_notional,
 *                   inst_code.COIN (the venue's numeric instrument id,
 *                   where its orders need one: OKX instIdCode)
 *   [balance.NAME]  QUOTE = amount, COIN = amount  (starting holdings)
 *
 * A venue is traded when it has a [venue.NAME] section; its instruments are
 * its `coins` (default: every engine coin but its quote). Cold path only.
 */
#ifndef KIMP_TRADECONF_H
#define KIMP_TRADECONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kimp/compiler.h"
#include "kimp/config.h"
#include "kimp/venue.h"
#include "kimp/venue_id.h"

#define KIMP_COINS_MAX 32       /* engine coins; inst ids 1 .. KIMP_COINS_MAX - 1 */

struct kimp_trade_inst {
	bool listed;                /* in the venue's coins */
	char sym[VENUE_SYM_MAX];    /* as the venue spells it */
	struct venue_inst_rules rules; /* tick or tick_at and step always set */
	int64_t balance;            /* starting holdings, qty_dec decimals */
	uint64_t code;              /* inst_code.COIN: venue_sym.code (0: none) */
};

struct kimp_trade_venue {
	bool present;               /* a [venue.NAME] section */
	bool trading;               /* orders allowed (trading = true, default) */
	const struct venue_md *md;
	char name[16];
	char quote[12];
	uint8_t px_dec, qty_dec;
	double taker_fee, maker_fee; /* fractions (0.0005) */
	int64_t taker_fee_e8;       /* the same, 1e-8 units (exact for the strings) */
	int64_t maker_fee_e8;
	int64_t balance_quote;      /* starting quote holdings, px_dec decimals */
	struct kimp_trade_inst inst[KIMP_COINS_MAX]; /* by engine inst id */
};

struct kimp_trade_conf {
	uint32_t ncoins;
	char coins[KIMP_COINS_MAX][12];              /* coins[inst - 1] */
	struct kimp_trade_venue venue[KIMP_VENUE_MAX]; /* by enum kimp_venue */
};

/*
 * Fill out from c. 0, or -EINVAL with "FILE:LINE: key 'sec.key': why" in
 * err (an unknown venue or asset, a bad number, a rule finer than the
 * scale, an instrument without a tick or step that libvenue does not
 * know). out points into nothing of c.
 */
int kimp_trade_conf_load(const struct kimp_conf *c, struct kimp_trade_conf *out, char *err,
			 size_t errlen) kimp_cold;

/* The engine inst id of coin, or 0. */
uint32_t kimp_trade_inst_id(const struct kimp_trade_conf *t, const char *coin);

/*
 * The keys tradeconf reads in a [venue.NAME] section (NULL-terminated), for
 * a daemon that checks the section's keys together with its own.
 */
extern const char *const kimp_trade_venue_keys[];

#endif
