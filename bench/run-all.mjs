#!/usr/bin/env node
// npm run bench: runs every bench/*.mjs (except this runner) one after the other, each in its own node
// process, and prints what each printed. Benches print ratios against a baseline measured side by side;
// nothing here asserts a speed. Exit 1 only when a bench itself crashed.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".mjs") && f !== self)
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

if (benches.length === 0) {
  console.error(`run-all: no benches${only.length ? ` matching ${only.join(", ")}` : ""} in ${here}`);
  process.exit(1);
}
const failed = [];
for (const b of benches) {
  console.log(`\n=== bench/${b}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(here, b)], { stdio: "inherit", cwd: join(here, "..") });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) failed.push(`${b} (exit ${r.status ?? r.signal})`);
  console.log(`=== bench/${b}: ${r.status === 0 ? "done" : "FAILED"} in ${secs} s`);
}
console.log(`\nrun-all: ${benches.length - failed.length} of ${benches.length} benches ran${failed.length ? `; failed: ${failed.join(", ")}` : ""}`);
process.exit(failed.length ? 1 : 0);
