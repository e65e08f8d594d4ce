#!/usr/bin/env node
// The raid agent's status depth 0 (what rgmanager runs every 30 s) against `node -e 0`, side by side on
// this machine: the shim under `env -i`, the built light bundle, a host root with no array (answer 7) and
// one with a captured running array (answer 0). Goal (issue 2): <= 1.3x. Prints figures; asserts nothing.
// Needs `npm run build` first (npm run bench does it).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const WARMUP = 5;
const GOAL = 1.3;

// BENCH_RAID_DIST: a folder holding another build's raid.cjs and raid-heavy.cjs (before/after comparisons).
const dist = process.env.BENCH_RAID_DIST ?? join(repo, "dist");
for (const f of ["raid.cjs", "raid-heavy.cjs"]) {
  if (!existsSync(join(dist, f))) {
    console.error(`raid-status: ${join(dist, f)} missing: run npm run build`);
    process.exit(1);
  }
}
const work = mkdtempSync(join(tmpdir(), "pmsapp-bench-raid-"));
const libdir = join(work, "lib");
mkdirSync(libdir);
for (const f of ["raid.cjs", "raid-heavy.cjs"]) copyFileSync(join(dist, f), join(libdir, f));

// A host root with no md array, and one with the sysfs attributes of a captured running RAID1.
const emptyRoot = join(work, "empty-root");
mkdirSync(emptyRoot);
const arrayRoot = join(work, "array-root");
const capture = join(repo, "test/fixtures/spike-2026-11-24/raid1-healthy/sys");
const copyTree = (from, to) => {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    if (statSync(src).isDirectory()) copyTree(src, join(to, name));
    else if (!name.endsWith(".txt") && !name.endsWith(".readlink")) copyFileSync(src, join(to, name));
  }
};
copyTree(capture, join(arrayRoot, "sys"));

const shim = join(repo, "packaging/shims/rgmanager-raid.sh");
const common = [
  `PMSAPP_LIBDIR=${libdir}`,
  `PMSAPP_JOURNAL=${join(work, "agents.jsonl")}`,
  "OCF_RESKEY_uuid=1e618de3:71fb3487:b1b62896:ad659dc6",
  "OCF_RESKEY_targets=iqn.2024-01.lab.pmslab:node1.data@10.99.0.11 iqn.2024-01.lab.pmslab:node2.data@10.99.0.12",
  "OCF_RESKEY_md_device=/dev/md127",
  "OCF_CHECK_LEVEL=0",
  "OCF_RESOURCE_INSTANCE=pmsapp-raid:bench",
];
const statusCases = (label, env) => [
  { name: `status depth 0, no array (7)${label}`, argv: ["/usr/bin/env", "-i", ...env, `PMSAPP_HOST_ROOT=${emptyRoot}`, "/bin/sh", shim, "status"], expect: 7 },
  { name: `status depth 0, captured array (0)${label}`, argv: ["/usr/bin/env", "-i", ...env, `PMSAPP_HOST_ROOT=${arrayRoot}`, "/bin/sh", shim, "status"], expect: 0 },
];
const cases = [{ name: "node -e 0 (baseline, env -i)", argv: ["/usr/bin/env", "-i", "/usr/bin/node", "-e", "0"], expect: 0 }, ...statusCases("", common)];
// The goal is judged on this build's cases only; BENCH_RAID_COMPARE=<folder with another build's
// raid.cjs and raid-heavy.cjs> adds that build's cases to the same interleaved run (before/after).
const judged = cases.length;
const compare = process.env.BENCH_RAID_COMPARE;
if (compare !== undefined && compare !== "") {
  const otherLib = join(work, "compare-lib");
  mkdirSync(otherLib);
  for (const f of ["raid.cjs", "raid-heavy.cjs"]) copyFileSync(join(compare, f), join(otherLib, f));
  cases.push(...statusCases(" [compare]", [`PMSAPP_LIBDIR=${otherLib}`, ...common.slice(1)]));
}

// CPU time of waited-for children (user + system, clock ticks) from /proc/self/stat: less sensitive than
// wall time to other load on the machine, so both are printed.
const TICK_MS = 10;
const childCpuTicks = () => {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return Number(fields[13]) + Number(fields[14]);
};
const once = (c, k) => {
  const cpu0 = childCpuTicks();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c.argv[0], c.argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (k !== undefined) cpuTicks[k] += childCpuTicks() - cpu0;
  if (r.status !== c.expect) throw new Error(`${c.name}: exit ${r.status}, expected ${c.expect}: ${String(r.stderr).slice(0, 300)}`);
  return ms;
};

for (const c of cases) for (let i = 0; i < WARMUP; i++) once(c);
const samples = cases.map(() => []);
const cpuTicks = cases.map(() => 0);
// Interleaved, so drifts of the machine hit every case alike.
for (let i = 0; i < RUNS; i++) cases.forEach((c, k) => samples[k].push(once(c, k)));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const base = median(samples[0]);
console.log(`raid-status: ${RUNS} interleaved runs each after ${WARMUP} warm-up runs, node ${process.version}, bundles from ${dist}`);
const cpuMs = (k) => (cpuTicks[k] * TICK_MS) / RUNS;
console.log(`${"case".padEnd(50)} ${"median ms".padStart(10)} ${"min".padStart(7)} ${"p90".padStart(7)} ${"ratio".padStart(7)} ${"cpu ms".padStart(7)} ${"cpu ratio".padStart(9)}`);
cases.forEach((c, k) => {
  const m = median(samples[k]);
  console.log(
    `${c.name.padEnd(50)} ${m.toFixed(1).padStart(10)} ${Math.min(...samples[k]).toFixed(1).padStart(7)} ${pct(samples[k], 0.9).toFixed(1).padStart(7)} ${(m / base).toFixed(2).padStart(6)}x ${cpuMs(k).toFixed(1).padStart(7)} ${(cpuMs(k) / cpuMs(0)).toFixed(2).padStart(8)}x`,
  );
});
const worst = Math.max(...cases.slice(1, judged).map((_, k) => median(samples[k + 1]) / base));
const worstMin = Math.max(...cases.slice(1, judged).map((_, k) => Math.min(...samples[k + 1]) / Math.min(...samples[0])));
if (judged < cases.length) console.log(`[compare] = bundles from ${compare}`);
console.log(`goal: status depth 0 <= ${GOAL}x node -e 0 (wall, median); measured worst ${worst.toFixed(2)}x (${worst <= GOAL ? "within" : "OVER"} the goal); min-to-min ${worstMin.toFixed(2)}x`);
console.log(`machine load while measuring (1-min average): ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]} on ${availableParallelism()} cores: with load above the core count, wall times are noisy`);
rmSync(work, { recursive: true, force: true });
