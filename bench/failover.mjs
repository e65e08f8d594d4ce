#!/usr/bin/env node
// Lab bench (issue 7): failover time under Pacemaker, pmsapp's ocf:pmsapp:raid against the install guide's
// /etc/init.d/swraid, side by side in one lab run: same 2-node cluster, same RAID1, same NFS writer.
//
// What is measured, per power-kill of the active node (SIGKILL of its qemu, no warning):
//   * kill -> group started: host clock from the kill until every resource of group storage runs on the
//     survivor (crm_resource --locate polled every second);
//   * kill -> first ack: the first record the NFS client acknowledged (write + fsync returned) after the
//     kill that ended the outage (the first acknowledgement after a pause of more than 3 s: one answered
//     an instant before the kill can fall inside the error of the clock offset), on the client's clock
//     (offset to the host measured through the guest agent just before the kill);
//   * whether Pacemaker fenced the victim (the lab's fence server saw the request), and the time until the
//     returning node's member was back in sync;
//   * at the end of each phase, every acknowledged record read back through NFS: lost, corrupted.
// How (test/lab/lib/failover-bench.ts): set up as failover.lab.test.ts's 2-node path (target keeper
// exports, RAID1 over node1's and node2's LUNs, the README's corosync-2 and crm blocks, fencing on through
// fence_pmsapp_lab, NFS writer). pmsapp phase: N kills; after each the victim is restarted and rejoins,
// and the agent's depth-10 monitor re-adds its member (waited for, CIB ledger included) before the next.
// Swap: group stopped; on both nodes /etc/init.d/swraid exactly as install-guide.txt prints it with EL6's
// `service iscsi start|stop` spelled as what that service runs (`iscsiadm -m node --loginall=automatic`,
// `--logoutall=all`), the node records the guide leaves (its login_timeout 2 and initial_login_retry_max
// 1, EL6 defaults otherwise, node.startup automatic) and its mdadm.conf (one `ARRAY /dev/md0 ... UUID=`
// line, no AUTO -all, no keeper <ignore> block); `crm configure` replaces sharedraid by `lsb:swraid` at
// the same place in the group and Filesystem gets the guide's device /dev/md0; group started. swraid
// phase: N kills the same way; after each the victim returns and the guide's operator's by-hand re-add
// runs on the active node (login to its target, `mdadm /dev/md0 --re-add`, `--add` if refused, unless
// udev's incremental assembly already re-attached it), and the resync is waited for.
// No wrapper around the guide's script: Pacemaker's lsb class needs start and stop to succeed when
// already started/stopped (the script's do) and maps status exit 1 ("Array /dev/md0 is not running") to
// "not running" like 3 (services__lsb2ocf: LSB status 1 and 2 are NOT_RUNNING).
// Both phases keep the same target side (the pmsapp target keeper exports each disk; after each keeper
// start in the swraid phase, mdadm.conf is put back to the guide's form); only the raid resource, the
// initiator's node records and mdadm.conf differ.
// Prints a side-by-side table (per run, medians, swraid/pmsapp ratio of the medians, acknowledged data per
// phase, issue 7's 12 s goal); saves a JSON record in /var/tmp/pmsapp-lab/artifacts/. Asserts nothing.
// Not in CI (minutes: ~8 min set-up, ~6 min per kill with the return, ~5 min swap). Needs root and the lab
// (test/lab/README.md); `npm run build` first (the guests run the staged bundles).
// Run: PMSAPP_LAB_WAIT_S=7200 node bench/failover.mjs --lab [--runs N] [--until HH:MM]
//   --runs N     kills per side (default 2)
//   --until T    UTC time (HH:MM, today or tomorrow) or ISO time by which the bench must be done: steps
//                that would not fit are not begun and the table says "(not run)".
import { tsImport } from "tsx/esm/api";

const args = process.argv.slice(2);
// npm run bench runs every bench/*.mjs and must not boot VMs: this one runs only when asked with --lab.
if (!args.includes("--lab")) {
  console.log("failover: skipped (boots the lab for half an hour or more); run: PMSAPP_LAB_WAIT_S=7200 node bench/failover.mjs --lab [--runs N] [--until HH:MM]");
  process.exit(0);
}
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const known = new Set(["--lab", "--runs", "--until"]);
const unknown = args.filter((a, i) => a.startsWith("--") && !known.has(a) && !(i > 0 && ["--runs", "--until"].includes(args[i - 1])));
if (unknown.length > 0) {
  console.error(`failover: unknown option(s) ${unknown.join(", ")}; usage: node bench/failover.mjs --lab [--runs N] [--until HH:MM]`);
  process.exit(2);
}
const runsText = opt("--runs") ?? "2";
const runs = Number(runsText);
if (!/^\d+$/.test(runsText) || runs < 1 || runs > 20) {
  console.error(`failover: --runs needs a whole number 1-20, not ${JSON.stringify(runsText)}`);
  process.exit(2);
}
/** --until: HH:MM UTC (the next such time from now) or an ISO time; host epoch ms. */
function parseUntil(text) {
  if (text === undefined) return undefined;
  const hm = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (hm !== null && Number(hm[1]) < 24 && Number(hm[2]) < 60) {
    const now = new Date();
    let t = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), Number(hm[1]), Number(hm[2]));
    if (t <= now.getTime()) t += 24 * 3600_000;
    return t;
  }
  const t = Date.parse(text);
  return Number.isNaN(t) || !/^\d{4}-\d{2}-\d{2}T/.test(text) ? null : t;
}
const deadlineAt = parseUntil(opt("--until"));
if (deadlineAt === null) {
  console.error(`failover: --until needs HH:MM (UTC) or an ISO time, not ${JSON.stringify(opt("--until"))}`);
  process.exit(2);
}

const lib = (f) => tsImport(`../test/lab/lib/${f}`, import.meta.url);
const { Lab, labPrerequisites } = await lib("lab.ts");
const missing = labPrerequisites();
if (missing.length > 0) {
  console.log(`failover: SKIPPED, the lab cannot run here: ${missing.join("; ")}`);
  process.exit(0);
}
const { runFailoverBench } = await lib("failover-bench.ts");
const { formatReport } = await lib("failover-bench-report.ts");

const started = Date.now();
let record;
let live;
let printed = false;
// Stopped from outside (SIGTERM/SIGINT: the lab's handler tears it down and exits): still print what was measured.
process.on("exit", () => {
  if (!printed && live !== undefined) console.log(`\nINTERRUPTED; measured so far:\n${formatReport(live)}`);
});
const lab = await Lab.up({ nodes: 2, client: true, mdAuto: "off" });
try {
  record = await runFailoverBench(lab, { runs, ...(deadlineAt !== undefined ? { deadlineAt } : {}), onRecord: (r) => (live = r) });
} finally {
  await lab.down();
}
printed = true;
console.log(`\n${formatReport(record)}`);
console.log(`lab time ${((Date.now() - started) / 60_000).toFixed(1)} min (lock wait included); host load (1-min average) at the end: ${(await import("node:fs")).readFileSync("/proc/loadavg", "utf8").split(" ")[0]}`);
// A bench that stopped early still printed what it measured; exit 1 tells run-all it did not finish.
process.exit(record.error === undefined ? 0 : 1);
