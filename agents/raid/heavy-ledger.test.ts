/** Which ledger the real heavy entry point wires in, per face (Pacemaker CIB vs none), on real captures. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import { realHostFs, type HostFs } from "../system/host-fs.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import type { HeavyRequest } from "./dispatch.js";
import { runHeavyAction } from "./heavy.js";
import { validateParams } from "./params.js";
import { answerExamines, fakeClock, isLogin, spikeByPath, startLifecycle, withoutNodeRecords } from "./test-support.js";

const spike = (s: string) => fixture("spike-2026-11-24", s);
const LIVE = fixture("pacemaker-host-2026-11-24", "live-one-node");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function request(face: HeavyRequest["face"], env: Record<string, string>, action: HeavyRequest["action"] = "monitor"): HeavyRequest {
  const p = validateParams({ uuid: "1e618de3:71fb3487:b1b62896:ad659dc6", targets: "iqn.2024-01.lab.pmslab:node1.data@10.99.0.11 iqn.2024-01.lab.pmslab:node2.data@10.99.0.12", md_device: "/dev/md127" });
  if (!p.ok) throw new Error("params");
  const dir = mkdtempSync(join(tmpdir(), "pmsapp-heavy-ledger-"));
  dirs.push(dir);
  return { face, action, depth: 10, params: p.params, instance: "storage", budgetMs: 20_000, startedAt: 1_000_000, env: { PMSAPP_JOURNAL: join(dir, "j.jsonl"), ...env }, probe: false };
}

/** `fs` with the /proc process table of a node where no pacemaker-controld runs (captured). */
function withoutController(fs: HostFs): HostFs {
  const noController = realHostFs(fixture("proc-comm-2026-11-24", "without-controller"));
  const isProcess = (p: string) => /^\/proc\/\d+\//.test(p);
  return { ...fs, readDir: (p: string) => (p === "/proc" ? noController.readDir(p) : fs.readDir(p)), readText: (p: string) => (isProcess(p) ? noController.readText(p) : fs.readText(p)) };
}

function runner(): FakeRunner {
  return new FakeRunner()
    .answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum"))
    .answer(["crm_attribute"], capturedResult(LIVE, "crm_attribute-query-quiet"))
    .answer(["mdadm", "--examine", "--export", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--export--sdc"))
    .answer(["mdadm", "--examine", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--sdc"));
}

describe("heavy entry point and the ledger", () => {
  it("ocf: the CIB ledger, node name from CRM_meta_on_node (no crm_node -n); degraded array matching the record: read only", async () => {
    const r = runner();
    const clock = fakeClock();
    const out = await runHeavyAction(request("ocf", { OCF_RESKEY_CRM_meta_on_node: "node1" }), { runner: r, fs: captureHostFs(spike("raid1-member-faulty")), now: clock.now, sleep: clock.sleep, line: () => {} });
    expect(out.rc).toBe(0);
    expect(r.calls.map((c) => c.argv.slice(0, 2).join(" "))).toEqual(["crm_node -q", "crm_attribute --type", "mdadm --examine", "mdadm --examine"]);
    expect(r.callsTo("crm_attribute").some((a) => a.includes("--update"))).toBe(false);
  });

  it("ocf on a node where Pacemaker does not run (ocf-tester, a hand run): no crm_* call, no outside evidence", async () => {
    const r = runner();
    const clock = fakeClock();
    const lines: string[] = [];
    const out = await runHeavyAction(request("ocf", {}), { runner: r, fs: withoutController(captureHostFs(spike("raid1-member-faulty"))), now: clock.now, sleep: clock.sleep, line: (_l, msg) => void lines.push(msg) });
    expect(out.rc).toBe(0);
    expect(r.callsTo("crm_node")).toEqual([]);
    expect(r.callsTo("crm_attribute")).toEqual([]);
    expect(lines).toContain("no outside evidence: Pacemaker is not running on this node (no pacemaker-controld process), so the cluster's ledger cannot be read");
  });

  it("start on a node where Pacemaker does not run says 'no outside evidence' once, when it reads its evidence", async () => {
    const r = answerExamines(withoutNodeRecords(new FakeRunner()), "raid1-stopped-examine", { [spikeByPath(1)]: "sda", [spikeByPath(2)]: "sdb" });
    r.on({ when: isLogin(), answer: { exitCode: 0 } });
    r.answer(["mdadm", "--assemble"], { exitCode: 0 });
    const host = startLifecycle(r);
    const clock = fakeClock();
    const lines: string[] = [];
    const out = await runHeavyAction(request("ocf", {}, "start"), { runner: r, fs: withoutController(host), now: clock.now, sleep: clock.sleep, line: (_l, msg) => void lines.push(msg) });
    expect(out.rc, out.reason).toBe(0);
    expect(r.callsTo("crm_node")).toEqual([]);
    expect(lines.filter((l) => l.startsWith("no outside evidence"))).toEqual([
      "no outside evidence from pacemaker CIB (pmsapp-ledger-1e618de371fb3487b1b62896ad659dc6): Pacemaker is not running on this node (no pacemaker-controld process), so the cluster's ledger cannot be read",
    ]);
  });

  it("rgmanager: no shared ledger, so no cluster command at all", async () => {
    const r = runner();
    const clock = fakeClock();
    const out = await runHeavyAction(request("rgmanager", {}), { runner: r, fs: captureHostFs(spike("raid1-member-faulty")), now: clock.now, sleep: clock.sleep, line: () => {} });
    expect(out.rc).toBe(0);
    expect(r.calls).toEqual([]);
  });
});
