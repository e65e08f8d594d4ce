import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import type { HostFs } from "../system/host-fs.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { validateParams, type RaidParams } from "./params.js";
import { rollbackReserveMs, startArray } from "./start.js";
import { answerExamines, EMPTY_HOST, isAssemble, isLogin, phasedHost, startLifecycle, testContext, withoutNodeRecords } from "./test-support.js";

const spike = (state: string) => fixture("spike-2026-11-24", state);
const host = (state: string) => captureHostFs(spike(state));
const IQN1 = "iqn.2024-01.lab.pmslab:node1.data";
const IQN2 = "iqn.2024-01.lab.pmslab:node2.data";
const LINK1 = `/dev/disk/by-path/ip-10.99.0.11:3260-iscsi-${IQN1}-lun-1`;
const LINK2 = `/dev/disk/by-path/ip-10.99.0.12:3260-iscsi-${IQN2}-lun-1`;

function params(over: Record<string, string> = {}): RaidParams {
  const r = validateParams({ uuid: "1e618de3:71fb3487:b1b62896:ad659dc6", targets: `${IQN1}@10.99.0.11 ${IQN2}@10.99.0.12`, md_device: "/dev/md127", ...over });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.params;
}

/** iscsiadm record management answers 0 (its output is not used); examine answers are the captured ones. */
function runnerFor(examineState: string, devOf: Record<string, string>): FakeRunner {
  return answerExamines(withoutNodeRecords(new FakeRunner()), examineState, devOf);
}

/** Before logins: nothing; after the logins: the captured stopped-but-logged-in node; after assembly: the captured running array. */
function lifecycle(r: FakeRunner, afterLogin: HostFs = host("raid1-stopped-examine")): HostFs {
  return startLifecycle(r, IQN1, afterLogin);
}

describe("start", () => {
  it("all members: records for exactly the two targets, parallel logins, both examinations, assembly without --run", async () => {
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda", [LINK2]: "sdb" });
    r.on({ when: (a) => a.includes("--login"), answer: { exitCode: 0 } });
    r.answer(["mdadm", "--assemble"], { exitCode: 0 });
    const ctx = testContext(params(), r, lifecycle(r));
    const out = await startArray(ctx);
    expect(out.rc).toBe(0);
    expect(out.reason).toMatch(/runs as \/dev\/md127/);

    const iscsi = r.callsTo("iscsiadm");
    // every iscsiadm call names one record; never discovery, never a bare logout
    expect(iscsi.every((a) => a.includes("-T") && a.includes("-p") && !a.includes("discovery") && !a.includes("discoverydb"))).toBe(true);
    expect(iscsi.filter((a) => a.includes("new")).map((a) => a[4])).toEqual([IQN1, IQN2]);
    expect(iscsi.filter((a) => a.includes("update")).map((a) => `${a[4]} ${a[10]}=${a[12]}`)).toEqual(
      expect.arrayContaining([
        `${IQN1} node.conn[0].timeo.login_timeout=2`,
        `${IQN1} node.session.initial_login_retry_max=1`,
        `${IQN2} node.session.timeo.replacement_timeout=5`,
        `${IQN2} node.startup=manual`,
      ]),
    );
    expect(iscsi.filter((a) => a.includes("--login"))).toEqual([
      ["iscsiadm", "-m", "node", "-T", IQN1, "-p", "10.99.0.11:3260", "--login"],
      ["iscsiadm", "-m", "node", "-T", IQN2, "-p", "10.99.0.12:3260", "--login"],
    ]);
    expect(r.callsTo("mdadm").filter(isAssemble)).toEqual([["mdadm", "--assemble", "/dev/md127", "--uuid=1e618de3:71fb3487:b1b62896:ad659dc6", LINK1, LINK2]]);
    expect(ctx.reporter.decisions.map((d) => d.decision)).toEqual(["assemble"]);
  });

  it("logins are bounded by login_timeout x login_retries (+3 s), never by iscsid's 120 s", async () => {
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda", [LINK2]: "sdb" });
    r.on({ when: (a) => a.includes("--login"), answer: { exitCode: 0 } });
    r.answer(["mdadm", "--assemble"], { exitCode: 0 });
    await startArray(testContext(params({ login_timeout: "4", login_retries: "2" }), r, lifecycle(r)));
    const logins = r.calls.filter((c) => c.argv.includes("--login"));
    expect(logins.map((c) => c.options.timeoutMs)).toEqual([11_000, 11_000]);
  });

  it("idempotent: the array already runs under its name, nothing is run", async () => {
    const r = new FakeRunner();
    const out = await startArray(testContext(params(), r, host("raid1-healthy")));
    expect(out.rc).toBe(0);
    expect(r.calls).toEqual([]);
  });

  it("'already logged in' (rc 15, captured) counts as logged in", async () => {
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda", [LINK2]: "sdb" });
    r.on({ when: (a) => a.includes("--login"), answer: capturedResult(spike("login-dead-target/extra"), "iscsiadm-m-node-login-already-present") });
    r.answer(["mdadm", "--assemble"], { exitCode: 0 });
    expect((await startArray(testContext(params(), r, lifecycle(r)))).rc).toBe(0);
  });

  it("one target dead (login rc 8, captured) and the survivor last saw it active: refused under safe, and only the session this start opened is closed", async () => {
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda" });
    r.on({ when: isLogin(IQN1), answer: { exitCode: 0 } });
    r.on({ when: isLogin(IQN2), answer: capturedResult(spike("login-dead-target"), "iscsiadm-m-node-login") });
    r.on({ when: (a) => a.includes("-u"), answer: capturedResult(spike("login-dead-target"), "iscsiadm-m-node-logout") });
    const ctx = testContext(params(), r, lifecycle(r));
    const out = await startArray(ctx);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/last saw slot 1 .*node2.* active/);
    expect(out.reason).toMatch(/rolled back/);
    expect(r.callsTo("iscsiadm").filter((a) => a.includes("-u"))).toEqual([["iscsiadm", "-m", "node", "-T", IQN1, "-p", "10.99.0.11:3260", "-u"]]);
    expect(r.callsTo("mdadm").some(isAssemble)).toBe(false);
    expect(ctx.reporter.decisions[0]).toMatchObject({ decision: "refuse-freshness-unproven" });
  });

  it("same with degraded=force: assembles from the one member with --run, loudly", async () => {
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda" });
    r.on({ when: isLogin(IQN1), answer: { exitCode: 0 } });
    r.on({ when: isLogin(IQN2), answer: capturedResult(spike("login-dead-target"), "iscsiadm-m-node-login") });
    r.answer(["mdadm", "--assemble"], { exitCode: 0 });
    const ctx = testContext(params({ degraded: "force" }), r, lifecycle(r));
    const out = await startArray(ctx);
    expect(out.rc).toBe(0);
    expect(out.reason).toMatch(/DEGRADED/);
    expect(r.callsTo("mdadm").filter(isAssemble)).toEqual([["mdadm", "--assemble", "/dev/md127", "--uuid=1e618de3:71fb3487:b1b62896:ad659dc6", "--run", LINK1]]);
    expect(ctx.reporter.logs.some((l) => l.level === "warn" && /FORCED/.test(l.msg))).toBe(true);
  });

  it("a by-path link that leads to the node's own disk, not an iSCSI disk, is never examined or assembled", async () => {
    const afterLogin = host("raid1-stopped-examine");
    const ownDisk: HostFs = { ...afterLogin, realPath: (p) => (p === LINK2 ? "/dev/vdb" : afterLogin.realPath(p)) };
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda" });
    r.on({ when: (a) => a.includes("--login"), answer: { exitCode: 0 } });
    r.on({ when: (a) => a.includes("-u"), answer: { exitCode: 0 } });
    const ctx = testContext(params({ degraded: "force" }), r, lifecycle(r, ownDisk));
    r.answer(["mdadm", "--assemble"], { exitCode: 0 });
    await startArray(ctx);
    expect(r.callsTo("mdadm").some((a) => a.includes(LINK2))).toBe(false);
    const verdicts = ctx.reporter.decisions[0]?.details?.verdicts as { target: string; status: string }[];
    expect(verdicts.find((v) => v.target.startsWith(IQN2))).toMatchObject({ status: "rejected" });
  });

  it("a failed assembly (captured: 'need all 2 to start it') is rolled back: mdadm --stop, logout of the sessions opened", async () => {
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda", [LINK2]: "sdb" });
    r.on({ when: (a) => a.includes("--login"), answer: { exitCode: 0 } });
    r.answer(["mdadm", "--assemble"], capturedResult(spike("raid1-stopped-examine"), "mdadm--assemble-one-member-missing"));
    r.answer(["mdadm", "--stop"], capturedResult(spike("raid1-stopped-examine"), "mdadm--stop--md127"));
    r.on({ when: (a) => a.includes("-u"), answer: { exitCode: 0 } });
    const fs = phasedHost(r, [{ fs: EMPTY_HOST }, { after: isLogin(IQN1), fs: host("raid1-stopped-examine") }]);
    const out = await startArray(testContext(params(), r, fs));
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/assembly of .* failed: .*need all 2 to start it/);
    expect(r.callsTo("mdadm").filter((a) => a[1] === "--stop")).toEqual([["mdadm", "--stop", "/dev/md127"]]);
    expect(r.callsTo("iscsiadm").filter((a) => a.includes("-u")).map((a) => a[4])).toEqual([IQN1, IQN2]);
  });

  it("mdadm returned 0 but the kernel never shows the array running: bounded wait, then rollback", async () => {
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda", [LINK2]: "sdb" });
    r.on({ when: (a) => a.includes("--login"), answer: { exitCode: 0 } });
    r.answer(["mdadm", "--assemble"], { exitCode: 0 });
    r.answer(["mdadm", "--stop"], { exitCode: 0 });
    r.on({ when: (a) => a.includes("-u"), answer: { exitCode: 0 } });
    const fs = phasedHost(r, [{ fs: EMPTY_HOST }, { after: isLogin(IQN1), fs: host("raid1-stopped-examine") }]);
    const ctx = testContext(params(), r, fs);
    const t0 = ctx.clock.now();
    const out = await startArray(ctx);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/does not show it running/);
    expect(ctx.clock.now() - t0).toBeLessThanOrEqual(3_000);
  });

  it("no by-path device ever appears: the wait ends at its bound, not at the action deadline", async () => {
    const r = new FakeRunner();
    r.on({ when: (a) => a[0] === "iscsiadm" && !a.includes("-u"), answer: { exitCode: 0 } });
    r.on({ when: (a) => a.includes("-u"), answer: { exitCode: 0 } });
    const ctx = testContext(params(), r, EMPTY_HOST, 600_000);
    const t0 = ctx.clock.now();
    const out = await startArray(ctx);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/no member .* is reachable/);
    expect(ctx.clock.now() - t0).toBe(10_000);
  });

  it("time is kept for the rollback: logins that leave under 3 s before assembling end in a clean refusal (no mdadm --assemble that could be killed half-way), sessions closed within the full deadline", async () => {
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda", [LINK2]: "sdb" });
    // ocf-tester's start: 20 s from Pacemaker's executor, 18 s for the agent; the logins take 13 s here
    const ctx = testContext(params(), r, lifecycle(r), 18_000);
    r.on({ when: (a) => a.includes("--login"), answer: () => (ctx.clock.sleep(6_500), { exitCode: 0 }) });
    r.on({ when: (a) => a.includes("-u"), answer: { exitCode: 0 } });
    const out = await startArray(ctx);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/only 2\.0 s of the start timeout left before assembling \(at least 3 s needed, 3 s kept for undoing\); raise the start operation's timeout/);
    expect(r.calls.some((c) => isAssemble(c.argv))).toBe(false);
    const logouts = r.calls.filter((c) => c.argv.includes("-u"));
    expect(logouts.map((c) => c.argv[4])).toEqual([IQN1, IQN2]);
    // the logouts still had the reserve and what was left (5 s), not the 1 ms a spent deadline gives
    expect(logouts.every((c) => c.options.timeoutMs >= 4_000)).toBe(true);
    expect(ctx.reporter.decisions.map((d) => d.decision)).toContain("refuse-out-of-time");
  });

  it("forward steps never eat the rollback reserve: 15 % of the budget, 3 to 15 s", async () => {
    expect([8_000, 18_000, 57_000, 120_000].map(rollbackReserveMs)).toEqual([3_000, 3_000, 8_550, 15_000]);
    const r = runnerFor("raid1-stopped-examine", { [LINK1]: "sda", [LINK2]: "sdb" });
    r.on({ when: (a) => a.includes("--login"), answer: { exitCode: 0 } });
    r.answer(["mdadm", "--assemble"], { exitCode: 0 });
    await startArray(testContext(params(), r, lifecycle(r), 18_000));
    // the assembly's timeout is what is left of 18 s minus the 3 s reserve
    expect(r.calls.find((c) => isAssemble(c.argv))?.options.timeoutMs).toBe(15_000);
  });

  it("iscsiadm not installed: 5 (OCF_ERR_INSTALLED)", async () => {
    const r = new FakeRunner();
    r.on({ when: (a) => a[0] === "iscsiadm", answer: { exitCode: null, failedToStart: "iscsiadm not found in /usr/sbin:/usr/bin:/sbin:/bin" } });
    const out = await startArray(testContext(params(), r, EMPTY_HOST));
    expect(out.rc).toBe(5);
  });

  it("md_device taken by something else (captured: md127 inactive holding the node's own vdb after boot): refused, nothing run", async () => {
    const r = new FakeRunner();
    const ctx = testContext(params(), r, host("boot-autoassembled"));
    const out = await startArray(ctx);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/\/dev\/md127 is taken by \/dev\/md127 \(inactive, members vdb\): not ours/);
    expect(r.calls).toEqual([]);
  });

  it("targets run side by side: their record writes interleave, each target's login follows its own record writes, both logins are in flight at once", async () => {
    const fake = runnerFor("raid1-stopped-examine", { [LINK1]: "sda", [LINK2]: "sdb" });
    fake.on({ when: (a) => a.includes("--login"), answer: { exitCode: 0 } });
    fake.answer(["mdadm", "--assemble"], { exitCode: 0 });
    let inFlight = 0;
    let maxInFlight = 0;
    const order: string[] = [];
    const runner = {
      calls: fake.calls,
      callsTo: fake.callsTo.bind(fake),
      async run(program: string, args: readonly string[], options: { timeoutMs: number }) {
        const login = args.includes("--login");
        const iqn = args[args.indexOf("-T") + 1] === IQN1 ? "1" : "2";
        if (args.length === 6) return fake.run(program, args, options); // reading the record
        order.push(`${login ? "login" : args.includes("new") ? "new" : args.includes("update") ? "update" : "other"}${iqn}`);
        if (!login) return fake.run(program, args, options);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        return fake.run(program, args, options);
      },
    } as unknown as FakeRunner;
    const out = await startArray(testContext(params(), runner, lifecycle(fake)));
    expect(out.rc).toBe(0);
    expect(maxInFlight).toBe(2);
    expect(order.slice(0, 4)).toEqual(["new1", "new2", "update1", "update2"]);
    for (const n of ["1", "2"]) expect(order.indexOf(`login${n}`)).toBeGreaterThan(order.lastIndexOf(`update${n}`));
  });
});
