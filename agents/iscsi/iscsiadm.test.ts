import { describe, expect, it } from "vitest";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { classifyLogin, classifyLogout, iscsiadmMeaning, loginArgs, logoutArgs, nodeSettings, nodeShowArgs, parseNodeRecord, prepareNodeRecord } from "./iscsiadm.js";
import { parseTargetSpec } from "./target-spec.js";

const dead = fixture("spike-2026-11-24", "login-dead-target");
const extra = fixture("spike-2026-11-24", "login-dead-target", "extra");
const withArgv = (r: ReturnType<typeof capturedResult>) => ({ ...r, argv: ["iscsiadm"] });
const records = fixture("iscsiadm-node-record-2026-11-25");
const labNode2 = (() => {
  const r = parseTargetSpec("iqn.2026-11.lab.pmsapp:node2.disk@10.99.1.12");
  if (!r.ok) throw new Error(r.error);
  return r.value;
})();
const t3 = (() => {
  const r = parseTargetSpec("iqn.2024-01.lab.pmslab:node3.data@10.99.0.13");
  if (!r.ok) throw new Error(r.error);
  return r.value;
})();

describe("iscsiadm exit codes (captured)", () => {
  it("login to a dead target: rc 8 after ~2 s, a failure naming the cause", () => {
    const r = capturedResult(dead, "iscsiadm-m-node-login");
    expect(r.durationMs).toBeGreaterThan(2000);
    const c = classifyLogin(withArgv(r));
    expect(c).toMatchObject({ kind: "failed", notInstalled: false });
    expect(c.kind === "failed" && c.reason).toMatch(/exit 8 .*connection timed out/);
  });

  it("login when the session exists: rc 15 is 'already logged in'", () => {
    expect(classifyLogin(withArgv(capturedResult(extra, "iscsiadm-m-node-login-already-present")))).toEqual({ kind: "already-logged-in" });
  });

  it("logout of a dead target's session: rc 0 in 0.23 s; logout with no session: rc 21 = nothing to do", () => {
    expect(classifyLogout(withArgv(capturedResult(dead, "iscsiadm-m-node-logout")))).toEqual({ kind: "logged-out" });
    expect(classifyLogout(withArgv(capturedResult(dead, "logout-during-reopen/iscsiadm-m-node-logout")))).toEqual({ kind: "logged-out" });
    expect(classifyLogout(withArgv(capturedResult(extra, "iscsiadm-m-node-logout-no-session")))).toEqual({ kind: "no-session" });
  });

  it("killed at the deadline or not installed: failures, the latter flagged", () => {
    const killed = { argv: ["iscsiadm"], exitCode: null, signal: "SIGKILL", stdout: "", stderr: "", timedOut: true, durationMs: 5000 };
    expect(classifyLogin(killed)).toMatchObject({ kind: "failed", notInstalled: false });
    expect(classifyLogout(killed)).toMatchObject({ kind: "failed" });
    expect(classifyLogin({ ...killed, timedOut: false, signal: null, failedToStart: "iscsiadm not found" })).toMatchObject({ kind: "failed", notInstalled: true });
    expect(iscsiadmMeaning(20)).toMatch(/iscsid/);
    expect(iscsiadmMeaning(99)).toBe("exit 99");
  });
});

describe("iscsiadm command lines", () => {
  it("always name one record: -m node -T <iqn> -p <portal>", () => {
    expect(loginArgs(t3)).toEqual(["-m", "node", "-T", "iqn.2024-01.lab.pmslab:node3.data", "-p", "10.99.0.13:3260", "--login"]);
    expect(logoutArgs(t3)).toEqual(["-m", "node", "-T", "iqn.2024-01.lab.pmslab:node3.data", "-p", "10.99.0.13:3260", "-u"]);
  });

  it("no record yet (captured rc 21): read, created, then exactly the settings the spike verified (iscsiadm-m-node-T-p-timeouts.txt) plus manual startup", async () => {
    const r = new FakeRunner().answer(["iscsiadm", "-m", "node", "-T", t3.iqn, "-p", "10.99.0.13:3260"], (argv) => (argv.length === 7 ? capturedResult(records, "show-missing") : { exitCode: 0 }));
    expect(await prepareNodeRecord(r, t3, { loginTimeoutS: 2, loginRetries: 1, replacementTimeoutS: 5 }, () => 1000)).toBeUndefined();
    expect(r.calls[0]?.argv).toEqual(["iscsiadm", "-m", "node", "-T", "iqn.2024-01.lab.pmslab:node3.data", "-p", "10.99.0.13:3260"]);
    expect(r.calls[1]?.argv).toEqual(["iscsiadm", "-m", "node", "-T", "iqn.2024-01.lab.pmslab:node3.data", "-p", "10.99.0.13:3260", "-o", "new"]);
    const written = r.calls.slice(2).map((c) => `${c.argv[c.argv.length - 3]} = ${c.argv[c.argv.length - 1]}`);
    expect(written).toEqual(["node.conn[0].timeo.login_timeout = 2", "node.session.initial_login_retry_max = 1", "node.session.timeo.replacement_timeout = 5", "node.startup = manual"]);
    expect(nodeSettings({ loginTimeoutS: 2, loginRetries: 1, replacementTimeoutS: 5 })).toHaveLength(4);
  });

  it("the record already carries the settings (captured after the agent's updates): one read, nothing written", async () => {
    const r = new FakeRunner().answer(["iscsiadm", ...nodeShowArgs(labNode2)], capturedResult(records, "show-updated"));
    expect(await prepareNodeRecord(r, labNode2, { loginTimeoutS: 2, loginRetries: 1, replacementTimeoutS: 15 }, () => 1000)).toBeUndefined();
    expect(r.calls).toHaveLength(1);
  });

  it("a record at iscsid.conf's defaults is updated in place, never re-created (-o new would reset it: captured)", async () => {
    const after = parseNodeRecord(capturedResult(records, "show-after-new-again").stdout);
    expect(after.get("node.conn[0].timeo.login_timeout")).toBe("30");
    const r = new FakeRunner().answer(["iscsiadm", ...nodeShowArgs(labNode2)], capturedResult(records, "show-after-new-again"), 1).answer(["iscsiadm"], { exitCode: 0 });
    expect(await prepareNodeRecord(r, labNode2, { loginTimeoutS: 2, loginRetries: 1, replacementTimeoutS: 15 }, () => 1000)).toBeUndefined();
    expect(r.calls.some((c) => c.argv.includes("new"))).toBe(false);
    // node.startup is already manual in this image's defaults, so three settings are written
    expect(r.calls.slice(1).map((c) => c.argv[c.argv.length - 3])).toEqual(["node.conn[0].timeo.login_timeout", "node.session.initial_login_retry_max", "node.session.timeo.replacement_timeout"]);
  });

  it("a record that names another target is not trusted: created anew", async () => {
    const r = new FakeRunner().answer(["iscsiadm", ...nodeShowArgs(t3)], capturedResult(records, "show-updated"), 1).answer(["iscsiadm"], { exitCode: 0 });
    expect(await prepareNodeRecord(r, t3, { loginTimeoutS: 2, loginRetries: 1, replacementTimeoutS: 15 }, () => 1000)).toBeUndefined();
    expect(r.calls[1]?.argv.slice(-2)).toEqual(["-o", "new"]);
    expect(r.calls).toHaveLength(6);
  });

  it("a failing update stops the preparation with the reason", async () => {
    const r = new FakeRunner().on({ when: (a) => a.includes("update"), answer: { exitCode: 20, stderr: "iscsiadm: can not connect to iSCSI daemon (111)!\n" } }).answer(["iscsiadm"], { exitCode: 0 });
    expect(await prepareNodeRecord(r, t3, { loginTimeoutS: 2, loginRetries: 1, replacementTimeoutS: 5 }, () => 1000)).toMatch(/setting node.conn\[0\].timeo.login_timeout failed: .*exit 20/);
  });
});
