// kimp dashboard: snapshots from monitord's WebSocket (port from /api/config),
// drawn into tables and canvas charts. No external resources.
"use strict";

const hist = { premium: {}, pnl: [] };   // per coin: [{t, p, mean, lo, hi}]
const KEEP = 600;

function $(id) { return document.getElementById(id); }
function esc(s) { return String(s).replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" })[c]); }
function pct(x) { return x === null || x === undefined ? "-" : (100 * x).toFixed(3) + "%"; }
function ns(x) {
  if (x === null || x === undefined) return "-";
  if (x < 1e3) return x + " ns";
  if (x < 1e6) return (x / 1e3).toFixed(1) + " us";
  if (x < 1e9) return (x / 1e6).toFixed(1) + " ms";
  return (x / 1e9).toFixed(2) + " s";
}
function table(el, head, rows) {
  let h = "<tr>" + head.map(c => "<th>" + esc(c) + "</th>").join("") + "</tr>";
  for (const r of rows)
    h += "<tr>" + r.map(c => "<td>" + (c && c.html ? c.html : esc(c === null || c === undefined ? "-" : c)) + "</td>").join("") + "</tr>";
  el.innerHTML = h;
}

function drawLines(cv, series, opts) {
  const g = cv.getContext("2d"), W = cv.width, H = cv.height;
  g.clearRect(0, 0, W, H);
  let lo = Infinity, hi = -Infinity, t0 = Infinity, t1 = -Infinity;
  for (const s of series) for (const p of s.pts) {
    if (p.y === null || !isFinite(p.y)) continue;
    lo = Math.min(lo, p.y); hi = Math.max(hi, p.y); t0 = Math.min(t0, p.t); t1 = Math.max(t1, p.t);
  }
  if (!isFinite(lo)) { g.fillStyle = "#777"; g.fillText("no data yet", 10, 20); return; }
  if (hi === lo) { hi += 1e-9; lo -= 1e-9; }
  if (t1 === t0) t1 = t0 + 1;
  const x = t => 50 + (W - 60) * (t - t0) / (t1 - t0), y = v => H - 15 - (H - 30) * (v - lo) / (hi - lo);
  g.fillStyle = "#888"; g.font = "11px monospace";
  g.fillText(opts.fmt(hi), 2, 12); g.fillText(opts.fmt(lo), 2, H - 4);
  for (const s of series) {
    g.strokeStyle = s.color; g.setLineDash(s.dash || []); g.beginPath();
    let on = false, n = 0, last = null;
    for (const p of s.pts) {
      if (p.y === null || !isFinite(p.y)) { on = false; continue; }
      if (on) g.lineTo(x(p.t), y(p.y)); else g.moveTo(x(p.t), y(p.y));
      on = true; n++; last = p;
    }
    g.stroke();
    // a lone point (the first snapshot) has no line to draw: a dot
    if (n === 1) { g.fillStyle = s.color; g.fillRect(x(last.t) - 2, y(last.y) - 2, 5, 5); }
  }
  g.setLineDash([]);
  let lx = 60;
  for (const s of series) { g.fillStyle = s.color; g.fillText(s.name, lx, 12); lx += 8 * s.name.length + 20; }
}

const COLORS = ["#6cf", "#fc6", "#c6f", "#6f9", "#f96", "#9af"];

function drawPremium() {
  const series = [];
  let i = 0;
  for (const coin of Object.keys(hist.premium)) {
    const h = hist.premium[coin], c = COLORS[i++ % COLORS.length];
    series.push({ name: coin, color: c, pts: h.map(p => ({ t: p.t, y: p.p })) });
    series.push({ name: coin + " mean", color: c, dash: [2, 3], pts: h.map(p => ({ t: p.t, y: p.mean })) });
    series.push({ name: "band", color: "#555", dash: [6, 4], pts: h.map(p => ({ t: p.t, y: p.lo })) });
    series.push({ name: "", color: "#555", dash: [6, 4], pts: h.map(p => ({ t: p.t, y: p.hi })) });
  }
  drawLines($("premium-chart"), series, { fmt: pct });
  // the points drawn per coin, for tests reading the DOM (a canvas has no text)
  $("premium-chart").dataset.points = Object.keys(hist.premium).map(c =>
    c + ":" + hist.premium[c].filter(p => p.p !== null && p.p !== undefined && isFinite(p.p)).length).join(" ");
}

function drawLatency(lat) {
  const cv = $("latency-chart"), g = cv.getContext("2d"), W = cv.width, H = cv.height;
  g.clearRect(0, 0, W, H);
  // the end-to-end tick-to-order histograms when orderd has sent anything, else the stages
  const t2o = (lat && lat.tick_to_order || []).filter(x => x.hist.count > 0);
  const st = t2o.length ? t2o : (lat && lat.stages || []);
  if (!st.length) { g.fillStyle = "#777"; g.fillText("no histograms", 10, 20); return; }
  const nb = st[0].buckets.length, bw = (W - 60) / nb;
  let max = 1;
  for (const s of st) { let prev = 0; for (const b of s.buckets) { max = Math.max(max, b.count - prev); prev = b.count; } }
  g.font = "10px monospace";
  st.forEach((s, k) => {
    let prev = 0; g.fillStyle = COLORS[k % COLORS.length];
    s.buckets.forEach((b, i) => {
      const n = b.count - prev; prev = b.count;
      const h = (H - 40) * n / max, w = bw / st.length;
      g.fillRect(50 + i * bw + k * w, H - 25 - h, w - 1, h);
    });
    g.fillText(s.proc + " " + s.name, 60 + 260 * k, 12);
  });
  g.fillStyle = "#888";
  st[0].buckets.forEach((b, i) => { if (i % 2 === 0) g.fillText("≤" + ns(b.le_ns), 50 + i * bw, H - 8); });
}

function render(s) {
  const now = s.time_ms;
  $("clock").textContent = new Date(now).toISOString();
  if (s.health) table($("health"), ["PROC", "PID", "HEARTBEAT AGE", "STATE"], s.health.procs.map(p =>
    [p.proc, p.pid || "-", ns(p.heartbeat_age_ns), { html: "<span class=" + (p.ok ? "ok" : "bad") + ">" + esc(p.state) + "</span>" }]));
  if (s.feeds) table($("feeds"), ["VENUE", "MSGS/S", "BOOKS", "MAX BOOK AGE"], s.feeds.venues.map(v =>
    [v.venue, v.msgs_per_s, v.books, ns(v.max_book_age_ns)]));
  else $("feeds").innerHTML = "<tr><td>no feedd</td></tr>";
  if (s.premium) {
    table($("premium"), ["COIN", "PREMIUM", "MEAN", "VS MEAN", "BAND LOW", "BAND HIGH", "SAMPLES"], s.premium.coins.map(c =>
      [c.coin, pct(c.premium), pct(c.mean), c.premium === null ? "-" : pct(c.premium - c.mean), pct(c.band_low), pct(c.band_high), c.samples]));
    for (const c of s.premium.coins) {
      const h = hist.premium[c.coin] || (hist.premium[c.coin] = []);
      h.push({ t: now, p: c.premium, mean: c.mean, lo: c.band_low, hi: c.band_high });
      if (h.length > KEEP) h.shift();
    }
    drawPremium();
  }
  if (s.positions) {
    const p = s.positions.pnl;
    $("pnl").innerHTML = "mode <b>" + esc(s.positions.mode) + "</b> &nbsp; pnl <b id=pnl-total>" + esc(p.total) + "</b> KRW (realized " +
      esc(p.realized) + ", unrealized " + esc(p.unrealized) + ")";
    hist.pnl.push({ t: now, y: parseFloat(p.total) });
    if (hist.pnl.length > KEEP) hist.pnl.shift();
    drawLines($("pnl-chart"), [{ name: "pnl KRW", color: "#6f9", pts: hist.pnl }], { fmt: v => v.toFixed(0) });
    const rows = [];
    for (const v of s.positions.venues) for (const q of v.positions)
      rows.push([v.venue, q.coin, q.hold, q.traded, q.mark, q.realized, q.unrealized, q.open_buy_orders + "/" + q.open_sell_orders]);
    table($("positions"), ["VENUE", "COIN", "HOLD", "TRADED", "MARK", "REALIZED", "UNREALIZED", "OPEN B/S"], rows);
  }
  if (s.orders) table($("orders"), ["CLIENT_OID", "VENUE", "COIN", "SIDE", "STATE", "PX", "QTY", "FILLED", "UPDATED"],
    s.orders.orders.slice(0, 50).map(o => [o.client_oid, o.venue, o.coin, o.side, o.state, o.px, o.qty, o.filled, o.updated]));
  if (s.latency) {
    table($("latency"), ["STAGE", "COUNT", "P50", "P99", "P99.9", "MAX"],
      (s.latency.tick_to_order || []).concat(s.latency.stages || []).map(x =>
      [x.proc + " " + x.name, x.hist.count, ns(x.hist.p50_ns), ns(x.hist.p99_ns), ns(x.hist.p99_9_ns), ns(x.hist.max_ns)]));
    drawLatency(s.latency);
  }
}

// /ws on the page's own host and port (through a tunnel too), or monitord's ws_listen
function connect(c) {
  const ws = new WebSocket(c.ws_same_port !== false ? "ws://" + location.host + (c.ws_path || "/ws")
                                                    : "ws://" + location.hostname + ":" + c.ws_port + "/ws");
  ws.onopen = () => { $("conn").textContent = "live"; $("conn").className = "ok"; };
  ws.onmessage = e => { try { render(JSON.parse(e.data)); } catch (err) { console.error(err); } };
  ws.onclose = () => { $("conn").textContent = "disconnected"; $("conn").className = "bad"; setTimeout(() => connect(c), 2000); };
}

// the first frame over HTTP, then live over the WebSocket
fetch("/api/snapshot").then(r => r.json()).then(render).catch(err => console.error(err))
  .then(() => fetch("/api/config")).then(r => r.json()).then(c => connect(c))
  .catch(() => { $("conn").textContent = "no monitord"; $("conn").className = "bad"; });
