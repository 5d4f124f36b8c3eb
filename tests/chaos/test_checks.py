# SPDX-License-Identifier: MIT
"""
The chaos checks' own tests: fabricated ledgers, journals and positions,
each check seen to pass on good data and to fail on each kind of bad data,
limits at their boundary on both sides. tests/chaos/run runs them first.
"""
import io
import json
import os
import sys
import tempfile
import unittest
from decimal import Decimal

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402
import chaos  # noqa: E402

STALE = {"upbit": 10_000_000, "binance": 5_000_000}


def order(cid, venue="upbit", t=100, result="accepted", ages=None, oid=1, status="new"):
    return {"ev": "order", "t": t, "venue": venue, "cid": cid, "id": oid, "result": result,
            "status": status,
            "md_age_us": ages if ages is not None else {"upbit": 1000, "binance": 2000}}


def bal(venue, asset, free, locked="0"):
    return {"ev": "balance", "venue": venue, "asset": asset, "free": free, "locked": locked}


def fill(venue, fee, asset, oid=1, status="filled"):
    return {"ev": "fill", "venue": venue, "id": oid, "fee": fee, "fee_asset": asset,
            "status": status}


LEDGER = [
    bal("upbit", "KRW", "1000.00000000"), bal("upbit", "BTC", "2.00000000"),
    bal("binance", "USDT", "500.50000000"), bal("binance", "BTC", "1.99900000", "0.00100000"),
    fill("upbit", "0.50000000", "KRW"), fill("binance", "0.00001000", "BTC"),
    fill("binance", "0.00001000", "BTC"),
]


def positions():
    return {"venues": [
        {"venue": "upbit", "quote": "KRW", "cash": "1000", "fees": "0.5", "reserved": "0",
         "positions": [{"coin": "BTC", "hold": "2", "fee_base": "0"}]},
        {"venue": "binance", "quote": "USDT", "cash": "500.5", "fees": "0", "reserved": "0",
         "positions": [{"coin": "BTC", "hold": "2", "fee_base": "0.00002"}]},
    ]}


class UniqueCids(unittest.TestCase):
    def test_distinct_pass(self):
        c = checks.check_unique_cids([order("kimp1"), order("kimp2", "binance")])
        self.assertTrue(c["ok"], c)
        self.assertEqual(c["numbers"]["distinct"], 2)

    def test_twice_fails_even_across_venues_and_results(self):
        c = checks.check_unique_cids([order("kimp1"), order("kimp2"),
                                      order("kimp1", "binance", result="rejected")])
        self.assertFalse(c["ok"])
        self.assertEqual(c["numbers"]["duplicated"], 1)
        self.assertIn("kimp1", c["evidence"][0])

    def test_empty_cid_fails(self):
        c = checks.check_unique_cids([order("")])
        self.assertFalse(c["ok"])
        self.assertEqual(c["numbers"]["no_cid"], 1)

    def test_evidence_is_bounded(self):
        c = checks.check_unique_cids([order("kimp%d" % (i // 2)) for i in range(40)])
        self.assertFalse(c["ok"])
        self.assertEqual(c["numbers"]["duplicated"], 20)
        self.assertEqual(len(c["evidence"]), checks.EVIDENCE_MAX)


class KnownToOrderd(unittest.TestCase):
    def test_all_known_pass(self):
        c = checks.check_known_to_orderd([order("kimp7"), order("kimp8")], {"7", "8", "9"}, "kimp")
        self.assertTrue(c["ok"], c)
        self.assertEqual(c["numbers"]["journaled"], 3)

    def test_unknown_fails(self):
        c = checks.check_known_to_orderd([order("kimp7"), order("kimp10")], {"7"}, "kimp")
        self.assertFalse(c["ok"])
        self.assertEqual(c["numbers"]["unknown"], 1)
        self.assertIn("kimp10", c["evidence"][0])

    def test_other_prefix_fails(self):
        c = checks.check_known_to_orderd([order("abcd7")], {"7"}, "kimp")
        self.assertFalse(c["ok"])

    def test_no_orders_pass(self):
        self.assertTrue(checks.check_known_to_orderd([], set(), "kimp")["ok"])


class Positions(unittest.TestCase):
    def test_equal_pass(self):
        c = checks.check_positions(positions(), LEDGER)
        self.assertTrue(c["ok"], c)
        # cash + fees per venue, hold + fee_base per coin
        self.assertEqual(c["numbers"]["compared"], 8)

    def test_last_unit_off_fails(self):
        p = positions()
        p["venues"][1]["cash"] = "500.50000001"
        c = checks.check_positions(p, LEDGER)
        self.assertFalse(c["ok"])
        self.assertIn("binance USDT cash", c["evidence"][0])

    def test_locked_counts(self):
        p = positions()
        p["venues"][1]["positions"][0]["hold"] = "1.999"
        self.assertFalse(checks.check_positions(p, LEDGER)["ok"])

    def test_fee_off_fails(self):
        for venue, key, v in ((0, "fees", "0.49"), (1, None, "0.00001")):
            p = positions()
            if key:
                p["venues"][venue][key] = v
            else:
                p["venues"][venue]["positions"][0]["fee_base"] = v
            self.assertFalse(checks.check_positions(p, LEDGER)["ok"], (venue, key))

    def test_asset_riskd_does_not_know_fails(self):
        c = checks.check_positions(positions(), LEDGER + [bal("upbit", "ETH", "1")])
        self.assertFalse(c["ok"])
        self.assertIn("upbit ETH", c["evidence"][0])

    def test_venue_the_engine_does_not_trade_is_not_compared(self):
        # exsim serves okx (its balances in the ledger); this run trades upbit, binance
        extra = LEDGER + [bal("okx", "USDT", "1000000"), bal("okx", "BTC", "10")]
        self.assertFalse(checks.check_positions(positions(), extra)["ok"])
        c = checks.check_positions(positions(), extra, ("upbit", "binance"))
        self.assertTrue(c["ok"], c["evidence"])
        # a traded venue's unknown asset still fails
        c = checks.check_positions(positions(), extra + [bal("upbit", "ETH", "1")],
                                   ("upbit", "binance"))
        self.assertFalse(c["ok"])

    def test_asset_exsim_does_not_know_fails(self):
        p = positions()
        p["venues"][0]["positions"].append({"coin": "XRP", "hold": "0", "fee_base": "0"})
        self.assertFalse(checks.check_positions(p, LEDGER)["ok"])

    def test_reserved_left_fails(self):
        p = positions()
        p["venues"][0]["reserved"] = "10"
        self.assertFalse(checks.check_positions(p, LEDGER)["ok"])

    def test_no_positions_fails(self):
        self.assertFalse(checks.check_positions(None, LEDGER)["ok"])
        self.assertFalse(checks.check_positions({"venues": []}, LEDGER)["ok"])

    def test_not_a_number_fails(self):
        p = positions()
        p["venues"][0]["cash"] = "?"
        self.assertFalse(checks.check_positions(p, LEDGER)["ok"])

    def test_last_balance_line_wins(self):
        led = LEDGER + [bal("upbit", "KRW", "999")]
        self.assertFalse(checks.check_positions(positions(), led)["ok"])
        p = positions()
        p["venues"][0]["cash"] = "999"
        self.assertTrue(checks.check_positions(p, led)["ok"])


class NotStale(unittest.TestCase):
    def test_below_pass(self):
        c = checks.check_not_stale([order("kimp1", ages={"upbit": 9_999_999,
                                                        "binance": 4_999_999})], STALE)
        self.assertTrue(c["ok"], c)
        self.assertEqual(c["numbers"]["max_md_age_us"]["upbit"], 9_999_999)

    def test_at_stale_after_fails(self):
        for v in STALE:
            ages = {"upbit": 0, "binance": 0}
            ages[v] = STALE[v]
            c = checks.check_not_stale([order("kimp1", ages=ages)], STALE)
            self.assertFalse(c["ok"], v)
            self.assertIn(v, c["evidence"][0])

    def test_rejected_orders_count_too(self):
        c = checks.check_not_stale([order("kimp1", result="rejected",
                                          ages={"upbit": 0, "binance": 6_000_000})], STALE)
        self.assertFalse(c["ok"])

    def test_never_sent_fails(self):
        c = checks.check_not_stale([order("kimp1", ages={"upbit": -1, "binance": 0})], STALE)
        self.assertFalse(c["ok"])

    def test_missing_age_fails(self):
        c = checks.check_not_stale([order("kimp1", ages={"upbit": 0})], STALE)
        self.assertFalse(c["ok"])
        self.assertEqual(c["numbers"]["missing_md_age"], 1)

    def test_no_limits_fails(self):
        self.assertFalse(checks.check_not_stale([order("kimp1")], {})["ok"])

    def test_pairs_judge_an_order_by_its_own_pair_venues(self):
        six = dict(STALE, bybit=5_000_000, okx=10_000_000)
        pairs = {"BTC": ("upbit", "binance"), "XRP": ("upbit", "bybit")}
        # Bybit stalled past its stale_after: a BTC order (upbit-binance) is fine ...
        ages = {"upbit": 0, "binance": 0, "bybit": 6_000_000, "okx": 0}
        btc = dict(order("kimp1", ages=ages), sym="KRW-BTC")
        self.assertTrue(checks.check_not_stale([btc], six, pairs)["ok"])
        # ... an XRP order on that pair is not, on either of its venues
        for sym in ("KRW-XRP", "XRPUSDT"):
            c = checks.check_not_stale([dict(order("kimp2", ages=ages), sym=sym)], six, pairs)
            self.assertFalse(c["ok"], sym)
            self.assertIn("bybit", c["evidence"][0])
        # without pairs, or for a coin of no pair, every venue counts
        self.assertFalse(checks.check_not_stale([btc], six)["ok"])
        eth = dict(order("kimp3", ages=ages), sym="ETH-USDT")
        self.assertFalse(checks.check_not_stale([eth], six, pairs)["ok"])
        # a pair venue's age missing still fails
        c = checks.check_not_stale([dict(order("kimp4", ages={"upbit": 0}), sym="BTCUSDT")],
                                   six, pairs)
        self.assertFalse(c["ok"])
        self.assertEqual(c["numbers"]["missing_md_age"], 1)

    def test_sym_coin_reads_every_venue_form(self):
        coins = ("BTC", "ETH", "XRP")
        for sym in ("KRW-BTC", "BTCUSDT", "BTC-USDT", "BTC_KRW", "BTC", "btcusdt"):
            self.assertEqual(checks.sym_coin(sym, coins), "BTC", sym)
        for sym in ("KRW-USDT", "SOLUSDT", "", None, "BTCETH"):
            self.assertIsNone(checks.sym_coin(sym, coins), sym)


class Restarts(unittest.TestCase):
    def test_at_bound_pass_above_fails(self):
        c = checks.check_restarts([{"proc": "feedd", "pid": 1, "back_s": 10.0},
                                   {"proc": "riskd", "pid": 2, "back_s": 1.0},
                                   {"proc": "orderd", "pid": 3, "back_s": 2.0}], 10.0, [])
        self.assertTrue(c["ok"], c)
        self.assertEqual(c["numbers"]["restart_max_s"], 10.0)
        self.assertEqual(c["numbers"]["restart_median_s"], 2.0)
        c = checks.check_restarts([{"proc": "feedd", "pid": 1, "back_s": 10.001}], 10.0, [])
        self.assertFalse(c["ok"])

    def test_never_back_fails(self):
        c = checks.check_restarts([{"proc": "feedd", "pid": 1, "back_s": None}], 10.0, [])
        self.assertFalse(c["ok"])
        self.assertIn("never", c["evidence"][0])

    def test_unexpected_exit_fails(self):
        c = checks.check_restarts([], 10.0, ["stratd: signal:SEGV"])
        self.assertFalse(c["ok"])
        self.assertEqual(c["numbers"]["unexpected_exits"], 1)

    def test_no_kills_no_exits_pass(self):
        self.assertTrue(checks.check_restarts([], 10.0, [])["ok"])

    def test_median_even(self):
        self.assertEqual(checks.median([1.0, 2.0, 3.0, 4.0]), 2.5)
        self.assertIsNone(checks.median([]))


class Recovered(unittest.TestCase):
    LIVE = [{"venue": "upbit", "inst": 1, "status": "live"},
            {"venue": "binance", "inst": 1, "status": "live"}]

    def test_live_and_orders_after_pass(self):
        c = checks.check_recovered(100, [order("a", "upbit", t=101),
                                         order("b", "binance", t=102)], self.LIVE,
                                   ("upbit", "binance"), "fault")
        self.assertTrue(c["ok"], c)

    def test_order_at_the_fault_time_is_not_after(self):
        c = checks.check_recovered(100, [order("a", "upbit", t=101),
                                         order("b", "binance", t=100)], self.LIVE,
                                   ("upbit", "binance"), "fault")
        self.assertFalse(c["ok"])
        self.assertIn("binance", c["evidence"][0])

    def test_rejected_does_not_count(self):
        c = checks.check_recovered(100, [order("a", "upbit", t=101),
                                         order("b", "binance", t=101, result="rejected")],
                                   self.LIVE, ("upbit", "binance"), "kill")
        self.assertFalse(c["ok"])

    def test_stale_book_fails(self):
        books = self.LIVE + [{"venue": "binance", "inst": 2, "status": "stale",
                              "reason": "age"}]
        c = checks.check_recovered(100, [order("a", "upbit", t=101),
                                         order("b", "binance", t=101)], books,
                                   ("upbit", "binance"), "fault")
        self.assertFalse(c["ok"])
        self.assertIn("stale", c["evidence"][0])

    def test_no_books_fails(self):
        c = checks.check_recovered(0, [order("a", "upbit", t=1), order("b", "binance", t=1)],
                                   [], ("upbit", "binance"), "kill")
        self.assertFalse(c["ok"])


class Diag(unittest.TestCase):
    def test_stuck_pair_and_its_rejects(self):
        strat = {"counters": {"pairs_open": 1, "pairs_stuck": 1, "entries": 3, "rejects": 2},
                 "pairs": [{"pair_id": "9", "coin": "ETH", "dir": "buy_krw", "state": "stuck",
                            "imbalance": "-0.2", "age_ns": 2_000_000_000,
                            "legs": [{"leg": 1, "venue": "binance", "orders": [
                                {"kind": "unwind", "state": "rejected", "reason": "BAD_INTENT"},
                                {"kind": "unwind", "state": "rejected", "reason": "BAD_INTENT"},
                                {"kind": "entry", "state": "done"}]}]}]}
        risk = {"mode": {"mode": "running", "breaker": "off", "breaker_trips": 3,
                         "pause_reasons": []}}
        d = checks.engine_diag(strat, risk, "4")
        self.assertIn("riskd mode running, breaker off (trips 3)", d[0])
        self.assertIn("pairs open 1 of max_pairs 4, stuck 1", d[1])
        self.assertIn("stuck", d[2])
        self.assertIn("leg 1 binance unwind BAD_INTENT x2", d[2])

    def test_nothing_known(self):
        self.assertEqual(checks.engine_diag(None, None, None), [])


class Hedge(unittest.TestCase):
    def strat(self, stuck=0, pairs=(), unhedged=("0", "0.00000000")):
        return {"counters": {"pairs_stuck": stuck},
                "pairs": [{"pair_id": i + 1, "coin": "BTC", "state": st}
                          for i, st in enumerate(pairs)],
                "coins": [{"coin": c, "exposure": {"unhedged": u}}
                          for c, u in zip(("BTC", "ETH"), unhedged)]}

    def test_all_hedged(self):
        r = checks.hedge_report(self.strat(pairs=("done",)))
        self.assertTrue(r["hedged"])
        self.assertIn("coins unhedged: none", r["text"])

    def test_each_kind_of_leftover(self):
        self.assertFalse(checks.hedge_report(self.strat(stuck=1))["hedged"])
        r = checks.hedge_report(self.strat(pairs=("mending",)))
        self.assertFalse(r["hedged"])
        self.assertEqual(r["pairs_in_flight"], ["1 BTC mending"])
        r = checks.hedge_report(self.strat(unhedged=("0", "-0.2")))
        self.assertFalse(r["hedged"])
        self.assertEqual(r["unhedged"], {"ETH": "-0.2"})

    def test_unreadable(self):
        self.assertIsNone(checks.hedge_report(None)["hedged"])


class Ledger(unittest.TestCase):
    def test_incremental_and_partial_lines(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "ledger.jsonl")
            lg = checks.Ledger(p)
            self.assertEqual(lg.poll().events, [])  # not there yet
            with open(p, "w") as f:
                f.write(json.dumps(order("kimp1")) + "\n" + '{"ev":"or')
            self.assertEqual(len(lg.poll().events), 1)
            with open(p, "a") as f:
                f.write('der","cid":"kimp2"}\nnot json\n')
            lg.poll()
            self.assertEqual([e["cid"] for e in lg.of("order")], ["kimp1", "kimp2"])
            self.assertEqual(lg.bad, ["not json"])

    def test_open_orders(self):
        ev = [order("a", oid=1), order("b", oid=2), order("c", oid=3, result="rejected",
                                                        status="rejected"),
              fill("upbit", "0", "KRW", oid=1, status="partial"),
              {"ev": "expire", "venue": "upbit", "id": 2, "status": "expired"}]
        self.assertEqual(list(checks.exsim_open_orders(ev)), [("upbit", 1)])
        ev.append(fill("upbit", "0", "KRW", oid=1, status="filled"))
        self.assertEqual(checks.exsim_open_orders(ev), {})

    def test_fees_and_balances(self):
        self.assertEqual(checks.fees(LEDGER)[("binance", "BTC")], Decimal("0.00002"))
        self.assertEqual(checks.balances(LEDGER)[("binance", "BTC")], Decimal("2"))


class Conf(unittest.TestCase):
    def test_durations(self):
        self.assertEqual(checks.duration_ns("10s"), 10_000_000_000)
        self.assertEqual(checks.duration_ns("1.5s"), 1_500_000_000)
        self.assertEqual(checks.duration_ns("250ms"), 250_000_000)
        self.assertEqual(checks.duration_ns("7"), 7)
        for bad in ("", "s", "10 m", "-1s"):
            with self.assertRaises(ValueError):
                checks.duration_ns(bad)

    def test_stale_after_per_venue(self):
        c = checks.parse_conf("[venue.upbit]\n# stale_after = 1s\nstale_after = 10s\n"
                              "[venue.binance]\nstale_after = 5s\n[feedd]\nstale_after = 1s\n")
        self.assertEqual(checks.stale_after_us(c), STALE)

    def test_live_venues_and_pairs(self):
        c = checks.parse_conf("[order.upbit]\nmode = live\n[order.okx]\nmode = paper\n"
                              "[order.bybit]\nmode = live\n[venue.coinone]\n"
                              "[pair.XRP]\nkrw = upbit\nusdt = bybit\n")
        self.assertEqual(checks.live_venues(c), ("upbit", "bybit"))
        self.assertEqual(checks.pair_venues(c), {"XRP": ("upbit", "bybit")})
        self.assertEqual(checks.live_venues({}), ())

    def test_account_secrets_first_of_each_venue(self):
        c = checks.parse_conf("[account.a]\nvenue = okx\nsecret = s1\n[account.b]\n"
                              "venue = okx\nsecret = s2\n[account.c]\nvenue = bybit\n"
                              "secret_file = f\n[account.d]\nvenue = upbit\nsecret = s3\n")
        self.assertEqual(checks.account_secrets(c), {"okx": "s1", "upbit": "s3"})

    def test_rewrite_conf(self):
        src = ("[supervisor]\n# procs = x\nprocs = a b\nrestart_max = 5\n\n"
               "[stratd]\nname = stratd\nfeedd = feedd\n")
        out = chaos.rewrite_conf(src, {"supervisor": {"procs": "feedd", "run_dir": "/r"},
                                       "riskd": {"breaker_cooldown": "5s"}}, "77")
        c = checks.parse_conf(out)
        self.assertEqual(c["supervisor"], {"procs": "feedd", "restart_max": "5",
                                           "run_dir": "/r"})
        self.assertEqual(c["stratd"], {"name": "stratd-77", "feedd": "feedd-77"})
        self.assertEqual(c["riskd"], {"breaker_cooldown": "5s"})
        self.assertIn("# procs = x", out)

    def test_scripted_faults(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.scn")
            with open(p, "w") as f:
                f.write("[fault.a]\nat = 2s\nkind = stall\nvenue = upbit\nduration = 3s\n"
                        "[fault.b]\nkind = burst_429\nat = 1s\nduration = 1s\n")
            self.assertEqual(chaos.scripted_faults(p, ("upbit", "binance")),
                             [("a", "stall", ["upbit"], 2_000_000_000, 5_000_000_000),
                              ("b", "burst_429", ["upbit", "binance"], 1_000_000_000,
                               2_000_000_000)])
            # a fault without a venue hits every venue of the run
            six = ("upbit", "bithumb", "coinone", "binance", "bybit", "okx")
            self.assertEqual(chaos.scripted_faults(p, six)[1][2], list(six))

    def test_chaos_scenarios_have_faults_on_every_venue(self):
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
        # the six-venue run's configuration (the faults run's is Upbit and Binance)
        with open(os.path.join(root, "deploy", chaos.RUNS["six"][0])) as fh:
            venues = checks.live_venues(checks.parse_conf(fh.read()))
        self.assertEqual(set(venues), {"upbit", "bithumb", "coinone", "binance", "bybit", "okx"})
        self.assertEqual(chaos.RUNS["six"][1], "chaos-faults.scn")
        self.assertEqual(chaos.RUNS["faults"][1], "chaos-faults.scn")
        scn = os.path.join(root, "sim", "scenarios", "chaos-faults.scn")
        f = chaos.scripted_faults(scn, venues)
        kinds = {(k, v) for _, k, vs, _, _ in f for v in vs}
        for k in ("disconnect", "stall", "malformed", "truncate", "drop_response", "http_5xx",
                  "burst_429", "clock_skew"):
            for v in venues:
                self.assertIn((k, v), kinds)
        for v in ("binance", "bybit", "okx"):
            self.assertIn(("gap", v), kinds)
        # the scenario serves every venue of the run, with an account on each
        with open(scn) as fh:
            sc = checks.parse_conf(fh.read())
        self.assertEqual(set(checks.account_secrets(sc)), set(venues))
        for v in venues:
            self.assertNotEqual(sc.get("venue." + v, {}).get("enabled"), "false", v)
        self.assertEqual(chaos.scripted_faults(os.path.join(root, "sim", "scenarios",
                                                            "chaos.scn"), venues), [])


if __name__ == "__main__":
    buf = io.StringIO()
    r = unittest.TextTestRunner(stream=buf, verbosity=2).run(
        unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__]))
    if not r.wasSuccessful():
        sys.stdout.write(buf.getvalue())
    print("chaos: check logic tests: %d run, %d failed" %
          (r.testsRun, len(r.failures) + len(r.errors)))
    sys.exit(0 if r.wasSuccessful() else 1)
