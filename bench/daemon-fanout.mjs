#!/usr/bin/env node
// Fan-out of pmsappd (dist/pmsappd.cjs, run as its own process) to 1000 WebSocket clients on loopback.
// The node state is a captured one (test/fixtures/spike-2026-11-24) replayed into a folder the daemon
// watches with fs.watch (host_format = capture): each flip raid1-healthy <-> raid1-member-faulty is a
// sysfs change, as the kernel would make it. Latency = client receipt - time the bench rewrote the
// files (one clock, one machine); it includes the daemon's debounce (md_debounce_ms below) and the
// time the single client process needs to read 1000 sockets.
//   baseline: 1000 clients, all reading, while agents write 200 journal lines of ~2 KB (~400 KB per client)
//   loaded:   the same, plus 10 clients that never read (on the Unix socket)
// Printed: p50/p99 delivery latency and the daemon's peak RSS for both, their ratios, and how many slow
// clients the daemon closed (1013). No assertion: figures only. Needs `npm run build` first.
import { spawn } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocket } from "ws";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// FANOUT_DAEMON names another pmsappd bundle (e.g. one built from an older commit, to compare side by
// side); FANOUT_NODE_ARGS adds node options for the daemon only (e.g. --cpu-prof --cpu-prof-dir=/tmp/p).
const daemonJs = process.env.FANOUT_DAEMON ?? join(root, "dist", "pmsappd.cjs");
const daemonNodeArgs = (process.env.FANOUT_NODE_ARGS ?? "").split(" ").filter(Boolean);
if (!existsSync(daemonJs)) {
  console.error(`daemon-fanout: ${daemonJs} missing; run npm run build`);
  process.exit(1);
}
const captures = join(root, "test", "fixtures", "spike-2026-11-24");
const CLIENTS = Number(process.env.FANOUT_CLIENTS ?? 1000);
const SLOW = 10;
const FLIPS = Number(process.env.FANOUT_FLIPS ?? 20);
const DEBOUNCE_MS = 10;
const JOURNAL_LINES = 200;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Files under sys/ whose content differs between the two captured states, with each state's content. */
function listFiles(base, rel = "sys") {
  const out = [];
  for (const e of readdirSync(join(base, rel), { withFileTypes: true })) {
    const r = join(rel, e.name);
    if (e.isDirectory()) out.push(...listFiles(base, r));
    else out.push(r);
  }
  return out;
}
const flipFiles = { "raid1-healthy": [], "raid1-member-faulty": [] };
{
  const a = join(captures, "raid1-healthy");
  const b = join(captures, "raid1-member-faulty");
  const inB = new Set(listFiles(b));
  for (const rel of listFiles(a)) {
    if (!inB.has(rel)) continue;
    const ca = readFileSync(join(a, rel));
    const cb = readFileSync(join(b, rel));
    if (ca.equals(cb)) continue;
    flipFiles["raid1-healthy"].push({ rel, content: ca });
    flipFiles["raid1-member-faulty"].push({ rel, content: cb });
  }
}

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** CPU seconds (user + system) the process has used. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

async function startDaemon(dir, port) {
  mkdirSync(dir, { recursive: true });
  const token = "bench-token-" + Math.random().toString(36).slice(2).padEnd(12, "x");
  writeFileSync(join(dir, "token"), token, { mode: 0o600 });
  cpSync(join(captures, "raid1-healthy"), join(dir, "host"), { recursive: true });
  mkdirSync(join(dir, "journal"), { recursive: true });
  writeFileSync(
    join(dir, "pmsappd.conf"),
    [
      "node_name = bench",
      `socket_path = ${join(dir, "pmsappd.sock")}`,
      `tcp_listen = 127.0.0.1:${port}`,
      `token_file = ${join(dir, "token")}`,
      `journal_path = ${join(dir, "journal", "agents.jsonl")}`,
      `host_root = ${join(dir, "host")}`,
      "host_format = capture",
      `md_debounce_ms = ${DEBOUNCE_MS}`,
      "md_poll_ms = 2000",
      "tgt_poll_ms = 300000",
      `max_clients = ${CLIENTS + SLOW + 10}`,
      "slow_client_bytes = 65536",
      "log_level = warn",
    ].join("\n"),
  );
  const child = spawn(process.execPath, [...daemonNodeArgs, daemonJs, "--config", join(dir, "pmsappd.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  for (let i = 0; i < 100; i++) {
    await sleep(100);
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.ok, () => false);
    if (ok) return { child, token, log: () => log };
  }
  child.kill("SIGKILL");
  throw new Error(`pmsappd did not start:\n${log}`);
}

function connect(url, token, { slow = false } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
    const c = { ws, received: [], closedCode: undefined, ready: false };
    ws.on("message", (data) => {
      const t = Date.now();
      // Only member changes and the snapshot end matter here. The frame's type and kind come right after
      // its stamp (daemon/server/hub.ts), so the first 200 bytes tell: decoding and searching every 2 KB
      // journal frame for 1000 clients in this one process would put the bench's own cost into the
      // latency it measures. (Were the field order to change, the flips would show up as missing.)
      const head = data.latin1Slice(0, Math.min(200, data.length));
      if (!head.includes('"member"') && !head.includes('"snapshot-end"')) return;
      const f = JSON.parse(String(data));
      if (f.type === "snapshot-end" && !c.ready) {
        c.ready = true;
        if (slow) ws._socket.pause();
        resolve(c);
      }
      // create too: a read that races the bench's non-atomic rewrite (truncate, then write) can see an
      // empty array_state, so the array briefly vanishes and comes back; the kernel's reads are atomic.
      if (f.kind === "member" && (f.type === "change" || f.type === "create")) c.received.push({ seq: f.seq, t, ts: Date.parse(f.ts), condition: f.state.condition });
    });
    ws.on("close", (code) => (c.closedCode = code));
    ws.on("error", (e) => (c.ready ? undefined : reject(e)));
  });
}

async function run(label, dir, port, withSlow) {
  const d = await startDaemon(dir, port);
  const url = `ws://127.0.0.1:${port}/events`;
  const clients = [];
  for (let i = 0; i < CLIENTS; i += 100) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(100, CLIENTS - i) }, () => connect(url, d.token)))));
  }
  // Slow clients on the Unix socket: its small kernel buffer (about 200 KiB) fills quickly, so what
  // they do not read piles up in the daemon, which is what the 1013 limit is about. (On TCP loopback
  // the kernel would first absorb several MiB per socket.)
  const unixUrl = `ws+unix:${join(dir, "pmsappd.sock")}:/events`;
  const slow = withSlow ? await Promise.all(Array.from({ length: SLOW }, () => connect(unixUrl, d.token, { slow: true }))) : [];
  const load0 = loadavg()[0];
  let peak = rssKiB(d.child.pid);
  const cpu0 = cpuSeconds(d.child.pid);
  const wall0 = Date.now();
  const benchCpu0 = process.cpuUsage();
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(d.child.pid))), 50);
  // Agents writing journal lines during both runs (the same load side by side): 200 lines of ~2 KB,
  // spread over the flips, so every client (slow ones included) is sent about 400 KB.
  const line = (i) => JSON.stringify({ time: new Date().toISOString(), agent: "raid", instance: `r${i % 5}`, action: "monitor", kind: "action-end", rc: 0, durationMs: 3, reason: "x".repeat(1800) }) + "\n";
  let written = 0;
  const journalWriter = setInterval(() => {
    if (written < JOURNAL_LINES) appendFileSync(join(dir, "journal", "agents.jsonl"), line(written++));
  }, Math.floor((FLIPS * 250) / JOURNAL_LINES));
  const sentAt = new Map();
  for (let flip = 0; flip < FLIPS; flip++) {
    const state = flip % 2 === 0 ? "raid1-member-faulty" : "raid1-healthy";
    const t = Date.now();
    // In place, like kernfs: same inode, so the daemon's fs.watch sees IN_MODIFY.
    for (const f of flipFiles[state]) writeFileSync(join(dir, "host", f.rel), f.content);
    sentAt.set(flip, t);
    await sleep(250);
  }
  clearInterval(journalWriter);
  await sleep(3000);
  clearInterval(sampler);
  // A flip to raid1-member-faulty must show up as member sdb becoming faulty, the flip back as in_sync.
  // The files are rewritten one by one, so a flip may produce intermediate events: the latency of a
  // flip is the first event, after the previous flip's, that shows the flip's final condition.
  if (process.env.FANOUT_DEBUG) console.log(JSON.stringify({ sentAt: [...sentAt.values()], got: clients[0]?.received }));
  const latencies = [];
  const detection = [];
  const delivery = [];
  let missing = 0;
  for (const c of clients) {
    let idx = 0;
    for (let flip = 0; flip < FLIPS; flip++) {
      const want = flip % 2 === 0 ? "faulty" : "in_sync";
      while (idx < c.received.length && c.received[idx].condition !== want) idx++;
      if (idx >= c.received.length) {
        missing += 1;
        continue;
      }
      latencies.push(c.received[idx].t - sentAt.get(flip));
      // The daemon stamps ts when it publishes (same host clock): before it is detection (debounce,
      // sysfs reads, diff), after it is delivery (framing, 1000 writes, the clients' process reading).
      detection.push(c.received[idx].ts - sentAt.get(flip));
      delivery.push(c.received[idx].t - c.received[idx].ts);
      idx++;
    }
  }
  latencies.sort((a, b) => a - b);
  detection.sort((a, b) => a - b);
  delivery.sort((a, b) => a - b);
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${d.token}` } }).then((r) => r.text());
  const cpu = cpuSeconds(d.child.pid) - cpu0;
  const wall = (Date.now() - wall0) / 1000;
  const benchCpuUse = process.cpuUsage(benchCpu0);
  const benchCpu = (benchCpuUse.user + benchCpuUse.system) / 1e6;
  const fastClosed = clients.filter((c) => c.closedCode !== undefined).length;
  const closedSlow = Number(/pmsapp_stream_clients_closed_total\{reason="slow"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  if (missing > 0 && process.env.FANOUT_DEBUG) console.log(d.log());
  for (const c of [...clients, ...slow]) c.ws.terminate();
  d.child.kill("SIGTERM");
  await new Promise((r) => d.child.once("exit", r));
  const result = { label, clients: clients.length, slow: slow.length, deliveries: latencies.length, missing, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.at(-1),
    detectP50: quantile(detection, 0.5), detectP99: quantile(detection, 0.99), deliverP50: quantile(delivery, 0.5), deliverP99: quantile(delivery, 0.99), peakRssMiB: peak / 1024, closedSlow };
  console.log(
    `${label.padEnd(9)} clients ${result.clients} + slow ${result.slow}: ${result.deliveries} deliveries (${missing} missing), ` +
      `p50 ${result.p50} ms, p99 ${result.p99} ms, max ${result.max} ms ` +
      `(detection p50/p99 ${result.detectP50}/${result.detectP99} ms, delivery p50/p99 ${result.deliverP50}/${result.deliverP99} ms); load average ${load0.toFixed(2)} -> ${loadavg()[0].toFixed(2)}; daemon peak RSS ${result.peakRssMiB.toFixed(1)} MiB, CPU ${cpu.toFixed(1)} s in ${wall.toFixed(1)} s (client process ${benchCpu.toFixed(1)} s); slow clients closed (1013): ${closedSlow}; reading clients closed: ${fastClosed}`,
  );
  return result;
}

/** A port the kernel says is free now (a random one collided with another job once). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const p = probe.address().port;
      probe.close(() => resolve(p));
    });
    probe.on("error", reject);
  });
}

const dir = mkdtempSync(join(tmpdir(), "pmsapp-fanout-"));
try {

  console.log(`daemon-fanout: ${CLIENTS} clients on 127.0.0.1, ${FLIPS} md state flips 250 ms apart, debounce ${DEBOUNCE_MS} ms; daemon ${daemonJs}; ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const base = await run("baseline", join(dir, "a"), await freePort(), false);
  const loaded = await run("loaded", join(dir, "b"), await freePort(), true);
  console.log(`ratio loaded/baseline: p99 latency ${(loaded.p99 / base.p99).toFixed(2)}x, peak RSS ${(loaded.peakRssMiB / base.peakRssMiB).toFixed(2)}x`);
  console.log(`goal (issue 5): p99 < 100 ms with 1000 clients; RSS bounded with ${SLOW} slow clients`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
