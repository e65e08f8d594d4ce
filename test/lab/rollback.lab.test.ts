/**
 * No silent rollback, on VMs (issue 8, rows 2-5; row 1, the ordinary failover, is failover.lab.test.ts's
 * 2-node (a)). The 2-node layout of the failover scenarios: the README's corosync-2 block (two_node,
 * wait_for_all) and crm block, fencing on, RAID1 of node1's and node2's iSCSI LUNs, the NFS client writing
 * numbered, checksummed, fsynced records throughout (lib/rollback-cluster.ts reuses their helpers).
 * A = the node where the group starts (node1, preferred), B = the other. The rows run in the order that needs the fewest boots:
 *
 *  5. B's target cut off from A on the iSCSI network: A goes on degraded, the CIB ledger records B's member
 *     as dropped; after the heal the agent's depth-10 monitor re-adds it from the bitmap, and pmsappd on A
 *     streams the agent's decisions.
 *  3. Both stopped cleanly (B's stack first, then A's: the group stops on A); only A comes up: not quorate,
 *     Pacemaker starts nothing and the agent's own start refuses, naming B's member and `pmsapp override`;
 *     then B returns and the group starts with both members.
 *  2. B power-killed, A fences it and writes alone (the ledger records B dropped), A power-killed, B boots
 *     alone: refused, naming A's member as the likely newer one and the override command.
 *  4. Then A comes back: the array starts from A's member and B's member is re-added only by the rule
 *     (its superblock a proven strict prefix of A's: bitmap re-add; otherwise `readd-needs-operator`),
 *     and every record acknowledged while A ran alone is there, intact.
 *
 * On the lone node Pacemaker itself starts nothing (no quorum); the agent's start is then run by hand as
 * Pacemaker's executor would run it (crm block parameters, op timeout), since that refusal is what stands
 * between an operator's forced start and a rollback.
 *
 * Runs with `npm run test:lab -- --rollback` (PMSAPP_LAB_ROLLBACK=1), not in CI: about 15 minutes of lab
 * time that CI's 90 minutes (already ~59 min of lab) do not hold. Lab runs: 2026-11-24 22:10-22:22 UTC,
 * set-up and row 5 passed, then node1 was fenced by its own fencer during row 3's clean stop (its logs
 * were lost with it; most likely the cause the failover scenarios found an hour later: nfsd outside the
 * group kept NFSv4 clients' files open, so Filesystem's stop failed; nfsserver and nfsnotify are in the
 * group since, and row 3's stop now ends 0). 2026-12-06 17:12-17:27 UTC, commit f9de735 with the --rollback switch: all five
 * passed (875 s): row 5 drop ledgered 58 s after the cut, bitmap re-add 30.5 s after the heal; row 3 A
 * refused alone (freshness unproven, naming B's member and the override), group with both members 153 s
 * after B's return; row 2 B fenced 12 s after its kill, B refused alone naming A's member; row 4 A started
 * degraded, B's member (events 23, dropped at 25) bitmap re-added as a strict prefix, 306 records written
 * while A ran alone all intact; 2366 acknowledged, 0 lost, 0 corrupted.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type GuestNode } from "./lib/lab.js";
import { say, secs } from "./lib/log.js";
import { memberView, newArrayUuid, waitReadded } from "./lib/failover-service.js";
import type { NfsWriter } from "./lib/nfs-writer.js";
import { describeDecisions, droppedAt, GROUP_START_WITHIN_MS, MEMBERS, RollbackService, type JournalLine, type StartAttempt } from "./lib/rollback-cluster.js";
import { agentFrames, startLocalDaemon } from "./lib/rollback-daemon.js";
import { labUnavailable, useLab } from "./lib/scenario.js";
import { nodeNumber, targetIqn } from "./lib/storage.js";

const ENABLED = process.env["PMSAPP_LAB_ROLLBACK"] === "1";
if (!ENABLED) process.stderr.write("SKIPPED: rollback.lab.test.ts (issue 8 rows 2-5) runs with `npm run test:lab -- --rollback` (PMSAPP_LAB_ROLLBACK=1); CI's 90 minutes do not hold it\n");

const DROP_RECORDED_WITHIN_MS = 180_000;
const READD_WITHIN_MS = 300_000;
const WRITES_RESUME_WITHIN_MS = 240_000;
const FENCED_WITHIN_MS = 240_000;

interface Timing {
  readonly row: string;
  readonly what: string;
  readonly ms: number;
}
const timings: Timing[] = [];
function timed(row: string, what: string, since: number): void {
  timings.push({ row, what, ms: Date.now() - since });
}

/** The slot (0-based) of a node's member in the array. */
function slotOf(node: GuestNode): number {
  return MEMBERS.indexOf(nodeNumber(node) as 1 | 2);
}

function expectRefusal(attempt: StartAttempt, self: GuestNode, newer: GuestNode, uuidText: string): void {
  const reason = attempt.run.reason ?? attempt.run.lastMessage ?? "";
  say(`${self.name} alone: agent start exited ${attempt.run.rc} in ${secs(attempt.run.ms)} s: ${reason}\n    journal:\n    ${describeDecisions(attempt.decisions)}`);
  expect(attempt.run.rc, "OCF_ERR_GENERIC: refused").toBe(1);
  expect(reason, "the reason names the other node's member as the one that may be newer").toContain(targetIqn(nodeNumber(newer)));
  expect(reason).toMatch(/may hold newer writes|likely newer/);
  expect(reason, "the reason gives the override command").toContain(`pmsapp override start --array ${uuidText} --from ${self.name}`);
  const refusal = attempt.decisions.find((d) => d.decision === "refuse-freshness-unproven");
  expect(refusal, `journal decision refuse-freshness-unproven on ${self.name} (got: ${attempt.decisions.map((d) => d.decision).join(", ")})`).toBeDefined();
  expect(attempt.after.arrays, "nothing assembled").toEqual([]);
}

describe.skipIf(!ENABLED || labUnavailable() !== undefined).sequential("no silent rollback (issue 8 rows 2-5), Pacemaker 2 nodes, RAID1 node1+node2, NFS writer", () => {
  const lab = useLab({ nodes: 2, client: true, mdAuto: "off" });
  const uuidText = newArrayUuid();
  const svc = new RollbackService(lab, uuidText);
  const t0 = Date.now();
  /** A: the node where the group first started (node1 unless its first start refused); B: the other. */
  let A = "node1";
  let B = "node2";
  /** Row 2's evidence, read before A went down, for row 4. */
  let row2: { killBAt: number; killAAt: number; dropEvents: number; bSuperblock: { events: number; arraySlots: string }; a: string; b: string } | undefined;

  afterAll(async () => {
    await svc.stop();
    const lines = ["rollback scenarios (s):", ...timings.map((t) => `  row ${t.row.padEnd(4)}${t.what.padEnd(64)}${secs(t.ms).padStart(8)}`), `  whole file ${secs(Date.now() - t0)} s`];
    process.stdout.write(lines.join("\n") + "\n");
  });

  it("set-up: the README's 2-node Pacemaker path, group on node1, client writing", async () => {
    const s = Date.now();
    const where = await svc.setUp();
    // node1 is preferred; under TCG load node1's first start has once refused (node2's member not seen in
    // time: freshness unproven, safe) and the group started on node2. A is wherever it started.
    expect(["node1", "node2"]).toContain(where);
    A = where;
    B = where === "node1" ? "node2" : "node1";
    if (A !== "node1") say(`set-up: the group started on ${A}, so A = ${A}, B = ${B}`);
    timed("-", "cluster, array, group started, writer running", s);
  });

  it("row 5: B's target cut off on the iSCSI network: A goes on degraded, ledger records the drop; healed: bitmap re-add by the agent, streamed by pmsappd", async () => {
    const l = lab();
    const a = svc.node(A);
    const b = svc.node(B);
    await startLocalDaemon(l, a);
    const guestStart = await a.time();
    const journalFrom = await svc.journalLength(a);
    const toClient = await svc.clientClock();
    const cutAt = Date.now();
    await l.cutLink(b.name, "iscsi");
    let healed = false;
    try {
      const dropped = await l.waitFor(
        "the CIB ledger records B's member as dropped",
        async () => {
          const r = await svc.ledger(a);
          return r?.failed.some((f) => f.slot === slotOf(b)) === true ? r : false;
        },
        { timeoutMs: DROP_RECORDED_WITHIN_MS, intervalMs: 2000 },
      );
      timed("5", "iSCSI cut -> ledger records B's member dropped", cutAt);
      const view = await memberView(a);
      expect(view.degraded, `A runs degraded: ${view.mdstat}`).toBe("1");
      expect(await svc.waitGroup("the group still on A", 30_000)).toBe(A);
      const ack = await (svc.writer as NfsWriter).waitAckAfter(l, toClient(Date.now()), WRITES_RESUME_WITHIN_MS);
      say(`row 5: ledger ${JSON.stringify({ gen: dropped.value.gen, inSync: dropped.value.inSync, failed: dropped.value.failed })}; record ${ack.seq} acknowledged while degraded`);
      const healAt = Date.now();
      const guestHeal = await a.time();
      await l.healLink(b.name, "iscsi");
      healed = true;
      const r = await waitReadded(l, a, MEMBERS.length, uuidText, READD_WITHIN_MS);
      timed("5", "heal -> B's member re-added and in sync (agent's depth-10 monitor)", healAt);
      const decisions = (await svc.journalSince(a, journalFrom)).filter((d) => d.kind === "decision");
      say(`row 5: re-added ${secs(r.ms)} s after the heal (${r.view.mdstat.trim()}); journal:\n    ${describeDecisions(decisions)}`);
      expect(decisions.some((d) => d.decision === "ledger-member-change" && /dropped: slot 1/.test(d.reason ?? ""))).toBe(true);
      const readd = decisions.find((d) => d.decision === "re-add");
      expect(readd, "journal decision re-add").toBeDefined();
      expect(readd?.reason).toMatch(/strict prefix/);
      const frames = await l.waitFor(
        "pmsappd streamed the agent's re-add",
        async () => {
          const f = await agentFrames(a, guestStart);
          return f.some((x) => x.frame.state?.["decision"] === "re-add" && x.receivedMs >= guestHeal) ? f : false;
        },
        { timeoutMs: 60_000, intervalMs: 2000 },
      );
      const seen = frames.value.map((x) => `${x.frame.type} ${String(x.frame.state?.["decision"] ?? x.frame.state?.["step"] ?? "")}`);
      say(`row 5: pmsappd agent frames on ${a.name} since the cut: ${seen.join(", ")}`);
      expect(frames.value.some((x) => x.frame.state?.["decision"] === "ledger-member-change")).toBe(true);
      await (svc.writer as NfsWriter).waitAckAfter(l, toClient(Date.now()), WRITES_RESUME_WITHIN_MS);
    } finally {
      // A failure above must not leave B cut off for the rows after this one.
      if (!healed) await l.healLink(b.name, "iscsi");
    }
  });

  it("row 3: both stopped cleanly, only A comes up: refused until B is back; then the group starts with both members", async () => {
    const l = lab();
    const a = svc.node(A);
    const b = svc.node(B);
    expect(await svc.waitGroup("the group on A", 30_000)).toBe(A);
    const stopAt = Date.now();
    await svc.stopStack(b);
    const jl = await svc.journalLength(a);
    await svc.stopStack(a);
    timed("3", "clean stop of both stacks (group stopped on A)", stopAt);
    const stopLines = await svc.journalSince(a, jl);
    const stopEnd = stopLines.find((x) => x.action === "stop" && x.kind === "action-end");
    say(`row 3: A's stop: ${describeDecisions(stopLines.filter((x) => x.action === "stop"))}`);
    expect(stopEnd?.rc, "the agent's stop on A ended 0").toBe(0);
    expect((await svc.ownSuperblock(a)).clean, "A's member clean after the stop").toBe(true);
    await l.kill(b.name); // cleanly stopped already: only its target goes away
    const upAt = Date.now();
    await svc.bootAlone(a.name, false);
    timed("3", "A's stack started alone, A online in Pacemaker", upAt);
    expect(await svc.quorate(a), "A alone is not quorate (wait_for_all)").toBe(false);
    const mon = await svc.crmMon(a);
    expect(mon).toMatch(/WITHOUT quorum/);
    const attempt = await svc.tryStart(a);
    expectRefusal(attempt, a, b, uuidText);
    expect(await svc.waitGroup("nothing started on the lone node", 5_000).catch(() => "none")).toBe("none");
    const backAt = Date.now();
    const toClient = await svc.clientClock();
    await svc.bringBack(b.name, a);
    const where = await svc.waitGroup("the group started once B is back", GROUP_START_WITHIN_MS);
    timed("3", "B back -> group started", backAt);
    const view = await memberView(svc.node(where));
    expect(view.inSync, `both members in the array after a clean stop: ${view.mdstat}`).toBe(2);
    expect(view.degraded).toBe("0");
    const ack = await (svc.writer as NfsWriter).waitAckAfter(l, toClient(backAt), WRITES_RESUME_WITHIN_MS);
    say(`row 3: group on ${where}, record ${ack.seq} acknowledged ${secs(ack.at - toClient(backAt))} s after B's return began`);
    expect(["node1", "node2"]).toContain(where);
    // Nothing was running, so stickiness holds nothing: the location preference (node1) decides. Row 2's
    // A is the node that runs the group now.
    if (where !== A) {
      say(`row 3: the group started on ${where} (the preferred node); rows 2 and 4 take A = ${where}`);
      B = A;
      A = where;
    }
  });

  it("row 2: B down, A writes alone, A down, B boots alone: refused, naming A's member and the override command", async () => {
    const l = lab();
    const a = svc.node(A);
    const b = svc.node(B);
    const toClient = await svc.clientClock();
    const killBAt = await l.kill(b.name);
    const fenced = await l.waitFor("A fenced B", async () => {
      const e = (svc.fence as NonNullable<typeof svc.fence>).fencedSince(b.name, killBAt - 1000);
      return e.length > 0 ? e : false;
    }, { timeoutMs: FENCED_WITHIN_MS, intervalMs: 1000 });
    timed("2", "B killed -> fenced by A", killBAt);
    const dropped = await l.waitFor(
      "A's ledger records B's member as dropped",
      async () => {
        const r = await svc.ledger(a);
        return r?.failed.some((f) => f.slot === slotOf(b)) === true ? r : false;
      },
      { timeoutMs: DROP_RECORDED_WITHIN_MS, intervalMs: 2000 },
    );
    timed("2", "B killed -> A's ledger records B dropped", killBAt);
    const dropEvents = dropped.value.failed.find((f) => f.slot === slotOf(b))?.events as number;
    expect(await svc.waitGroup("the group on A", 30_000)).toBe(A);
    const ack = await (svc.writer as NfsWriter).waitAckAfter(l, toClient(Date.now()), WRITES_RESUME_WITHIN_MS);
    say(`row 2: fenced ${fenced.value.map((e) => e.action).join(",")}; ledger gen ${dropped.value.gen}, B dropped at events ${dropEvents}; record ${ack.seq} acknowledged with A alone`);
    const killAAt = await l.kill(a.name);
    const bootAt = Date.now();
    await svc.bootAlone(b.name, true);
    timed("2", "B booted alone, online in Pacemaker", bootAt);
    const sb = await svc.ownSuperblock(b);
    say(`row 2: B's member: events ${sb.events}, array state ${sb.arraySlots}, state ${sb.state}`);
    expect(await svc.quorate(b), "B alone is not quorate (wait_for_all)").toBe(false);
    expect(await svc.crmMon(b)).toMatch(/WITHOUT quorum/);
    const attempt = await svc.tryStart(b);
    expectRefusal(attempt, b, a, uuidText);
    expect(await svc.waitGroup("nothing started on the lone node", 5_000).catch(() => "none")).toBe("none");
    row2 = { killBAt, killAAt, dropEvents, bSuperblock: { events: sb.events, arraySlots: sb.arraySlots }, a: a.name, b: b.name };
  });

  it("row 4: then A comes back: the array starts from A's member, B's member only by the re-add rule, nothing A wrote alone is lost", async () => {
    const l = lab();
    if (row2 === undefined) throw new Error("row 2 did not complete: row 4 needs its state");
    const b = svc.node(row2.b);
    const since = new Date(Date.now() - 5000).toISOString();
    const backAt = Date.now();
    const toClient = await svc.clientClock();
    await svc.bringBack(row2.a, b);
    const where = await svc.waitGroup("the group started once A is back", GROUP_START_WITHIN_MS);
    timed("4", "A back -> group started", backAt);
    const active = svc.node(where);
    const journal = async (): Promise<JournalLine[]> => (await svc.journalSince(active, 0)).filter((x) => x.time >= since && x.kind === "decision");
    const decided = await l.waitFor(
      `a re-add decision on ${where} about B's member`,
      async () => {
        const j = await journal();
        return j.some((x) => x.decision === "re-add" || x.decision === "readd-needs-operator") ? j : false;
      },
      { timeoutMs: READD_WITHIN_MS, intervalMs: 2000 },
    );
    timed("4", "A back -> re-add decision", backAt);
    say(`row 4: group on ${where}; journal since A's return:\n    ${describeDecisions(decided.value)}`);
    const start = decided.value.find((x) => x.action === "start" && ["assemble", "assemble-degraded", "force-assemble"].includes(x.decision ?? ""));
    expect(start?.decision, "started degraded from A's member alone").toBe("assemble-degraded");
    const readd = decided.value.find((x) => x.decision === "re-add" || x.decision === "readd-needs-operator") as JournalLine;
    const strictPrefix = row2.bSuperblock.events <= row2.dropEvents && /^A+$/.test(row2.bSuperblock.arraySlots);
    say(`row 4: B's member events ${row2.bSuperblock.events} (array state ${row2.bSuperblock.arraySlots}), dropped at ${row2.dropEvents} in A's ledger: ${strictPrefix ? "a strict prefix by the design's rule" : "not provably a strict prefix"}; agent: ${readd.decision}`);
    if (readd.decision === "re-add") {
      expect(strictPrefix, "a bitmap re-add only of a member the evidence proves a strict prefix").toBe(true);
      expect(readd.reason).toContain(`left at events ${row2.dropEvents}`);
      const r = await waitReadded(l, active, MEMBERS.length, uuidText, READD_WITHIN_MS);
      timed("4", "A back -> B's member in sync", backAt);
      say(`row 4: B's member re-added from the bitmap (${r.view.mdstat.trim()})`);
    } else {
      const view = await memberView(active);
      expect(view.inSync, `B's member left out until the operator decides: ${view.mdstat}`).toBe(1);
      expect(readd.reason).toContain("mdadm --zero-superblock");
    }
    const w = svc.writer as NfsWriter;
    const ack = await w.waitAckAfter(l, toClient(backAt), WRITES_RESUME_WITHIN_MS);
    await w.stop(l);
    const acks = await w.acks();
    const alone = acks.filter((x) => x.at >= toClient(row2?.killBAt ?? 0) && x.at <= toClient(row2?.killAAt ?? 0));
    const report = await w.verify();
    say(`row 4: record ${ack.seq} acknowledged after A's return; ${alone.length} records acknowledged while A ran alone; final: ${report.acked} acknowledged, ${report.intactAcked} intact, lost ${report.lost.count}, corrupted ${report.corruptedAcked.count}, damaged unacknowledged ${report.corruptedUnacked.count}`);
    expect(alone.length, "A wrote while alone").toBeGreaterThan(0);
    expect(report.lost, "acknowledged records missing").toEqual({ count: 0, first: [] });
    expect(report.corruptedAcked, "acknowledged records corrupted").toEqual({ count: 0, first: [] });
    expect(report.intactAcked).toBe(report.acked);
  });
});
