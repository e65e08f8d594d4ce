#!/usr/bin/env node
// Issue 9: the candidate 3-node layouts under the same fault, in the lab (test/lab/lib/layouts.ts).
//
//   PMSAPP_LAB_WAIT_S=3600 node bench/layouts.mjs --runs 10 [--layouts raid5-ppl,raid1] [--out DIR]
//
// Per run: node1 (active, member holder) builds the array with `pmsapp create`, serves NFS; the client
// writes numbered checksummed records with an fsync each; node1 is power-killed; node2 takes over with
// `mdadm --assemble --run` (no --force first); the data is verified; node1 returns and is re-added.
// Prints one Markdown table row per run and a summary per layout. Needs root and the lab (test/lab).
// Without --runs it only says how to run it (npm run bench runs every bench/*.mjs and must not boot VMs).
// Build first (npm run build): the guests run the staged dist/ bundles.
import { tsImport } from "tsx/esm/api";

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runsText = opt("--runs");
if (runsText === undefined) {
  console.log("layouts: skipped (boots the lab for minutes per run); run: PMSAPP_LAB_WAIT_S=3600 node bench/layouts.mjs --runs N [--layouts a,b] [--out DIR]");
  process.exit(0);
}
const runs = Number(runsText);
if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
  console.error(`layouts: --runs needs a whole number 1-100, not ${JSON.stringify(runsText)}`);
  process.exit(2);
}
const lib = await tsImport("../test/lab/lib/layouts.ts", import.meta.url);
const { median } = await tsImport("../test/lab/lib/median.ts", import.meta.url);
const { Lab, labPrerequisites } = await tsImport("../test/lab/lib/lab.ts", import.meta.url);
const layouts = (opt("--layouts") ?? lib.MEASURED_LAYOUTS.join(",")).split(",").filter(Boolean);
const unknown = layouts.filter((l) => !lib.MEASURED_LAYOUTS.includes(l));
if (unknown.length > 0) {
  console.error(`layouts: unknown layout(s) ${unknown.join(", ")} (known: ${lib.MEASURED_LAYOUTS.join(", ")})`);
  process.exit(2);
}
const missing = labPrerequisites();
if (missing.length > 0) {
  console.error(`layouts: the lab cannot run here: ${missing.join("; ")}`);
  process.exit(1);
}

const started = Date.now();
const results = [];
const failures = [];
const lab = await Lab.up({ client: true, mdAuto: "off" });
try {
  await lib.prepareTargets(lab);
  for (let run = 1; run <= runs; run++) {
    for (const layout of layouts) {
      try {
        const r = await lib.measureLayout(lab, layout, run, opt("--out") ? { outDir: opt("--out") } : {});
        results.push(r);
        console.log(lib.formatTable([r]).split("\n").pop());
      } catch (e) {
        failures.push(`${layout} run ${run}: ${e instanceof Error ? e.message.split("\n").slice(0, 6).join(" / ") : String(e)}`);
        console.error(`layouts: ${failures[failures.length - 1]}`);
        await lab.collectLogs(`layouts-${layout}-run${run}`).catch(() => undefined);
        for (const n of ["node1", "node2", "node3", "client"]) if (!lab.node(n).running) await lab.restart(n);
      }
      try {
        await lib.resetBetweenRuns(lab);
      } catch (e) {
        failures.push(`reset after ${layout} run ${run}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
        console.error(`layouts: ${failures[failures.length - 1]}; stopping here`);
        run = runs;
        break;
      }
    }
  }
} finally {
  await lab.down();
}

console.log(`\n${lib.formatTable(results)}\n`);
for (const layout of layouts) {
  const rs = results.filter((r) => r.layout === layout);
  if (rs.length === 0) continue;
  const n = rs.length;
  const med = (xs) => median(xs) ?? NaN;
  console.log(
    `${layout}: ${rs.filter((r) => r.startedWithoutForce).length}/${n} started without --force; lost acked ${rs.reduce((a, r) => a + r.lostAcked, 0)}, corrupted acked ${rs.reduce((a, r) => a + r.corruptedAcked, 0)}, static file damaged in ${rs.filter((r) => !r.staticIntact).length}; median takeover ${med(rs.map((r) => r.takeoverS)).toFixed(1)} s, median resync ${med(rs.map((r) => r.resyncS)).toFixed(1)} s (${rs[0].resync}); capacity ${rs[0].capacityMiB} MiB`,
  );
}
if (failures.length > 0) console.log(`\nfailed runs (${failures.length}):\n${failures.map((f) => `  ${f}`).join("\n")}`);
console.log(`\nlayouts: ${results.length} run(s) in ${((Date.now() - started) / 1000).toFixed(0)} s (${runs} per layout requested)`);
process.exit(failures.length > 0 ? 1 : 0);
