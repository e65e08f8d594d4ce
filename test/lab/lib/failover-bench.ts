/**
 * The failover bench in the lab (bench/failover.mjs drives it): one 2-node cluster set up as
 * failover.lab.test.ts's 2-node path does (target keeper exports, RAID1 over node1's and node2's LUNs,
 * the README's corosync-2 and crm blocks, fencing on through the lab's fence server, NFS client writing
 * checksummed, fsynced records), then the same power-kill of the active node N times with
 * ocf:pmsapp:raid first in group storage, and N times with the guide's /etc/init.d/swraid there instead
 * (lsb:swraid; failover-bench-guide.ts). The Service logic of failover.lab.test.ts is repeated here
 * (the test file is not a library), without its assertions: a bench measures and reports.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FenceServer, labPower } from "./fence-server.js";
import { clusterTimeline, createServiceArray, GROUP, logLengths, newArrayUuid, prepareServiceNode, targetsOf, waitReadded } from "./failover-service.js";
import { guideMdadmConf, guideNodeRecordsScript, guideReaddScript, guideSwraidScript, GUIDE_MD, swapToSwraidScript, SWRAID_RESOURCE } from "./failover-bench-guide.js";
import type { BenchRecord, KillRow, Phase, PhaseData } from "./failover-bench-report.js";
import type { GuestNode, Lab } from "./lab.js";
import { say, secs } from "./log.js";
import { NfsWriter } from "./nfs-writer.js";
import { parseAckLog, type Ack } from "./nfs-writer-records.js";
import { locate, locateAll, rejoin, setupCluster } from "./pacemaker.js";
import { ARTIFACTS_DIR, NETNS } from "./paths.js";
import { ARRAY, mdState, MOUNTPOINT, mountOnClient, nodeNumber } from "./storage.js";

// Bounds, not values (TCG: first group start 107-278 s, failovers 99-131 s in the demo and the scenarios).
const FIRST_START_WITHIN_MS = 600_000;
const FAILOVER_WITHIN_MS = 420_000;
const WRITES_RESUME_WITHIN_MS = 180_000;
const READD_WITHIN_MS = 300_000;
const STOP_WITHIN_MS = 300_000;

export const MEMBERS = [1, 2] as const;
export const SWRAID_GROUP = [SWRAID_RESOURCE, ...GROUP.slice(1)] as const;

export interface BenchOptions {
  readonly runs: number;
  /**
   * Host time (ms since the epoch) by which the bench must be done. A step is begun only when the
   * rough cost of it and of what must follow fits before then (STEP_COST_MS): a pmsapp kill only if one
   * swraid kill still fits after it, so the run always ends with both sides measured or says why not.
   * Figures not taken print as "(not run)". Undefined: no limit.
   */
  readonly deadlineAt?: number;
  /** Called once with the live record (kept up to date), e.g. to print it if the process is stopped. */
  readonly onRecord?: (record: BenchRecord) => void;
}

/** Rough lab time of each step under TCG (from the failover scenarios' and the demo's runs). */
export const STEP_COST_MS = {
  setUp: 8 * 60_000,
  kill: 3.5 * 60_000,
  back: 3.5 * 60_000,
  swap: 5 * 60_000,
  end: 60_000,
} as const;

export type Step = "pmsapp-kill" | "swap" | "swraid-kill" | "back-then-kill" | "back-last" | "start";

/**
 * What must still fit after `now` before `step` may begin. `run` (pmsapp-kill only): the pmsapp kill about
 * to begin; it begins only while as many swraid kills as pmsapp kills (this one included) still fit after
 * it, so the two sides stay balanced when time is short.
 */
export function stepFits(step: Step, now: number, deadlineAt: number | undefined, run = 1): boolean {
  if (deadlineAt === undefined) return true;
  const c = STEP_COST_MS;
  const need = {
    start: c.setUp + c.kill + c.swap + c.kill + c.end,
    "pmsapp-kill": c.kill + c.back + c.swap + (run - 1) * (c.kill + c.back) + c.kill + c.end,
    swap: c.swap + c.kill + c.end,
    "swraid-kill": c.kill + c.end,
    "back-then-kill": c.back + c.kill + c.end,
    "back-last": c.back + c.end,
  }[step];
  return now + need <= deadlineAt;
}

/**
 * Failed starts on `node` as crm_mon on `from` lists them under "Failed Resource Actions". A start
 * that failed there is not retried there (start-failure-is-fatal), so with the other node down the group
 * will not start: no need to wait on. Each line carries its time, so a new failure is a new line.
 */
async function failedActions(from: GuestNode, node: string): Promise<string[]> {
  const r = await from.sh("crm_mon -1 2>/dev/null | sed -n '/Failed Resource Actions/,$p'", { timeoutMs: 20_000 });
  return r.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => failedStartNode(l) === node);
}

/**
 * What the survivor's md and iSCSI looked like right after a start failed there (the guide's script
 * says only "Array /dev/md0 is not started"): /proc/mdstat, the md devices that exist, who holds the
 * local disk, the iSCSI sessions.
 */
async function storageAtFailure(node: GuestNode): Promise<string> {
  const r = await node.sh(
    `echo "mdstat: $(grep -E '^md' /proc/mdstat | tr '\\n' ' ')"
echo "md devices: $(ls /dev/md* 2>/dev/null | tr '\\n' ' ')"
echo "vdb holders: $(ls /sys/block/vdb/holders 2>/dev/null | tr '\\n' ' ')"
echo "sessions: $(iscsiadm -m session 2>&1 | tr '\\n' ';')"`,
    { timeoutMs: 30_000 },
  );
  return r.stdout.trim();
}

/**
 * The node of one "Failed Resource Actions" line of crm_mon if it is a failed start: Pacemaker 2.1's
 * `* sharedraid start on node2 returned 'error' (…) at … after 38.572s` (seen in the lab's collected
 * logs), or the older `* sharedraid_start_0 on node2 'error' (1): call=…`.
 */
export function failedStartNode(line: string): string | undefined {
  return failedStart(line)?.node;
}

/** The resource and node of one "Failed Resource Actions" line of crm_mon if it is a failed start (both formats above). */
export function failedStart(line: string): { rsc: string; node: string } | undefined {
  const m = /^\*\s+(\S+) start on (\S+) returned /.exec(line.trim()) ?? /^\*\s+(\S+)_start_0 on (\S+) /.exec(line.trim());
  return m?.[1] === undefined || m[2] === undefined ? undefined : { rsc: m[1], node: m[2] };
}

/** A pause between two acknowledgements longer than this is an outage (the writer acks every ~0.1 s). */
export const RESUME_GAP_MS = 3000;

/**
 * awk over the writer's ack log (`ack <N> <client ms> <write+fsync ms>`): the first acknowledgement at or
 * after client time `clientMs` that ends a pause longer than `gapMs`, i.e. the write that completed when
 * the service came back. Plain "first ack after the kill" can be a write the dying server answered an
 * instant before the kill, inside the error of the client clock's offset (a guest-agent round trip).
 */
export function resumedAckScript(ackPath: string, clientMs: number, gapMs = RESUME_GAP_MS): string {
  return `awk -v t=${Math.floor(clientMs)} -v g=${gapMs} '$1 == "ack" { if ($3 >= t && p != "" && $3 - p > g) { print; exit } p = $3 }' ${ackPath}`;
}

export class FailoverBench {
  fence: FenceServer | undefined;
  writer: NfsWriter | undefined;
  readonly uuid = newArrayUuid();
  active = "node1";
  phase: Phase = "pmsapp";
  readonly record: BenchRecord;
  readonly file: string;

  constructor(readonly lab: Lab, readonly options: BenchOptions) {
    this.record = { bench: "failover", startedAt: new Date().toISOString(), runs: options.runs, rows: [], data: [], notes: [] };
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    this.file = join(ARTIFACTS_DIR, `${this.record.startedAt.replace(/[:.]/g, "-")}-failover-bench.json`);
  }

  /** The JSON record, rewritten after every step, so an interrupted run keeps what it measured. */
  save(): void {
    writeFileSync(this.file, JSON.stringify({ ...this.record, uuid: this.uuid }, null, 2) + "\n");
  }

  get group(): readonly string[] {
    return this.phase === "pmsapp" ? GROUP : SWRAID_GROUP;
  }

  get nodes(): GuestNode[] {
    return this.lab.nodes;
  }

  node(name: string): GuestNode {
    return this.lab.node(name);
  }

  other(name: string): string {
    return name === "node1" ? "node2" : "node1";
  }

  /** Fence server, exports, array, the README's cluster (2 nodes), group started, client mounted and writing. */
  async setUp(): Promise<void> {
    this.fence = await FenceServer.start(labPower(this.lab), { netns: NETNS });
    const exported = await Promise.all(this.nodes.map(async (n) => [n.name, await prepareServiceNode(n, this.uuid, this.nodes, MOUNTPOINT)] as const));
    for (const [n, e] of exported) if (e.by !== "pmsapp-target") this.record.notes.push(`${n}'s disk exported by the lab's tgtadm recipe: ${e.why}`);
    await createServiceArray(this.node("node1"), this.uuid, MEMBERS);
    const t0 = Date.now();
    const c = await setupCluster(this.lab, this.nodes, { uuid: this.uuid, md: ARRAY, targets: targetsOf(MEMBERS), mountpoint: MOUNTPOINT, preferred: "node1" });
    const started = await this.lab.waitFor("the group started", async () => locateAll(this.node("node1"), GROUP), { timeoutMs: FIRST_START_WITHIN_MS, intervalMs: 2000 });
    this.active = started.value;
    await this.cleanUpFailedStarts("set-up");
    say(`cluster online ${secs(c.onlineMs)} s, README crm block ${secs(c.configureMs)} s, group started on ${this.active} ${secs(Date.now() - t0 - c.onlineMs - c.configureMs)} s after configuration`);
    const stonith = (await this.node("node1").must("crm_attribute --type crm_config --name stonith-enabled --query --quiet", { timeoutMs: 30_000 })).trim();
    if (stonith !== "true") throw new Error(`stonith-enabled is ${JSON.stringify(stonith)} after the README's crm block: the bench measures fenced failovers only`);
    await mountOnClient(this.lab.client);
    this.writer = new NfsWriter(this.lab.client);
    await this.writer.start(this.lab);
    this.save();
  }

  /** Client clock at host time `hostMs` (offset measured now, through the guest agent). */
  async clientClock(): Promise<(hostMs: number) => number> {
    const before = Date.now();
    const client = await this.lab.client.time();
    const offset = client - (before + Date.now()) / 2;
    return (hostMs) => hostMs + offset;
  }

  fits(step: Step, run = 1): boolean {
    return stepFits(step, Date.now(), this.options.deadlineAt, run);
  }

  /**
   * After the group first started (set-up, swap): a start that failed on some node on the way leaves a
   * fail count of INFINITY there (start-failure-is-fatal), so a later failover to that node cannot happen
   * at all. The run of 2026-12-07 01:17 showed it: the swap's first lsb:swraid start, on node1, failed
   * ("mdadm: error opening /dev/md0: No such file or directory", udev had not assembled md0 in the
   * script's `sleep 1`), the group started on node2, and the kill of node2 then found swraid "cannot run
   * anywhere". An operator sees that in crm_mon and cleans it up; so does the bench, and the record says
   * which start failed and what it printed.
   */
  async cleanUpFailedStarts(when: string): Promise<void> {
    const watch = this.node(this.active);
    for (const n of this.nodes) {
      const failed = await failedActions(watch, n.name);
      if (failed.length === 0) continue;
      const rscs = [...new Set(failed.map((l) => failedStart(l)?.rsc).filter((r): r is string => r !== undefined))];
      const output = await n.sh(`grep -a -E '(${rscs.join("|")})_start_0.* output' /var/log/pacemaker/pacemaker.log | tail -n 2`, { timeoutMs: 20_000 });
      const note = `${when}: start failed on ${n.name} before the group ran on ${this.active}: ${failed.join(" | ")}; its output: ${output.stdout.trim().split("\n").map((l) => l.replace(/^.*?\(log_\w+\)\s*/, "")).join(" | ") || "(none logged)"}; cleaned up (crm resource cleanup ${rscs.join(", ")}) so that a failover can go there`;
      this.record.notes.push(note);
      say(note);
      for (const r of rscs) await watch.must(`crm resource cleanup ${r}`, { timeoutMs: 60_000 });
      await this.lab.waitFor(`${n.name}'s failed start of ${rscs.join(", ")} cleaned up`, async () => (await failedActions(watch, n.name)).length === 0, { timeoutMs: 60_000, intervalMs: 2000 });
    }
    const where = await locateAll(watch, this.group);
    if (where !== this.active) throw new Error(`${when}: group ${this.group.join(",")} is not on ${this.active} after cleaning up failed starts (${String(where)})`);
  }

  /**
   * Power-kill the active node; wait for the whole group on the survivor (or a failed start there, which
   * ends the wait at once), then for the client's first acknowledged write after the kill.
   */
  async killActive(run: number): Promise<KillRow> {
    const victim = this.active;
    const survivor = this.other(victim);
    const watch = this.node(survivor);
    const logFrom = await logLengths(watch);
    const failedBefore = new Set(await failedActions(watch, survivor));
    const toClient = await this.clientClock();
    const faultAt = await this.lab.kill(victim);
    const base = { phase: this.phase, run, victim, survivor };
    type Outcome = { readonly started: true } | { readonly started: false; readonly failed: readonly string[] };
    let polls = 0;
    const moved = await this.lab
      .waitFor<Outcome>(
        `group ${this.group.join(",")} started on ${survivor} after ${victim}'s power-kill`,
        async () => {
          const where = await locateAll(watch, this.group);
          if (where === survivor) return { started: true };
          // crm_mon costs the survivor's one emulated vCPU a second: every fifth poll is enough to stop waiting early.
          if (++polls % 5 !== 0) return false;
          const failed = (await failedActions(watch, survivor)).filter((l) => !failedBefore.has(l));
          return failed.length > 0 ? { started: false, failed } : false;
        },
        { timeoutMs: FAILOVER_WITHIN_MS, intervalMs: 1000 },
      )
      .catch((e: Error): { value: Outcome } => ({ value: { started: false, failed: [e.message] } }));
    const groupMs = Date.now() - faultAt;
    const fenced = (this.fence as FenceServer).fencedSince(victim, faultAt - 1000);
    const fencedText = fenced.map((e) => `${e.action} ${secs(e.at - faultAt)} s after the kill, asked by ${e.peer}`).join(", ") || "NOT fenced";
    const timeline = await clusterTimeline(watch, logFrom, this.group).catch((e: Error) => [`(no timeline: ${e.message})`]);
    say(`${this.phase} run ${run}: cluster log on ${survivor} after the kill:\n    ${timeline.join("\n    ")}`);
    if (!moved.value.started) {
      const state = await storageAtFailure(watch).catch((e: Error) => `(not read: ${e.message})`);
      say(`${this.phase} run ${run}: md and iSCSI on ${survivor} after its failed start:\n    ${state.split("\n").join("\n    ")}`);
      return { ...base, fenced: fencedText, error: `the group did not start on ${survivor}: ${moved.value.failed.join(" | ").slice(0, 800)}; ${survivor} then: ${state.split("\n").join("; ").slice(0, 800)}` };
    }
    this.active = survivor;
    const ack = await this.resumedAck(toClient(faultAt));
    const raw = ack.first.at - toClient(faultAt);
    if (ack.resumed.seq !== ack.first.seq) say(`${this.phase} run ${run}: record ${ack.first.seq} was acknowledged ${secs(raw)} s after the kill (answered before it, within the clock offset's error); writes resumed with record ${ack.resumed.seq}`);
    return { ...base, groupMs, firstAckMs: ack.resumed.at - toClient(faultAt), fenced: fencedText };
  }

  /** The first acknowledgement after client time `clientMs`, and the one that ended the outage. */
  async resumedAck(clientMs: number): Promise<{ first: Ack; resumed: Ack }> {
    const writer = this.writer as NfsWriter;
    const first = await writer.waitAckAfter(this.lab, clientMs, WRITES_RESUME_WITHIN_MS);
    const resumed = await this.lab.waitFor(
      `the NFS writer's first acknowledgement after an outage of more than ${secs(RESUME_GAP_MS)} s following client time ${clientMs}`,
      async () => parseAckLog((await this.lab.client.sh(resumedAckScript(writer.ackPath, clientMs), { timeoutMs: 30_000 })).stdout)[0] ?? false,
      { timeoutMs: WRITES_RESUME_WITHIN_MS, intervalMs: 1000 },
    );
    return { first, resumed: resumed.value };
  }

  /** Restart a node that is off, prepare it for this phase, rejoin the cluster. */
  async bringBack(name: string): Promise<void> {
    if (!this.node(name).running) await this.lab.restart(name);
    const node = this.node(name);
    const by = await prepareServiceNode(node, this.uuid, this.nodes, MOUNTPOINT);
    if (by.by !== "pmsapp-target") this.record.notes.push(`${name}'s disk re-exported by the lab's tgtadm recipe: ${by.why}`);
    if (this.phase === "swraid") await this.guideConf(node);
    const ms = await rejoin(this.lab, node, this.nodes, this.node(this.active));
    say(`${name} back in the cluster ${secs(ms)} s after its boot`);
  }

  /** mdadm.conf as the guide leaves it (after the keeper, which rewrites its own block at every start). */
  async guideConf(node: GuestNode): Promise<void> {
    const current = await node.must("cat /etc/mdadm/mdadm.conf", { timeoutMs: 20_000 });
    await node.writeFile("/etc/mdadm/mdadm.conf", guideMdadmConf(current, this.uuid), "0644");
    // The guide's "first gotcha": with its ARRAY line back, a change event of the local disk lets udev
    // assemble it into md0 again. Not undone here (the guide would not); noted, because that node's next
    // start then runs the array from its local disk instead of its own LUN.
    const held = await node.sh("udevadm settle --timeout=20; ls /sys/block/vdb/holders 2>/dev/null", { timeoutMs: 40_000 });
    if (held.stdout.trim() !== "") this.record.notes.push(`${node.name}: local disk held by ${held.stdout.trim()} after the guide's mdadm.conf was put back (the guide's first gotcha)`);
  }

  /** The returning member back in sync on the active node: by the agent (pmsapp) or by hand (the guide). */
  async readd(victim: string): Promise<{ ms: number; how: string }> {
    const t0 = Date.now();
    const active = this.node(this.active);
    if (this.phase === "pmsapp") {
      const r = await waitReadded(this.lab, active, MEMBERS.length, this.uuid, READD_WITHIN_MS);
      say(`pmsapp: members in sync on ${this.active} ${secs(r.ms)} s after ${victim} was back, in the CIB ledger after ${secs(r.ledgerMs)} s`);
      return { ms: Date.now() - t0, how: "the agent's depth-10 monitor" };
    }
    const how = await this.guideReadd(active, [nodeNumber(this.node(victim))]);
    say(`swraid: ${victim}'s member back in ${GUIDE_MD} on ${this.active} by ${how}, in sync after ${secs(Date.now() - t0)} s`);
    return { ms: Date.now() - t0, how: `${how} (by hand, as the guide's operator)` };
  }

  /** The guide operator's re-add of `members` on `active`, then the wait for md to have them all in sync. */
  async guideReadd(active: GuestNode, members: readonly number[]): Promise<string> {
    const how: string[] = [];
    for (const m of members) how.push((await active.must(guideReaddScript(m), { timeoutMs: 120_000 })).trim());
    await this.lab.waitFor(
      `${GUIDE_MD} on ${active.name} back in sync (all ${MEMBERS.length} members)`,
      async () => {
        const s = await mdState(active, GUIDE_MD);
        const inSync = Object.entries(s).filter(([k, v]) => k.startsWith("dev-") && v.split(",").includes("in_sync")).length;
        return s["degraded"] === "0" && s["sync_action"] === "idle" && inSync === MEMBERS.length ? s : false;
      },
      { timeoutMs: READD_WITHIN_MS, intervalMs: 2000 },
    );
    return how.join(", ");
  }

  /**
   * After a failover that did not happen (the group failed to start on the survivor): bring the victim
   * back, clean the failure up as an operator would, wait for the group anywhere, put the member back.
   */
  async recover(row: KillRow): Promise<void> {
    say(`${row.phase} run ${row.run}: ${row.error}; recovering (victim back, crm resource cleanup)`);
    await this.bringBack(row.victim);
    await this.node(row.survivor).must("crm resource cleanup storage", { timeoutMs: 120_000 });
    const started = await this.lab.waitFor("the group started after cleanup", async () => locateAll(this.node(row.survivor), this.group), { timeoutMs: FAILOVER_WITHIN_MS, intervalMs: 2000 });
    this.active = started.value;
    await this.readd(this.other(this.active));
  }

  /** One phase: N kills, each followed by the victim's return and its member's re-add; then the data check. */
  async runPhase(phase: Phase): Promise<void> {
    this.phase = phase;
    for (let run = 1; run <= this.options.runs; run++) {
      if (!this.fits(phase === "pmsapp" ? "pmsapp-kill" : "swraid-kill", run)) {
        this.record.notes.push(`${phase}: stopped before run ${run} of ${this.options.runs}: it would not fit before the deadline ${new Date(this.options.deadlineAt ?? 0).toISOString()}`);
        break;
      }
      const row = await this.killActive(run);
      this.record.rows.push(row);
      this.save();
      if (row.error !== undefined) {
        if (!this.fits("back-then-kill")) {
          this.record.notes.push(`${phase} run ${run}: no recovery attempted (it would not fit before the deadline)`);
          break;
        }
        await this.recover(row);
        continue;
      }
      const last = run === this.options.runs;
      // The swap needs both nodes (the pmsapp side always brings its victim back); the swraid side's
      // return is measured when it and whatever follows still fit before the deadline.
      if (phase === "swraid" && !this.fits(last ? "back-last" : "back-then-kill")) {
        this.record.notes.push(`swraid run ${run}: ${row.victim} not brought back: it would not fit before the deadline`);
        break;
      }
      const back = Date.now();
      await this.bringBack(row.victim);
      const r = await this.readd(row.victim);
      this.record.rows[this.record.rows.length - 1] = { ...row, readdMs: Date.now() - back, readdHow: r.how };
      this.save();
      say(`${phase} run ${run}: ${row.victim} killed, group on ${row.survivor} after ${secs(row.groupMs ?? 0)} s, first ack ${secs(row.firstAckMs ?? 0)} s, member back ${secs(Date.now() - back)} s after the restart began`);
    }
    // Read back through NFS only while the service runs (a hard mount would hang on a dead server).
    const up = this.nodes.find((n) => n.running);
    const where = up === undefined ? false : await locateAll(up, this.group).catch(() => false as const);
    if (where !== false) await this.checkData(phase);
    else this.record.notes.push(`${phase}: acknowledged data not checked: the group is not running`);
  }

  async checkData(phase: Phase): Promise<PhaseData> {
    const r = await (this.writer as NfsWriter).verify();
    const d: PhaseData = { phase, acked: r.acked, intactAcked: r.intactAcked, lost: r.lost.count, corrupted: r.corruptedAcked.count };
    this.record.data.push(d);
    this.save();
    say(`${phase} phase data: ${r.acked} acknowledged, ${r.intactAcked} intact, lost ${r.lost.count} (${r.lost.first.join(",")}), corrupted ${r.corruptedAcked.count} (${r.corruptedAcked.first.join(",")})`);
    return d;
  }

  /**
   * Group stopped; on both nodes nothing of the array left, the guide's script, node records and
   * mdadm.conf installed; sharedraid replaced by lsb:swraid in the group (same place), Filesystem on
   * /dev/md0; group started; the client's writes resume.
   */
  async swapToSwraid(): Promise<void> {
    const t0 = Date.now();
    const watch = this.node(this.active);
    const toClient = await this.clientClock();
    await watch.must("crm resource stop storage", { timeoutMs: 120_000 });
    await this.lab.waitFor(
      "every resource of group storage stopped",
      async () => (await Promise.all(GROUP.map((r) => locate(watch, r)))).every((w) => w === undefined),
      { timeoutMs: STOP_WITHIN_MS, intervalMs: 2000 },
    );
    const script = guideSwraidScript();
    for (const n of this.nodes) {
      const left = await n.sh("grep '^md' /proc/mdstat; iscsiadm -m session 2>/dev/null", { timeoutMs: 20_000 });
      if (left.stdout.trim() !== "") throw new Error(`${n.name}: the group's stop left an array or iSCSI sessions behind; not swapping:\n${left.stdout}`);
      await n.writeFile("/etc/init.d/swraid", script, "0755");
      await n.must(guideNodeRecordsScript(MEMBERS), { timeoutMs: 60_000 });
      await this.guideConf(n);
    }
    this.phase = "swraid";
    const out = await watch.must(swapToSwraidScript(), { timeoutMs: 180_000 });
    const members = await watch.must("cibadmin -Q --xpath \"//group[@id='storage']/primitive\" | grep -o '<primitive [^>]*'", { timeoutMs: 30_000 });
    const order = [...members.matchAll(/<primitive [^>]*?\bid="([^"]+)"/g)].map((m) => m[1]);
    if (order.join(",") !== SWRAID_GROUP.join(",")) throw new Error(`group storage is ${order.join(",") || "(nothing read)"} after the swap, not ${SWRAID_GROUP.join(",")}; crm said:\n${out}`);
    await watch.must("crm resource start storage", { timeoutMs: 120_000 });
    const started = await this.lab.waitFor("group storage started with lsb:swraid", async () => locateAll(watch, SWRAID_GROUP), { timeoutMs: FIRST_START_WITHIN_MS, intervalMs: 2000 });
    this.active = started.value;
    await this.cleanUpFailedStarts("swap");
    const md = await this.node(this.active).must("cat /proc/mdstat", { timeoutMs: 20_000 });
    const state = await mdState(this.node(this.active), GUIDE_MD);
    if (state["degraded"] !== "0") {
      // The script runs the array once ": active" is missing a second after the logins, whatever has
      // appeared by then. The kills must start from a whole mirror, as on the pmsapp side.
      const how = await this.guideReadd(this.node(this.active), MEMBERS);
      this.record.notes.push(`swap: lsb:swraid started ${GUIDE_MD} on ${this.active} degraded (${(state["mdstat"] ?? "").trim()}); member put back by hand (${how}) before the kills`);
    }
    await (this.writer as NfsWriter).waitAckAfter(this.lab, toClient(Date.now()), WRITES_RESUME_WITHIN_MS);
    this.record.swap = { ms: Date.now() - t0, on: this.active };
    this.save();
    say(`swap done in ${secs(Date.now() - t0)} s: group ${SWRAID_GROUP.join(" -> ")} on ${this.active}; /proc/mdstat there:\n${md.trim()}`);
  }

  /** Stop the writer (its last records verified by the phase checks) and the fence server. */
  async stop(): Promise<void> {
    if (this.writer !== undefined) {
      // Bounded short: after an early stop the NFS mount may hang (hard mount, no server), and the lab goes down next anyway.
      await this.writer.stop(this.lab, 30_000).catch((e: Error) => say(`writer stop: ${e.message}`));
      const errors = await this.writer.errors().catch(() => []);
      if (errors.length > 0) this.record.notes.push(`writer's failed (retried, never acknowledged) writes: ${errors.length}; first: ${errors.slice(0, 3).join(" | ")}`);
    }
    await this.fence?.stop();
  }
}

/** The whole bench on a lab that is up (2 nodes + client, mdAuto off). Always stops writer and fence server. */
export async function runFailoverBench(lab: Lab, options: BenchOptions): Promise<BenchRecord> {
  const bench = new FailoverBench(lab, options);
  options.onRecord?.(bench.record);
  say(`failover bench: record in ${bench.file}`);
  try {
    if (!bench.fits("start")) {
      throw new Error(`not started: set-up, one kill per side and the swap (about ${secs(STEP_COST_MS.setUp + 2 * STEP_COST_MS.kill + STEP_COST_MS.swap + STEP_COST_MS.end)} s) would not fit before the deadline ${new Date(options.deadlineAt ?? 0).toISOString()}`);
    }
    await bench.setUp();
    await bench.runPhase("pmsapp");
    if (bench.fits("swap")) {
      await bench.swapToSwraid();
      await bench.runPhase("swraid");
    } else bench.record.notes.push("swraid phase not run: the swap and one kill would not fit before the deadline");
  } catch (e) {
    bench.record.error = (e as Error).message.slice(0, 4000);
    await lab.collectLogs("failover-bench").catch(() => undefined);
  } finally {
    await bench.stop().catch((e: Error) => bench.record.notes.push(`stop: ${e.message}`));
    bench.record.finishedAt = new Date().toISOString();
    bench.save();
  }
  return bench.record;
}
