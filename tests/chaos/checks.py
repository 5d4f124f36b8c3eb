# SPDX-License-Identifier: MIT
"""
The chaos suite's checks, as pure functions of what the runs collected
(exsim's ledger, orderd's journal records, riskd's positions, the kills
and their restart times), so test_checks.py can feed them fabricated
inputs and see each one fail.

Every check returns a dict:
    {"id": N, "name": "...", "ok": bool, "text": "one line with the numbers",
     "numbers": {...}, "evidence": ["ledger line", ...]}   (evidence: at most
     EVIDENCE_MAX items, the first offenders)
"""
import json
import re
from decimal import Decimal, InvalidOperation

EVIDENCE_MAX = 10

# exsim order states that are final
FINAL = ("filled", "canceled", "expired", "rejected")


def _check(cid, name, ok, text, numbers, evidence=()):
    return {"id": cid, "name": name, "ok": bool(ok), "text": text, "numbers": numbers,
            "evidence": list(evidence)[:EVIDENCE_MAX]}


def dec(v):
    """An exact decimal from a JSON number or string; None when it is not one."""
    if v is None:
        return None
    try:
        return Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None


# ---- configuration ----------------------------------------------------------

_UNITS = {"ns": 1, "us": 1000, "ms": 1000000, "s": 1000000000}


def duration_ns(text):
    """'250ms' -> 250000000; a bare number is ns (the config's rule). ValueError when bad."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(ns|us|ms|s)?\s*", text or "")
    if not m:
        raise ValueError("not a duration: %r" % text)
    return int(Decimal(m.group(1)) * _UNITS[m.group(2) or "ns"])


def parse_conf(text):
    """kimp's config format: {section: {key: value}} (comment lines and blanks skipped)."""
    out, sec = {}, ""
    for ln in text.splitlines():
        s = ln.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("[") and s.endswith("]"):
            sec = s[1:-1].strip()
            out.setdefault(sec, {})
            continue
        k, eq, v = s.partition("=")
        if not eq:
            continue
        v = v.strip()
        if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
            v = v[1:-1]
        out.setdefault(sec, {})[k.strip()] = v
    return out


def stale_after_us(conf):
    """{venue: stale_after in us} for every [venue.NAME] with stale_after."""
    out = {}
    for sec, kv in conf.items():
        if sec.startswith("venue.") and "stale_after" in kv:
            out[sec[len("venue."):]] = duration_ns(kv["stale_after"]) // 1000
    return out


def live_venues(conf):
    """The venues a run trades on: every [order.NAME] in mode live, in file order."""
    return tuple(sec[len("order."):] for sec, kv in conf.items()
                 if sec.startswith("order.") and kv.get("mode") == "live")


def account_secrets(scn):
    """{venue: secret} of a scenario's [account.*] sections (the first account of each venue)."""
    out = {}
    for sec, kv in scn.items():
        if sec.startswith("account.") and kv.get("venue") and kv.get("secret"):
            out.setdefault(kv["venue"], kv["secret"])
    return out


# ---- the ledger ---------------------------------------------------------------

class Ledger:
    """exsim's ledger, read incrementally (exsim flushes every line)."""

    def __init__(self, path):
        self.path = path
        self.off = 0
        self.partial = ""
        self.events = []
        self.bad = []

    def poll(self):
        try:
            with open(self.path, "r") as f:
                f.seek(self.off)
                data = f.read()
                self.off = f.tell()
        except OSError:
            return self
        data = self.partial + data
        lines = data.split("\n")
        self.partial = lines.pop()
        for ln in lines:
            if not ln.strip():
                continue
            try:
                self.events.append(json.loads(ln))
            except ValueError:
                self.bad.append(ln)
        return self

    def of(self, ev):
        return [e for e in self.events if e.get("ev") == ev]


def ledger_orders(events):
    return [e for e in events if e.get("ev") == "order"]


def exsim_open_orders(events):
    """Orders exsim accepted and holds open: (venue, id) -> last event."""
    last = {}
    for e in events:
        ev = e.get("ev")
        if ev == "order":
            if e.get("result") != "accepted":
                continue
        elif ev not in ("fill", "cancel", "expire"):
            continue
        last[(e.get("venue"), e.get("id"))] = e
    return {k: e for k, e in last.items() if e.get("status") not in FINAL}


def balances(events):
    """(venue, asset) -> free + locked, from the last balance line of each."""
    out = {}
    for e in events:
        if e.get("ev") == "balance":
            out[(e.get("venue"), e.get("asset"))] = dec(e.get("free")) + dec(e.get("locked"))
    return out


def fees(events):
    """(venue, fee asset) -> the sum of exsim's fill fees."""
    out = {}
    for e in events:
        if e.get("ev") == "fill":
            k = (e.get("venue"), e.get("fee_asset"))
            out[k] = out.get(k, Decimal(0)) + dec(e.get("fee"))
    return out


def short(e):
    """A ledger order line, shortened for evidence."""
    keep = ("t", "venue", "cid", "id", "sym", "side", "px", "qty", "result", "reject",
            "md_age_us", "status")
    return json.dumps({k: e[k] for k in keep if k in e}, separators=(",", ":"))


# ---- the checks -----------------------------------------------------------------

def check_unique_cids(orders):
    """1. No client order id appears twice among exsim's ledger order lines."""
    seen, dups, empty = {}, {}, []
    for e in orders:
        c = e.get("cid") or ""
        if not c:
            empty.append(e)
            continue
        if c in seen:
            dups.setdefault(c, [seen[c]]).append(e)
        else:
            seen[c] = e
    ev = ["duplicate cid %s: %s" % (c, " | ".join(short(x) for x in l)) for c, l in dups.items()]
    ev += ["order without cid: %s" % short(e) for e in empty]
    ok = not dups and not empty
    return _check(1, "unique client order ids", ok,
                  "%d order lines, %d distinct cids, %d duplicated, %d without cid" %
                  (len(orders), len(seen), len(dups), len(empty)),
                  {"orders": len(orders), "distinct": len(seen), "duplicated": len(dups),
                   "no_cid": len(empty)}, ev)


def check_known_to_orderd(orders, coids, prefix):
    """2. Every order exsim received is known to orderd (its journal's ORDER records)."""
    unknown = []
    for e in orders:
        c = e.get("cid") or ""
        if not c.startswith(prefix) or c[len(prefix):] not in coids:
            unknown.append(e)
    ok = not unknown
    return _check(2, "every exsim order known to orderd", ok,
                  "%d order lines, %d known to orderd's journal (%d orders journaled), %d unknown" %
                  (len(orders), len(orders) - len(unknown), len(coids), len(unknown)),
                  {"orders": len(orders), "known": len(orders) - len(unknown),
                   "journaled": len(coids), "unknown": len(unknown)},
                  ["unknown to orderd: %s" % short(e) for e in unknown])


def positions_diff(pos, events, venues=None):
    """
    riskd's positions (kimpctl positions --json) against the ledger: a list of
    (what, riskd's value, exsim's value) that differ, and how many values
    were compared. Compared per venue: cash (its quote asset), every
    position's hold, the quote fees (venue 'fees') and every coin's
    fee_base; and every asset exsim holds for the venue must be known to
    riskd. venues (None: all): the venues the engine trades; exsim's
    balances on its other venues (served, never traded) are not compared.
    """
    bal, fee = balances(events), fees(events)
    diffs, n = [], 0
    seen = set()
    zero = Decimal(0)
    for v in (pos or {}).get("venues", []):
        name, quote = v.get("venue"), v.get("quote")
        items = [("%s %s cash" % (name, quote), v.get("cash"), bal.get((name, quote))),
                 ("%s %s fees" % (name, quote), v.get("fees"), fee.get((name, quote), zero))]
        seen.add((name, quote))
        for p in v.get("positions", []):
            coin = p.get("coin")
            seen.add((name, coin))
            items.append(("%s %s hold" % (name, coin), p.get("hold"), bal.get((name, coin))))
            items.append(("%s %s fee_base" % (name, coin), p.get("fee_base"),
                          fee.get((name, coin), zero)))
        if dec(v.get("reserved")) not in (None, zero):
            diffs.append(("%s reserved (nothing is open)" % name, v.get("reserved"), "0"))
        for what, r, x in items:
            n += 1
            rd = dec(r)
            if rd is None or x is None or rd != x:
                diffs.append((what, r, None if x is None else str(x.normalize())))
    for (name, asset), x in sorted(bal.items()):
        if venues is not None and name not in venues:
            continue
        if (name, asset) not in seen:
            n += 1
            diffs.append(("%s %s (exsim holds it, riskd does not know it)" % (name, asset), None,
                          str(x.normalize())))
    if not pos or not pos.get("venues"):
        diffs.append(("riskd positions", None, "no venues"))
    return diffs, n


def check_positions(pos, events, venues=None):
    """3. riskd's positions, cash and fees equal exsim's ledger to the last unit."""
    diffs, n = positions_diff(pos, events, venues)
    return _check(3, "riskd positions, cash, fees == exsim ledger", not diffs,
                  "%d values compared (cash, holds, quote and base fees per venue), %d differ" %
                  (n, len(diffs)), {"compared": n, "differ": len(diffs)},
                  ["%s: riskd %s, exsim %s" % d for d in diffs])


def pair_venues(conf):
    """{COIN: (krw venue, usdt venue)} of stratd's [pair.COIN] sections."""
    return {sec[len("pair."):]: (kv.get("krw"), kv.get("usdt")) for sec, kv in conf.items()
            if sec.startswith("pair.")}


def sym_coin(sym, coins):
    """The coin of a venue symbol (KRW-BTC, BTCUSDT, BTC-USDT, BTC_KRW, BTC), or None."""
    s = (sym or "").upper().replace("-", "").replace("_", "").replace("/", "")
    for c in coins:
        if s in (c, c + "USDT", "USDT" + c, c + "KRW", "KRW" + c):
            return c
    return None


def check_not_stale(orders, stale_us, pairs=None):
    """
    4. Every ledger order line has md_age_us of every traded venue below its
    stale_after: with pairs ({COIN: venues}, pair_venues), the venues of the
    order's pair; without (or for a coin of no pair), every venue.
    """
    bad, worst, missing = [], {v: -1 for v in stale_us}, 0
    for e in orders:
        ages = e.get("md_age_us") or {}
        off = []
        coin = sym_coin(e.get("sym"), pairs) if pairs else None
        for v, lim in stale_us.items():
            if coin and v not in pairs[coin]:
                continue
            a = ages.get(v)
            if a is None:
                missing += 1
                off.append("%s: no md_age" % v)
                continue
            worst[v] = max(worst[v], a)
            if a < 0 or a >= lim:
                off.append("%s md_age %d us >= stale_after %d us" % (v, a, lim) if a >= 0 else
                           "%s never sent market data" % v)
        if off:
            bad.append("%s: %s" % ("; ".join(off), short(e)))
    txt = ", ".join("%s max %.3f s (stale_after %.3f s)" % (v, worst[v] / 1e6, stale_us[v] / 1e6)
                    for v in sorted(stale_us))
    return _check(4, "no order on a stale book (exsim's md_age_us)", not bad and stale_us,
                  "%d order lines, %d on a stale feed; %s" % (len(orders), len(bad), txt or
                                                              "no venue with stale_after"),
                  {"orders": len(orders), "stale": len(bad), "missing_md_age": missing,
                   "max_md_age_us": worst, "stale_after_us": stale_us}, bad)


def median(xs):
    s = sorted(xs)
    if not s:
        return None
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def check_restarts(kills, bound_s, extra_exits):
    """
    5. Every killed daemon back (heartbeating, per kimpctl status) within
    bound_s; and no daemon exited that was not killed (extra_exits: a list
    of 'proc: cause' lines from the supervisor).
    kills: [{"proc":, "pid":, "back_s": float or None (never back)}].
    """
    times = [k["back_s"] for k in kills if k.get("back_s") is not None]
    late = [k for k in kills if k.get("back_s") is None or k["back_s"] > bound_s]
    ev = ["%s (pid %s) %s" % (k["proc"], k.get("pid"),
                              "never came back" if k.get("back_s") is None else
                              "back after %.3f s > %.1f s" % (k["back_s"], bound_s)) for k in late]
    ev += ["unexpected exit: %s" % x for x in extra_exits]
    mx, md = (max(times) if times else None), median(times)
    txt = "%d kills, %d back within %.1f s; restart max %s, median %s; %d unexpected exits" % (
        len(kills), len(kills) - len(late), bound_s,
        "%.3f s" % mx if mx is not None else "-", "%.3f s" % md if md is not None else "-",
        len(extra_exits))
    name = "daemons back within %.0f s" % bound_s if kills else "no daemon exited"
    return _check(5, name, not late and not extra_exits, txt,
                  {"kills": len(kills), "late": len(late), "bound_s": bound_s,
                   "restart_max_s": mx, "restart_median_s": md,
                   "unexpected_exits": len(extra_exits)}, ev)


def check_recovered(after_ns, orders, books, venues, what):
    """
    6. Recovered by itself after the last fault or kill (after_ns, unix ns):
    every book live (books: kimpctl books --json's list) and, on every venue,
    an order exsim accepted after it.
    """
    late = {v: 0 for v in venues}
    for e in orders:
        if e.get("result") == "accepted" and e.get("t", 0) > after_ns and e.get("venue") in late:
            late[e["venue"]] += 1
    notlive = ["%s inst %s: %s (%s)" % (b.get("venue"), b.get("inst"), b.get("status"),
                                         b.get("reason")) for b in books
               if b.get("status") != "live"]
    ok = bool(books) and not notlive and all(late.values()) and bool(late)
    ev = list(notlive) + ["%s: no accepted order after the last %s" % (v, what)
                          for v, n in late.items() if not n]
    if not books:
        ev.append("no books in feedd's table")
    return _check(6, "recovered by itself after the last %s" % what, ok,
                  "%d/%d books live; accepted orders after the last %s: %s" %
                  (len(books) - len(notlive), len(books), what,
                   ", ".join("%s %d" % (v, n) for v, n in sorted(late.items()))),
                  {"books": len(books), "books_live": len(books) - len(notlive),
                   "orders_after": late}, ev)


def hedge_report(strat):
    """
    What stratd holds unhedged, from kimpctl strat --json (after the drain):
    the stuck-pair counter, the pairs still in flight with their state, and
    every coin whose unhedged exposure is not zero. A report, not a check:
    "hedged" says whether all three are empty.
    """
    if not strat:
        return {"hedged": None, "text": "stratd's state unreadable"}
    c = strat.get("counters", {})
    pairs = ["%s %s %s" % (p.get("pair_id"), p.get("coin"), p.get("state"))
             for p in strat.get("pairs", []) if p.get("state") != "done"]
    unhedged = {}
    for coin in strat.get("coins", []):
        u = (coin.get("exposure") or {}).get("unhedged")
        if u is not None and dec(u) != 0:
            unhedged[coin.get("coin")] = u
    stuck = c.get("pairs_stuck") or 0
    hedged = not stuck and not pairs and not unhedged
    return {"hedged": hedged, "pairs_stuck": stuck, "pairs_in_flight": pairs,
            "unhedged": unhedged,
            "text": "pairs stuck %s, in flight %d%s, coins unhedged: %s" %
                    (stuck, len(pairs), (" (%s)" % ", ".join(pairs[:4])) if pairs else "",
                     ", ".join("%s %s" % kv for kv in sorted(unhedged.items())) or "none")}


def engine_diag(strat, risk, max_pairs):
    """
    Why an engine may not be trading, from kimpctl strat --json and risk
    --json: riskd's mode, stratd's open pairs against max_pairs, and each
    pair not done with the rejects of its orders (kind, leg, reason).
    """
    out = []
    if risk:
        m = risk.get("mode", {})
        out.append("riskd mode %s, breaker %s (trips %s), pause reasons %s" %
                   (m.get("mode"), m.get("breaker"), m.get("breaker_trips"),
                    m.get("pause_reasons") or "none"))
    if strat:
        c = strat.get("counters", {})
        out.append("stratd pairs open %s of max_pairs %s, stuck %s, entries %s, rejects %s" %
                   (c.get("pairs_open"), max_pairs, c.get("pairs_stuck"), c.get("entries"),
                    c.get("rejects")))
        for p in strat.get("pairs", []):
            rej = {}
            for leg in p.get("legs", []):
                for o in leg.get("orders", []):
                    if o.get("state") == "rejected":
                        k = "leg %s %s %s %s" % (leg.get("leg"), leg.get("venue"), o.get("kind"),
                                                 o.get("reason"))
                        rej[k] = rej.get(k, 0) + 1
            orders = ["leg %s %s %s %s filled %s" % (leg.get("leg"), o.get("kind"), o.get("state"),
                                                     o.get("reason"), o.get("filled", o.get("cum_qty")))
                      for leg in p.get("legs", []) for o in leg.get("orders", [])]
            out.append("pair %s %s %s: %s, imbalance %s, age %.1f s; rejected: %s; orders: %s" %
                       (p.get("pair_id"), p.get("coin"), p.get("dir"), p.get("state"),
                        p.get("imbalance"), (p.get("age_ns") or 0) / 1e9,
                        ", ".join("%s x%d" % kv for kv in sorted(rej.items())) or "none",
                        "; ".join(orders) or "none"))
    return out
