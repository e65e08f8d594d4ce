/**
 * The CIB ledger store against the real crm_attribute / crm_node outputs captured in
 * test/fixtures/pacemaker-host-2026-11-24 (offline CIB_file and a live one-node loopback cluster).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { PacemakerLedger, readNodeName, readQuorum, updateArgs } from "./pacemaker.js";
import { parseLedgerRecord } from "./record.js";

const UUID = "1e618de3:71fb3487:b1b62896:ad659dc6";
const OFFLINE = fixture("pacemaker-host-2026-11-24");
const LIVE = fixture("pacemaker-host-2026-11-24", "live-one-node");
const store = (r: FakeRunner) => new PacemakerLedger(r, (cap) => cap);

describe("quorum", () => {
  it("live cluster with quorum: crm_node -q prints 1", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum"));
    expect(await readQuorum(r, 5000)).toEqual({ ok: true, quorate: true });
  });

  it("live cluster without quorum: prints 0 and exits 106, which means not quorate (not an error)", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-without-quorum"));
    expect(await readQuorum(r, 5000)).toEqual({ ok: true, quorate: false });
  });

  it("no cluster: cannot tell, with crm_node's own message", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(OFFLINE, "crm_node-q-no-cluster"));
    const q = await readQuorum(r, 5000);
    expect(q.ok).toBe(false);
    expect(!q.ok && q.reason).toMatch(/exit 102 \(error: Could not connect to controller: Connection refused\)/);
  });

  it("crm_node -n: the node's cluster name, or why not", async () => {
    expect(await readNodeName(new FakeRunner().answer(["crm_node", "-n"], capturedResult(LIVE, "crm_node-n")), 5000)).toEqual({ ok: true, name: "node1" });
    expect((await readNodeName(new FakeRunner().answer(["crm_node", "-n"], capturedResult(OFFLINE, "crm_node-n-no-cluster")), 5000)).ok).toBe(false);
  });
});

describe("reading the ledger", () => {
  it("quorate and a record: parsed from crm_attribute --query --quiet", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum")).answer(["crm_attribute"], capturedResult(LIVE, "crm_attribute-query-quiet"));
    const v = await store(r).read(UUID);
    expect(v).toMatchObject({ kind: "quorate", record: { gen: 26, writer: "node1", failed: [{ slot: 1, events: 26 }] } });
    expect(r.callsTo("crm_attribute")[0]).toEqual(["crm_attribute", "--type", "crm_config", "--name", "pmsapp-ledger-1e618de371fb3487b1b62896ad659dc6", "--query", "--quiet"]);
  });

  it("quorate and never written (rc 105, no such property): quorate with no record", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum")).answer(["crm_attribute"], capturedResult(OFFLINE, "crm_attribute-query-missing"));
    expect(await store(r).read(UUID)).toMatchObject({ kind: "quorate", record: undefined });
  });

  it("not quorate: no evidence; the local copy is kept aside only for an override written on this node", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-without-quorum")).answer(["crm_attribute"], capturedResult(LIVE, "crm_attribute-query-quiet"));
    const v = await store(r).read(UUID);
    expect(v).toMatchObject({ kind: "unavailable", localRecord: { gen: 26 } });
    expect(v.kind === "unavailable" && v.reason).toMatch(/no quorum/);
  });

  it("not quorate and nothing written (the real lone-node answer, rc 105): unavailable without a local record", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-without-quorum")).answer(["crm_attribute"], capturedResult(LIVE, "crm_attribute-query-missing-without-quorum"));
    const v = await store(r).read(UUID);
    expect(v.kind).toBe("unavailable");
    expect(v.kind === "unavailable" && v.localRecord).toBeUndefined();
  });

  it("CIB unreachable (rc 105 but 'Could not connect to the CIB') is not 'never written'", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum")).answer(["crm_attribute"], capturedResult(OFFLINE, "crm_attribute-query-no-cib-file"));
    expect(await store(r).read(UUID)).toMatchObject({ kind: "unavailable" });
  });

  it("a malformed record is no evidence", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum")).answer(["crm_attribute"], { stdout: '{"v":1}\n' });
    const v = await store(r).read(UUID);
    expect(v.kind === "unavailable" && v.reason).toMatch(/malformed/);
  });

  it("a hung crm_attribute is bounded and gives no evidence", async () => {
    const r = new FakeRunner().answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum")).on({ prefix: ["crm_attribute"], takesMs: 60_000, answer: {} });
    const v = await store(r).read(UUID);
    expect(v.kind).toBe("unavailable");
    expect(r.calls[1]?.options.timeoutMs).toBe(5000);
  });
});

describe("writing the ledger", () => {
  it("the update argv is exactly the command that was captured against a real CIB", async () => {
    const rec = parseLedgerRecord(readFileSync(fixture("pacemaker-host-2026-11-24", "crm_attribute-query-quiet.txt"), "utf8").trim());
    if (!rec.ok) throw new Error(rec.error);
    const cmd = readFileSync(fixture("pacemaker-host-2026-11-24", "crm_attribute-update.cmd"), "utf8").trim();
    expect(["crm_attribute", ...updateArgs(rec.record)].join(" ")).toBe(cmd);
    const r = new FakeRunner().answer(["crm_attribute"], capturedResult(OFFLINE, "crm_attribute-update"));
    expect(await store(r).write(rec.record)).toEqual({ ok: true });
  });

  it("a failed update says why", async () => {
    const rec = parseLedgerRecord(readFileSync(fixture("pacemaker-host-2026-11-24", "crm_attribute-query-quiet.txt"), "utf8").trim());
    if (!rec.ok) throw new Error(rec.error);
    const r = new FakeRunner().answer(["crm_attribute"], capturedResult(OFFLINE, "crm_attribute-query-no-cluster"));
    const w = await store(r).write(rec.record);
    expect(!w.ok && w.reason).toMatch(/Could not connect to the CIB/);
  });

  it("a failed update names the record by generation, not by its JSON, so the cause stays readable", async () => {
    const rec = parseLedgerRecord(readFileSync(fixture("pacemaker-host-2026-11-24", "crm_attribute-query-quiet.txt"), "utf8").trim());
    if (!rec.ok) throw new Error(rec.error);
    const r = new FakeRunner().on({ prefix: ["crm_attribute"], takesMs: 60_000, answer: {} });
    const w = await store(r).write(rec.record);
    if (w.ok) throw new Error("expected the update to fail");
    expect(w.reason).toContain(`--update <record gen ${rec.record.gen}, ${rec.record.event}>`);
    expect(w.reason).toMatch(/killed after \d+ ms \(deadline\)$/);
    expect(w.reason).not.toContain('"inSync"');
    expect(w.reason.length).toBeLessThan(200);
  });
});
