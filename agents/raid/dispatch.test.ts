import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FakeRunner } from "../../test/support/fake-runner.js";
import { dispatch, type Env, type HeavyRequest } from "./dispatch.js";
import { runHeavyAction } from "./heavy.js";
import { actionBudgetMs, checkDepth, managerTimeoutMs } from "./invocation.js";
import { validateParams } from "./params.js";
import { EMPTY_HOST, fakeClock } from "./test-support.js";

const UUID = "1e618de3:71fb3487:b1b62896:ad659dc6";
const TARGETS = "iqn.2024-01.lab.pmslab:node1.data@10.99.0.11 iqn.2024-01.lab.pmslab:node2.data@10.99.0.12";

const made: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
};
afterAll(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Run dispatch with the real heavy code, but a FakeRunner, an empty host and a fake clock. */
async function run(args: string[], env: Env) {
  const runner = new FakeRunner();
  const requests: HeavyRequest[] = [];
  let stdout = "";
  let stderr = "";
  const clock = fakeClock();
  const journal = join(tempDir("pmsapp-dispatch-"), "agents.jsonl");
  const code = await dispatch(
    { args, env: { PMSAPP_JOURNAL: journal, ...env }, writeStdout: (t) => void (stdout += t), writeStderr: (t) => void (stderr += t), now: clock.now },
    () => ({
      runHeavyAction: (req) => {
        requests.push(req);
        return runHeavyAction(req, { runner, fs: EMPTY_HOST, now: clock.now, sleep: clock.sleep, line: () => {}, resolveProgram: (p) => `/usr/sbin/${p}` });
      },
    }),
  );
  return { code, stdout, stderr, runner, requests, journal };
}

const ocf = (over: Record<string, string> = {}): Env => ({ PMSAPP_FACE: "ocf", OCF_RESKEY_uuid: UUID, OCF_RESKEY_targets: TARGETS, ...over });

describe("dispatch", () => {
  it("bad IQN, portal or uuid: 6 and not a single command run", async () => {
    for (const over of <Record<string, string>[]>[
      { OCF_RESKEY_targets: "iqn.2024-01.lab.pmslab:node1.data;reboot@10.99.0.11" },
      { OCF_RESKEY_targets: "iqn.2024-01.lab.pmslab:node1.data@10.99.0.11|nc" },
      { OCF_RESKEY_uuid: "$(id)" },
    ]) {
      for (const action of ["start", "validate-all", "monitor"]) {
        const r = await run([action], ocf(over));
        expect(r.code, `${action} ${JSON.stringify(over)}`).toBe(6);
        expect(r.runner.calls).toEqual([]);
        expect(r.requests).toEqual([]);
      }
    }
  });

  it("stop with bad parameters on a node running no md array: 0 (nothing of it can run here), nothing run", async () => {
    for (const over of <Record<string, string>[]>[{ OCF_RESKEY_targets: "iqn.2024-01.lab.pmslab:node1.data;reboot@10.99.0.11" }, { OCF_RESKEY_uuid: "$(id)" }]) {
      const r = await run(["stop"], { ...ocf(over), PMSAPP_HOST_ROOT: tempDir("pmsapp-root-") });
      expect(r.code, JSON.stringify(over)).toBe(0);
      expect(r.stderr).toMatch(/configuration refused \(parameter (targets|uuid) .*exists on this node, so nothing of this resource runs here/);
      expect(r.runner.calls).toEqual([]);
      expect(r.requests).toEqual([]);
      const rec = JSON.parse(readFileSync(r.journal, "utf8").trim()) as Record<string, unknown>;
      expect(rec).toMatchObject({ action: "stop", kind: "action-end", rc: 0 });
    }
  });

  it("unknown action: 3 under ocf and rgmanager, 2 (usage) under lsb; nothing run", async () => {
    expect((await run(["promote"], ocf())).code).toBe(3);
    expect((await run(["migrate"], { ...ocf(), PMSAPP_FACE: "rgmanager" })).code).toBe(3);
    const lsb = await run(["reload"], { PMSAPP_FACE: "lsb" });
    expect(lsb.code).toBe(2);
    expect(lsb.stderr).toMatch(/usage: swraid \{start\|stop\|status\}/);
  });

  it("meta-data goes to stdout only, per face", async () => {
    const o = await run(["meta-data"], { PMSAPP_FACE: "ocf" });
    expect(o.stdout).toMatch(/^<\?xml version="1.0"\?>\n<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">/);
    const g = await run(["meta-data"], { PMSAPP_FACE: "rgmanager" });
    expect(g.stdout).toMatch(/<resource-agent name="pmsapp-raid"/);
    expect(o.stderr + g.stderr).toBe("");
  });

  it("monitor depth 0 never loads the heavy code; probe on a node without the array: 7", async () => {
    const r = await run(["monitor"], { ...ocf({ OCF_RESKEY_CRM_meta_interval: "0" }), PMSAPP_HOST_ROOT: tempDir("pmsapp-root-") });
    expect(r.code).toBe(7);
    expect(r.requests).toEqual([]);
    const rec = JSON.parse(readFileSync(r.journal, "utf8").trim()) as Record<string, unknown>;
    expect(rec).toMatchObject({ agent: "raid", action: "monitor", kind: "action-end", rc: 7, uuid: "1e618de371fb3487b1b62896ad659dc6" });
  });

  it("deeper monitor goes to the heavy code with depth and the manager's budget; validate-all checks programs", async () => {
    const deep = await run(["monitor"], ocf({ OCF_CHECK_LEVEL: "15", OCF_RESKEY_CRM_meta_timeout: "30000" }));
    expect(deep.requests[0]).toMatchObject({ action: "monitor", depth: 10, budgetMs: 27_000 });
    expect(deep.code).toBe(7);
    const v = await run(["validate-all"], ocf());
    expect(v.code).toBe(0);
    expect(v.runner.calls).toEqual([]);
  });

  it("lsb: status with an unreadable swraid.conf is 4 (unknown)", async () => {
    const r = await run(["status"], { PMSAPP_FACE: "lsb", PMSAPP_SWRAID_CONF: "/nonexistent/swraid.conf" });
    expect(r.code).toBe(4);
  });
});

describe("deadlines", () => {
  const params = (() => {
    const r = validateParams({ uuid: UUID, targets: TARGETS });
    if (!r.ok) throw new Error("bad test params");
    return r.params;
  })();

  it("Pacemaker gives ms, rgmanager seconds (0 = unknown), LSB nothing", () => {
    expect(managerTimeoutMs("ocf", { OCF_RESKEY_CRM_meta_timeout: "20000" })).toBe(20_000);
    expect(managerTimeoutMs("rgmanager", { OCF_RESKEY_RGMANAGER_meta_timeout: "60" })).toBe(60_000);
    expect(managerTimeoutMs("rgmanager", { OCF_RESKEY_RGMANAGER_meta_timeout: "0" })).toBeUndefined();
    expect(managerTimeoutMs("rgmanager", {})).toBeUndefined();
    expect(managerTimeoutMs("ocf", { OCF_RESKEY_CRM_meta_timeout: "20s" })).toBeUndefined();
    expect(managerTimeoutMs("lsb", { OCF_RESKEY_CRM_meta_timeout: "20000" })).toBeUndefined();
  });

  it("the agent keeps a margin inside the manager's timeout, else uses its own parameters", () => {
    expect(actionBudgetMs("start", params, 20_000)).toBe(18_000);
    expect(actionBudgetMs("start", params, 120_000)).toBe(117_000);
    expect(actionBudgetMs("stop", params, 2_000)).toBe(1_500);
    expect(actionBudgetMs("start", params, undefined)).toBe(60_000);
    expect(actionBudgetMs("stop", params, undefined)).toBe(30_000);
    expect(actionBudgetMs("status", params, undefined)).toBe(20_000);
  });

  it("OCF_CHECK_LEVEL: absent 0, unimplemented levels round down, junk refused", () => {
    expect([checkDepth(undefined), checkDepth("0"), checkDepth("9"), checkDepth("10"), checkDepth("19"), checkDepth("20"), checkDepth("30")]).toEqual([0, 0, 0, 10, 10, 20, 20]);
    expect(checkDepth("x")).toBeUndefined();
  });
});
