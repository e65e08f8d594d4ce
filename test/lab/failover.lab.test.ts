/**
 * End to end under Pacemaker, fenced, with an NFS client writing (issue 7; issue 6's "the README's
 * install section is followed once in the lab"). The cluster is set up by the README's own crmsh and
 * corosync blocks (lib/pacemaker.ts), fencing is on (fence_pmsapp_lab -> the lab's fence server ->
 * power-kill of the VM), each node's disk is exported by the product's target keeper, the RAID1 is built
 * from the iSCSI LUNs of node1 and node2 (the active node holds a member), and the client writes
 * numbered, checksummed, fsynced records all the time (lib/nfs-writer.ts).
 *
 * 3 nodes (every `npm run test:lab`): (a) power-kill the active node, (d) clean move with
 * `crm resource move` (then clear), (b) cut the active node's iSCSI network, (c) cut its heartbeat network.
 * Each: the group runs on a survivor, the client's writes resume, every acknowledged record is present
 * and intact, and the returning member is re-added by the agent's depth-10 monitor (never by hand).
 * 2 nodes (two_node, wait_for_all): (a), then with `npm run test:lab -- --soak` (PMSAPP_LAB_FAILOVER_SOAK=1)
 * 20 more power-kills of whichever node is active, so node1 and node2 fail in turn (issue 7's soak and
 * issue 8's alternating 2-node soak in one run): lost acknowledged writes, silent rollbacks (a start
 * from a member that missed acknowledged writes: it would lose them, and the data check would see it;
 * the agent's own start decisions are counted beside it), failover min/median/max. The 2-node path
 * runs in the regular suite only with PMSAPP_LAB_FAILOVER=1 (CI's 90 minutes hold the 3-node path, not both).
 */
import { afterAll, describe, expect, it } from "vitest";
import { FenceServer, labPower } from "./lib/fence-server.js";
import type { GuestNode, Lab } from "./lib/lab.js";
import { say, secs } from "./lib/log.js";
import { median } from "./lib/median.js";
import { NfsWriter } from "./lib/nfs-writer.js";
import type { Ack } from "./lib/nfs-writer-records.js";
import { NETNS } from "./lib/paths.js";
import { rejoin, setupCluster } from "./lib/pacemaker.js";
import {
  clusterTimeline,
  createServiceArray,
  groupWhere,
  logLengths,
  memberView,
  newArrayUuid,
  NodeLogFollower,
  prepareServiceNode,
  targetsOf,
  waitReadded,
  type ExportedBy,
} from "./lib/failover-service.js";
import { journalLength, journalSince } from "./lib/rollback-cluster.js";
import { labUnavailable, useLab } from "./lib/scenario.js";
import { ARRAY, MOUNTPOINT, mountOnClient } from "./lib/storage.js";

// Bounds, not values (TCG; the demo measured a first group start of 107-278 s and failovers of 99-131 s).
const FIRST_START_WITHIN_MS = 600_000;
const FAILOVER_WITHIN_MS = 420_000;
const WRITES_RESUME_WITHIN_MS = 180_000;
const READD_WITHIN_MS = 300_000;
const SOAK = process.env["PMSAPP_LAB_FAILOVER_SOAK"] === "1";
// 20 by default (issue 7); PMSAPP_LAB_SOAK_KILLS=N runs a shorter soak while debugging (its figures are not the soak's).
const SOAK_KILLS = soakKills(process.env["PMSAPP_LAB_SOAK_KILLS"]);
function soakKills(v: string | undefined): number {
  if (v === undefined || v === "") return 20;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`PMSAPP_LAB_SOAK_KILLS=${v}: expected a whole number from 1 to 100`);
  return n;
}
// The 2-node path costs about as much lab time again as the 3-node one; CI's budget holds one of them.
const TWO_NODE = SOAK || process.env["PMSAPP_LAB_FAILOVER"] === "1";
if (!TWO_NODE) process.stderr.write("SKIPPED: failover.lab.test.ts's 2-node path runs with PMSAPP_LAB_FAILOVER=1 or `npm run test:lab -- --soak`\n");

interface Row {
  readonly layout: string;
  readonly scenario: string;
  readonly from: string;
  readonly to: string;
  /** fault -> whole group started on `to` (ms, host clock, polled every second). */
  readonly groupMs: number | undefined;
  /** fault -> first record acknowledged by the client after it (ms). */
  readonly firstAckMs: number | undefined;
  /** Longest gap between two acknowledged records around the fault (ms). */
  readonly maxGapMs: number | undefined;
  readonly readdMs: number | undefined;
  readonly note: string;
}

const rows: Row[] = [];

function printRows(): void {
  const f = (ms: number | undefined) => (ms === undefined ? "-" : secs(ms));
  const lines = [
    "failover scenarios (s):",
    `  ${"layout".padEnd(7)}${"scenario".padEnd(34)}${"from->to".padEnd(16)}${"group".padStart(7)}${"1st ack".padStart(9)}${"max gap".padStart(9)}${"re-add".padStart(8)}  note`,
    ...rows.map((r) => `  ${r.layout.padEnd(7)}${r.scenario.padEnd(34)}${`${r.from}->${r.to}`.padEnd(16)}${f(r.groupMs).padStart(7)}${f(r.firstAckMs).padStart(9)}${f(r.maxGapMs).padStart(9)}${f(r.readdMs).padStart(8)}  ${r.note}`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

/** The acknowledgement that ended the longest gap after `fromMs` (when writes resumed after an outage). */
function resumedAt(acks: readonly Ack[], fromMs: number): number | undefined {
  let best: { gap: number; at: number } | undefined;
  let prev: number | undefined;
  for (const a of acks) {
    if (prev !== undefined && a.at >= fromMs && (best === undefined || a.at - prev > best.gap)) best = { gap: a.at - prev, at: a.at };
    prev = a.at;
  }
  return best?.at;
}

function maxGap(acks: readonly Ack[], fromMs: number): number | undefined {
  let gap: number | undefined;
  let prev: number | undefined;
  for (const a of acks) {
    if (prev !== undefined && a.at >= fromMs) gap = Math.max(gap ?? 0, a.at - prev);
    prev = a.at;
  }
  return gap;
}

interface SoakKill {
  readonly i: number;
  readonly victim: string;
  readonly survivor: string;
  readonly row: Row;
  /** The survivor's raid agent start decisions after the kill (journal), in order. */
  readonly starts: readonly string[];
  readonly lost: number;
  readonly corrupted: number;
}

/** min / median / max of the defined values, in seconds. */
function stats(values: ReadonlyArray<number | undefined>): string {
  const s = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return "no values";
  return `min ${secs(s[0] as number)} s, median ${secs(median(s) as number)} s, max ${secs(s[s.length - 1] as number)} s (n=${s.length})`;
}

function summarize(xs: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${k} x${n}`).join(", ") || "none";
}

/** Everything one layout's scenarios share: the lab, its fence server, the writer, the array. */
class Service {
  fence: FenceServer | undefined;
  writer: NfsWriter | undefined;
  readonly uuid = newArrayUuid();
  active = "node1";
  readonly exported = new Map<string, ExportedBy>();

  constructor(readonly lab: () => Lab, readonly layoutName: string, readonly members: readonly number[]) {}

  get nodes(): GuestNode[] {
    return this.lab().nodes;
  }

  node(name: string): GuestNode {
    return this.lab().node(name);
  }

  async prepare(node: GuestNode): Promise<void> {
    const by = await prepareServiceNode(node, this.uuid, this.nodes, MOUNTPOINT);
    this.exported.set(node.name, by);
  }

  /** Fence server, exports, array, cluster from the README, group on node1, client mounted and writing. */
  async setUp(): Promise<void> {
    const lab = this.lab();
    this.fence = await FenceServer.start(labPower(lab), { netns: NETNS });
    await Promise.all(this.nodes.map((n) => this.prepare(n)));
    await createServiceArray(this.node("node1"), this.uuid, this.members);
    const t0 = Date.now();
    const c = await setupCluster(lab, this.nodes, { uuid: this.uuid, md: ARRAY, targets: targetsOf(this.members), mountpoint: MOUNTPOINT, preferred: "node1" });
    if (this.nodes.length === 3) {
      // Lab-only: after node1, prefer node2 (it holds the other member) over node3.
      await this.node("node1").must(`cibadmin -C -o constraints -X '<rsc_location id="storage-then-node2" rsc="storage" node="node2" score="50"/>'`, { timeoutMs: 60_000 });
    }
    const started = await lab.waitFor("the group started", async () => groupWhere(this.node("node1")), { timeoutMs: FIRST_START_WITHIN_MS, intervalMs: 2000 });
    this.active = started.value;
    if (this.active !== "node1") {
      // Safe, and seen once under TCG load: node1's start saw no node2 member in time and refused
      // (freshness unproven), so Pacemaker started the group on the next node. Say why.
      const refusals = (await journalSince(this.node("node1"), 0)).filter((l) => l.kind === "decision" && l.action === "start");
      say(`group started on ${this.active}, not on the preferred node1; node1's start decisions: ${refusals.map((d) => `${d.decision}: ${(d.reason ?? "").slice(0, 300)}`).join(" | ") || "none"}`);
    }
    say(`cluster online ${secs(c.onlineMs)} s, README crm block ${secs(c.configureMs)} s, group started on ${this.active} ${secs(Date.now() - t0 - c.onlineMs - c.configureMs)} s after configuration`);
    const stonith = await this.node("node1").must("crm_attribute --type crm_config --name stonith-enabled --query --quiet", { timeoutMs: 30_000 });
    expect(stonith.trim()).toBe("true");
    const check = await this.node("node1").must("cibadmin -Q -o resources | grep -o '<nvpair[^>]*OCF_CHECK_LEVEL[^>]*>'", { timeoutMs: 30_000 });
    expect(check.trim().split("\n"), "one depth-10 monitor from the README's crm block").toHaveLength(1);
    expect(check).toContain('value="10"');
    await mountOnClient(lab.client);
    this.writer = new NfsWriter(lab.client);
    await this.writer.start(lab);
  }

  survivors(except: string): GuestNode[] {
    return this.nodes.filter((n) => n.name !== except && n.running);
  }

  /** Client clock at host time `hostMs` (offset measured now, through the guest agent). */
  async clientClock(): Promise<(hostMs: number) => number> {
    const before = Date.now();
    const client = await this.lab().client.time();
    const offset = client - (before + Date.now()) / 2;
    return (hostMs) => hostMs + offset;
  }

  /** Restart a node that is off (killed or fenced), export its disk, rejoin the cluster. */
  async bringBack(name: string, from: GuestNode): Promise<void> {
    const lab = this.lab();
    if (!this.node(name).running) await lab.restart(name);
    const node = this.node(name);
    await this.prepare(node);
    const ms = await rejoin(lab, node, this.nodes, from);
    say(`${name} back in the cluster ${secs(ms)} s after its boot`);
  }

  /** Every acknowledged record present and intact (read back through NFS). */
  async verify(label: string): Promise<void> {
    const r = await (this.writer as NfsWriter).verify();
    say(`${label}: ${r.acked} records acknowledged, ${r.intactAcked} intact, lost ${r.lost.count}, corrupted (acknowledged) ${r.corruptedAcked.count}, damaged unacknowledged ${r.corruptedUnacked.count}`);
    expect(r.lost, "acknowledged records missing").toEqual({ count: 0, first: [] });
    expect(r.corruptedAcked, "acknowledged records corrupted").toEqual({ count: 0, first: [] });
    expect(r.intactAcked).toBe(r.acked);
  }

  /**
   * A fault that takes the active node out: wait for the group on a survivor, Pacemaker's fencing of
   * the victim, the client's next acknowledged write; print the cluster's own log lines.
   */
  async failover(scenario: string, fault: (victim: string) => Promise<number>): Promise<Row> {
    const lab = this.lab();
    const victim = this.active;
    const watch = this.survivors(victim)[0] as GuestNode;
    const logFrom = await logLengths(watch);
    const toClient = await this.clientClock();
    // The victim's own view (a node cut off from the heartbeat network stops the group itself, having lost quorum).
    const victimLog = await NodeLogFollower.start(this.node(victim), scenario);
    const faultAt = await fault(victim);
    const moved = await lab
      .waitFor(
        `the group started on a survivor of ${victim}`,
        async () => {
          const where = await groupWhere(watch);
          return where !== false && where !== victim ? where : false;
        },
        { timeoutMs: FAILOVER_WITHIN_MS, intervalMs: 1000 },
      )
      .finally(async () => {
        const lines = await victimLog.stop();
        if (lines.length > 0) say(`${scenario}: ${victim}'s own pacemaker.log (copied to ${victimLog.files.pacemaker}):\n    ${lines.join("\n    ")}`);
      });
    const groupMs = Date.now() - faultAt;
    const fenced = (this.fence as FenceServer).fencedSince(victim, faultAt - 1000);
    expect(fenced.length, `Pacemaker fenced ${victim} through the lab's fence device`).toBeGreaterThan(0);
    const ack = await (this.writer as NfsWriter).waitAckAfter(lab, toClient(faultAt), WRITES_RESUME_WITHIN_MS);
    const firstAckMs = ack.at - toClient(faultAt);
    const timeline = await clusterTimeline(watch, logFrom);
    say(`${scenario}: cluster log on ${watch.name} after the fault:\n    ${timeline.join("\n    ")}`);
    this.active = moved.value;
    const acks = await (this.writer as NfsWriter).acks();
    return {
      layout: this.layoutName,
      scenario,
      from: victim,
      to: moved.value,
      groupMs,
      firstAckMs,
      maxGapMs: maxGap(acks, toClient(faultAt) - 60_000),
      readdMs: undefined,
      note: `fenced: ${fenced.map((e) => `${e.action} ${secs(e.at - faultAt)} s after the fault, asked by ${e.peer}`).join(", ")}`,
    };
  }

  /** The returning member back in sync on the active node, by the agent alone. */
  async readded(row: Row, since: number): Promise<Row> {
    const r = await waitReadded(this.lab(), this.node(this.active), this.members.length, this.uuid, READD_WITHIN_MS);
    const done: Row = { ...row, readdMs: Date.now() - since };
    say(`${row.scenario}: members in sync on ${this.active} ${secs(r.ms)} s after the node was back, in the CIB ledger after ${secs(r.ledgerMs)} s (${r.view.mdstat.trim()})`);
    return done;
  }

  async powerKillActive(scenario: string): Promise<Row> {
    const row = await this.failover(scenario, (victim) => this.lab().kill(victim));
    const back = Date.now();
    await this.bringBack(row.from, this.node(this.active));
    const done = await this.readded(row, back);
    rows.push(done);
    return done;
  }

  async stop(): Promise<void> {
    if (this.writer !== undefined) {
      await this.writer.stop(this.lab()).catch((e: Error) => say(`writer stop: ${e.message}`));
      const errors = await this.writer.errors().catch(() => []);
      if (errors.length > 0) say(`writer's failed (retried, never acknowledged) writes: ${errors.length}; first: ${errors.slice(0, 3).join(" | ")}`);
    }
    await this.fence?.stop();
  }
}

describe.skipIf(labUnavailable() !== undefined).sequential("failover under Pacemaker, 3 nodes, RAID1 on node1+node2, NFS writer", () => {
  const lab = useLab({ client: true, mdAuto: "off" });
  const svc = new Service(lab, "3-node", [1, 2]);

  afterAll(async () => {
    await svc.stop();
    printRows();
  });

  it("README Pacemaker path (fencing on), keeper exports, group started on node1, client writing", async () => {
    await svc.setUp();
    expect(["node1", "node2"], "the group runs on a node holding a member (node1 preferred)").toContain(svc.active);
    const keepers = [...svc.exported.entries()].map(([n, e]) => `${n}: ${e.by === "pmsapp-target" ? "pmsapp-target" : `tgtadm (${e.why})`}`);
    say(`disk exports: ${keepers.join("; ")}`);
  });

  it("(a) power-kill the active node: fenced, group on a survivor, writes resume, member re-added", async () => {
    const row = await svc.powerKillActive("(a) power-kill active");
    expect(row.to).not.toBe(row.from);
    await svc.verify("(a)");
  });

  it("(d) clean move with crm resource move, then clear: no member lost", async () => {
    const lab_ = lab();
    const from = svc.active;
    const to = from === "node1" ? "node2" : "node1";
    const watch = svc.node(to);
    const toClient = await svc.clientClock();
    // The node giving the group up is the one whose stops matter: its log is copied off as it grows, so
    // that it survives even if the node is fenced.
    const fromLog = await NodeLogFollower.start(svc.node(from), "(d) clean move");
    const t0 = Date.now();
    let stopLines: string[] = [];
    try {
      await watch.must(`crm resource move storage ${to}`, { timeoutMs: 120_000 });
      await lab_.waitFor(`the group started on ${to}`, async () => ((await groupWhere(watch)) === to ? to : false), { timeoutMs: FAILOVER_WITHIN_MS, intervalMs: 1000 });
    } finally {
      stopLines = await fromLog.stop();
      say(`(d): ${from}'s own pacemaker.log during the move (copied to ${fromLog.files.pacemaker}):\n    ${stopLines.join("\n    ")}`);
    }
    const startedAt = Date.now();
    const groupMs = startedAt - t0;
    const fenced = (svc.fence as FenceServer).fencedSince(from, t0 - 1000);
    expect(fenced, `a clean move fences nobody; ${from}'s stops:\n${stopLines.join("\n")}`).toEqual([]);
    expect(stopLines.filter((l) => /Result of stop operation for \S+ on \S+: (?!ok)/.test(l)), "every stop on the node giving the group up succeeded").toEqual([]);
    await watch.must("crm resource clear storage", { timeoutMs: 120_000 });
    const ack = await (svc.writer as NfsWriter).waitAckAfter(lab_, toClient(startedAt), WRITES_RESUME_WITHIN_MS);
    svc.active = to;
    const view = await memberView(watch);
    expect(view.degraded, `a clean move keeps every member: ${view.mdstat}`).toBe("0");
    expect(view.inSync).toBe(2);
    const constraints = await watch.must("cibadmin -Q -o constraints", { timeoutMs: 30_000 });
    expect(constraints).not.toContain("cli-prefer-storage");
    // The client keeps writing until the stops begin: "1st ack" is the one that ended the outage.
    const acks = await (svc.writer as NfsWriter).acks();
    const resumed = resumedAt(acks, toClient(t0)) ?? ack.at;
    rows.push({ layout: "3-node", scenario: "(d) crm resource move + clear", from, to, groupMs, firstAckMs: resumed - toClient(t0), maxGapMs: maxGap(acks, toClient(t0)), readdMs: undefined, note: "no fencing, no member lost" });
    await svc.verify("(d)");
  });

  it("(b) cut the active node's iSCSI network: service goes on, the cut-off member is re-added after the heal", async () => {
    const lab_ = lab();
    const victim = svc.active;
    const toClient = await svc.clientClock();
    const watch = svc.survivors(victim)[0] as GuestNode;
    const logFrom = await logLengths(svc.node(victim));
    const t0 = Date.now();
    await lab_.cutLink(victim, "iscsi");
    // The active node reaches its own target through its own address (local delivery); the other
    // member's session fails after replacement_timeout and md fails that member.
    const degraded = await lab_.waitFor(
      "the group running with the array degraded, or moved",
      async () => {
        const where = await groupWhere(watch);
        if (where === false) return false;
        if (where !== victim) return { where, mdstat: "moved" };
        const v = await memberView(svc.node(victim));
        return v.degraded === "1" ? { where, mdstat: v.mdstat } : false;
      },
      { timeoutMs: FAILOVER_WITHIN_MS, intervalMs: 1000 },
    );
    const ack = await (svc.writer as NfsWriter).waitAckAfter(lab_, toClient(Date.now()), WRITES_RESUME_WITHIN_MS);
    const faultMs = Date.now() - t0;
    svc.active = degraded.value.where;
    const timeline = await clusterTimeline(svc.node(svc.active), logFrom);
    say(`(b): cluster log on ${svc.active}:\n    ${timeline.join("\n    ")}`);
    await lab_.healLink(victim, "iscsi");
    const healed = Date.now();
    if (!svc.node(victim).running) await svc.bringBack(victim, svc.node(svc.active));
    const row: Row = {
      layout: "3-node",
      scenario: "(b) cut active's iSCSI network",
      from: victim,
      to: svc.active,
      groupMs: svc.active === victim ? undefined : degraded.ms,
      firstAckMs: ack.at - toClient(t0),
      maxGapMs: maxGap(await (svc.writer as NfsWriter).acks(), toClient(t0)),
      readdMs: undefined,
      note: svc.active === victim ? `group stayed on ${victim}, array degraded ${secs(degraded.ms)} s after the cut (${degraded.value.mdstat.trim()}); writes checked ${secs(faultMs)} s after the cut` : "group moved",
    };
    rows.push(await svc.readded(row, healed));
    await svc.verify("(b)");
  });

  it("(c) cut the active node's heartbeat network: fenced by the quorate side, group on a survivor, member re-added", async () => {
    let cut = "";
    const row = await svc.failover("(c) cut active's heartbeat network", async (victim) => {
      cut = victim;
      await svc.lab().cutLink(victim, "hb");
      return Date.now();
    });
    await svc.lab().healLink(cut, "hb");
    const back = Date.now();
    await svc.bringBack(cut, svc.node(svc.active));
    rows.push(await svc.readded(row, back));
    await svc.verify("(c)");
  });

  it("after all faults: writer stopped, every acknowledged record intact, nothing damaged", async () => {
    await (svc.writer as NfsWriter).stop(lab());
    const r = await (svc.writer as NfsWriter).verify();
    say(`final: ${r.acked} acknowledged, lost ${r.lost.count}, corrupted ${r.corruptedAcked.count}, damaged unacknowledged slots ${r.corruptedUnacked.count}, intact unacknowledged ${r.intactUnacked}`);
    expect(r.lost.count).toBe(0);
    expect(r.corruptedAcked.count).toBe(0);
    expect(r.corruptedUnacked.count, "damaged records (written, never acknowledged)").toBe(0);
  });
});

describe.skipIf(!TWO_NODE || labUnavailable() !== undefined).sequential("failover under Pacemaker, 2 nodes (two_node, wait_for_all), RAID1 node1+node2", () => {
  const lab = useLab({ nodes: 2, client: true, mdAuto: "off" });
  const svc = new Service(lab, "2-node", [1, 2]);

  afterAll(async () => {
    await svc.stop();
    printRows();
  });

  it("README Pacemaker path for 2 nodes, group on node1, client writing", async () => {
    await svc.setUp();
    expect(["node1", "node2"], "the group runs on a node holding a member (node1 preferred)").toContain(svc.active);
    const quorum = await svc.node("node1").must("corosync-quorumtool -s | grep -E 'Flags|Expected votes'", { timeoutMs: 30_000 });
    expect(quorum).toMatch(/2Node/);
    expect(quorum).toMatch(/WaitForAll/);
  });

  it("(a) power-kill the active node: node2 fences it and serves, node1's member re-added when it is back", async () => {
    const row = await svc.powerKillActive("(a) power-kill active");
    expect(row.to, "the other node took the group").not.toBe(row.from);
    await svc.verify("2-node (a)");
  });

  it.skipIf(!SOAK)(`soak: ${SOAK_KILLS} power-kills of the active node, node1 and node2 in turn: 0 lost acknowledged writes, 0 silent rollbacks`, async () => {
    const soak: SoakKill[] = [];
    for (let i = 1; i <= SOAK_KILLS; i++) {
      const victim = svc.active;
      const survivor = victim === "node1" ? "node2" : "node1";
      const journalFrom = await journalLength(svc.node(survivor));
      const row = await svc.powerKillActive(`soak ${i}/${SOAK_KILLS} power-kill ${victim}`);
      expect(row.to, "the other node took the group").toBe(survivor);
      const starts = (await journalSince(svc.node(survivor), journalFrom)).filter((l) => l.kind === "decision" && l.action === "start");
      const after = await (svc.writer as NfsWriter).verify();
      const kill: SoakKill = { i, victim, survivor, row, starts: starts.map((d) => d.decision ?? "?"), lost: after.lost.count, corrupted: after.corruptedAcked.count };
      soak.push(kill);
      say(`soak ${i}/${SOAK_KILLS}: ${victim} killed, ${survivor} started the group in ${secs(row.groupMs ?? 0)} s (its start decisions: ${kill.starts.join(", ") || "none"}), first ack ${secs(row.firstAckMs ?? 0)} s, re-add ${secs(row.readdMs ?? 0)} s; ${after.acked} acknowledged so far, lost ${kill.lost}, corrupted ${kill.corrupted}`);
      // Stop at the first loss: the next kills would only bury it.
      expect(kill.lost, `soak ${i}: acknowledged records lost`).toBe(0);
      expect(kill.corrupted, `soak ${i}: acknowledged records corrupted`).toBe(0);
    }
    const r = await (svc.writer as NfsWriter).verify();
    const forced = soak.filter((k) => k.starts.includes("force-assemble")).length;
    const silent = soak.filter((k) => k.lost > 0).length;
    const lines = [
      `soak (${SOAK_KILLS} power-kills of the active node, 2 nodes, node1 and node2 in turn, fencing on, NFS client writing):`,
      `  acknowledged records ${r.acked}, lost ${r.lost.count}, corrupted ${r.corruptedAcked.count}; silent rollbacks ${silent} (kills after which acknowledged records were missing); forced starts ${forced}`,
      `  victims: node1 ${soak.filter((k) => k.victim === "node1").length}, node2 ${soak.filter((k) => k.victim === "node2").length}; survivors' start decisions: ${summarize(soak.flatMap((k) => k.starts))}`,
      `  failover (kill -> whole group started on the survivor): ${stats(soak.map((k) => k.row.groupMs))}`,
      `  kill -> first acknowledged write on the client: ${stats(soak.map((k) => k.row.firstAckMs))}`,
      `  returning member re-added (back in the cluster -> in sync): ${stats(soak.map((k) => k.row.readdMs))}`,
    ];
    process.stdout.write(lines.join("\n") + "\n");
    expect(r.lost.count).toBe(0);
    expect(r.corruptedAcked.count).toBe(0);
    expect(silent).toBe(0);
    expect(forced, "no start needed --force").toBe(0);
  }, SOAK_KILLS * 12 * 60_000);

  it("after all faults: writer stopped, every acknowledged record intact, nothing damaged", async () => {
    await (svc.writer as NfsWriter).stop(lab());
    const r = await (svc.writer as NfsWriter).verify();
    say(`2-node final: ${r.acked} acknowledged, lost ${r.lost.count}, corrupted ${r.corruptedAcked.count}, damaged unacknowledged slots ${r.corruptedUnacked.count}`);
    expect(r.lost.count).toBe(0);
    expect(r.corruptedAcked.count).toBe(0);
    expect(r.corruptedUnacked.count, "damaged records (written, never acknowledged)").toBe(0);
  });
});
