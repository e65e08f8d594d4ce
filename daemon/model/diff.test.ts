import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { captureState } from "./capture-state.js";
import { diffStates, snapshotEvents } from "./diff.js";
import { EMPTY_STATE } from "./state.js";
import type { EventBody } from "./events.js";

const spike = (s: string) => captureState(fixture("spike-2026-11-24", s));
const NODE2_SESSION = "iqn.2024-01.lab.pmslab:node2.data@10.99.0.12:3260";
const short = (events: EventBody[]) => events.map((e) => `${e.type} ${e.kind} ${e.id}`);
const find = (events: EventBody[], kind: string, id: string) => events.find((e) => e.kind === kind && e.id === id);

describe("snapshot of a captured state", () => {
  it("raid1-healthy: one array, two in-sync members, node1's target, three logged-in sessions, all exists/info", () => {
    const events = snapshotEvents(spike("raid1-healthy"));
    expect(events.every((e) => e.type === "exists" && e.severity === "info")).toBe(true);
    expect(short(events)).toEqual([
      "exists array md127",
      "exists member md127/sdc",
      "exists member md127/sdb",
      "exists target iqn.2024-01.lab.pmslab:node1.data",
      "exists lun iqn.2024-01.lab.pmslab:node1.data/lun/0",
      "exists lun iqn.2024-01.lab.pmslab:node1.data/lun/1",
      "exists initiator iqn.2024-01.lab.pmslab:node1.data/initiator/iqn.2024-01.lab.pmslab:node1",
      "exists session iqn.2024-01.lab.pmslab:node3.data@10.99.0.13:3260",
      "exists session iqn.2024-01.lab.pmslab:node2.data@10.99.0.12:3260",
      "exists session iqn.2024-01.lab.pmslab:node1.data@10.99.0.11:3260",
    ]);
    expect(find(events, "array", "md127")?.state).toMatchObject({ arrayState: "clean", degraded: 0, syncAction: "idle", syncPercent: null, emptySlots: [] });
    expect(find(events, "lun", "iqn.2024-01.lab.pmslab:node1.data/lun/1")?.state).toMatchObject({ backingStore: "/dev/vdb", online: true });
  });

  it("boot-autoassembled: the inactive array is critical, and the target exports no LUN 1", () => {
    const events = snapshotEvents(spike("boot-autoassembled"));
    expect(find(events, "array", "md127")).toMatchObject({ severity: "critical", state: { arrayState: "inactive", uuid: null } });
    expect(find(events, "member", "md127/vdb")?.state).toMatchObject({ condition: "spare", slot: null });
    expect(events.filter((e) => e.kind === "lun").map((e) => e.state.lun)).toEqual([0]);
  });

  it("an empty state gives no events", () => {
    expect(snapshotEvents(EMPTY_STATE)).toEqual([]);
  });
});

describe("events between captured states", () => {
  it("healthy -> member faulty: member in_sync -> faulty (critical), array degraded 0 -> 1 with slot 1 empty, node2 session LOGGED_IN -> FREE", () => {
    const events = diffStates(spike("raid1-healthy"), spike("raid1-member-faulty"));
    expect(short(events)).toEqual(["change array md127", "change member md127/sdb", `change session ${NODE2_SESSION}`]);
    expect(find(events, "member", "md127/sdb")).toMatchObject({
      severity: "critical",
      old: { condition: "in_sync", flags: ["in_sync"], slot: 1 },
      state: { condition: "faulty", flags: ["faulty"], slot: null },
    });
    expect(find(events, "array", "md127")).toMatchObject({ severity: "warning", old: { degraded: 0, emptySlots: [] }, state: { degraded: 1, emptySlots: ["1"] } });
    expect(find(events, "session", NODE2_SESSION)).toMatchObject({ old: { state: "LOGGED_IN", connectionState: "up" }, state: { state: "FREE", connectionState: "failed" } });
    // Nothing else moved: the surviving member and the other sessions are not mentioned.
    expect(find(events, "member", "md127/sdc")).toBeUndefined();
  });

  it("member faulty -> recovering: recovery progress as a number, member faulty -> recovering, session back", () => {
    const events = diffStates(spike("raid1-member-faulty"), spike("raid1-recovering"));
    expect(short(events)).toEqual(["change array md127", "change member md127/sdb", `change session ${NODE2_SESSION}`]);
    const array = find(events, "array", "md127");
    expect(array?.old).toMatchObject({ syncAction: "idle", syncPercent: null, emptySlots: ["1"] });
    expect(array?.state).toMatchObject({ syncAction: "recover", syncDone: 55296, syncTotal: 522240, degraded: 1 });
    expect(array?.state.syncPercent).toBeCloseTo((55296 / 522240) * 100, 2);
    expect(find(events, "member", "md127/sdb")).toMatchObject({ old: { condition: "faulty" }, state: { condition: "recovering", flags: ["spare"], slot: 1 } });
    expect(find(events, "session", NODE2_SESSION)?.state.state).toBe("LOGGED_IN");
  });

  it("recovering -> healthy: clean again, member recovering -> in_sync, degraded 1 -> 0, severity back to info", () => {
    const events = diffStates(spike("raid1-recovering"), spike("raid1-healthy"));
    expect(short(events)).toEqual(["change array md127", "change member md127/sdb"]);
    expect(find(events, "array", "md127")).toMatchObject({ severity: "info", old: { degraded: 1, syncAction: "recover" }, state: { degraded: 0, syncAction: "idle", syncPercent: null } });
    expect(find(events, "member", "md127/sdb")).toMatchObject({ severity: "info", old: { condition: "recovering" }, state: { condition: "in_sync" } });
  });

  it("the whole cycle healthy -> faulty -> recovering -> healthy ends where it started", () => {
    const cycle = ["raid1-healthy", "raid1-member-faulty", "raid1-recovering", "raid1-healthy"].map(spike);
    const all = cycle.slice(1).flatMap((s, i) => diffStates(cycle[i]!, s));
    expect(all.map((e) => e.type).every((t) => t === "change")).toBe(true);
    expect(diffStates(cycle[0]!, cycle[3]!)).toEqual([]);
  });

  it("resyncing -> healthy: initial resync finishes", () => {
    const events = diffStates(spike("raid1-resyncing"), spike("raid1-healthy"));
    expect(find(events, "array", "md127")).toMatchObject({ old: { syncAction: "resync", syncPercent: 0 }, state: { syncAction: "idle", syncPercent: null } });
  });

  it("healthy -> stopped: members destroyed before their array; re-logged-in sessions change their session number", () => {
    const events = diffStates(spike("raid1-healthy"), spike("raid1-stopped-examine"));
    const ids = short(events);
    expect(ids.indexOf("destroy member md127/sdb")).toBeLessThan(ids.indexOf("destroy array md127"));
    expect(ids.indexOf("destroy member md127/sdc")).toBeLessThan(ids.indexOf("destroy array md127"));
    expect(find(events, "array", "md127")?.severity).toBe("critical");
    // node3's session was logged out (destroy); node2's was logged in again as a new session number.
    expect(ids).toContain("destroy session iqn.2024-01.lab.pmslab:node3.data@10.99.0.13:3260");
    expect(find(events, "session", NODE2_SESSION)?.old?.session).toBe("session2");
  });

  it("nothing -> healthy creates parents before children; healthy -> nothing destroys children first", () => {
    const created = diffStates(EMPTY_STATE, spike("raid1-healthy"));
    expect(created.every((e) => e.type === "create")).toBe(true);
    expect(short(created).map((s) => s.replace(/^create /, "exists "))).toEqual(short(snapshotEvents(spike("raid1-healthy"))));
    const destroyed = diffStates(spike("raid1-healthy"), EMPTY_STATE);
    expect(destroyed.every((e) => e.type === "destroy")).toBe(true);
    const kinds = destroyed.map((e) => e.kind);
    expect(kinds.indexOf("member")).toBeLessThan(kinds.indexOf("array"));
    expect(kinds.indexOf("lun")).toBeLessThan(kinds.indexOf("target"));
  });

  it("identical states give no events", () => {
    expect(diffStates(spike("raid5-healthy"), spike("raid5-healthy"))).toEqual([]);
  });
});

describe("write activity", () => {
  // md's array_state goes clean -> active / write-pending -> clean with every write burst; the lab run of
  // test/lab/daemon.lab.test.ts saw exactly these values under dd. The captured healthy node with its
  // array_state as the kernel showed it while writing:
  const withArrayState = (arrayState: string) => {
    const s = spike("raid1-healthy");
    return { ...s, arrays: s.arrays.map((a) => ({ ...a, arrayState })) };
  };

  it("clean <-> active / write-pending alone is not an event; with another change it is, and inactive always is", () => {
    expect(diffStates(withArrayState("clean"), withArrayState("active"))).toEqual([]);
    expect(diffStates(withArrayState("write-pending"), withArrayState("clean"))).toEqual([]);
    const degraded = spike("raid1-member-faulty");
    const busyDegraded = { ...degraded, arrays: degraded.arrays.map((a) => ({ ...a, arrayState: "active" })) };
    const change = find(diffStates(withArrayState("clean"), busyDegraded), "array", "md127");
    expect(change?.old).toMatchObject({ arrayState: "clean", degraded: 0 });
    expect(find(diffStates(withArrayState("active"), withArrayState("inactive")), "array", "md127")?.old).toEqual({ arrayState: "active" });
  });
});
