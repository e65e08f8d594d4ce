import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { bitmapChunkBytes, createArgv, MIB, mdadmSize } from "./create-argv.js";
import { closesWriteHole, judgeLayout, LAYOUTS, observedFromExamine, observedFromSysfs, policyFromFeatureMap } from "./layouts.js";

const examine = (...p: string[]) => readFileSync(fixture(...p), "utf8");

describe("recognising a layout", () => {
  it("reads level, devices and policy from real mdadm --examine output", () => {
    expect(observedFromExamine(examine("lab", "healthy", "mdadm--examine--sdb.txt"))).toEqual({ level: "raid1", raidDevices: 2, policy: "bitmap" });
    expect(observedFromExamine(examine("spike-2026-11-24", "raid5-healthy", "mdadm--examine--sda.txt"))).toEqual({ level: "raid5", raidDevices: 3, policy: "bitmap" });
    expect(observedFromExamine(examine("spike-2026-11-24", "raid5-dirty-degraded", "mdadm--examine--sda.txt"))).toEqual({ level: "raid5", raidDevices: 3, policy: "bitmap" });
    expect(observedFromExamine(readFileSync(fixture("lab", "healthy", "mdadm--examine--sdc.stderr"), "utf8"))).toBeUndefined();
  });

  it("maps md's superblock feature bits to the consistency policy", () => {
    expect(policyFromFeatureMap("raid5", 0x400)).toBe("ppl");
    expect(policyFromFeatureMap("raid5", 0x800 | 0x400)).toBe("ppl");
    expect(policyFromFeatureMap("raid5", 0x200)).toBe("journal");
    expect(policyFromFeatureMap("raid1", 0x1 | 0x2)).toBe("bitmap");
    expect(policyFromFeatureMap("raid5", 0x0)).toBe("resync");
    expect(policyFromFeatureMap("raid0", 0x0)).toBe("none");
  });

  it("reads sysfs values; an unknown policy is no answer", () => {
    expect(observedFromSysfs("raid5", 3, "ppl\n")).toEqual({ level: "raid5", raidDevices: 3, policy: "ppl" });
    expect(observedFromSysfs("raid5", 3, "weird")).toBeUndefined();
    expect(observedFromSysfs(undefined, 3, "ppl")).toBeUndefined();
  });
});

describe("judging a layout (issue 9 design decision)", () => {
  it("supports 2- and 3-way RAID1 and RAID5 with PPL under every policy", () => {
    for (const policy of ["refuse", "safe", "force"]) {
      expect(judgeLayout({ level: "raid1", raidDevices: 3, policy: "bitmap" }, policy)).toMatchObject({ ok: true, layout: LAYOUTS.raid1 });
      expect(judgeLayout({ level: "raid5", raidDevices: 3, policy: "ppl" }, policy)).toMatchObject({ ok: true, layout: LAYOUTS["raid5-ppl"] });
    }
    expect(judgeLayout({ level: "raid1", raidDevices: 2, policy: "resync" }, "safe")).toMatchObject({ ok: true, note: expect.stringContaining("rebuilt in full") });
  });

  it("refuses RAID5 without PPL unless degraded=force, with the reason and the way out", () => {
    const v = judgeLayout({ level: "raid5", raidDevices: 3, policy: "bitmap" }, "safe");
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(/dirty and degraded.*--force.*write hole.*raid5-ppl.*degraded=force/);
    expect(judgeLayout({ level: "raid5", raidDevices: 3, policy: "bitmap" }, "force")).toMatchObject({ ok: true, note: expect.stringContaining("degraded=force accepts the write hole") });
    expect(judgeLayout({ level: "raid6", raidDevices: 4, policy: "resync" }, "refuse").ok).toBe(false);
  });

  it("refuses the journal layout, one-member mirrors and levels that survive no node loss", () => {
    expect(judgeLayout({ level: "raid5", raidDevices: 3, policy: "journal" }, "force")).toMatchObject({ ok: false, reason: expect.stringContaining("can read it") });
    expect(judgeLayout({ level: "raid1", raidDevices: 1, policy: "bitmap" }, "safe").ok).toBe(false);
    expect(judgeLayout({ level: "raid0", raidDevices: 3, policy: "none" }, "force")).toMatchObject({ ok: false, reason: expect.stringContaining("not a layout pmsapp runs") });
  });

  it("knows which layouts md starts dirty and degraded without --force", () => {
    expect(closesWriteHole({ level: "raid5", policy: "ppl" })).toBe(true);
    expect(closesWriteHole({ level: "raid1", policy: "bitmap" })).toBe(true);
    expect(closesWriteHole({ level: "raid5", policy: "bitmap" })).toBe(false);
    expect(closesWriteHole({ level: "raid5", policy: "journal" })).toBe(false);
  });
});

describe("mdadm --create argv", () => {
  it("sizes the bitmap chunk to the member (1 MiB for the lab's 256 MiB LUNs, never more than 64 Ki bits)", () => {
    expect(bitmapChunkBytes(256 * MIB)).toBe(MIB);
    expect(bitmapChunkBytes(64 * 1024 * MIB)).toBe(MIB);
    expect(bitmapChunkBytes(64 * 1024 * MIB + 1)).toBe(2 * MIB);
    expect(bitmapChunkBytes(1024 * 1024 * MIB)).toBe(16 * MIB);
    expect(mdadmSize(16 * MIB)).toBe("16M");
    expect(mdadmSize(2048 * MIB)).toBe("2G");
  });

  const members = ["/dev/disk/by-path/a", "/dev/disk/by-path/b", "/dev/disk/by-path/c"];
  const base = { mdDevice: "/dev/md/pmsapp", name: "pmsapp", homehost: "pmsapp", members, memberBytes: 256 * MIB };

  it("3-way RAID1: internal bitmap with the sized chunk, neutral homehost, metadata 1.2", () => {
    expect(createArgv({ ...base, layout: "raid1" })).toEqual([
      "--create", "/dev/md/pmsapp", "--run", "--level=1", "--raid-devices=3", "--metadata=1.2",
      "--bitmap=internal", "--bitmap-chunk=1M", "--homehost=pmsapp", "--name=pmsapp", ...members,
    ]);
  });

  it("RAID5 with PPL: the consistency policy and no bitmap (md refuses both)", () => {
    const argv = createArgv({ ...base, layout: "raid5-ppl" });
    expect(argv).toContain("--consistency-policy=ppl");
    expect(argv.some((a) => a.startsWith("--bitmap"))).toBe(false);
    expect(argv).toContain("--level=5");
  });

  it("RAID5 with a journal names the journal device; without one it is a programming error", () => {
    expect(createArgv({ ...base, layout: "raid5-journal", journal: "/dev/disk/by-path/j" })).toEqual(expect.arrayContaining(["--write-journal", "/dev/disk/by-path/j"]));
    expect(() => createArgv({ ...base, layout: "raid5-journal" })).toThrow(/journal device/);
  });

  it("--assume-clean only when asked", () => {
    expect(createArgv({ ...base, layout: "raid5-bitmap", assumeClean: true })).toContain("--assume-clean");
    expect(createArgv({ ...base, layout: "raid5-bitmap" })).not.toContain("--assume-clean");
  });
});

describe("capacity", () => {
  it("is one member for RAID1 and n-1 members for RAID5", () => {
    expect(LAYOUTS.raid1.capacity(3, 100)).toBe(100);
    expect(LAYOUTS["raid5-ppl"].capacity(3, 100)).toBe(200);
  });
});
