/**
 * validate-all's layout step and status's layout report, on real captured hosts and mdadm --examine
 * outputs (spike-2026-11-24): a RAID1 of 2 and a RAID5 of 3, both with an internal bitmap.
 */
import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import type { HostFs } from "../system/host-fs.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { validateParams, type RaidParams } from "./params.js";
import { seeLayout, validateLayout } from "./layout-check.js";
import { deepStatus } from "./status-deep.js";
import { EMPTY_HOST, spikeByPath, testContext } from "./test-support.js";

const dir = (state: string) => fixture("spike-2026-11-24", state);
const T = (n: number) => `iqn.2024-01.lab.pmslab:node${n}.data@10.99.0.1${n}`;

function params(uuid: string, targets: string, degraded = "safe", md = "/dev/md127"): RaidParams {
  const r = validateParams({ uuid, targets, degraded, md_device: md });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.params;
}
const RAID5 = (degraded = "safe") => params("fe26dedf:8930648b:a5a71d3f:48409ac0", `${T(1)} ${T(2)} ${T(3)}`, degraded, "/dev/md/other");
const RAID1 = (degraded = "safe") => params("1e618de3:71fb3487:b1b62896:ad659dc6", `${T(1)} ${T(2)}`, degraded, "/dev/md/other");

/** The examine of node N's LUN answered from the capture of the disk its by-path link names there. */
function examines(state: string, disks: Record<number, string>): FakeRunner {
  const r = new FakeRunner();
  for (const [n, disk] of Object.entries(disks)) r.on({ prefix: ["mdadm", "--examine", spikeByPath(Number(n))], answer: capturedResult(dir(state), `mdadm--examine--${disk}`) });
  return r;
}

describe("validate-all: the layout", () => {
  it("RAID5 with a bitmap (the guide's 3-node layout) is refused with exit 6 under degraded=safe, with the reason and the way out", async () => {
    const runner = examines("raid5-healthy", { 1: "sda" });
    const out = await validateLayout(testContext(RAID5(), runner, captureHostFs(dir("raid5-healthy"))));
    expect(out.rc).toBe(6);
    expect(out.reason).toMatch(/^layout refused \(superblock of .*node1\.data-lun-1\): raid5 of 3 with consistency policy bitmap: not supported with degraded=safe: .*--force.*write hole.*raid5-ppl/);
    expect(runner.calls.map((c) => c.argv.slice(0, 2))).toEqual([["mdadm", "--examine"]]);
  });

  it("the same RAID5 passes under degraded=force, saying what the operator accepted", async () => {
    const out = await validateLayout(testContext(RAID5("force"), examines("raid5-healthy", { 1: "sda" }), captureHostFs(dir("raid5-healthy"))));
    expect(out).toMatchObject({ rc: 0, reason: expect.stringContaining("degraded=force accepts the write hole") });
  });

  it("a RAID1 passes", async () => {
    const out = await validateLayout(testContext(RAID1(), examines("raid1-stopped-examine", { 1: "sda" }), captureHostFs(dir("raid1-stopped-examine"))));
    expect(out).toMatchObject({ rc: 0, reason: expect.stringMatching(/^layout raid1 \(superblock of .*\): raid1 of 2 with consistency policy bitmap: supported/) });
  });

  it("a superblock of another array says nothing about this one", async () => {
    const other = params("1e618de3:71fb3487:b1b62896:ad659dc7", `${T(1)} ${T(2)}`);
    const seen = await seeLayout(testContext(other, examines("raid1-stopped-examine", { 1: "sda", 2: "sdb" }), captureHostFs(dir("raid1-stopped-examine"))));
    expect(seen.from).toBeUndefined();
  });

  it("a passive node that sees no member passes without running anything", async () => {
    const runner = new FakeRunner();
    const out = await validateLayout(testContext(RAID5(), runner, EMPTY_HOST));
    expect(out).toMatchObject({ rc: 0, reason: expect.stringContaining("layout not checked here") });
    expect(runner.calls).toEqual([]);
  });
});

describe("status depth 10 reports the layout of the running array", () => {
  // The spike's sysfs copies predate md/consistency_policy in the capture list; its value is what
  // `mdadm --detail` of the same array printed in the same capture ("Consistency Policy : bitmap").
  const withPolicy = (fs: HostFs, policy: string): HostFs => ({ ...fs, readText: (p) => (p === "/sys/block/md127/md/consistency_policy" ? policy : fs.readText(p)) });
  it("level, members and consistency policy are in the outcome pmsappd streams", async () => {
    const fs = withPolicy(captureHostFs(dir("raid1-healthy")), "bitmap");
    const out = await deepStatus(testContext(params("1e618de3:71fb3487:b1b62896:ad659dc6", `${T(1)} ${T(2)}`), new FakeRunner(), fs), 10);
    expect(out).toMatchObject({ rc: 0, reason: expect.stringContaining("layout raid1 of 2 with consistency policy bitmap") });
  });
});
