/* SPDX-License-Identifier: MIT */
/*
 * WebSocket (RFC 6455) codec without I/O, client and server roles.
 *
 * Four layers, each usable alone:
 *
 *   frame    ws_frame_parse() finds one frame in a byte buffer, checks its
 *            header and unmasks the payload in place; the payload is handed
 *            out as a pointer into that buffer (zero copy).
 *   rx       struct ws_rx, one per connection: fragmentation, control frames
 *            between fragments, message size limit, UTF-8 of text messages
 *            and close reasons, close codes, automatic pong, and the
 *            sticky-failed state with the close code to send.
 *   tx       struct ws_tx, one per connection: frame encoder for the role,
 *            client frames masked with a fresh key per frame; encode by copy
 *            into a send buffer, or seal a payload built in place behind
 *            WS_MAX_HDR bytes of headroom.
 *   hs       opening handshake as HTTP text (no I/O): client request and
 *            response check, server request parse and response.
 *
 * The frame, rx and tx layers are hot-path code: no allocation (every buffer
 * is the caller's, given at init or per call), no locks, no text formatting,
 * no syscalls (ws_tx_init's getrandom aside). One connection's rx and tx are
 * driven by one thread. The handshake helpers are cold.
 *
 * Errors: functions return 0 or -errno as elsewhere in kimp. A protocol
 * violation is a negative -WS_E_* value; those start above the largest errno
 * (4095), so a caller can tell them from -errno statuses. ws_err_close_code()
 * maps one to the close code the peer must get (1002, 1007 or 1009).
 *
 * Wire layout (RFC 6455 section 5.2):
 *
 *   byte 0   FIN | RSV1 | RSV2 | RSV3 | opcode (4 bits)
 *   byte 1   MASK | payload length (7 bits): 0-125, 126 -> 16-bit, 127 -> 64-bit
 *   2 or 8   extended length, network order, minimal, 64-bit MSB clear
 *   4        masking key, when MASK (client to server frames only)
 *   ...      payload
 */
#ifndef KIMP_WS_H
#define KIMP_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kimp/compiler.h"

/* ---- protocol constants ---------------------------------------------------- */

enum ws_role {
	WS_CLIENT = 0,            /* sends masked frames, receives unmasked ones */
	WS_SERVER = 1,            /* sends unmasked frames, receives masked ones */
};

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xA,
};

/* Opcodes 0x0-0x2 and 0x8-0xA; the rest are reserved (section 5.2). */
static inline bool ws_op_known(unsigned op)
{
	return op < 16 && ((0x0707u >> op) & 1u);
}

/* Close, ping, pong: the opcodes with the high bit set. */
static inline bool ws_op_is_control(unsigned op)
{
	return op & 0x8u;
}

/* Close codes (RFC 6455 section 7.4.1). */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005,  /* never on the wire: a close without a code */
	WS_CLOSE_ABNORMAL = 1006,   /* never on the wire */
	WS_CLOSE_BAD_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_EXTENSION = 1010,
	WS_CLOSE_INTERNAL = 1011,
};

#define WS_MAX_HDR        14   /* 2 + 8 (64-bit length) + 4 (mask key) */
#define WS_CTRL_MAX       125  /* largest control frame payload */
#define WS_CLOSE_REASON_MAX 123 /* WS_CTRL_MAX less the 2-byte code */
/* Largest control frame on the wire: 2 + 4 + 125 (a masked one). */
#define WS_CTRL_FRAME_MAX (6 + WS_CTRL_MAX)

KIMP_STATIC_ASSERT(WS_MAX_HDR == 2 + 8 + 4, "header room covers the largest header");
KIMP_STATIC_ASSERT(WS_CLOSE_REASON_MAX + 2 == WS_CTRL_MAX, "close reason fits a control frame");

/* Frame header bytes for a payload of 'len' bytes sent by 'role'. */
static inline size_t ws_hdr_len(enum ws_role role, uint64_t len)
{
	size_t n = len < 126 ? 2 : len <= 0xffff ? 4 : 10;

	return n + (role == WS_CLIENT ? 4 : 0);
}

/* ---- violations ------------------------------------------------------------ */

#define WS_E_BASE 4096 /* above MAX_ERRNO: -WS_E_* never equals a -errno */

/* Protocol violations, returned negated. Each has a counter in ws_counters. */
enum ws_err {
	WS_E_RSV = WS_E_BASE + 1,  /* RSV1-3 set: no extension is ever negotiated */
	WS_E_OPCODE,               /* reserved opcode 0x3-0x7, 0xB-0xF */
	WS_E_MASK,                 /* MASK bit wrong for the role */
	WS_E_LEN_NONMINIMAL,       /* extended length that fits a shorter form */
	WS_E_LEN_MSB,              /* 64-bit length with the top bit set */
	WS_E_FRAME_TOO_BIG,        /* frame payload above max_frame (1009) */
	WS_E_CTRL_TOO_LONG,        /* control frame payload above 125 */
	WS_E_CTRL_FRAGMENTED,      /* control frame without FIN */
	WS_E_CONT_UNEXPECTED,      /* continuation without a started message */
	WS_E_DATA_IN_PROGRESS,     /* text/binary frame while a message is open */
	WS_E_MSG_TOO_BIG,          /* message above max_msg (1009) */
	WS_E_UTF8,                 /* text message not UTF-8 (1007) */
	WS_E_CLOSE_PAYLOAD,        /* close payload of 1 byte */
	WS_E_CLOSE_CODE,           /* close code not valid on the wire */
	WS_E_CLOSE_REASON,         /* close reason not UTF-8 (1007) */
	WS_E_END,
};
#define WS_E_COUNT (WS_E_END - WS_E_BASE - 1)

/*
 * Close code for violation 'err' (negated or not): 1007 for bad UTF-8, 1009
 * for a size limit, 1002 for the rest; 1011 for anything not a violation.
 */
unsigned ws_err_close_code(int err);

/* Short static name of a violation or -errno, for logs off the hot path. */
const char *ws_err_str(int err) kimp_cold;

/* Counters of one connection. Plain fields: one writer, read by its owner. */
struct ws_counters {
	uint64_t frames;            /* frames parsed */
	uint64_t messages;          /* text and binary messages delivered */
	uint64_t fragmented;        /* of which reassembled from fragments */
	uint64_t payload_bytes;     /* data payload bytes received */
	uint64_t pings;
	uint64_t pongs;
	uint64_t closes;            /* close frames received */
	uint64_t pongs_sent;        /* auto-pongs flushed */
	uint64_t pings_coalesced;   /* pings answered only by a later pong */
	/* violations, one field per enum ws_err, in its order */
	uint64_t bad_rsv;
	uint64_t bad_opcode;
	uint64_t bad_mask;
	uint64_t len_nonminimal;
	uint64_t len_msb;
	uint64_t frame_too_big;
	uint64_t ctrl_too_long;
	uint64_t ctrl_fragmented;
	uint64_t cont_unexpected;
	uint64_t data_in_progress;
	uint64_t msg_too_big;
	uint64_t bad_utf8;
	uint64_t close_payload;
	uint64_t close_code;
	uint64_t close_reason;
};
KIMP_ASSERT_OFFSET(struct ws_counters, close_reason,
		   offsetof(struct ws_counters, bad_rsv) + (WS_E_COUNT - 1) * 8);

/* The violation counter for 'err' in 'c', or NULL when err is none. */
uint64_t *ws_counter_of(struct ws_counters *c, int err);

/* ---- helpers --------------------------------------------------------------- */

/*
 * XOR p[0..n) with the 4-byte masking key 'key' (the key's bytes in wire
 * order, i.e. memcpy'd from the frame), starting at key byte 0. 8 bytes per
 * step; p needs no alignment. Masking twice restores the data.
 */
void ws_mask(uint8_t *p, size_t n, uint32_t key);

/* dst[i] = src[i] ^ key byte (i % 4); dst and src must not overlap. */
void ws_mask_copy(uint8_t *restrict dst, const uint8_t *restrict src, size_t n, uint32_t key);

/*
 * Incremental UTF-8 check (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF). Start from WS_UTF8_ACCEPT and feed the pieces in order;
 * the text is valid when the last state is WS_UTF8_ACCEPT. WS_UTF8_REJECT
 * is sticky. Any other state means "inside a sequence" (a truncated text
 * if it is the last). ASCII runs go 8 bytes per step.
 */
#define WS_UTF8_ACCEPT 0u
#define WS_UTF8_REJECT 8u
uint32_t ws_utf8_step(uint32_t state, const uint8_t *p, size_t n);

static inline bool ws_utf8_valid(const uint8_t *p, size_t n)
{
	return ws_utf8_step(WS_UTF8_ACCEPT, p, n) == WS_UTF8_ACCEPT;
}

/* A code that may appear in a close frame: 1000-1003, 1007-1011, 3000-4999. */
bool ws_close_code_valid(unsigned code);

/* ---- frame parser ------------------------------------------------------------ */

/* One parsed frame. 'payload' points into the buffer given to the parser. */
struct ws_frame {
	uint8_t *payload;   /* unmasked in place; valid as long as that buffer */
	uint64_t len;       /* payload bytes */
	uint32_t mask_key;  /* the key as on the wire (0 when not masked) */
	uint8_t opcode;     /* enum ws_opcode */
	uint8_t fin;
	uint8_t masked;
	uint8_t hdr_len;    /* 2..14 */
};

/*
 * Parse one frame from buf[0..len) as received by 'role'.
 *
 * Returns the frame's size (header + payload) when a whole frame is there,
 * 0 when more bytes are needed, or -WS_E_* on a violation. Header
 * violations are reported as soon as the bytes that show them are there, so
 * an oversized frame is refused before its payload arrives. Frames with a
 * payload above 'max_frame' are refused (UINT64_MAX: no limit beyond the
 * 63-bit wire maximum). Only a whole frame is unmasked, so calling again on
 * the same bytes plus more is fine after a 0, never after a success.
 *
 * Never reads outside buf[0..len). len must be at most SSIZE_MAX.
 */
ssize_t ws_frame_parse(uint8_t *buf, size_t len, enum ws_role role, uint64_t max_frame,
		       struct ws_frame *f);

/* ---- encoder (tx) -------------------------------------------------------------- */

/* Frame encoder of one connection. Process-private. */
struct ws_tx {
	uint64_t rng[4];      /* xoshiro256** state: masking keys */
	uint64_t frames;      /* frames encoded */
	uint64_t bytes;       /* bytes encoded, headers included */
	uint8_t role;         /* enum ws_role */
	uint8_t closed;       /* a close frame was encoded: later frames fail */
	uint8_t frag;         /* a fragmented data message is open */
	uint8_t pad[5];
};

/* Set up for 'role' and seed the masking PRNG from getrandom(2). 0 or -errno. */
int ws_tx_init(struct ws_tx *tx, enum ws_role role) kimp_cold;

/* Reseed deterministically (tests and replays only: keys become predictable). */
void ws_tx_seed(struct ws_tx *tx, uint64_t seed) kimp_cold;

/* Open again after a reconnect: clears closed and frag, keeps the PRNG. */
void ws_tx_reset(struct ws_tx *tx) kimp_cold;

/* The next masking key (what the next client frame will use is not told). */
uint32_t ws_tx_next_key(struct ws_tx *tx);

/*
 * Encode one frame into out[0..cap): header, then the payload (masked while
 * copied for a client). 'payload' may be NULL when len is 0. Returns the
 * frame's size, or:
 *   -ENOBUFS  cap < ws_hdr_len(role, len) + len (nothing written)
 *   -EPIPE    a close frame was already encoded (sticky until ws_tx_reset)
 *   -EINVAL   unknown opcode, control frame with len > 125 or !fin,
 *             continuation with no message open, or a text/binary frame
 *             while a fragmented message is open
 * A close frame (opcode WS_OP_CLOSE) sets tx->closed. Text is not checked
 * for UTF-8 here: the sender owns what it sends.
 */
ssize_t ws_tx_frame(struct ws_tx *tx, uint8_t *out, size_t cap, unsigned opcode, bool fin,
		    const void *payload, size_t len);

/*
 * Zero-copy send: the caller built 'len' payload bytes at 'payload' with
 * 'headroom' writable bytes in front of it (WS_MAX_HDR is always enough).
 * The header goes right before the payload, a client's payload is masked in
 * place, and *frame gets the frame's first byte (payload - header length).
 * Returns the frame's size, or the errors of ws_tx_frame (-ENOBUFS when the
 * headroom is short).
 */
ssize_t ws_tx_seal(struct ws_tx *tx, uint8_t *payload, size_t len, size_t headroom,
		   unsigned opcode, bool fin, uint8_t **frame);

/*
 * A close frame: 'code' (WS_CLOSE_NO_STATUS for an empty payload) and a
 * UTF-8 'reason' of at most 123 bytes (NULL when rlen is 0). -EINVAL when
 * the code may not be sent or the reason is bad; else as ws_tx_frame.
 */
ssize_t ws_tx_close(struct ws_tx *tx, uint8_t *out, size_t cap, unsigned code,
		    const char *reason, size_t rlen);

static inline ssize_t ws_tx_text(struct ws_tx *tx, uint8_t *out, size_t cap,
				 const void *p, size_t len)
{
	return ws_tx_frame(tx, out, cap, WS_OP_TEXT, true, p, len);
}

static inline ssize_t ws_tx_binary(struct ws_tx *tx, uint8_t *out, size_t cap,
				   const void *p, size_t len)
{
	return ws_tx_frame(tx, out, cap, WS_OP_BINARY, true, p, len);
}

static inline ssize_t ws_tx_ping(struct ws_tx *tx, uint8_t *out, size_t cap,
				 const void *p, size_t len)
{
	return ws_tx_frame(tx, out, cap, WS_OP_PING, true, p, len);
}

static inline ssize_t ws_tx_pong(struct ws_tx *tx, uint8_t *out, size_t cap,
				 const void *p, size_t len)
{
	return ws_tx_frame(tx, out, cap, WS_OP_PONG, true, p, len);
}

/* ---- message layer (rx) ---------------------------------------------------------- */

enum ws_rx_state {
	WS_RX_OPEN = 0,
	WS_RX_CLOSED = 1,   /* the peer's close frame arrived: nothing more is read */
	WS_RX_FAILED = 2,   /* a violation: close with rx->close_code, then drop */
};

enum ws_ev_type {
	WS_EV_NONE = 0,     /* a frame was consumed with nothing to deliver yet */
	WS_EV_MESSAGE,
	WS_EV_PING,
	WS_EV_PONG,
	WS_EV_CLOSE,
};

/*
 * One event from ws_rx_next(). 'data' points into the buffer given to
 * ws_rx_next (an unfragmented message, a ping, a pong, a close reason) or
 * into the reassembly buffer (a fragmented message); valid until the next
 * call on the same rx or until that buffer is reused, whichever comes first.
 * The bytes are the caller's to modify (in-situ parsing).
 */
struct ws_event {
	uint8_t type;       /* enum ws_ev_type */
	uint8_t opcode;     /* WS_EV_MESSAGE: WS_OP_TEXT or WS_OP_BINARY */
	uint16_t code;      /* WS_EV_CLOSE: the peer's code, or WS_CLOSE_NO_STATUS */
	uint32_t pad;
	uint8_t *data;      /* payload, or the close reason */
	size_t len;
};

/*
 * Callbacks for ws_rx_feed(); any may be NULL. Data pointers are as in
 * struct ws_event and valid only during the call. Callbacks must not call
 * ws_rx_feed/ws_rx_next on the same rx.
 */
struct ws_rx_ops {
	void (*on_message)(void *ctx, unsigned opcode, uint8_t *data, size_t len);
	void (*on_ping)(void *ctx, const uint8_t *data, size_t len);
	void (*on_pong)(void *ctx, const uint8_t *data, size_t len);
	void (*on_close)(void *ctx, unsigned code, const uint8_t *reason, size_t len);
	/*
	 * A control frame waits to be sent (an auto-pong, the reply to a close,
	 * or the close after a violation): call ws_rx_ctrl_flush() before any
	 * more data frames. Called from ws_rx_next/ws_rx_feed.
	 */
	void (*on_ctrl)(void *ctx);
};

struct ws_rx_cfg {
	struct ws_tx *tx;            /* this connection's encoder (gives the role) */
	uint8_t *msg_buf;            /* reassembly buffer for fragmented messages */
	size_t msg_cap;              /* its size (0 with msg_buf NULL: fragmented messages fail 1009) */
	uint64_t max_msg;            /* largest message; 0: msg_cap */
	uint64_t max_frame;          /* largest frame payload, >= 125; 0: max_msg, at least 125 */
	const struct ws_rx_ops *ops; /* for ws_rx_feed; NULL with ws_rx_next only */
	void *ctx;                   /* passed to every callback */
};

/*
 * Receive buffer needed so that a full buffer always holds a whole frame
 * or a violation: a frame of max_frame bytes with the largest header.
 */
#define WS_RX_BUF_MIN(max_frame) ((size_t)(max_frame) + WS_MAX_HDR)

/* Receiver of one connection. Process-private; buffers are the caller's. */
struct ws_rx {
	/* config */
	struct ws_tx *tx;
	uint8_t *msg_buf;
	size_t msg_cap;
	uint64_t max_msg;
	uint64_t max_frame;
	uint64_t max_frag;           /* min(max_msg, msg_cap) */
	const struct ws_rx_ops *ops;
	void *ctx;
	uint8_t role;
	/* state */
	uint8_t state;               /* enum ws_rx_state */
	uint8_t frag_op;             /* opcode of the open fragmented message, or 0 */
	uint8_t pong_pending;
	uint8_t close_pending;
	uint8_t pong_len;
	uint16_t close_code;         /* to send (failed) or the peer's (closed) */
	uint32_t utf8;               /* UTF-8 state of the open text message */
	int err;                     /* the sticky violation, when failed */
	size_t msg_len;              /* bytes in msg_buf */
	uint8_t pong[WS_CTRL_MAX];   /* payload of the latest unanswered ping */
	struct ws_counters cnt;
};

/*
 * Set up 'rx' with the buffers in 'cfg' (kept by pointer; they must outlive
 * rx). -EINVAL when tx is NULL, the limits are inconsistent (max_frame <
 * 125) or msg_cap > 0 with no msg_buf.
 */
int ws_rx_init(struct ws_rx *rx, const struct ws_rx_cfg *cfg) kimp_cold;

/* Back to open after a reconnect (counters kept; reset tx as well). */
void ws_rx_reset(struct ws_rx *rx) kimp_cold;

/*
 * Consume at most one frame from buf[0..len). Returns the bytes consumed
 * (> 0) with *ev filled, 0 when more bytes are needed (nothing consumed),
 * -WS_E_* on a violation (rx is failed: rx->close_code says what to send,
 * and a close frame with it is pending), the same violation again on every
 * later call, or -ESHUTDOWN once the peer's close frame was consumed.
 * A masked payload is unmasked in place in buf.
 */
ssize_t ws_rx_next(struct ws_rx *rx, uint8_t *buf, size_t len, struct ws_event *ev);

/*
 * Consume every whole frame in buf[0..len), delivering through rx->ops.
 * Returns the bytes consumed (keep the rest and call again with more bytes
 * appended), or the error ws_rx_next gave. Stops after a close frame.
 */
ssize_t ws_rx_feed(struct ws_rx *rx, uint8_t *buf, size_t len);

/* Bytes ws_rx_ctrl_flush would write now (0: nothing pending). */
size_t ws_rx_ctrl_pending(const struct ws_rx *rx);

/*
 * Encode the pending control frames through rx->tx into out[0..cap): the
 * pong for the latest ping, then the close reply (after a peer's close) or
 * the failure close (after a violation). Returns bytes written (0 when
 * nothing is pending) or -ENOBUFS when they do not fit (nothing written;
 * 2 * WS_CTRL_FRAME_MAX is always enough). A close from here marks tx
 * closed, as the RFC wants nothing sent after it.
 */
ssize_t ws_rx_ctrl_flush(struct ws_rx *rx, uint8_t *out, size_t cap);

static inline enum ws_rx_state ws_rx_state(const struct ws_rx *rx)
{
	return (enum ws_rx_state)rx->state;
}

/* ---- opening handshake (cold) ---------------------------------------------------- */

#define WS_KEY_LEN    24     /* base64 of 16 random bytes */
#define WS_ACCEPT_LEN 28     /* base64 of a 20-byte SHA-1 */
#define WS_HS_MAX     8192   /* longest request or response head accepted */

/* Why a handshake was refused (a ws_hs_client_check/ws_hs_server_parse result). */
enum ws_hs_fail {
	WS_HS_OK = 0,
	WS_HS_MALFORMED,      /* not an HTTP/1.1 head we understand */
	WS_HS_TOO_LONG,       /* no end of head within WS_HS_MAX bytes */
	WS_HS_STATUS,         /* client: status not 101 */
	WS_HS_METHOD,         /* server: not GET */
	WS_HS_HTTP_VERSION,   /* HTTP version below 1.1 */
	WS_HS_HOST,           /* server: Host missing or repeated */
	WS_HS_UPGRADE,        /* Upgrade missing or without "websocket" */
	WS_HS_CONNECTION,     /* Connection missing the "upgrade" token */
	WS_HS_WS_VERSION,     /* server: Sec-WebSocket-Version not 13 (answer 426) */
	WS_HS_KEY,            /* server: key missing, repeated or not base64 of 16 bytes */
	WS_HS_ACCEPT,         /* client: Sec-WebSocket-Accept missing, repeated or wrong */
	WS_HS_EXTENSION,      /* client: server selected an extension (we offer none) */
	WS_HS_PROTOCOL,       /* client: server selected a subprotocol not offered */
};

/* Static name of a ws_hs_fail, for logs. */
const char *ws_hs_fail_str(enum ws_hs_fail f) kimp_cold;

/*
 * accept[0..28] = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
 * and a NUL. 0, or -EINVAL when key_len is 0 or above 64.
 */
int ws_hs_accept(const char *key, size_t key_len, char accept[WS_ACCEPT_LEN + 1]) kimp_cold;

/* key[0..24] = base64 of 16 bytes from getrandom(2), and a NUL. 0 or -errno. */
int ws_hs_client_key(char key[WS_KEY_LEN + 1]) kimp_cold;

struct ws_hs_client_req {
	const char *host;       /* Host value, with ":port" when not the default */
	const char *path;       /* origin-form target: "/", "/ws?streams=a" */
	const char *key;        /* from ws_hs_client_key */
	const char *protocols;  /* Sec-WebSocket-Protocol offer ("a, b"), or NULL */
	const char *extra;      /* more header lines, each "Name: value\r\n", or NULL */
};

/*
 * Write the GET upgrade request into out[0..cap) (no NUL). Never offers an
 * extension: an extra Sec-WebSocket-Extensions line is refused. Returns the
 * length, -ENOBUFS when it does not fit, -EINVAL for a missing or malformed
 * field (CR/LF or controls in host/path/protocols, a key that is not 24
 * base64 characters, extra lines not "Name: value\r\n").
 */
ssize_t ws_hs_client_request(char *out, size_t cap, const struct ws_hs_client_req *r) kimp_cold;

/* What a server's response said. Pointers point into the response buffer. */
struct ws_hs_response {
	enum ws_hs_fail fail;
	unsigned status;        /* HTTP status, 0 until the status line parsed */
	const char *protocol;   /* the selected subprotocol, or NULL */
	size_t protocol_len;
};

/*
 * Check the server's response in resp[0..len) to our request with 'key'
 * (24 chars) offering 'protocols' (as in the request, or NULL). Returns the
 * length of the response head (CRLFCRLF included: bytes after it are
 * frames), 0 when the head is not complete yet, -EPROTO when the
 * handshake failed (out->fail says why; out->status tells a non-101), or
 * -EINVAL for a bad key.
 */
ssize_t ws_hs_client_check(const char *resp, size_t len, const char *key,
			   const char *protocols, struct ws_hs_response *out) kimp_cold;

/* What a client's upgrade request said. Pointers point into the request. */
struct ws_hs_request {
	enum ws_hs_fail fail;
	unsigned reject_status; /* when failed: 400, or 426 for a wrong version */
	const char *path;       /* request target */
	size_t path_len;
	const char *host;
	size_t host_len;
	const char *key;        /* WS_KEY_LEN characters */
	const char *protocols;  /* the client's Sec-WebSocket-Protocol offer, or NULL */
	size_t protocols_len;
	bool extensions;        /* the client offered extensions (all declined) */
};

/*
 * Parse a client's upgrade request in req[0..len). Returns the head's
 * length, 0 when not complete yet, or -EPROTO (out->fail and
 * out->reject_status say why and what to answer).
 */
ssize_t ws_hs_server_parse(const char *req, size_t len, struct ws_hs_request *out) kimp_cold;

/*
 * Write the 101 response to a parsed request into out[0..cap). 'protocol'
 * (NULL for none) must be one of the client's offer. Returns the length,
 * -ENOBUFS, or -EINVAL (request failed, or protocol not offered).
 */
ssize_t ws_hs_server_accept(char *out, size_t cap, const struct ws_hs_request *req,
			    const char *protocol) kimp_cold;

/*
 * Write a refusal with Connection: close: status 400, 401, 403, 404, 429,
 * 500 or 503, or 426 with Sec-WebSocket-Version: 13; 'body' (NULL: none)
 * goes out as application/json. Returns the length, -ENOBUFS, or -EINVAL
 * for another status.
 */
ssize_t ws_hs_server_reject(char *out, size_t cap, unsigned status,
			    const char *body) kimp_cold;

/*
 * Find header 'name' (any case) in a request or response head: true with
 * its value (OWS trimmed) in *val and *vlen, the first one when repeated.
 */
bool ws_hs_header(const char *head, size_t len, const char *name, const char **val,
		  size_t *vlen) kimp_cold;

#endif
