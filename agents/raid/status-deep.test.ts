import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import { FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { validateParams, type RaidParams } from "./params.js";
import { deepStatus } from "./status-deep.js";
import { EMPTY_HOST, testContext } from "./test-support.js";

const host = (state: string) => captureHostFs(fixture("spike-2026-11-24", state));
const IQN1 = "iqn.2024-01.lab.pmslab:node1.data";
const IQN2 = "iqn.2024-01.lab.pmslab:node2.data";
const IQN3 = "iqn.2024-01.lab.pmslab:node3.data";

function params(targets = `${IQN1}@10.99.0.11 ${IQN2}@10.99.0.12`): RaidParams {
  const r = validateParams({ uuid: "1e618de3:71fb3487:b1b62896:ad659dc6", targets, md_device: "/dev/md127" });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.params;
}

describe("status depth 10", () => {
  it("healthy RAID1 with both sessions logged in: 0, nothing reported, no command run", async () => {
    const r = new FakeRunner();
    const ctx = testContext(params(), r, host("raid1-healthy"));
    const out = await deepStatus(ctx, 10);
    expect(out).toMatchObject({ rc: 0 });
    expect(out.reason).not.toMatch(/degraded/);
    expect(ctx.reporter.decisions).toEqual([]);
    expect(r.calls).toEqual([]);
  });

  it("member faulty and its session FREE: still serving, so 0, but degraded is reported with each problem", async () => {
    const ctx = testContext(params(), new FakeRunner(), host("raid1-member-faulty"));
    const out = await deepStatus(ctx, 10);
    expect(out.rc).toBe(0);
    expect(ctx.reporter.decisions).toHaveLength(1);
    expect(ctx.reporter.decisions[0]?.decision).toBe("degraded");
    const problems = ctx.reporter.decisions[0]?.details?.problems as string[];
    expect(problems).toEqual(expect.arrayContaining(["degraded: 1 of 2 devices missing", "member sdb is faulty", `session session2 of ${IQN2}@10.99.0.12 is FREE`]));
  });

  it("rebuilding member: reported with the recovery progress", async () => {
    const ctx = testContext(params(), new FakeRunner(), host("raid1-recovering"));
    const out = await deepStatus(ctx, 10);
    expect(out.rc).toBe(0);
    expect(out.reason).toMatch(/member sdb is spare \(recover \d+%\)/);
  });

  it("a member that is not a disk of a configured target's session is reported", async () => {
    // configured with node1 and node3: the array's sdb (node2's LUN) is nobody's we know
    const ctx = testContext(params(`${IQN1}@10.99.0.11 ${IQN3}@10.99.0.13`), new FakeRunner(), host("raid1-healthy"));
    const out = await deepStatus(ctx, 10);
    expect(out.rc).toBe(0);
    expect(out.reason).toMatch(/member sdb is not a disk of a configured target's session/);
  });

  it("not running: 7 from the depth-0 check", async () => {
    expect((await deepStatus(testContext(params(), new FakeRunner(), EMPTY_HOST), 10)).rc).toBe(7);
  });
});

describe("status depth 20", () => {
  it("one block read from the md device by dd, under the deadline", async () => {
    const r = new FakeRunner();
    r.answer(["dd"], { exitCode: 0 });
    const out = await deepStatus(testContext(params(), r, host("raid1-healthy"), 9_000), 20);
    expect(out.rc).toBe(0);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]?.argv.slice(0, 5)).toEqual(["dd", "if=/dev/md127", "of=/dev/null", "bs=4096", "count=1"]);
    expect(r.calls[0]?.argv.some((a) => a.includes("direct"))).toBe(false);
    expect(r.calls[0]?.options.timeoutMs).toBeLessThanOrEqual(9_000);
  });

  it("a read error or a read that outlives the deadline fails the check", async () => {
    const failing = new FakeRunner().answer(["dd"], { exitCode: 1, stderr: "dd: error reading '/dev/md127': Input/output error\n" });
    const out = await deepStatus(testContext(params(), failing, host("raid1-healthy")), 20);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/Input\/output error/);
    const hung = new FakeRunner().on({ prefix: ["dd"], answer: { exitCode: 0 }, takesMs: 60_000 });
    const slow = await deepStatus(testContext(params(), hung, host("raid1-healthy"), 5_000), 20);
    expect(slow.rc).toBe(1);
    expect(slow.reason).toMatch(/deadline/);
  });
});
