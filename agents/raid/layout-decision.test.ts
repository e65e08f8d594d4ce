/**
 * The start decision and the array's consistency policy (issue 9). The dirty degraded RAID5 superblocks
 * are the real ones of spike-2026-11-24/raid5-dirty-degraded (node1, the active node and a member holder,
 * power-killed during writes; Feature Map 0x1 = bitmap). The PPL case sets the superblock's PPL feature
 * bit (0x400) on those same superblocks: md writes it for --consistency-policy=ppl, and with it the kernel
 * starts the dirty degraded array itself ("starting dirty degraded array with PPL") without --force.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { judgeLayout, observedFromExamine } from "../layout/layouts.js";
import { parseExamine } from "../md/examine.js";
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

describe("real PPL superblocks of the survivors (lab-layouts/raid5-ppl-dirty-degraded)", () => {
  const real = (lun: string) => {
    const r = parseExamine(readFileSync(fixture("lab-layouts", "raid5-ppl-dirty-degraded", `mdadm--examine--${lun}.txt`), "utf8"));
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const UUID = "25303f77a1c442f7643b5c8d9e1fbb27";
  const lun = (n: number) => `/dev/disk/by-path/ip-10.99.1.1${n}:3260-iscsi-iqn.2026-11.lab.pmsapp:node${n}.disk-lun-1`;
  const target = (n: number) => `iqn.2026-11.lab.pmsapp:node${n}.disk@10.99.1.1${n}:3260`;

  it("are dirty, carry the multiple-PPL feature bit, and start degraded without --force", () => {
    const sb2 = real("node2-lun");
    expect(sb2).toMatchObject({ state: "active", clean: false, featureMap: 0x800, level: "raid5", arraySlots: "AAA" });
    const cands: Candidate[] = [{ target: target(1), problem: "login-failed" }, { target: target(2), device: lun(2), superblock: sb2 }, { target: target(3), device: lun(3), superblock: real("node3-lun") }];
    const d = decideStart({ uuid: UUID, candidates: cands, external: outside }, "safe");
    expect(d).toMatchObject({ verdict: "assemble", run: true, force: false, degraded: true, members: [lun(2), lun(3)] });
  });

  it("the layout module reads them as raid5 with PPL, which the agent supports", () => {
    const text = readFileSync(fixture("lab-layouts", "raid5-ppl-dirty-degraded", "mdadm--examine--node3-lun.txt"), "utf8");
    expect(observedFromExamine(text)).toEqual({ level: "raid5", raidDevices: 3, policy: "ppl" });
    expect(judgeLayout(observedFromExamine(text)!, "safe")).toMatchObject({ ok: true, layout: { name: "raid5-ppl" } });
  });
});
