/* SPDX-License-Identifier: MIT */
/*
 * WebSocket receiving side (RFC 6455 sections 5 and 7): the frame parser,
 * the violation table, UTF-8, and the message layer: fragments, control
 * frames, close codes, automatic pong, and the sticky failed state. The
 * parser lives here so that it inlines into ws_rx_next.
 */
#include <errno.h>
#include <string.h>
#include "kimp/ws.h"

/* ---- violations ------------------------------------------------------------ */

unsigned ws_err_close_code(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case WS_E_UTF8:
	case WS_E_CLOSE_REASON:
		return WS_CLOSE_BAD_DATA;
	case WS_E_FRAME_TOO_BIG:
	case WS_E_MSG_TOO_BIG:
		return WS_CLOSE_TOO_BIG;
	default:
		if (err > WS_E_BASE && err < WS_E_END)
			return WS_CLOSE_PROTOCOL;
		return WS_CLOSE_INTERNAL;
	}
}

const char *ws_err_str(int err)
{
	static const char *const names[WS_E_COUNT] = {
		"reserved bits set",
		"reserved opcode",
		"wrong mask bit for the role",
		"non-minimal length",
		"64-bit length with MSB set",
		"frame too big",
		"control frame too long",
		"fragmented control frame",
		"continuation without a message",
		"data frame inside a fragmented message",
		"message too big",
		"invalid UTF-8 in text",
		"1-byte close payload",
		"invalid close code",
		"invalid UTF-8 in close reason",
	};

	if (err < 0)
		err = -err;
	if (err > WS_E_BASE && err < WS_E_END)
		return names[err - WS_E_BASE - 1];
	if (err == 0)
		return "ok";
	return strerror(err);
}

uint64_t *ws_counter_of(struct ws_counters *c, int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case WS_E_RSV:              return &c->bad_rsv;
	case WS_E_OPCODE:           return &c->bad_opcode;
	case WS_E_MASK:             return &c->bad_mask;
	case WS_E_LEN_NONMINIMAL:   return &c->len_nonminimal;
	case WS_E_LEN_MSB:          return &c->len_msb;
	case WS_E_FRAME_TOO_BIG:    return &c->frame_too_big;
	case WS_E_CTRL_TOO_LONG:    return &c->ctrl_too_long;
	case WS_E_CTRL_FRAGMENTED:  return &c->ctrl_fragmented;
	case WS_E_CONT_UNEXPECTED:  return &c->cont_unexpected;
	case WS_E_DATA_IN_PROGRESS: return &c->data_in_progress;
	case WS_E_MSG_TOO_BIG:      return &c->msg_too_big;
	case WS_E_UTF8:             return &c->bad_utf8;
	case WS_E_CLOSE_PAYLOAD:    return &c->close_payload;
	case WS_E_CLOSE_CODE:       return &c->close_code;
	case WS_E_CLOSE_REASON:     return &c->close_reason;
	default:                    return NULL;
	}
}

/* ---- parser --------------------------------------------------------------------- */

static inline uint64_t load_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The parser body, inlined into ws_rx_next: it runs once per frame. */
static inline __attribute__((always_inline)) ssize_t
parse_frame(uint8_t *buf, size_t len, enum ws_role role, uint64_t max_frame, struct ws_frame *f)
{
	unsigned b0, b1, op, masked;
	uint64_t plen;
	size_t hdr = 2;
	uint32_t key = 0;

	/* byte 0: FIN, RSV1-3, opcode */
	if (kimp_unlikely(len < 1))
		return 0;
	b0 = buf[0];
	if (kimp_unlikely(b0 & 0x70u))
		return -WS_E_RSV;
	op = b0 & 0x0fu;
	if (kimp_unlikely(!ws_op_known(op)))
		return -WS_E_OPCODE;
	if (kimp_unlikely(ws_op_is_control(op) && !(b0 & 0x80u)))
		return -WS_E_CTRL_FRAGMENTED;

	/* byte 1: MASK, 7-bit length (a control frame must fit in it) */
	if (kimp_unlikely(len < 2))
		return 0;
	b1 = buf[1];
	masked = b1 >> 7;
	if (kimp_unlikely(masked != (role == WS_SERVER)))
		return -WS_E_MASK;
	plen = b1 & 0x7fu;
	if (kimp_unlikely(ws_op_is_control(op) && plen > WS_CTRL_MAX))
		return -WS_E_CTRL_TOO_LONG;

	/* extended length: minimal encoding, 63 bits (section 5.2) */
	if (plen == 126) {
		if (len < 4)
			return 0;
		plen = load_be(buf + 2, 2);
		hdr = 4;
		if (kimp_unlikely(plen < 126))
			return -WS_E_LEN_NONMINIMAL;
	} else if (plen == 127) {
		if (len < 10)
			return 0;
		plen = load_be(buf + 2, 8);
		hdr = 10;
		if (kimp_unlikely(plen >> 63))
			return -WS_E_LEN_MSB;
		if (kimp_unlikely(plen <= 0xffff))
			return -WS_E_LEN_NONMINIMAL;
	}
	if (kimp_unlikely(plen > max_frame))
		return -WS_E_FRAME_TOO_BIG;

	if (masked) {
		if (len < hdr + 4)
			return 0;
		memcpy(&key, buf + hdr, 4);
		hdr += 4;
	}
	if ((uint64_t)(len - hdr) < plen)
		return 0;

	f->payload = buf + hdr;
	f->len = plen;
	f->mask_key = key;
	f->opcode = (uint8_t)op;
	f->fin = (uint8_t)(b0 >> 7);
	f->masked = (uint8_t)masked;
	f->hdr_len = (uint8_t)hdr;
	if (masked)
		ws_mask(f->payload, (size_t)plen, key);
	return (ssize_t)(hdr + plen);
}

ssize_t ws_frame_parse(uint8_t *buf, size_t len, enum ws_role role, uint64_t max_frame,
		       struct ws_frame *f)
{
	return parse_frame(buf, len, role, max_frame, f);
}

/* ---- UTF-8 ------------------------------------------------------------------ */

/*
 * States between bytes (RFC 3629 section 4 table):
 *   0 accept; 1, 2, 3: that many continuation bytes 80..BF still to come;
 *   4 after E0: A0..BF then one more   (no overlong 3-byte form)
 *   5 after ED: 80..9F then one more   (no surrogates D800..DFFF)
 *   6 after F0: 90..BF then two more   (no overlong 4-byte form)
 *   7 after F4: 80..8F then two more   (nothing above U+10FFFF)
 *   8 reject (sticky)
 */
enum { U_ACC = WS_UTF8_ACCEPT, U_E0 = 4, U_ED = 5, U_F0 = 6, U_F4 = 7, U_REJ = WS_UTF8_REJECT };

static inline uint32_t utf8_lead(uint8_t c)
{
	if (c < 0xc2)
		return U_REJ;       /* a stray continuation byte, or overlong C0/C1 */
	if (c < 0xe0)
		return 1;
	if (c == 0xe0)
		return U_E0;
	if (c == 0xed)
		return U_ED;
	if (c < 0xf0)
		return 2;
	if (c == 0xf0)
		return U_F0;
	if (c < 0xf4)
		return 3;
	if (c == 0xf4)
		return U_F4;
	return U_REJ;               /* F5..FF: above U+10FFFF or never valid */
}

uint32_t ws_utf8_step(uint32_t s, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;

	while (p < end) {
		uint8_t c;
		bool ok;

		if (s == U_ACC) {
			/* ASCII runs, 8 bytes at a time */
			while (end - p >= 8) {
				uint64_t w;

				memcpy(&w, p, 8);
				if (w & 0x8080808080808080ull)
					break;
				p += 8;
			}
			while (p < end && *p < 0x80)
				p++;
			if (p == end)
				break;
			s = utf8_lead(*p++);
			if (s == U_REJ)
				return U_REJ;
			continue;
		}
		c = *p++;
		switch (s) {
		case 1:
		case 2:
		case 3:
			ok = (c & 0xc0) == 0x80;
			s--;
			break;
		case U_E0:
			ok = c >= 0xa0 && c <= 0xbf;
			s = 1;
			break;
		case U_ED:
			ok = c >= 0x80 && c <= 0x9f;
			s = 1;
			break;
		case U_F0:
			ok = c >= 0x90 && c <= 0xbf;
			s = 2;
			break;
		case U_F4:
			ok = c >= 0x80 && c <= 0x8f;
			s = 2;
			break;
		default:
			return U_REJ;
		}
		if (!ok)
			return U_REJ;
	}
	return s;
}

bool ws_close_code_valid(unsigned code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
	       (code >= 3000 && code <= 4999);
}

/* ---- rx ---------------------------------------------------------------------- */

int ws_rx_init(struct ws_rx *rx, const struct ws_rx_cfg *cfg)
{
	uint64_t max_msg, max_frame;

	if (!cfg->tx || (cfg->msg_cap && !cfg->msg_buf))
		return -EINVAL;
	max_msg = cfg->max_msg ? cfg->max_msg : cfg->msg_cap;
	if (!max_msg)
		return -EINVAL;
	max_frame = cfg->max_frame;
	if (!max_frame)
		max_frame = max_msg > WS_CTRL_MAX ? max_msg : WS_CTRL_MAX;
	if (max_frame < WS_CTRL_MAX)
		return -EINVAL;

	memset(rx, 0, sizeof(*rx));
	rx->tx = cfg->tx;
	rx->role = cfg->tx->role;
	rx->msg_buf = cfg->msg_buf;
	rx->msg_cap = cfg->msg_cap;
	rx->max_msg = max_msg;
	rx->max_frame = max_frame;
	rx->max_frag = max_msg < cfg->msg_cap ? max_msg : cfg->msg_cap;
	rx->ops = cfg->ops;
	rx->ctx = cfg->ctx;
	return 0;
}

void ws_rx_reset(struct ws_rx *rx)
{
	rx->state = WS_RX_OPEN;
	rx->frag_op = 0;
	rx->pong_pending = 0;
	rx->close_pending = 0;
	rx->pong_len = 0;
	rx->close_code = 0;
	rx->utf8 = WS_UTF8_ACCEPT;
	rx->err = 0;
	rx->msg_len = 0;
}

static inline void notify_ctrl(struct ws_rx *rx)
{
	if (rx->ops && rx->ops->on_ctrl)
		rx->ops->on_ctrl(rx->ctx);
}

/* Fail the connection with violation 'err' (positive WS_E_*). Cold: rare. */
static kimp_cold ssize_t rx_fail(struct ws_rx *rx, int err)
{
	uint64_t *c = ws_counter_of(&rx->cnt, err);

	if (c)
		(*c)++;
	rx->state = WS_RX_FAILED;
	rx->err = -err;
	rx->close_code = (uint16_t)ws_err_close_code(err);
	rx->frag_op = 0;
	rx->msg_len = 0;
	/* failing the connection means close now: a pending pong is moot */
	rx->pong_pending = 0;
	if (!rx->tx->closed) {
		rx->close_pending = 1;
		notify_ctrl(rx);
	}
	return -err;
}

static inline void ev_set(struct ws_event *ev, unsigned type, unsigned opcode, uint8_t *data,
			  size_t len)
{
	ev->type = (uint8_t)type;
	ev->opcode = (uint8_t)opcode;
	ev->code = 0;
	ev->pad = 0;
	ev->data = data;
	ev->len = len;
}

/* A text or binary frame: a whole message, or the first fragment of one. */
static inline ssize_t rx_data(struct ws_rx *rx, const struct ws_frame *f, struct ws_event *ev)
{
	if (kimp_unlikely(rx->frag_op))
		return rx_fail(rx, WS_E_DATA_IN_PROGRESS);
	if (kimp_unlikely(f->len > rx->max_msg))
		return rx_fail(rx, WS_E_MSG_TOO_BIG);
	rx->cnt.payload_bytes += f->len;

	if (kimp_likely(f->fin)) {
		/* the hot path: deliver straight from the receive buffer */
		if (f->opcode == WS_OP_TEXT && !ws_utf8_valid(f->payload, (size_t)f->len))
			return rx_fail(rx, WS_E_UTF8);
		rx->cnt.messages++;
		ev_set(ev, WS_EV_MESSAGE, f->opcode, f->payload, (size_t)f->len);
		return 0;
	}

	if (kimp_unlikely(f->len > rx->max_frag))
		return rx_fail(rx, WS_E_MSG_TOO_BIG);
	rx->utf8 = WS_UTF8_ACCEPT;
	if (f->opcode == WS_OP_TEXT) {
		rx->utf8 = ws_utf8_step(WS_UTF8_ACCEPT, f->payload, (size_t)f->len);
		if (rx->utf8 == WS_UTF8_REJECT)
			return rx_fail(rx, WS_E_UTF8);
	}
	if (f->len)
		memcpy(rx->msg_buf, f->payload, (size_t)f->len);
	rx->msg_len = (size_t)f->len;
	rx->frag_op = f->opcode;
	ev_set(ev, WS_EV_NONE, 0, NULL, 0);
	return 0;
}

/* A continuation frame: more of the open message, maybe its end. */
static inline ssize_t rx_cont(struct ws_rx *rx, const struct ws_frame *f, struct ws_event *ev)
{
	if (kimp_unlikely(!rx->frag_op))
		return rx_fail(rx, WS_E_CONT_UNEXPECTED);
	if (kimp_unlikely(f->len > rx->max_frag - rx->msg_len))
		return rx_fail(rx, WS_E_MSG_TOO_BIG);
	rx->cnt.payload_bytes += f->len;
	if (rx->frag_op == WS_OP_TEXT) {
		/* fail fast: at the fragment where the text goes wrong */
		rx->utf8 = ws_utf8_step(rx->utf8, f->payload, (size_t)f->len);
		if (rx->utf8 == WS_UTF8_REJECT || (f->fin && rx->utf8 != WS_UTF8_ACCEPT))
			return rx_fail(rx, WS_E_UTF8);
	}
	if (f->len)
		memcpy(rx->msg_buf + rx->msg_len, f->payload, (size_t)f->len);
	rx->msg_len += (size_t)f->len;
	if (!f->fin) {
		ev_set(ev, WS_EV_NONE, 0, NULL, 0);
		return 0;
	}
	rx->cnt.messages++;
	rx->cnt.fragmented++;
	ev_set(ev, WS_EV_MESSAGE, rx->frag_op, rx->msg_buf, rx->msg_len);
	rx->frag_op = 0;
	rx->msg_len = 0;
	return 0;
}

/* A close frame (section 5.5.1): check it, and owe the peer our close. */
static ssize_t rx_close(struct ws_rx *rx, const struct ws_frame *f, struct ws_event *ev)
{
	unsigned code = WS_CLOSE_NO_STATUS;
	uint8_t *reason = f->payload;
	size_t rlen = 0;

	if (kimp_unlikely(f->len == 1))
		return rx_fail(rx, WS_E_CLOSE_PAYLOAD);
	if (f->len >= 2) {
		code = (unsigned)f->payload[0] << 8 | f->payload[1];
		reason += 2;
		rlen = (size_t)f->len - 2;
		if (!ws_close_code_valid(code))
			return rx_fail(rx, WS_E_CLOSE_CODE);
		if (!ws_utf8_valid(reason, rlen))
			return rx_fail(rx, WS_E_CLOSE_REASON);
	}
	rx->cnt.closes++;
	rx->state = WS_RX_CLOSED;
	rx->close_code = (uint16_t)code;
	rx->frag_op = 0;
	rx->msg_len = 0;
	ev_set(ev, WS_EV_CLOSE, WS_OP_CLOSE, reason, rlen);
	ev->code = (uint16_t)code;
	if (!rx->tx->closed) {
		/* we did not start the closing handshake: reply (section 5.5.1) */
		rx->close_pending = 1;
		notify_ctrl(rx);
	}
	return 0;
}

ssize_t ws_rx_next(struct ws_rx *rx, uint8_t *buf, size_t len, struct ws_event *ev)
{
	struct ws_frame f;
	ssize_t n, r = 0;

	if (kimp_unlikely(rx->state != WS_RX_OPEN))
		return rx->state == WS_RX_FAILED ? rx->err : -ESHUTDOWN;
	n = parse_frame(buf, len, (enum ws_role)rx->role, rx->max_frame, &f);
	if (kimp_unlikely(n <= 0))
		return n ? rx_fail(rx, (int)-n) : 0;
	rx->cnt.frames++;

	switch (f.opcode) {
	case WS_OP_TEXT:
	case WS_OP_BINARY:
		r = rx_data(rx, &f, ev);
		break;
	case WS_OP_CONT:
		r = rx_cont(rx, &f, ev);
		break;
	case WS_OP_PING:
		rx->cnt.pings++;
		if (!rx->tx->closed) {
			/* only the latest ping needs its pong (section 5.5.3) */
			if (rx->pong_pending)
				rx->cnt.pings_coalesced++;
			if (f.len)
				memcpy(rx->pong, f.payload, (size_t)f.len);
			rx->pong_len = (uint8_t)f.len;
			rx->pong_pending = 1;
			notify_ctrl(rx);
		}
		ev_set(ev, WS_EV_PING, WS_OP_PING, f.payload, (size_t)f.len);
		break;
	case WS_OP_PONG:
		rx->cnt.pongs++;
		ev_set(ev, WS_EV_PONG, WS_OP_PONG, f.payload, (size_t)f.len);
		break;
	default: /* WS_OP_CLOSE: the parser lets no other opcode through */
		r = rx_close(rx, &f, ev);
		break;
	}
	return r ? r : n;
}

ssize_t ws_rx_feed(struct ws_rx *rx, uint8_t *buf, size_t len)
{
	const struct ws_rx_ops *ops = rx->ops;
	size_t off = 0;

	do {
		struct ws_event ev;
		ssize_t n = ws_rx_next(rx, buf + off, len - off, &ev);

		if (n <= 0)
			return n < 0 ? n : (ssize_t)off;
		off += (size_t)n;
		if (ops) {
			switch (ev.type) {
			case WS_EV_MESSAGE:
				if (ops->on_message)
					ops->on_message(rx->ctx, ev.opcode, ev.data, ev.len);
				break;
			case WS_EV_PING:
				if (ops->on_ping)
					ops->on_ping(rx->ctx, ev.data, ev.len);
				break;
			case WS_EV_PONG:
				if (ops->on_pong)
					ops->on_pong(rx->ctx, ev.data, ev.len);
				break;
			case WS_EV_CLOSE:
				if (ops->on_close)
					ops->on_close(rx->ctx, ev.code, ev.data, ev.len);
				break;
			default:
				break;
			}
		}
		if (ev.type == WS_EV_CLOSE)
			break; /* nothing after the close is read */
	} while (off < len);
	return (ssize_t)off;
}

/* ---- control frames owed to the peer ------------------------------------------- */

static inline size_t close_payload_len(const struct ws_rx *rx)
{
	return rx->close_code == WS_CLOSE_NO_STATUS ? 0 : 2;
}

size_t ws_rx_ctrl_pending(const struct ws_rx *rx)
{
	enum ws_role role = (enum ws_role)rx->role;
	size_t n = 0;

	if (rx->tx->closed)
		return 0;
	if (rx->pong_pending)
		n += ws_hdr_len(role, rx->pong_len) + rx->pong_len;
	if (rx->close_pending)
		n += ws_hdr_len(role, close_payload_len(rx)) + close_payload_len(rx);
	return n;
}

ssize_t ws_rx_ctrl_flush(struct ws_rx *rx, uint8_t *out, size_t cap)
{
	size_t need = ws_rx_ctrl_pending(rx), off = 0;
	ssize_t n;

	if (!need) {
		rx->pong_pending = 0;
		rx->close_pending = 0;
		return 0;
	}
	if (cap < need)
		return -ENOBUFS;
	if (rx->pong_pending) {
		n = ws_tx_frame(rx->tx, out, cap, WS_OP_PONG, true, rx->pong, rx->pong_len);
		if (n < 0)
			return n;
		off += (size_t)n;
		rx->pong_pending = 0;
		rx->cnt.pongs_sent++;
	}
	if (rx->close_pending) {
		/* echo the peer's code (section 5.5.1), or ours after a violation */
		n = ws_tx_close(rx->tx, out + off, cap - off, rx->close_code, NULL, 0);
		if (n < 0)
			return n;
		off += (size_t)n;
		rx->close_pending = 0;
	}
	return (ssize_t)off;
}
