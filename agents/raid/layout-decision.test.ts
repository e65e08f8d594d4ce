/**
 * The start decision and the array's consistency policy (issue 9). The dirty degraded RAID5 superblocks
 * are the real ones of spike-2026-11-24/raid5-dirty-degraded (node1, the active node and a member holder,
 * power-killed during writes; Feature Map 0x1 = bitmap). The PPL case sets the superblock's PPL feature
 * bit (0x400) on those same superblocks: md writes it for --consistency-policy=ppl, and with it the kernel
 * starts the dirty degraded array itself ("starting dirty degraded array with PPL") without --force.
 */
import { describe, expect, it } from "vitest";
import { decideStart, type Candidate } from "./decision.js";
import { absentMember, capturedMember, RAID5_UUID } from "./test-support.js";

const dirty = (n: number, disk: string): Candidate => capturedMember(n, "raid5-dirty-degraded", disk);
const withPpl = (c: Candidate): Candidate => (c.superblock ? { ...c, superblock: { ...c.superblock, featureMap: 0x400 } } : c);
const outside = [{ source: "test-ledger", slot: 0, events: 1 }];

describe("dirty degraded RAID5 after the active node's crash", () => {
  it("the captured superblocks carry the bitmap feature, and that layout is refused without force", () => {
    const cands = [absentMember(1), dirty(2, "sda"), dirty(3, "sdb")];
    expect(cands[1]?.superblock?.featureMap).toBe(0x1);
    expect(decideStart({ uuid: RAID5_UUID, candidates: cands, external: outside }, "safe")).toMatchObject({ verdict: "refuse", code: "dirty-degraded" });
  });

  it("with a partial parity log it starts degraded with --run and without --force under degraded=safe", () => {
    const cands = [absentMember(1), withPpl(dirty(2, "sda")), withPpl(dirty(3, "sdb"))];
    const d = decideStart({ uuid: RAID5_UUID, candidates: cands, external: outside }, "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, force: false, degraded: true });
    expect(d.verdict === "assemble" && d.warnings).toEqual([]);
  });

  it("PPL does not bypass the freshness rule: without outside evidence the missing member may be newer", () => {
    const cands = [absentMember(1), withPpl(dirty(2, "sda")), withPpl(dirty(3, "sdb"))];
    expect(decideStart({ uuid: RAID5_UUID, candidates: cands }, "safe")).toMatchObject({ verdict: "refuse", code: "freshness-unproven" });
  });
});
