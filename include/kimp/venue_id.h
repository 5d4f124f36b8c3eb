/* SPDX-License-Identifier: MIT */
/*
 * Venue identifiers. The engine knows venues only by these numbers; every
 * fact about a venue lives in libvenue.
 */
#ifndef KIMP_VENUE_ID_H
#define KIMP_VENUE_ID_H

enum kimp_venue {
	KIMP_VENUE_NONE = 0,
	KIMP_VENUE_UPBIT = 1,
	KIMP_VENUE_BITHUMB = 2,
	KIMP_VENUE_COINONE = 3,
	KIMP_VENUE_BINANCE = 4,
	KIMP_VENUE_BYBIT = 5,
	KIMP_VENUE_OKX = 6,
	KIMP_VENUE_SIM = 7, /* exsim's own venue ids map onto the real ones */
	KIMP_VENUE_MAX
};

#endif
