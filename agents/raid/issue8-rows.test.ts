/**
 * The rows of issue 8 ("no silent rollback") as unit tests of the two pure decisions, on superblocks
 * captured from the real arrays (spike-2026-11-24) combined with ledger records. The ledger records are
 * built by the ledger's own pure functions, or read from the real crm_attribute output captured in
 * pacemaker-host-2026-11-24 (node1 ran RAID1, node2's member was dropped at events 26). A, B = node1, node2.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { parseLedgerRecord, recordOverride, pendingOverride, recordStart, recordCleanStop, recordMemberChange, type LedgerRecord } from "../ledger/record.js";
import type { LedgerView } from "../ledger/store.js";
import { decideStart, type Candidate, type StartEvidence } from "./decision.js";
// Short names: these tests combine many captured members per line.
import { absentMember as absent, capturedMember as member, capturedSuperblock as sb, RAID1_UUID as RAID1, RAID5_UUID as RAID5, spikeByPath as byPath, spikeTarget as T } from "./test-support.js";
import { decideReadd } from "./readd.js";

const quorate = (record: LedgerRecord | undefined): LedgerView => ({ kind: "quorate", record, source: "test" });
const NO_QUORUM: LedgerView = { kind: "unavailable", reason: "this node's partition has no quorum: its copy of the CIB may be stale", source: "test" };
const ev = (uuid: string, node: string, candidates: Candidate[], more: Partial<StartEvidence> = {}): StartEvidence => ({ uuid, node, candidates, ...more });

/** node1's member (slot 0) and node2's member (slot 1) of the RAID1, as the superblocks name them. */
const A = { slot: 0, dev: sb("raid1-healthy", "sdc").devUuid };
const B = { slot: 1, dev: sb("raid1-healthy", "sdb").devUuid };
/** The real CIB value: started on node1 with A and B at 19, then B dropped at 26 (crm_attribute --query --quiet). */
function cibRecord(): LedgerRecord {
  const r = parseLedgerRecord(readFileSync(fixture("pacemaker-host-2026-11-24", "crm_attribute-query-quiet.txt"), "utf8").trim());
  if (!r.ok) throw new Error(r.error);
  return r.record;
}
const startedOnA = recordStart(undefined, { uuid: RAID1, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 19, inSync: [A, B] });

describe("row 1: A active and power-killed, B stays in the quorate cluster", () => {
  // B's member as it was while the array ran on A (events 19, Array State AA).
  const cands = () => [absent(1), member(2, "raid1-healthy", "sdb")];

  it("B starts degraded: the quorate ledger shows B's member in sync at the last record", () => {
    const d = decideStart(ev(RAID1, "node2", cands(), { ledger: quorate(startedOnA) }), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, force: false, degraded: true, members: [byPath(2)] });
    expect(d.verdict === "assemble" && d.usedOverride).toBeUndefined();
  });

  it("without the ledger (no quorum) the same superblock is refused", () => {
    const d = decideStart(ev(RAID1, "node2", cands(), { ledger: NO_QUORUM }), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
  });

  it("a quorate ledger with no record of the array proves nothing", () => {
    const d = decideStart(ev(RAID1, "node2", cands(), { ledger: quorate(undefined) }), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
    expect(d.reason).toMatch(/ledger has no record/);
  });

  it("a present member behind the ledger's generation (restored from an old copy?) proves nothing", () => {
    const later = recordStart(undefined, { uuid: RAID1, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 30, inSync: [A, B] });
    const d = decideStart(ev(RAID1, "node2", cands(), { ledger: quorate(later) }), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
  });

  it("degraded=refuse still refuses", () => {
    expect(decideStart(ev(RAID1, "node2", cands(), { ledger: quorate(startedOnA) }), "refuse")).toMatchObject({ verdict: "refuse", code: "policy-refuses-degraded" });
  });
});

describe("row 2: B down, A ran alone and wrote, A down, B boots alone", () => {
  const cands = () => [absent(1), member(2, "raid1-healthy", "sdb")];

  it("B alone has no quorum: refused, naming A's member as likely newer and the override command", () => {
    const d = decideStart(ev(RAID1, "node2", cands(), { ledger: NO_QUORUM }), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
    expect(d.reason).toContain(`slot 0 (${T(1)})`);
    expect(d.reason).toContain('pmsapp override start --array 1e618de3:71fb3487:b1b62896:ad659dc6 --from node2 --reason "..."');
    expect(d.reason).toMatch(/no quorum/);
  });

  it("B quorate (e.g. with a third node) and the CIB ledger says B was dropped at 26 while A ran on: refused, naming A", () => {
    const d = decideStart(ev(RAID1, "node2", cands(), { ledger: quorate(cibRecord()) }), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "ledger-says-stale" });
    expect(d.reason).toContain(`likely newer member is slot 0 (${T(1)})`);
    expect(d.reason).toContain("--from node2");
  });

  it("even degraded=force does not pass the ledger's verdict; only an override does", () => {
    expect(decideStart(ev(RAID1, "node2", cands(), { ledger: quorate(cibRecord()) }), "force")).toMatchObject({ verdict: "refuse", code: "ledger-says-stale" });
    const withOverride = recordOverride(cibRecord(), { uuid: RAID1, by: "root@node2", from: "node2", reason: "node1's disk burnt", time: "2026-11-24T19:00:00.000Z", writer: "node2" });
    const d = decideStart(ev(RAID1, "node2", cands(), { ledger: quorate(withOverride), override: pendingOverride(withOverride, "node2") }), "safe");
    expect(d).toMatchObject({ verdict: "assemble", degraded: true, usedOverride: { by: "root@node2", overridesGen: 26 } });
    expect(d.verdict === "assemble" && d.warnings.join(" ")).toMatch(/OVERRIDE by root@node2 .*node1's disk burnt.*overriding ledger events 26/);
  });
});

describe("row 3: both stopped cleanly, only A boots", () => {
  const cands = () => [member(1, "raid1-stopped-examine", "sda"), absent(2)];

  it("A alone is refused until B is back, naming B and the override", () => {
    const d = decideStart(ev(RAID1, "node1", cands(), { ledger: NO_QUORUM }), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
    expect(d.reason).toContain(`slot 1 (${T(2)})`);
    expect(d.reason).toContain("--from node1");
  });

  it("B back: both present, a normal assembly", () => {
    const d = decideStart(ev(RAID1, "node1", [member(1, "raid1-stopped-examine", "sda"), member(2, "raid1-stopped-examine", "sdb")], { ledger: NO_QUORUM }), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: false, degraded: false });
  });

  it("or overridden: starts degraded once, loudly", () => {
    const o = recordOverride(undefined, { uuid: RAID1, by: "admin", from: "node1", reason: "node2 is gone for repairs", time: "2026-11-24T19:00:00.000Z", writer: "node1" });
    const d = decideStart(ev(RAID1, "node1", cands(), { ledger: NO_QUORUM, override: pendingOverride(o, "node1") }), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, degraded: true, usedOverride: { from: "node1" } });
  });

  it("an override for another node does not apply here", () => {
    const o = recordOverride(undefined, { uuid: RAID1, by: "admin", from: "node2", reason: "x", time: "2026-11-24T19:00:00.000Z", writer: "node1" });
    expect(pendingOverride(o, "node1")).toBeUndefined();
  });

  it("in a quorate 3-node cluster a clean-stop record with both in sync at 35 lets A start degraded", () => {
    const stopped = recordCleanStop(startedOnA, { uuid: RAID1, node: "node1", time: "2026-11-24T18:30:00.000Z", gen: 35, inSync: [A, B] });
    expect(decideStart(ev(RAID1, "node1", cands(), { ledger: quorate(stopped) }), "safe")).toMatchObject({ verdict: "assemble", degraded: true });
  });
});

describe("row 4: (2), then A comes back", () => {
  it("the array starts from A; B's older member is left out", () => {
    const d = decideStart(ev(RAID1, "node1", [member(1, "raid1-member-faulty", "sdc"), member(2, "raid1-healthy", "sdb")], { ledger: quorate(cibRecord()) }), "safe");
    expect(d).toMatchObject({ verdict: "assemble", degraded: true, members: [byPath(1)] });
    expect(d.verdicts.find((v) => v.target === T(2))).toMatchObject({ status: "stale", events: 19 });
  });

  it("B's member, which never ran (events 19 <= drop at 26, still sees A active), is a strict prefix: bitmap re-add", () => {
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-healthy", "sdb"), ledger: cibRecord() });
    expect(r).toMatchObject({ verdict: "re-add", command: ["/dev/md0", "--re-add", byPath(2)] });
  });

  it("B's member after an overridden start on B (ledger start log: B without A): never re-added, the operator is told what to run", () => {
    const soloOnB = recordStart(cibRecord(), { uuid: RAID1, node: "node2", time: "2026-11-24T19:10:00.000Z", gen: 19, inSync: [B] });
    const backOnA = { ...soloOnB, failed: [{ slot: 1, dev: B.dev, events: 26 }] };
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 27, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-healthy", "sdb"), ledger: backOnA });
    expect(r).toMatchObject({ verdict: "operator", code: "diverged" });
    expect(r.verdict === "operator" && r.commands).toEqual([
      ["mdadm", "--zero-superblock", byPath(2)],
      ["mdadm", "/dev/md0", "--add", byPath(2)],
    ]);
    expect(r.reason).toMatch(/start on node2 .* without the running members.*Save what you need/);
  });

  // No capture of a member that ran alone exists yet (lab scenario); derived: ONE field, Array State, changed.
  it("derived: B's own superblock says it ran without A ('.A'): diverged, not re-added", () => {
    const ranAlone = { ...sb("raid1-healthy", "sdb"), arraySlots: ".A" };
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: ranAlone, ledger: cibRecord() });
    expect(r).toMatchObject({ verdict: "operator", code: "diverged" });
  });

  it("derived: both present and each ran without the other ('A.' at 26, '.A' at 19): start refuses as diverged", () => {
    const ranAlone = { ...sb("raid1-healthy", "sdb"), arraySlots: ".A" };
    const d = decideStart(ev(RAID1, "node1", [member(1, "raid1-member-faulty", "sdc"), { target: T(2), device: byPath(2), superblock: ranAlone }]), "force");
    expect(d).toMatchObject({ verdict: "refuse", code: "diverged" });
    expect(d.reason).toMatch(/never re-added automatically/);
  });
});

describe("row 1 repeated: failovers alternating between A and B (the lab's 2-node soak)", () => {
  // The ledger as the agents write it: A and B started on node1; node1 killed, node2 started degraded
  // from B (A dropped at 6); A re-added on node2 and back in sync (a rejoin); node2 killed, node1
  // started degraded from A (B dropped at 19). B returns with its own count 19 and both slots active.
  const t = (m: number) => `2026-11-25T03:${String(m).padStart(2, "0")}:00.000Z`;
  const onA = recordStart(undefined, { uuid: RAID1, node: "node1", time: t(20), gen: 3, inSync: [A, B] });
  const onB = recordStart(onA, { uuid: RAID1, node: "node2", time: t(25), gen: 5, inSync: [B] });
  const aBack = recordMemberChange(onB, { uuid: RAID1, node: "node2", time: t(28), gen: 9, inSync: [A, B] });
  const onAagain = recordStart(aBack, { uuid: RAID1, node: "node1", time: t(34), gen: 18, inSync: [A] });

  it("the re-add that brought A back into B's array is kept as a common point (rejoin)", () => {
    expect(onB.failed).toEqual([{ ...A, events: 6 }]);
    expect(aBack.starts.map((s) => `${s.node}:${s.kind ?? "start"}:${s.devs.length}`)).toEqual(["node1:start:2", "node2:start:1", "node2:rejoin:2"]);
    expect(onAagain.failed).toEqual([{ ...B, events: 19 }]);
    // A member change that only loses a member is no common point.
    expect(recordMemberChange(aBack, { uuid: RAID1, node: "node2", time: t(30), gen: 12, inSync: [B] }).starts).toHaveLength(3);
  });

  it("B's member, dropped at 19 and never written since, is re-added from the bitmap although B once started without A", () => {
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-healthy", "sdb"), ledger: onAagain });
    expect(r).toMatchObject({ verdict: "re-add", command: ["/dev/md0", "--re-add", byPath(2)] });
  });

  it("without the rejoin (a ledger that kept only starts) the same member would be refused as diverged", () => {
    const startsOnly = { ...onAagain, starts: onAagain.starts.filter((s) => s.kind !== "rejoin") };
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-healthy", "sdb"), ledger: startsOnly });
    expect(r).toMatchObject({ verdict: "operator", code: "diverged" });
    expect(r.reason).toMatch(/start on node2 .* without the running members/);
  });

  it("a start on B alone after the rejoin still makes B's member diverged", () => {
    const soloAfter = recordStart(aBack, { uuid: RAID1, node: "node2", time: t(31), gen: 14, inSync: [B] });
    const back = { ...recordStart(soloAfter, { uuid: RAID1, node: "node1", time: t(34), gen: 18, inSync: [A] }), failed: [{ ...B, events: 19 }] };
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-healthy", "sdb"), ledger: back });
    expect(r).toMatchObject({ verdict: "operator", code: "diverged" });
  });
});

describe("row 5: iSCSI partition between A (active) and B's target, then healed", () => {
  it("B's member came back behind the array and the ledger dropped it at 26: re-added from the bitmap", () => {
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-healthy", "sdb"), ledger: cibRecord() });
    expect(r.verdict).toBe("re-add");
  });

  it("no ledger record of the drop: nothing automatic, the reason says why", () => {
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-healthy", "sdb"), ledger: undefined });
    expect(r).toMatchObject({ verdict: "operator", code: "unproven" });
    expect(startedOnA.failed).toEqual([]);
    expect(decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-healthy", "sdb"), ledger: startedOnA })).toMatchObject({ verdict: "operator", code: "unproven" });
  });

  it("a member whose count is not below the array's (35 vs 26) is not behind: diverged", () => {
    const r = decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid1-stopped-examine", "sdb"), ledger: cibRecord() });
    expect(r).toMatchObject({ verdict: "operator", code: "diverged" });
  });

  it("an in-sync member or another array's disk is ignored", () => {
    expect(decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(1), superblock: sb("raid1-member-faulty", "sdc"), ledger: cibRecord() }).verdict).toBe("ignore");
    expect(decideReadd({ uuid: RAID1, mdDevice: "/dev/md0", arrayEvents: 26, running: [{ slot: 0, devUuid: A.dev }], device: byPath(2), superblock: sb("raid5-healthy", "sdc"), ledger: cibRecord() }).verdict).toBe("ignore");
  });
});

describe("3-node RAID5", () => {
  const d5 = (dev: string) => sb("raid5-healthy", dev);
  // node1 = slot 0 (sda), node2 = slot 1 (sdc), node3 = slot 2 (sdb)
  const all5 = recordStart(undefined, { uuid: RAID5, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 1, inSync: [{ slot: 0, dev: d5("sda").devUuid }, { slot: 1, dev: d5("sdc").devUuid }, { slot: 2, dev: d5("sdb").devUuid }] });

  it("two of three up with a majority, the ledger shows their members current: degraded start, no --force", () => {
    const d = decideStart(ev(RAID5, "node1", [member(1, "raid5-healthy", "sda"), member(2, "raid5-healthy", "sdc"), absent(3)], { ledger: quorate(all5) }), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, force: false, degraded: true, members: [byPath(1), byPath(2)] });
  });

  it("the same two without quorum: refused", () => {
    expect(decideStart(ev(RAID5, "node1", [member(1, "raid5-healthy", "sda"), member(2, "raid5-healthy", "sdc"), absent(3)], { ledger: NO_QUORUM }), "safe")).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
  });

  it("dirty + degraded after the active node's crash: refused under safe even with the ledger and an override", () => {
    const cands = [absent(1), member(2, "raid5-dirty-degraded", "sda"), member(3, "raid5-dirty-degraded", "sdb")];
    const dirtyLedger = recordStart(undefined, { uuid: RAID5, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 2, inSync: [{ slot: 0, dev: sb("raid5-dirty-degraded", "vdb").devUuid }, { slot: 1, dev: sb("raid5-dirty-degraded", "sda").devUuid }, { slot: 2, dev: sb("raid5-dirty-degraded", "sdb").devUuid }] });
    const o = pendingOverride(recordOverride(dirtyLedger, { uuid: RAID5, by: "admin", from: "node2", reason: "x", time: "2026-11-24T19:00:00.000Z", writer: "node2" }), "node2");
    expect(decideStart(ev(RAID5, "node2", cands, { ledger: quorate(dirtyLedger), ...(o ? { override: o } : {}) }), "safe")).toMatchObject({ verdict: "refuse", code: "dirty-degraded" });
    const forced = decideStart(ev(RAID5, "node2", cands, { ledger: quorate(dirtyLedger) }), "force");
    expect(forced).toMatchObject({ verdict: "assemble", run: true, force: true });
    expect(forced.verdict === "assemble" && forced.warnings.join(" ")).toMatch(/FORCED start of a dirty degraded raid5/);
  });
});

describe("rgmanager (no shared ledger)", () => {
  it("row 2 under rgmanager: refused, pointing to degraded=force since no override can be recorded", () => {
    const none: LedgerView = { kind: "unavailable", source: "no shared ledger (rgmanager)", reason: "this cluster manager has no replicated store for the ledger, so no outside evidence exists" };
    const d = decideStart(ev(RAID1, "node2", [absent(1), member(2, "raid1-healthy", "sdb")], { ledger: none, overridePossible: false }), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
    expect(d.reason).toMatch(/degraded=force/);
    expect(d.reason).not.toMatch(/pmsapp override/);
  });
});
