/* SPDX-License-Identifier: MIT */
/*
 * Names of orderd's enums for logs, kimpctl and the journal printer
 * (kimp/order.h). The strings are static: callers never free them.
 */
#include "kimp/compiler.h"
#include "kimp/msg.h"
#include "kimp/order.h"

static const char *const rej_names[KIMP_OREJ_MAX] = {
	[KIMP_OREJ_NONE] = "NONE",
	[KIMP_OREJ_NOT_READY] = "NOT_READY",
	[KIMP_OREJ_RATE] = "RATE",
	[KIMP_OREJ_DUPLICATE] = "DUPLICATE",
	[KIMP_OREJ_BAD_ORDER] = "BAD_ORDER",
	[KIMP_OREJ_VENUE_OFF] = "VENUE_OFF",
	[KIMP_OREJ_BANNED] = "BANNED",
	[KIMP_OREJ_TABLE_FULL] = "TABLE_FULL",
	[KIMP_OREJ_SEND_FAILED] = "SEND_FAILED",
	[KIMP_OREJ_NOT_FOUND] = "NOT_FOUND",
	[KIMP_OREJ_UNKNOWN_INST] = "UNKNOWN_INST",
};

static const char *const state_names[] = {
	[KIMP_ORD_NEW] = "NEW",
	[KIMP_ORD_SENT] = "SENT",
	[KIMP_ORD_ACKED] = "ACKED",
	[KIMP_ORD_PARTIAL] = "PARTIAL",
	[KIMP_ORD_FILLED] = "FILLED",
	[KIMP_ORD_CANCEL_PENDING] = "CANCEL_PENDING",
	[KIMP_ORD_CANCELLED] = "CANCELLED",
	[KIMP_ORD_REJECTED] = "REJECTED",
	[KIMP_ORD_EXPIRED] = "EXPIRED",
	[KIMP_ORD_UNKNOWN] = "UNKNOWN",
};

const char *kimp_ord_rej_name(unsigned r)
{
	return r < KIMP_ARRAY_SIZE(rej_names) && rej_names[r] ? rej_names[r] : "?";
}

const char *kimp_ord_state_name(unsigned s)
{
	return s < KIMP_ARRAY_SIZE(state_names) && state_names[s] ? state_names[s] : "?";
}
