import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { captureState } from "../model/capture-state.js";
import { EventHub } from "./hub.js";
import { Ring } from "./ring.js";

const spike = (s: string) => captureState(fixture("spike-2026-11-24", s));
const fixedNow = () => new Date("2026-11-24T12:00:00.000Z");

describe("Ring", () => {
  it("keeps the newest items in order and refuses a zero capacity", () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    expect([r.size, r.oldest(), r.from(0), r.from(2), r.at(3)]).toEqual([3, 3, [3, 4, 5], [5], undefined]);
    expect(() => new Ring(0)).toThrow(RangeError);
  });
});

describe("EventHub", () => {
  it("stamps epoch, node, time and consecutive seqs; a snapshot carries the current seq", () => {
    const hub = new EventHub("node1", 100, fixedNow, "epoch-1");
    const created = hub.setState(spike("raid1-healthy"));
    expect(created.map((e) => e.frame.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(created[0]?.frame).toMatchObject({ v: 1, epoch: "epoch-1", node: "node1", ts: "2026-11-24T12:00:00.000Z", type: "create" });
    const frames = hub.snapshotFrames("test").map((t) => JSON.parse(t) as { type: string; seq: number });
    expect(frames.map((f) => f.seq).every((s) => s === 10)).toBe(true);
    expect(frames[0]?.type).toBe("snapshot-begin");
    expect(frames.at(-1)?.type).toBe("snapshot-end");
  });

  it("resizing the ring keeps the newest events, so resume still works for them", () => {
    const hub = new EventHub("node1", 100, fixedNow, "e");
    hub.setState(spike("raid1-healthy")); // 1..10
    hub.setState(spike("raid1-member-faulty")); // 11..13
    hub.resizeRing(5); // keeps 9..13
    expect(hub.opening({ epoch: "e", seq: 8 }).mode).toBe("replay");
    expect(hub.opening({ epoch: "e", seq: 7 }).mode).toBe("snapshot");
    const replay = hub.opening({ epoch: "e", seq: 13 });
    expect(replay.mode === "replay" && replay.frames.length).toBe(2); // nothing missed: just the markers
  });

  it("agent records: create the first time, change after; snapshots include the last record per instance", () => {
    const hub = new EventHub("node1", 100, fixedNow, "e");
    const line = { time: "2026-11-24T12:00:00.000Z", agent: "raid", instance: "lab", action: "start", kind: "action-begin" as const };
    expect(hub.recordAgent(line).frame.type).toBe("create");
    expect(hub.recordAgent({ ...line, kind: "action-end", rc: 1 }).frame).toMatchObject({ type: "change", severity: "warning", state: { rc: 1 } });
    const exists = hub.snapshotFrames("t").map((t) => JSON.parse(t) as { type: string; kind?: string; state?: { step: string } });
    expect(exists.filter((f) => f.kind === "agent")).toEqual([expect.objectContaining({ type: "exists", state: expect.objectContaining({ step: "action-end" }) })]);
  });
});
