/**
 * Every branch of the start decision, on superblocks captured from real arrays (spike-2026-11-24):
 * combinations of members of the same real array at different moments, exactly as start would see them.
 */
import { describe, expect, it } from "vitest";
import { decideStart, type Candidate, type StartEvidence } from "./decision.js";
// Short names: these tests combine many captured members per line.
import { absentMember as absent, capturedMember as member, capturedSuperblock as sb, RAID1_UUID as RAID1, RAID5_UUID as RAID5, spikeByPath as byPath, spikeTarget as T } from "./test-support.js";

const evidence = (uuid: string, candidates: Candidate[], external?: StartEvidence["external"]): StartEvidence => ({ uuid, candidates, ...(external ? { external } : {}) });

describe("all members present", () => {
  it("healthy RAID1 (events 19/19, AA): assemble without --run, members in slot order", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-healthy", "sdc"), member(2, "raid1-healthy", "sdb")]), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: false, force: false, degraded: false, members: [byPath(1), byPath(2)] });
  });

  it("RAID1 after a clean stop (35/35): assemble without --run even under degraded=refuse", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-stopped-examine", "sda"), member(2, "raid1-stopped-examine", "sdb")]), "refuse");
    expect(d).toMatchObject({ verdict: "assemble", run: false, degraded: false });
  });

  it("healthy RAID5 of 3: targets order need not be slot order; members come out in slot order", () => {
    // node1 = slot 0 (sda), node2 = slot 1 (sdc), node3 = slot 2 (sdb)
    const d = decideStart(evidence(RAID5, [member(1, "raid5-healthy", "sda"), member(3, "raid5-healthy", "sdb"), member(2, "raid5-healthy", "sdc")]), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: false, members: [byPath(1), byPath(2), byPath(3)] });
  });
});

describe("members missing", () => {
  it("the freshest present member recorded the missing one as failed (A., events 26): safe starts degraded with --run", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-member-faulty", "sdc"), absent(2)]), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, force: false, degraded: true, members: [byPath(1)] });
    expect(d.verdict === "assemble" && d.reason).toMatch(/the missing ones hold no writes these lack/);
  });

  it("degraded=refuse never starts degraded, whatever the evidence", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-member-faulty", "sdc"), absent(2)]), "refuse");
    expect(d).toMatchObject({ verdict: "refuse", code: "policy-refuses-degraded" });
    expect(d.reason).toContain(T(2));
  });

  it("the lone member last saw the other active (AA): safe refuses, naming the missing target (issue 8 rows 2 and 3)", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-stopped-examine", "sda"), absent(2)]), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
    expect(d.reason).toMatch(/slot 1 \(iqn\.2024-01\.lab\.pmslab:node2\.data@10\.99\.0\.12:3260\) active/);
  });

  it("same state under degraded=force: starts with --run and says so loudly", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-stopped-examine", "sda"), absent(2)]), "force");
    expect(d).toMatchObject({ verdict: "assemble", run: true, force: false, degraded: true });
    expect(d.verdict === "assemble" && d.warnings.join(" ")).toMatch(/FORCED degraded start/);
  });

  it("outside evidence that the missing slot is not newer (issue 8 seam) lets safe start degraded", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-stopped-examine", "sda"), absent(2)], [{ source: "test-ledger", slot: 1, events: 35 }]), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, degraded: true });
  });

  it("outside evidence that the missing slot is NEWER does not help", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-stopped-examine", "sda"), absent(2)], [{ source: "test-ledger", slot: 1, events: 40 }]), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
  });

  it("clean RAID5 with one member missing and evidence it is behind: n-1 is enough, --run without --force", () => {
    const d = decideStart(
      evidence(RAID5, [member(1, "raid5-healthy", "sda"), member(2, "raid5-healthy", "sdc"), absent(3)], [{ source: "test-ledger", slot: 2, events: 1 }]),
      "safe",
    );
    expect(d).toMatchObject({ verdict: "assemble", run: true, force: false, degraded: true, members: [byPath(1), byPath(2)] });
  });

  it("targets not listed in slot order: a missing slot is never blamed on a target that serves another slot", () => {
    // node1 = slot 0, node3 = slot 2, node2 (slot 1) missing; targets listed node1, node3, node2
    const d = decideStart(evidence(RAID5, [member(1, "raid5-healthy", "sda"), member(3, "raid5-healthy", "sdb"), absent(2)]), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
    expect(d.reason).toMatch(/last saw slot 1 active/);
    expect(d.reason).not.toMatch(/slot 1 \(iqn\.2024-01\.lab\.pmslab:node3/);
  });

  it("dirty degraded RAID5 after the active node crashed: refused under safe even with freshness evidence", () => {
    const cands = [absent(1), member(2, "raid5-dirty-degraded", "sda"), member(3, "raid5-dirty-degraded", "sdb")];
    const d = decideStart(evidence(RAID5, cands, [{ source: "test-ledger", slot: 0, events: 2 }]), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "dirty-degraded" });
    expect(d.reason).toMatch(/raid5 is dirty \(superblock state active\) and degraded/);
  });

  it("dirty degraded RAID5 under force: --run --force, with a loud warning", () => {
    const cands = [absent(1), member(2, "raid5-dirty-degraded", "sda"), member(3, "raid5-dirty-degraded", "sdb")];
    const d = decideStart(evidence(RAID5, cands), "force");
    expect(d).toMatchObject({ verdict: "assemble", run: true, force: true, degraded: true, members: [byPath(2), byPath(3)] });
    expect(d.verdict === "assemble" && d.warnings.join(" ")).toMatch(/FORCED start of a dirty degraded raid5/);
    // The decision's own reason (the journal line, pmsappd's event) says it was forced, not only the warning.
    expect(d.verdict === "assemble" && d.reason).toMatch(/^forced past a dirty degraded raid5 \(degraded=force\): starting degraded without /);
  });

  it("RAID5 with only one of three members: not enough for md, refused even under force", () => {
    const d = decideStart(evidence(RAID5, [absent(1), member(2, "raid5-dirty-degraded", "sda"), absent(3, "login-failed")]), "force");
    expect(d).toMatchObject({ verdict: "refuse", code: "not-enough-members" });
    expect(d.reason).toMatch(/needs 2 current members, only 1 present/);
  });

  it("no member reachable at all: refused", () => {
    const d = decideStart(evidence(RAID1, [absent(1, "login-failed"), absent(2)]), "force");
    expect(d).toMatchObject({ verdict: "refuse", code: "no-members" });
  });
});

describe("members that must not be used", () => {
  it("a stale member (events 19 vs 26) is left out and reported; the freshest recorded its slot failed, so safe starts", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-member-faulty", "sdc"), member(2, "raid1-healthy", "sdb")]), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, degraded: true, members: [byPath(1)] });
    expect(d.verdicts.find((v) => v.target === T(2))).toMatchObject({ status: "stale", events: 19 });
    expect(d.verdict === "assemble" && d.warnings.join(" ")).toMatch(/left out: event count 19 is behind 26/);
  });

  it("a target carrying another array's superblock is rejected, never assembled", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-member-faulty", "sdc"), member(2, "raid5-healthy", "sdc")]), "safe");
    expect(d).toMatchObject({ verdict: "assemble", members: [byPath(1)] });
    expect(d.verdicts.find((v) => v.target === T(2))).toMatchObject({ status: "rejected" });
    expect(d.verdicts.find((v) => v.target === T(2))?.why).toMatch(/carries array fe26dedf/);
  });

  it("a device that is not an iSCSI disk of the target (e.g. the node's own disk) is rejected", () => {
    const d = decideStart(evidence(RAID1, [{ target: T(1), device: "/dev/vdb", problem: "not-iscsi" }, member(2, "raid1-stopped-examine", "sdb")]), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
    expect(d.verdicts[0]).toMatchObject({ status: "rejected" });
  });

  it("the same member reached twice (node1's LUN and node1's own backing disk): refused as duplicate", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-healthy", "sdc"), { target: T(2), device: "/dev/vdb", superblock: sb("raid1-healthy", "vdb") }]), "force");
    expect(d).toMatchObject({ verdict: "refuse", code: "duplicate-member" });
  });

  it("targets that do not match the array's size are a configuration error", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-healthy", "sdc"), member(2, "raid1-healthy", "sdb"), absent(3)]), "safe");
    expect(d).toMatchObject({ verdict: "refuse", code: "inconsistent" });
    expect(d.reason).toMatch(/targets lists 3 members but the superblocks describe a raid1 of 2/);
  });

  // The two cases below cannot be captured from a healthy lab (one UUID, two shapes; two devices in one
  // slot), so they use a real superblock with ONE field changed, named in the test. Nothing else is derived.
  it("members that disagree about level or size (derived: a RAID5 superblock given the RAID1's UUID): refused", () => {
    const d = decideStart(evidence(RAID1, [member(1, "raid1-healthy", "sdc"), { ...member(2, "raid5-healthy", "sdc"), superblock: { ...sb("raid5-healthy", "sdc"), uuid: RAID1 } }]), "force");
    expect(d).toMatchObject({ verdict: "refuse", code: "inconsistent" });
  });

  it("two different devices claiming one slot with current event counts (derived: device UUID changed): refused as diverged", () => {
    const twin = { ...sb("raid1-stopped-examine", "sda"), devUuid: "0123456789abcdef0123456789abcdef" };
    const d = decideStart(evidence(RAID1, [member(1, "raid1-stopped-examine", "sda"), { target: T(2), device: byPath(2), superblock: twin }]), "force");
    expect(d).toMatchObject({ verdict: "refuse", code: "duplicate-member" });
    expect(d.reason).toMatch(/both claim slot 0/);
  });
});

describe("md's one-event margin", () => {
  it("one event behind but recorded as failed by the freshest (derived: node2's events set to 25 against node1's 26 'A.'): stale", () => {
    const behindByOne = { ...sb("raid1-healthy", "sdb"), events: 25 };
    const d = decideStart(evidence(RAID1, [member(1, "raid1-member-faulty", "sdc"), { target: T(2), device: byPath(2), superblock: behindByOne }]), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, degraded: true, members: [byPath(1)] });
    expect(d.verdicts.find((v) => v.target === T(2))?.why).toMatch(/records slot 1 as failed/);
  });

  it("a member one event behind (node1 clean at 1, the others active at 2) is current: all present, no --run", () => {
    const cands = [member(1, "raid5-healthy", "sda"), member(2, "raid5-dirty-degraded", "sda"), member(3, "raid5-dirty-degraded", "sdb")];
    const d = decideStart(evidence(RAID5, cands), "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: false, degraded: false, members: [byPath(1), byPath(2), byPath(3)] });
  });
});
