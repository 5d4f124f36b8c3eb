/* SPDX-License-Identifier: MIT */
/*
 * libnet/ws_rx.c: the WebSocket frame parser and the message layer on
 * arbitrary bytes, as a client (unmasked frames from a server) or a server
 * (masked frames from a client).
 *
 * Input: byte 0: bit 0 the role receiving (0 client, 1 server); bits 1-3
 * max_frame; bits 4-5 the reassembly buffer; bits 6-7 how the bytes arrive
 * (all at once, 1, 2 or 7 bytes at a time); the rest is the byte stream.
 *
 * Checked besides memory safety: a whole frame's fields add up and every
 * shorter prefix of it asks for more bytes; the message layer delivers
 * only UTF-8 text, messages within max_msg, control payloads within 125,
 * valid close codes; a violation is sticky; and the control frames it
 * queues (pongs, close replies) parse as valid frames on the other side.
 */
#include <errno.h>
#include <stdbool.h>
#include "kimp/ws.h"
#include "../fuzz.h"

static const uint64_t max_frames[8] = { 125, 126, 200, 1000, 65535, 65536, 1u << 20, UINT64_MAX };
static const size_t msg_caps[4] = { 0, 125, 1024, 65536 };
static const size_t steps[4] = { SIZE_MAX, 1, 2, 7 };

static uint8_t msg_buf[65536];

static int is_violation(long r)
{
	return r < -WS_E_BASE && r > -WS_E_END;
}

/* Every frame in p[0..n) one after the other, each with its prefixes. */
static void frames(const uint8_t *p, size_t n, enum ws_role role, uint64_t max_frame)
{
	size_t off = 0;

	while (off < n) {
		uint8_t *b = fuzz_dup(p + off, n - off);
		struct ws_frame f;
		ssize_t r = ws_frame_parse(b, n - off, role, max_frame, &f);

		FUZZ_CHECK(r == 0 || is_violation(r) || (r > 0 && (size_t)r <= n - off));
		if (r > 0) {
			FUZZ_CHECK(f.hdr_len >= 2 && f.hdr_len <= WS_MAX_HDR);
			FUZZ_CHECK(f.hdr_len + f.len == (uint64_t)r);
			FUZZ_CHECK(f.payload == b + f.hdr_len);
			FUZZ_CHECK(ws_op_known(f.opcode));
			FUZZ_CHECK(f.masked == (role == WS_SERVER));
			FUZZ_CHECK(f.len <= max_frame);
			FUZZ_CHECK(!ws_op_is_control(f.opcode) || (f.fin && f.len <= WS_CTRL_MAX));
			/* a prefix of a good frame is never a violation */
			for (size_t k = (size_t)r - 1, i = 0; i < 3; i++, k /= 2) {
				uint8_t *q = fuzz_dup(p + off, k);
				struct ws_frame g;

				FUZZ_CHECK(ws_frame_parse(q, k, role, max_frame, &g) == 0);
				free(q);
				if (!k)
					break;
			}
		}
		free(b);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
}

/* Parse what the rx queued for the peer: valid control frames only. */
static void check_ctrl(struct ws_rx *rx, enum ws_role role)
{
	uint8_t out[2 * WS_CTRL_FRAME_MAX];
	size_t want = ws_rx_ctrl_pending(rx), off = 0;
	ssize_t n = ws_rx_ctrl_flush(rx, out, sizeof(out));

	FUZZ_CHECK(n >= 0 && (size_t)n == want);
	while (off < (size_t)n) {
		struct ws_frame f;
		ssize_t r = ws_frame_parse(out + off, (size_t)n - off,
					   role == WS_CLIENT ? WS_SERVER : WS_CLIENT, WS_CTRL_MAX, &f);

		FUZZ_CHECK(r > 0 && ws_op_is_control(f.opcode));
		off += (size_t)r;
	}
}

static void check_event(const struct ws_rx *rx, const struct ws_event *ev, const uint8_t *win,
			size_t wlen)
{
	int in_win = fuzz_inside(ev->data, ev->len, win, wlen);
	int in_msg = fuzz_inside(ev->data, ev->len, msg_buf, sizeof(msg_buf));

	switch (ev->type) {
	case WS_EV_NONE:
		break;
	case WS_EV_MESSAGE:
		FUZZ_CHECK(in_win || in_msg);
		FUZZ_CHECK(ev->opcode == WS_OP_TEXT || ev->opcode == WS_OP_BINARY);
		FUZZ_CHECK(ev->len <= rx->max_msg);
		FUZZ_CHECK(ev->opcode != WS_OP_TEXT || ws_utf8_valid(ev->data, ev->len));
		break;
	case WS_EV_PING:
	case WS_EV_PONG:
		FUZZ_CHECK(in_win && ev->len <= WS_CTRL_MAX);
		break;
	case WS_EV_CLOSE:
		FUZZ_CHECK(in_win && ev->len <= WS_CLOSE_REASON_MAX);
		FUZZ_CHECK(ev->code == WS_CLOSE_NO_STATUS || ws_close_code_valid(ev->code));
		FUZZ_CHECK(ws_utf8_valid(ev->data, ev->len));
		break;
	default:
		FUZZ_CHECK(!"event type");
	}
}

static void messages(const uint8_t *p, size_t n, enum ws_role role, uint64_t max_frame,
		     size_t msg_cap, size_t step)
{
	struct ws_tx tx;
	struct ws_rx rx;
	struct ws_rx_cfg cfg = {
		.tx = &tx, .msg_buf = msg_cap ? msg_buf : NULL, .msg_cap = msg_cap,
		.max_frame = max_frame == UINT64_MAX ? 0 : max_frame,
	};
	size_t pos = 0, avail = 0;
	bool more = true;
	int r;

	/* small steps over a long input: at most ~64 calls (each copies) */
	if (step != SIZE_MAX && n / step > 64)
		step = n / 64;
	FUZZ_CHECK(ws_tx_init(&tx, role) == 0);
	ws_tx_seed(&tx, 1);
	r = ws_rx_init(&rx, &cfg);
	if (r) {
		FUZZ_CHECK(r == -EINVAL);
		return;
	}
	while (pos < n) {
		uint8_t *win;
		struct ws_event ev;
		ssize_t c;

		if (more)       /* the next bytes arrive */
			avail = step == SIZE_MAX || n - avail < step ? n : avail + step;
		win = fuzz_dup(p + pos, avail - pos);
		memset(&ev, 0x5a, sizeof(ev));
		c = ws_rx_next(&rx, win, avail - pos, &ev);
		if (c > 0) {
			FUZZ_CHECK((size_t)c <= avail - pos);
			check_event(&rx, &ev, win, avail - pos);
			pos += (size_t)c;
		}
		free(win);
		if (ws_rx_ctrl_pending(&rx))
			check_ctrl(&rx, role);
		if (c < 0) {
			uint8_t one = 0x81;
			struct ws_event ev2;

			FUZZ_CHECK(is_violation(c) || c == -ESHUTDOWN);
			if (is_violation(c)) {
				FUZZ_CHECK(ws_rx_state(&rx) == WS_RX_FAILED);
				FUZZ_CHECK(rx.close_code == ws_err_close_code((int)c));
			}
			/* sticky */
			FUZZ_CHECK(ws_rx_next(&rx, &one, 1, &ev2) == c);
			break;
		}
		if (c == 0 && avail == n)
			break;
		more = c == 0 || avail == pos;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum ws_role role;
	uint64_t max_frame;

	if (size < 1)
		return 0;
	role = (data[0] & 1) ? WS_SERVER : WS_CLIENT;
	max_frame = max_frames[(data[0] >> 1) & 7];
	frames(data + 1, size - 1, role, max_frame);
	messages(data + 1, size - 1, role, max_frame, msg_caps[(data[0] >> 4) & 3],
		 steps[(data[0] >> 6) & 3]);
	return 0;
}
