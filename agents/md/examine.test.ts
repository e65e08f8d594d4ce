import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { capturedResult } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { classifyExamineFailure, hasParity, minimumMembers, parseDetailExport, parseExamine, parseExamineExport } from "./examine.js";

const read = (state: string, file: string) => readFileSync(fixture("spike-2026-11-24", state, file), "utf8");

describe("parseExamineExport (mdadm --examine --export)", () => {
  it("healthy RAID1 member: UUID, level, size, events, device UUID", () => {
    const r = parseExamineExport(read("raid1-healthy", "mdadm--examine--export--sdb.txt"));
    expect(r).toEqual({
      ok: true,
      value: { uuid: "1e618de371fb3487b1b62896ad659dc6", level: "raid1", raidDevices: 2, events: 19, devUuid: "f3024cad6985555184d38c0ca806b4b8", name: "pmslab:lab", updateTime: 1795536754 },
    });
  });

  it("the empty output of a disk without superblock is refused, naming what is missing", () => {
    const r = parseExamineExport(read("raid1-healthy", "mdadm--examine--export--sda.txt"));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/missing MD_UUID/);
  });
});

describe("parseExamine (mdadm --examine)", () => {
  it("clean member with its slot and view of the array", () => {
    const r = parseExamine(read("raid1-healthy", "mdadm--examine--sdb.txt"));
    expect(r.ok && r.value).toMatchObject({ level: "raid1", raidDevices: 2, state: "clean", clean: true, events: 19, role: { kind: "active", slot: 1 }, arraySlots: "AA", metadataVersion: "1.2" });
  });

  it("survivor of a member failure: 'A.' records slot 1 missing", () => {
    const r = parseExamine(read("raid1-member-faulty", "mdadm--examine--sdc.txt"));
    expect(r.ok && r.value).toMatchObject({ events: 26, role: { kind: "active", slot: 0 }, arraySlots: "A." });
  });

  it("dirty RAID5 member after a crash: state active, not clean", () => {
    const r = parseExamine(read("raid5-dirty-degraded", "mdadm--examine--sdb.txt"));
    expect(r.ok && r.value).toMatchObject({ level: "raid5", raidDevices: 3, state: "active", clean: false, events: 2, role: { kind: "active", slot: 2 }, arraySlots: "AAA" });
  });

  it("member being rebuilt: recovery offset", () => {
    const r = parseExamine(read("raid1-recovering", "mdadm--examine--sdb.txt"));
    expect(r.ok && r.value.recoveryOffset).toBe(55296);
  });

  it("no superblock: an error value, and the failure is classified from stderr", () => {
    expect(parseExamine(read("raid1-healthy", "mdadm--examine--sda.txt")).ok).toBe(false);
    expect(classifyExamineFailure(capturedResult(fixture("spike-2026-11-24", "raid1-healthy"), "mdadm--examine--sda").stderr)).toBe("no-superblock");
    expect(classifyExamineFailure(capturedResult(fixture("spike-2026-11-24", "raid1-member-faulty"), "mdadm--examine--sdb").stderr)).toBe("cannot-open");
    expect(classifyExamineFailure("mdadm: something else")).toBe("failed");
  });
});

describe("parseDetailExport (mdadm --detail --export)", () => {
  it("running RAID5: members with roles", () => {
    const r = parseDetailExport(read("raid5-healthy", "mdadm--detail--export--md127.txt"));
    expect(r.ok && r.value).toMatchObject({ uuid: "fe26dedf8930648ba5a71d3f48409ac0", level: "raid5", raidDevices: 3 });
    expect(r.ok && r.value.members).toEqual([
      { device: "/dev/sdc", role: 1 },
      { device: "/dev/sda", role: 0 },
      { device: "/dev/sdb", role: 2 },
    ]);
  });

  it("faulty member shows as spare; an inactive auto-assembled array has no level", () => {
    const f = parseDetailExport(read("raid1-member-faulty", "mdadm--detail--export--md127.txt"));
    expect(f.ok && f.value.members).toContainEqual({ device: "/dev/sdb", role: "spare" });
    const b = parseDetailExport(read("boot-autoassembled", "mdadm--detail--export--md127.txt"));
    expect(b.ok && b.value).toMatchObject({ level: undefined, raidDevices: 1, members: [{ device: "/dev/vdb", role: "spare" }] });
  });
});

describe("md start rules", () => {
  it("minimum members per level (mdadm enough())", () => {
    expect(minimumMembers("raid1", 2, true)).toBe(1);
    expect(minimumMembers("raid1", 3, false)).toBe(1);
    expect(minimumMembers("raid5", 3, true)).toBe(2);
    expect(minimumMembers("raid5", 3, false)).toBe(3);
    expect(minimumMembers("raid6", 4, true)).toBe(2);
    expect(minimumMembers("raid6", 4, false)).toBe(4);
    expect(minimumMembers("raid0", 2, true)).toBe(2);
    expect(minimumMembers("raid10", 4, true)).toBe(4);
    expect([hasParity("raid5"), hasParity("raid6"), hasParity("raid4"), hasParity("raid1")]).toEqual([true, true, true, false]);
  });
});
