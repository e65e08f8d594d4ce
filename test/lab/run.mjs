#!/usr/bin/env node
// `npm run test:lab [-- --soak] [-- --rollback] [vitest arguments]`: the lab suite through vitest (`--project lab`).
// Two switches are ours, not vitest's (vitest refuses options it does not know), each adding lab time that
// CI's 90 minutes do not hold:
//   --soak      issue 7's 2-node soak, 20 power-kills of the active node (PMSAPP_LAB_FAILOVER_SOAK=1);
//   --rollback  issue 8's rows on VMs: rollback.lab.test.ts (2 nodes, rows 2-5) and
//               rollback-raid5.lab.test.ts (3-node RAID5 rows) (PMSAPP_LAB_ROLLBACK=1).
// Everything else goes to vitest as given, so `npm run test:lab -- --soak test/lab/failover.lab.test.ts`
// runs only that file with the soak.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const SWITCHES = { "--soak": "PMSAPP_LAB_FAILOVER_SOAK", "--rollback": "PMSAPP_LAB_ROLLBACK" };
const args = process.argv.slice(2);
const env = { ...process.env };
for (const [flag, name] of Object.entries(SWITCHES)) if (args.includes(flag)) env[name] = "1";
const vitest = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
const r = spawnSync(process.execPath, [vitest, "run", "--project", "lab", ...args.filter((a) => !(a in SWITCHES))], { stdio: "inherit", env });
if (r.error !== undefined) {
  console.error(`test:lab: cannot run vitest: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? (r.signal !== null ? 128 + 15 : 1));
