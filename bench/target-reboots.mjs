#!/usr/bin/env node
// The boot race, pmsapp-target against the install guide's iscsitarget script, side by side (issue 4).
//
//   node bench/target-reboots.mjs                       print the last recorded run (no lab needed)
//   node bench/target-reboots.mjs --run [--reboots N] [--soak] [--mixed]
//                                                      run test/lab/target-keeper.lab.test.ts first (root, the
//                                                      lab; ~60-90 s per round, more with --soak; --mixed makes
//                                                      every even round a clean systemctl reboot)
//
// The figures come from the lab scenario, which reboots node1 (pmsapp-target) and node3 (the guide's
// /etc/init.d/iscsitarget, S16) together N times and records, for every boot, whether the node's disk was
// exported (tgtadm --op show: LUN backing store /dev/vdb) and whether a local md held it
// (/sys/block/vdb/holders). Each run writes target-reboots-<time>.json into the lab's artifacts folder;
// this prints the newest one. `npm run bench` runs this without --run: it never starts a lab by itself.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";

const { median } = await tsImport("../test/lab/lib/median.ts", import.meta.url);

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const artifacts = join(process.env.PMSAPP_LAB_DIR ?? "/var/tmp/pmsapp-lab", "artifacts");
const args = process.argv.slice(2);

function option(name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const unknown = args.filter((a, i) => !["--run", "--soak", "--mixed", "--reboots"].includes(a) && args[i - 1] !== "--reboots");
if (unknown.length > 0) {
  console.error(`target-reboots: unknown argument(s) ${unknown.join(" ")}\nusage: node bench/target-reboots.mjs [--run [--reboots N] [--soak] [--mixed]]`);
  process.exit(2);
}

if (args.includes("--run")) {
  const reboots = option("--reboots") ?? "20";
  if (!/^\d+$/.test(reboots) || Number(reboots) < 1) {
    console.error(`target-reboots: --reboots needs a positive whole number, got '${reboots}'`);
    process.exit(2);
  }
  const env = { ...process.env, PMSAPP_TARGET_REBOOTS: reboots, PMSAPP_LAB_REQUIRED: "1", PMSAPP_LAB_WAIT_S: process.env.PMSAPP_LAB_WAIT_S ?? "3600" };
  if (args.includes("--soak")) env.PMSAPP_LAB_SOAK = "1";
  if (args.includes("--mixed")) env.PMSAPP_TARGET_REBOOT_KIND = "mixed";
  const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
  const r = spawnSync(process.execPath, [vitest, "run", "--project", "lab", "test/lab/target-keeper.lab.test.ts"], { cwd: root, env, stdio: "inherit" });
  if (r.status !== 0) console.error(`target-reboots: the lab scenario exited ${r.status ?? r.signal}; printing the newest record anyway`);
}

const records = existsSync(artifacts) ? readdirSync(artifacts).filter((f) => /^target-reboots-.*\.json$/.test(f)).sort() : [];
if (records.length === 0) {
  console.log(`target-reboots: no recorded run in ${artifacts}; run: node bench/target-reboots.mjs --run (root, the lab)`);
  process.exit(0);
}
const file = join(artifacts, records[records.length - 1]);
const rec = JSON.parse(readFileSync(file, "utf8"));
const rounds = rec.rounds ?? [];
const n = rounds.length;
const count = (who, f) => rounds.filter((r) => f(r[who])).length;
const row = (label, who) =>
  `${label.padEnd(36)}${`${count(who, (l) => l.exported)}/${n}`.padEnd(12)}${`${count(who, (l) => l.held)}/${n}`.padEnd(14)}${`${count(who, (l) => l.exported && l.held)}/${n}`.padEnd(16)}${count(who, (l) => !l.exported && !l.held)}/${n}`;

console.log(`record: ${file}${rec.soak ? " (soak: every check at uptime >= 110 s)" : ""}`);
console.log(`${n} reboots per node, ${rec.mixed ? "odd rounds power cut, even rounds systemctl reboot" : "power cut + cold start"}; checked once systemd finished booting`);
console.log(`${"".padEnd(36)}${"exported".padEnd(12)}${"md held".padEnd(14)}${"exported+held".padEnd(16)}neither`);
console.log(row("node1 pmsapp-target", "keeper"));
console.log(row("node3 guide's iscsitarget (S16)", "guide"));
if (rec.late) {
  const yn = (l) => `${l.exported ? "exported" : "NOT exported"}, ${l.held ? `held by ${l.holders}` : "no md holder"} (uptime ${Math.round(l.uptimeS)} s)`;
  console.log(`after the last boot, past mdadm-last-resort's window: keeper ${yn(rec.late.keeper)}; guide ${yn(rec.late.guide)}`);
}
const ready = rounds.map((r) => r.bootMs.node1 / 1000).sort((a, b) => a - b);
if (ready.length > 0) {
  console.log(`node1 reboot to lab-ready: median ${median(ready).toFixed(1)} s, max ${ready[ready.length - 1].toFixed(1)} s`);
}
