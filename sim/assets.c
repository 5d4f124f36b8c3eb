/* SPDX-License-Identifier: MIT */
/*
 * Asset names ("KRW", "BTC", "USDT") to small ids shared by every venue
 * and account in the process. Single-threaded, like the rest of exsim;
 * ids are handed out in order of first use and never change.
 */
#include <string.h>
#include "sim.h"

#define ASSET_NAME_MAX 12

static char asset_names[SIM_MAX_ASSETS][ASSET_NAME_MAX];
static unsigned nassets;

/* 'name' is copied; -1 when it is NULL, empty, too long or the table is full. */
int sim_asset_id(const char *name)
{
	size_t len;

	if (!name)
		return -1;
	len = strlen(name);
	if (!len || len >= ASSET_NAME_MAX)
		return -1;
	for (unsigned i = 0; i < nassets; i++)
		if (!strcmp(asset_names[i], name))
			return (int)i;
	if (nassets == SIM_MAX_ASSETS)
		return -1;
	memcpy(asset_names[nassets], name, len + 1);
	return (int)nassets++;
}

/* The name of id (static storage, lives for the process), or NULL when unknown. */
const char *sim_asset_name(unsigned id)
{
	return id < nassets ? asset_names[id] : NULL;
}
