/* SPDX-License-Identifier: MIT */
/*
 * net_bench_lws: the reference WebSocket client of the net bench, on
 * libwebsockets (Debian's 4.1.6: its own poll loop, OpenSSL for TLS). It
 * connects to the bench server over TLS, trusting the bench's CA, counts
 * and checks the stream exactly as our client does (wire.h) and prints the
 * same result line. A separate binary so that OpenSSL and wolfSSL never
 * share a process.
 *
 * Usage: net_bench_lws --port P --ca FILE --n N [--cpu C] [--timeout S]
 * Exit status: 0 when the whole stream arrived intact, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include "../wire.h"

#define RX_MAX 4096

struct client {
	struct nb_count cnt;
	uint8_t msg[RX_MAX];    /* a message that came in fragments */
	size_t msg_len;
	bool established, closed, failed;
	char cipher[64];
	char why[160];
};

static struct client cl;

static void note_cipher(struct lws *wsi)
{
	SSL *ssl = lws_get_ssl(wsi);
	const SSL_CIPHER *c = ssl ? SSL_get_current_cipher(ssl) : NULL;

	if (c)
		snprintf(cl.cipher, sizeof(cl.cipher), "%s", SSL_CIPHER_standard_name(c));
}

/* One piece of a message: whole messages go straight to the count. */
static void on_rx(struct lws *wsi, const uint8_t *in, size_t len)
{
	bool first = lws_is_first_fragment(wsi), fin = lws_is_final_fragment(wsi);

	if (first && fin && !lws_remaining_packet_payload(wsi)) {
		nb_count_msg(&cl.cnt, lws_frame_is_binary(wsi), in, len);
		return;
	}
	if (first)
		cl.msg_len = 0;
	if (cl.msg_len + len > sizeof(cl.msg)) {
		cl.cnt.bad++;
		cl.msg_len = 0;
		return;
	}
	memcpy(cl.msg + cl.msg_len, in, len);
	cl.msg_len += len;
	if (fin && !lws_remaining_packet_payload(wsi))
		nb_count_msg(&cl.cnt, lws_frame_is_binary(wsi), cl.msg, cl.msg_len);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		    void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		cl.established = true;
		note_cipher(wsi);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		on_rx(wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		cl.failed = true;
		snprintf(cl.why, sizeof(cl.why), "%s", in ? (const char *)in : "connection error");
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		cl.closed = true;
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
	{ .name = "nb", .callback = callback, .rx_buffer_size = RX_MAX },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: net_bench_lws --port P --ca FILE --n N [--cpu C] [--timeout S]\n");
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "ca", required_argument, NULL, 'a' },
		{ "n", required_argument, NULL, 'n' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct lws_context_creation_info info;
	struct lws_client_connect_info ci;
	struct lws_context *ctx;
	const char *ca = NULL;
	int port = 0, cpu = -1, timeout = 60, opt;
	unsigned long long n = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 'a': ca = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 0); break;
		case 'c': cpu = atoi(optarg); break;
		case 't': timeout = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (port <= 0 || port > 65535 || !ca || !n || timeout <= 0) {
		usage(stderr);
		return 2;
	}
	if (cpu >= 0 && pin(cpu)) {
		fprintf(stderr, "net_bench_lws: pin to CPU %d: %s\n", cpu, strerror(errno));
		return 1;
	}
	alarm((unsigned)timeout);  /* SIGALRM's default action ends a stuck run */
	cl.cnt.want = n;
	lws_set_log_level(LLL_ERR, NULL);

	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_filepath = ca;
	info.fd_limit_per_thread = 8;
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "net_bench_lws: lws_create_context failed\n");
		return 1;
	}
	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = "127.0.0.1";
	ci.port = port;
	ci.path = NB_WS_PATH;
	ci.host = "localhost";      /* Host, SNI and the name checked */
	ci.origin = "localhost";
	ci.ssl_connection = LCCSCF_USE_SSL;
	ci.local_protocol_name = protocols[0].name;
	ci.ietf_version_or_minus_one = -1;
	if (!lws_client_connect_via_info(&ci)) {
		fprintf(stderr, "net_bench_lws: connect failed\n");
		lws_context_destroy(ctx);
		return 1;
	}
	while (!cl.closed && !cl.failed)
		if (lws_service(ctx, 0) < 0)
			break;
	lws_context_destroy(ctx);

	if (cl.failed || !cl.established) {
		fprintf(stderr, "net_bench_lws: %s\n", cl.why[0] ? cl.why : "not established");
		return 1;
	}
	nb_count_print(stdout, &cl.cnt, cl.cipher);
	if (cl.cnt.got != n || cl.cnt.bad || !cl.cnt.marker || cl.cnt.marker_bad) {
		fprintf(stderr, "net_bench_lws: got %llu of %llu messages, %llu bad, marker %s\n",
			(unsigned long long)cl.cnt.got, n, (unsigned long long)cl.cnt.bad,
			!cl.cnt.marker ? "missing" : cl.cnt.marker_bad ? "wrong" : "ok");
		return 1;
	}
	return 0;
}
