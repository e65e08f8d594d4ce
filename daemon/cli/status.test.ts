import { describe, expect, it } from "vitest";
import type { JournalLine } from "../model/agent-events.js";
import { eventFrame, type EventFrame } from "../model/events.js";
import { EventHub } from "../server/hub.js";
import { PLAIN } from "./format.js";
import { NOTABLE_SHOWN, renderNode } from "./status.js";

const fixedNow = () => new Date("2026-11-24T12:00:00.000Z");

/** What a client gets in a snapshot: the hub's exists frames, validated as the CLI validates them. */
function snapshotEntities(hub: EventHub): EventFrame[] {
  return hub
    .snapshotFrames("test")
    .map((t) => JSON.parse(t) as unknown)
    .flatMap((f) => {
      const r = eventFrame.safeParse(f);
      return r.success ? [r.data] : [];
    });
}

// Journal lines in the shape the raid agent and `pmsapp override` append (agents/raid/report.ts, daemon/cli/override.ts).
const refusal: JournalLine = {
  time: "2026-11-24T11:58:00.000Z",
  agent: "raid",
  instance: "pmsapp-raid",
  action: "start",
  kind: "decision",
  decision: "refuse-foreign-state",
  reason: "members disagree: node2's copy ran alone after node3's (events 41 vs 37); pmsapp override start to accept",
};
const end: JournalLine = { time: "2026-11-24T11:58:01.000Z", agent: "raid", instance: "pmsapp-raid", action: "start", kind: "action-end", rc: 1, durationMs: 812 };
const override: JournalLine = {
  time: "2026-11-24T11:59:00.000Z",
  agent: "override",
  instance: "11111111:22222222:33333333:44444444",
  action: "override",
  kind: "decision",
  decision: "override-start",
  reason: "root on node1 allows the next start past a refusal: node3 is gone for good",
};

describe("pmsapp status: the agents' refusals and overrides", () => {
  it("a refusal stays visible after the agent's next record, newest first, with the override", () => {
    const hub = new EventHub("node1", 100, fixedNow, "e");
    const live = [hub.recordAgent(refusal), hub.recordAgent(end), hub.recordAgent(override)];
    expect(live.map((e) => e.frame.id)).toEqual(["raid/pmsapp-raid", "raid/pmsapp-raid", "override/11111111:22222222:33333333:44444444"]);
    const lines = renderNode({ node: "node1", display: "sock", entities: snapshotEntities(hub) }, PLAIN);
    const at = lines.indexOf("  agents' last refusals and overrides (newest first):");
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1)).toEqual([
      "    2026-11-24 11:59:00Z override override/11111111:22222222:33333333:44444444 override override-start: root on node1 allows the next start past a refusal: node3 is gone for good",
      "    2026-11-24 11:58:00Z refusal  raid/pmsapp-raid start refuse-foreign-state: members disagree: node2's copy ran alone after node3's (events 41 vs 37); pmsapp override start to accept",
    ]);
  });

  it("the refusal is also a live event of its own (create, then change), and lines read at start are in the snapshot", () => {
    const hub = new EventHub("node1", 100, fixedNow, "e");
    const seqBefore = hub.currentSeq;
    hub.recordAgent(refusal);
    expect(hub.currentSeq - seqBefore).toBe(2);
    hub.recordAgent({ ...refusal, time: "2026-11-24T12:01:00.000Z", decision: "refuse-md-device-taken" });
    const primed = new EventHub("node1", 100, fixedNow, "e2");
    primed.primeAgent(refusal);
    primed.primeAgent(end);
    const ids = snapshotEntities(primed).map((f) => f.id);
    expect(ids).toEqual(["raid/pmsapp-raid", "raid/pmsapp-raid!refusal"]);
    expect(snapshotEntities(hub).find((f) => f.id === "raid/pmsapp-raid!refusal")?.state.decision).toBe("refuse-md-device-taken");
  });

  it("a start forced past md's refusal is kept as an override and streamed as critical; an overridden start as a warning", () => {
    // The raid agent's decision line for a dirty degraded RAID5 started under degraded=force (agents/raid/start.ts).
    const forced: JournalLine = {
      time: "2026-11-24T12:02:00.000Z",
      agent: "raid",
      instance: "sharedraid",
      action: "start",
      kind: "decision",
      decision: "force-assemble",
      reason: "starting degraded without slot 0: 2 of 3 current members (events 40)",
      details: { run: true, force: true, warnings: ["FORCED start of a dirty degraded raid5 (mdadm --force): raid5 is dirty (superblock state active) and degraded: parity may be wrong for slot 0"] },
    };
    const hub = new EventHub("node2", 100, fixedNow, "e");
    const live = hub.recordAgent(forced);
    expect(live.frame.severity).toBe("critical");
    const kept = snapshotEntities(hub).find((f) => f.id === "raid/sharedraid!override");
    expect(kept?.severity).toBe("critical");
    expect(renderNode({ node: "node2", display: "sock", entities: snapshotEntities(hub) }, PLAIN)).toContain(
      "    2026-11-24 12:02:00Z override raid/sharedraid start force-assemble: starting degraded without slot 0: 2 of 3 current members (events 40)",
    );
    const overridden: JournalLine = { ...forced, instance: "r2", decision: "assemble-degraded", details: { run: true, force: false, warnings: ["OVERRIDE by root at 2026-11-24T11:59:00.000Z (node1 is gone), overriding ledger events 26: ..."] } };
    expect(hub.recordAgent(overridden).frame.severity).toBe("warning");
    expect(snapshotEntities(hub).find((f) => f.id === "raid/r2!override")?.severity).toBe("warning");
    // A degraded start with only a note about a stale member left out is an ordinary decision.
    const ordinary: JournalLine = { ...forced, instance: "r3", decision: "assemble-degraded", details: { run: true, force: false, warnings: ["slot 1 is stale (events 19 < 26): left out"] } };
    expect(hub.recordAgent(ordinary).frame.severity).toBe("info");
    expect(snapshotEntities(hub).some((f) => f.id.startsWith("raid/r3!"))).toBe(false);
  });

  it("a refusal and a member left for the operator are warnings on the live stream", () => {
    const hub = new EventHub("node1", 100, fixedNow, "e");
    expect(hub.recordAgent(refusal).frame.severity).toBe("warning");
    expect(hub.recordAgent({ ...refusal, action: "monitor", decision: "readd-needs-operator", reason: "diverged" }).frame.severity).toBe("warning");
  });

  it("ordinary decisions are not listed, and more than the limit are counted", () => {
    const hub = new EventHub("node1", 100, fixedNow, "e");
    hub.recordAgent({ ...refusal, decision: "already-running", reason: "nothing to do" });
    expect(renderNode({ node: "node1", display: "sock", entities: snapshotEntities(hub) }, PLAIN).join("\n")).not.toContain("refusals");
    for (let i = 0; i < NOTABLE_SHOWN + 2; i++) hub.recordAgent({ ...refusal, instance: `r${i}`, time: `2026-11-24T11:5${i}:00.000Z` });
    const lines = renderNode({ node: "node1", display: "sock", entities: snapshotEntities(hub) }, PLAIN);
    expect(lines.filter((l) => l.includes(" refusal ")).length).toBe(NOTABLE_SHOWN);
    expect(lines.at(-1)).toBe("    ... 2 more (pmsapp events --json shows them all)");
    expect(lines.find((l) => l.includes(" refusal "))).toContain("r6 start");
  });
});
