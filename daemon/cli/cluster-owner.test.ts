import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FakeRunner, capturedResult } from "../../test/support/fake-runner.js";
import { clusterOwners, crmMonProblem, parseCrmMonXml } from "./cluster-owner.js";

const PCMK = fileURLToPath(new URL("./captures/pacemaker-2.1.5/", import.meta.url));
const out = (name: string) => capturedResult(PCMK, name).stdout;
const notInstalled = (p: string) => ({ failedToStart: `${p} not found in /usr/sbin:/usr/bin:/sbin:/bin`, exitCode: null });

describe("crm_mon XML (real Pacemaker 2.1.5 output)", () => {
  it("a started group runs where its resources are started", () => {
    expect(parseCrmMonXml(out("crm_mon--one-shot--output-as-xml--started"))).toEqual([{ manager: "pacemaker", service: "nfs", nodes: ["node1"], state: "started" }]);
    // The older --as-xml format has the same resources section.
    expect(parseCrmMonXml(out("crm_mon--one-shot--as-xml--started"))).toEqual([{ manager: "pacemaker", service: "nfs", nodes: ["node1"], state: "started" }]);
  });

  it("a stopped group runs nowhere", () => {
    expect(parseCrmMonXml(out("crm_mon--one-shot--output-as-xml--stopped"))).toEqual([{ manager: "pacemaker", service: "nfs", nodes: [], state: "Stopped,Stopped" }]);
  });

  it("no cluster running: rc 102 with the reason from crm_mon's XML", async () => {
    expect(crmMonProblem(out("crm_mon--one-shot--output-as-xml--no-cluster"))).toBe(
      "Not connected: error: Could not connect to launcher: Connection refused: crm_mon: Connection to cluster failed: Connection refused",
    );
    const runner = new FakeRunner().answer(["crm_mon"], capturedResult(PCMK, "crm_mon--one-shot--output-as-xml--no-cluster"));
    expect(await clusterOwners(runner)).toMatchObject({ ok: false, reason: expect.stringContaining("Pacemaker: Not connected") });
  });

  it("asks crm_mon first, clustat only without Pacemaker, and reports when neither is installed", async () => {
    const pcmk = new FakeRunner().answer(["crm_mon"], capturedResult(PCMK, "crm_mon--one-shot--output-as-xml--started"));
    expect(await clusterOwners(pcmk)).toMatchObject({ ok: true, manager: "pacemaker", owners: [{ service: "nfs", nodes: ["node1"] }] });
    expect(pcmk.calls.map((c) => c.argv)).toEqual([["crm_mon", "--one-shot", "--output-as=xml"]]);
    const none = new FakeRunner().answer(["crm_mon"], notInstalled("crm_mon")).answer(["clustat"], notInstalled("clustat"));
    expect(await clusterOwners(none)).toBeUndefined();
    expect(none.calls.map((c) => c.argv[0])).toEqual(["crm_mon", "clustat"]);
  });
});
