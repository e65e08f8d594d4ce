import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import { fixture } from "../../test/support/fixtures.js";
import { findMdArrayByUuid, isRunning, mdHoldersOf, readAllMdArrays, readMdArray } from "./array-state.js";
import { canonicalUuid, mdadmUuid } from "./uuid.js";

const spike = (state: string) => captureHostFs(fixture("spike-2026-11-24", state));
const UUID = "1e618de371fb3487b1b62896ad659dc6";

describe("canonicalUuid", () => {
  it("accepts mdadm's and sysfs's spellings and rejects zeros and junk", () => {
    expect(canonicalUuid("1e618de3:71fb3487:b1b62896:ad659dc6")).toBe(UUID);
    expect(canonicalUuid("1e618de3-71fb-3487-b1b6-2896ad659dc6")).toBe(UUID);
    expect(canonicalUuid("00000000-0000-0000-0000-000000000000")).toBeUndefined();
    expect(canonicalUuid("1e618de3;reboot")).toBeUndefined();
    expect(mdadmUuid(UUID)).toBe("1e618de3:71fb3487:b1b62896:ad659dc6");
  });
});

describe("readMdArray on captured states", () => {
  it("healthy RAID1: clean, both members in sync", () => {
    const a = readMdArray(spike("raid1-healthy"), "md127");
    expect(a).toMatchObject({ uuid: UUID, arrayState: "clean", level: "raid1", raidDisks: 2, degraded: 0, syncAction: "idle" });
    expect(a?.syncProgress).toBeUndefined();
    expect(a?.members.map((m) => [m.name, m.slot, m.flags])).toEqual([
      ["sdc", 0, ["in_sync"]],
      ["sdb", 1, ["in_sync"]],
    ]);
    expect(a && isRunning(a)).toBe(true);
  });

  it("resyncing: progress from sync_completed", () => {
    const a = readMdArray(spike("raid1-resyncing"), "md127");
    expect(a).toMatchObject({ syncAction: "resync", degraded: 0, syncProgress: { done: 0, total: 522240 } });
  });

  it("member faulty: degraded 1, faulty member has no slot", () => {
    const a = readMdArray(spike("raid1-member-faulty"), "md127");
    expect(a?.degraded).toBe(1);
    expect(a?.members.find((m) => m.name === "sdb")).toMatchObject({ slot: null, flags: ["faulty"] });
  });

  it("recovering: spare member with recovery_start, sync_action recover", () => {
    const a = readMdArray(spike("raid1-recovering"), "md127");
    expect(a).toMatchObject({ syncAction: "recover", degraded: 1, syncProgress: { done: 55296, total: 522240 } });
    expect(a?.members.find((m) => m.name === "sdb")).toMatchObject({ slot: 1, flags: ["spare"], recoveryStart: 55296 });
  });

  it("RAID5 healthy: three members in slot order", () => {
    const a = readMdArray(spike("raid5-healthy"), "md127");
    expect(a?.level).toBe("raid5");
    expect(a?.members.map((m) => m.slot)).toEqual([0, 1, 2]);
  });

  it("auto-assembled at boot: inactive, no UUID in sysfs, holds the backing disk", () => {
    const fs = spike("boot-autoassembled");
    const a = readMdArray(fs, "md127");
    expect(a).toMatchObject({ arrayState: "inactive", uuid: undefined, level: undefined, degraded: undefined });
    expect(a?.members.map((m) => [m.name, m.flags])).toEqual([["vdb", ["spare"]]]);
    expect(a && isRunning(a)).toBe(false);
    expect(mdHoldersOf(fs, "/dev/vdb")).toEqual(["md127"]);
    expect(mdHoldersOf(fs, "vda")).toEqual([]);
  });

  it("stopped array: nothing to read, nothing found by UUID", () => {
    const fs = spike("raid1-stopped-examine");
    expect(readAllMdArrays(fs)).toEqual([]);
    expect(findMdArrayByUuid(fs, UUID)).toBeUndefined();
    expect(findMdArrayByUuid(spike("raid1-healthy"), "1e618de3:71fb3487:b1b62896:ad659dc6")?.name).toBe("md127");
  });
});
