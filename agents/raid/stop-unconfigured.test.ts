import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { captureHostFs } from "../system/capture-fs.js";
import { OCF } from "../ocf/exit-codes.js";
import { stopWithUnusableConfiguration } from "./stop-unconfigured.js";
import { EMPTY_HOST } from "./test-support.js";

const spike = (name: string) => captureHostFs(fixture("spike-2026-11-24", name));
const RAID1_UUID = "1e618de3:71fb3487:b1b62896:ad659dc6";
const PROBLEMS = ["parameter targets (OCF_RESKEY_targets): portal \"10.99.0.11;rm\" is not an IPv4 address"];

describe("stop with an unusable configuration", () => {
  it("an array on iSCSI disks runs here: 6, whether or not the uuid is readable (it could be ours)", () => {
    for (const capture of ["raid1-healthy", "raid1-member-faulty", "raid1-recovering", "raid5-healthy"]) {
      for (const uuid of [undefined, "$(id)", "00000000:00000000:00000000:00000001"]) {
        const r = stopWithUnusableConfiguration(spike(capture), PROBLEMS, uuid);
        expect(r.rc, `${capture} uuid ${uuid}`).toBe(OCF.ERR_CONFIGURED);
        expect(r.reason).toMatch(/\/dev\/md127 \(\S+, members sd/);
        expect(r.reason).toContain("could let the cluster assemble it on a second node");
      }
    }
  });

  it("the configured uuid names the running array: 6", () => {
    const r = stopWithUnusableConfiguration(spike("raid1-healthy"), PROBLEMS, RAID1_UUID);
    expect(r.rc).toBe(OCF.ERR_CONFIGURED);
    expect(r.reason).toContain(PROBLEMS[0]);
  });

  it("sessions but no array (raid1-stopped-examine), or nothing at all: 0, saying the configuration must be fixed", () => {
    for (const fs of [spike("raid1-stopped-examine"), EMPTY_HOST]) {
      const r = stopWithUnusableConfiguration(fs, PROBLEMS, RAID1_UUID);
      expect(r.rc).toBe(OCF.SUCCESS);
      expect(r.reason).toMatch(/no md array with UUID 1e618de3:71fb3487:b1b62896:ad659dc6 and none on an iSCSI disk exists on this node/);
      expect(r.reason).toContain("fix the configuration");
    }
  });

  it("an array on the node's own disk only (boot-autoassembled: md127 inactive on vdb) is not a cluster array: 0", () => {
    const r = stopWithUnusableConfiguration(spike("boot-autoassembled"), PROBLEMS, undefined);
    expect(r.rc).toBe(OCF.SUCCESS);
    expect(r.reason).toMatch(/no md array on an iSCSI disk exists/);
  });
});
