import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { validateParams, type RaidParams } from "./params.js";
import { mountsOf, stopArray } from "./stop.js";
import { EMPTY_HOST, phasedHost, testContext, withMounts } from "./test-support.js";

const spike = (state: string) => fixture("spike-2026-11-24", state);
const host = (state: string) => captureHostFs(spike(state));
const IQN1 = "iqn.2024-01.lab.pmslab:node1.data";
const IQN2 = "iqn.2024-01.lab.pmslab:node2.data";

function params(over: Record<string, string> = {}): RaidParams {
  const r = validateParams({ uuid: "1e618de3:71fb3487:b1b62896:ad659dc6", targets: `${IQN1}@10.99.0.11 ${IQN2}@10.99.0.12`, md_device: "/dev/md127", ...over });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.params;
}
const isLogout = (a: readonly string[]) => a[0] === "iscsiadm" && a.includes("-u");
const isStop = (a: readonly string[]) => a[0] === "mdadm" && a[1] === "--stop";

describe("stop", () => {
  it("nothing runs and no sessions: 0; logout of each configured record answers 21 (captured), which is success", async () => {
    const r = new FakeRunner();
    r.on({ when: isLogout, answer: capturedResult(spike("login-dead-target/extra"), "iscsiadm-m-node-logout-no-session") });
    const out = await stopArray(testContext(params(), r, EMPTY_HOST));
    expect(out.rc).toBe(0);
    expect(r.callsTo("mdadm")).toEqual([]);
    expect(r.callsTo("iscsiadm")).toEqual([
      ["iscsiadm", "-m", "node", "-T", IQN1, "-p", "10.99.0.11:3260", "-u"],
      ["iscsiadm", "-m", "node", "-T", IQN2, "-p", "10.99.0.12:3260", "-u"],
    ]);
  });

  it("running array: mdadm --stop, then logout of ONLY the configured targets (node3's session is left alone)", async () => {
    const r = new FakeRunner();
    r.answer(["mdadm", "--stop"], { exitCode: 0 });
    r.on({ when: isLogout, answer: capturedResult(spike("login-dead-target"), "iscsiadm-m-node-logout") });
    // after --stop: the captured node with the array stopped but sessions up; after the logouts: nothing
    const fs = phasedHost(r, [{ fs: host("raid1-healthy") }, { after: isStop, fs: host("raid1-stopped-examine") }, { after: isLogout, fs: EMPTY_HOST }]);
    const ctx = testContext(params(), r, fs);
    const out = await stopArray(ctx);
    expect(out.rc).toBe(0);
    expect(out.reason).toMatch(/stopped \/dev\/md127, logged out 2 session/);
    expect(r.calls.map((c) => c.argv.slice(0, 2).concat(c.argv.slice(4, 5)))).toEqual([
      ["mdadm", "--stop"],
      ["iscsiadm", "-m", IQN1],
      ["iscsiadm", "-m", IQN2],
    ]);
    expect(r.callsTo("iscsiadm").some((a) => a.join(" ").includes("node3"))).toBe(false);
  });

  it("mounted: refused with the mount point, nothing run (no logout under a mounted ext4)", async () => {
    const r = new FakeRunner();
    const fs = withMounts(host("raid1-healthy"), "/dev/vda1 / ext4 rw,relatime 0 0\n/dev/md127 /sharedstorage ext4 rw,relatime 0 0\n");
    const ctx = testContext(params(), r, fs);
    const out = await stopArray(ctx);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/it is mounted on \/sharedstorage/);
    expect(r.calls).toEqual([]);
    expect(ctx.reporter.decisions[0]).toMatchObject({ decision: "refuse-in-use" });
  });

  it("mounted through the /dev/md/NAME link is the same device", () => {
    const fs = withMounts(host("raid1-healthy"), "/dev/md/lab /sharedstorage ext4 rw 0 0\n");
    expect(mountsOf(fs, "md127")).toEqual(["/sharedstorage"]);
    expect(mountsOf(fs, "md0")).toEqual([]);
  });

  it("held by another block device (sysfs holders): refused, nothing run", async () => {
    const r = new FakeRunner();
    const base = host("raid1-healthy");
    const fs = { ...base, readDir: (p: string) => (p === "/sys/block/md127/holders" ? ["dm-0"] : base.readDir(p)) };
    const out = await stopArray(testContext(params(), r, fs));
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/held by dm-0/);
    expect(r.calls).toEqual([]);
  });

  it("mdadm --stop fails: 1, and the sessions stay logged in", async () => {
    const r = new FakeRunner();
    r.answer(["mdadm", "--stop"], { exitCode: 1, stderr: "mdadm: Cannot get exclusive access to /dev/md127:Perhaps a running process, mounted filesystem or active volume group?\n" });
    const out = await stopArray(testContext(params(), r, host("raid1-healthy")));
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/mdadm --stop \/dev\/md127 failed.*exclusive access.*sessions left logged in/);
    expect(r.callsTo("iscsiadm")).toEqual([]);
  });

  it("a logout that hangs on a dead target is cut at the deadline and reported: stop fails (1), bounded", async () => {
    const r = new FakeRunner();
    r.on({ when: (a) => isLogout(a) && a.includes(IQN2), answer: { exitCode: 0 }, takesMs: 120_000 });
    r.on({ when: isLogout, answer: { exitCode: 0 } });
    const ctx = testContext(params(), r, host("raid1-stopped-examine"), 8_000);
    const out = await stopArray(ctx);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/killed after .* \(deadline\)/);
    for (const c of r.calls) expect(c.options.timeoutMs).toBeLessThanOrEqual(8_000);
  });

  it("a session still there after logout returned 0 is not success", async () => {
    const r = new FakeRunner();
    r.on({ when: isLogout, answer: { exitCode: 0 } });
    const out = await stopArray(testContext(params(), r, host("raid1-stopped-examine")));
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/still logged in: iqn\.2024-01\.lab\.pmslab:node1\.data/);
  });

  it("an inactive array at md_device that holds other disks (captured boot auto-assembly of vdb) is not stopped", async () => {
    const r = new FakeRunner();
    r.on({ when: isLogout, answer: capturedResult(spike("login-dead-target/extra"), "iscsiadm-m-node-logout-no-session") });
    const out = await stopArray(testContext(params(), r, host("boot-autoassembled")));
    expect(out.rc).toBe(0);
    expect(r.callsTo("mdadm")).toEqual([]);
  });
});
