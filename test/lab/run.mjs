#!/usr/bin/env node
// `npm run test:lab [-- --soak] [vitest arguments]`: the lab suite through vitest (`--project lab`).
// `--soak` is ours, not vitest's (vitest refuses options it does not know): it adds issue 7's 2-node soak,
// 20 power-kills of the active node (PMSAPP_LAB_FAILOVER_SOAK=1). Everything else goes to vitest as given,
// so `npm run test:lab -- --soak test/lab/failover.lab.test.ts` runs only that file with the soak.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const args = process.argv.slice(2);
const soak = args.includes("--soak");
const env = { ...process.env };
if (soak) env.PMSAPP_LAB_FAILOVER_SOAK = "1";
const vitest = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
const r = spawnSync(process.execPath, [vitest, "run", "--project", "lab", ...args.filter((a) => a !== "--soak")], { stdio: "inherit", env });
if (r.error !== undefined) {
  console.error(`test:lab: cannot run vitest: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? (r.signal !== null ? 128 + 15 : 1));
