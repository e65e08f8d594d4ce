/**
 * The agent's ledger I/O inside real actions: start reads the ledger and an override and writes its
 * record; depth-10 status records a member change. Hosts, superblocks and tool answers are the real
 * captures (spike-2026-11-24, pacemaker-host-2026-11-24); the ledger store is an in-memory LedgerStore.
 */
import { describe, expect, it } from "vitest";
import { captureHostFs } from "../system/capture-fs.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { recordOverride, recordStart, type LedgerRecord } from "../ledger/record.js";
import type { LedgerStore, LedgerView, WriteResult } from "../ledger/store.js";
import { validateParams, type RaidParams } from "./params.js";
import { startArray } from "./start.js";
import { deepStatus } from "./status-deep.js";
import { EMPTY_HOST, isAssemble, isLogin, phasedHost, startLifecycle, testContext, withoutNodeRecords } from "./test-support.js";

const spike = (state: string) => fixture("spike-2026-11-24", state);
const host = (state: string) => captureHostFs(spike(state));
const UUID = "1e618de371fb3487b1b62896ad659dc6";
const IQN1 = "iqn.2024-01.lab.pmslab:node1.data";
const IQN2 = "iqn.2024-01.lab.pmslab:node2.data";
const LINK1 = `/dev/disk/by-path/ip-10.99.0.11:3260-iscsi-${IQN1}-lun-1`;
const A = { slot: 0, dev: "32179c5aaa143de39a78e40cfca0c647" };
const B = { slot: 1, dev: "f3024cad6985555184d38c0ca806b4b8" };

function params(): RaidParams {
  const r = validateParams({ uuid: UUID, targets: `${IQN1}@10.99.0.11 ${IQN2}@10.99.0.12`, md_device: "/dev/md127" });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.params;
}

class MemoryLedger implements LedgerStore {
  readonly name = "memory";
  readonly overrides = true;
  readonly writes: LedgerRecord[] = [];
  constructor(private view: LedgerView) {}
  async read(): Promise<LedgerView> {
    return this.view;
  }
  async write(record: LedgerRecord): Promise<WriteResult> {
    this.writes.push(record);
    this.view = { kind: "quorate", record, source: "memory" };
    return { ok: true };
  }
}


/** node1's target logs in, node2's is dead (captured rc 8); node1's member is the clean-stopped one (events 35, AA). */
function loneNode1(): FakeRunner {
  const r = new FakeRunner();
  withoutNodeRecords(r);
  r.answer(["mdadm", "--examine", "--export", LINK1], capturedResult(spike("raid1-stopped-examine"), "mdadm--examine--export--sda"));
  r.answer(["mdadm", "--examine", LINK1], capturedResult(spike("raid1-stopped-examine"), "mdadm--examine--sda"));
  r.on({ when: isLogin(IQN1), answer: { exitCode: 0 } });
  r.on({ when: isLogin(IQN2), answer: capturedResult(spike("login-dead-target"), "iscsiadm-m-node-login") });
  r.on({ when: (a) => a.includes("-u"), answer: { exitCode: 0 } });
  r.answer(["mdadm", "--assemble"], { exitCode: 0 });
  return r;
}
const lifecycle = (r: FakeRunner) => startLifecycle(r, IQN1);
const NO_QUORUM = (localRecord?: LedgerRecord): LedgerView => ({ kind: "unavailable", source: "memory", reason: "this node's partition has no quorum: its copy of the CIB may be stale", ...(localRecord ? { localRecord } : {}) });

describe("start with the ledger (row 3: only node1 boots)", () => {
  it("no quorum: refused, the refusal is a journal decision naming node2's target and the override command; nothing written", async () => {
    const r = loneNode1();
    const ledger = new MemoryLedger(NO_QUORUM());
    const ctx = { ...testContext(params(), r, lifecycle(r)), ledger, node: "node1" };
    const out = await startArray(ctx);
    expect(out.rc).toBe(1);
    expect(ctx.reporter.decisions[0]).toMatchObject({ decision: "refuse-freshness-unproven" });
    expect(ctx.reporter.decisions[0]?.reason).toContain(`slot 1 (${IQN2}@10.99.0.12)`);
    expect(ctx.reporter.decisions[0]?.reason).toContain("pmsapp override start --array 1e618de3:71fb3487:b1b62896:ad659dc6 --from node1");
    expect(r.callsTo("mdadm").some(isAssemble)).toBe(false);
    expect(ledger.writes).toEqual([]);
  });

  it("an override written on this node (found in its non-quorate copy) lets it start once; the start record consumes it", async () => {
    const r = loneNode1();
    const o = recordOverride(undefined, { uuid: UUID, by: "root", from: "node1", reason: "node2 replaced", time: "2026-11-24T19:00:00.000Z", writer: "node1" });
    const ledger = new MemoryLedger(NO_QUORUM(o));
    const ctx = { ...testContext(params(), r, lifecycle(r)), ledger, node: "node1" };
    const out = await startArray(ctx);
    expect(out.rc).toBe(0);
    expect(r.callsTo("mdadm").filter(isAssemble)).toEqual([["mdadm", "--assemble", "/dev/md127", "--uuid=1e618de3:71fb3487:b1b62896:ad659dc6", "--run", LINK1]]);
    expect(ctx.reporter.decisions.map((d) => d.decision)).toEqual(["override-consumed", "assemble-degraded"]);
    expect(ctx.reporter.logs.some((l) => l.level === "warn" && /OVERRIDE by root/.test(l.msg))).toBe(true);
    expect(ledger.writes).toHaveLength(1);
    expect(ledger.writes[0]).toMatchObject({ event: "start", writer: "node1", gen: 35, inSync: [A], starts: [{ node: "node1", devs: [A.dev] }] });
    expect(ledger.writes[0]?.overrides[0]?.consumed).toBeDefined();
  });

  it("quorate ledger with a clean stop of both at 35: node1 starts degraded, records node2's slot as dropped", async () => {
    const r = loneNode1();
    const clean = { ...recordStart(undefined, { uuid: UUID, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 35, inSync: [A, B] }), cleanStop: true };
    const ledger = new MemoryLedger({ kind: "quorate", record: clean, source: "memory" });
    const ctx = { ...testContext(params(), r, lifecycle(r)), ledger, node: "node1" };
    expect((await startArray(ctx)).rc).toBe(0);
    expect(ledger.writes[0]).toMatchObject({ inSync: [A], failed: [{ ...B, events: 36 }] });
  });
});

describe("a degraded start the cluster cannot learn about", () => {
  it("quorate ledger but the write fails: refused before any assembly, sessions this start opened are closed", async () => {
    const r = loneNode1();
    const clean = { ...recordStart(undefined, { uuid: UUID, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 35, inSync: [A, B] }), cleanStop: true };
    const ledger = new MemoryLedger({ kind: "quorate", record: clean, source: "memory" });
    ledger.write = async () => ({ ok: false, reason: "cannot write the ledger: crm_attribute: exit 102" });
    const ctx = { ...testContext(params(), r, lifecycle(r)), ledger, node: "node1" };
    const out = await startArray(ctx);
    expect(out.rc).toBe(1);
    expect(out.reason).toMatch(/could not be recorded in the cluster's ledger .*roll the array back/);
    expect(r.callsTo("mdadm").some(isAssemble)).toBe(false);
    expect(ctx.reporter.decisions.map((d) => d.decision)).toEqual(["ledger-write-failed", "refuse-ledger-unwritable"]);
  });
});

describe("depth-10 status writes member changes (row 5, first half)", () => {
  it("node2's member faulty (captured): the ledger records slot 1 dropped at the array's events (26)", async () => {
    const r = new FakeRunner();
    r.answer(["mdadm", "--examine", "--export", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--export--sdc"));
    r.answer(["mdadm", "--examine", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--sdc"));
    const ledger = new MemoryLedger({ kind: "quorate", record: recordStart(undefined, { uuid: UUID, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 19, inSync: [A, B] }), source: "memory" });
    const ctx = { ...testContext(params(), r, host("raid1-member-faulty")), ledger, node: "node1" };
    const out = await deepStatus(ctx, 10);
    expect(out.rc).toBe(0);
    expect(ledger.writes).toHaveLength(1);
    expect(ledger.writes[0]).toMatchObject({ event: "member-change", gen: 26, inSync: [A], failed: [{ ...B, events: 26 }] });
    expect(ctx.reporter.decisions.map((d) => d.decision)).toEqual(["degraded", "ledger-member-change"]);
    // node2's session is FREE: no re-add is attempted
    expect(r.calls.every((c) => c.argv[1] === "--examine")).toBe(true);
  });

  it("nothing changed since the last record: nothing written", async () => {
    const r = new FakeRunner();
    r.answer(["mdadm", "--examine", "--export", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--export--sdc"));
    r.answer(["mdadm", "--examine", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--sdc"));
    const ledger = new MemoryLedger({ kind: "quorate", record: { ...recordStart(undefined, { uuid: UUID, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 26, inSync: [A] }), failed: [{ ...B, events: 26 }] }, source: "memory" });
    const ctx = { ...testContext(params(), r, host("raid1-member-faulty")), ledger, node: "node1" };
    await deepStatus(ctx, 10);
    expect(ledger.writes).toEqual([]);
  });

  it("no quorum: the ledger is left alone", async () => {
    const ledger = new MemoryLedger(NO_QUORUM());
    const ctx = { ...testContext(params(), new FakeRunner(), host("raid1-member-faulty")), ledger, node: "node1" };
    expect((await deepStatus(ctx, 10)).rc).toBe(0);
    expect(ledger.writes).toEqual([]);
  });
});

describe("depth-10 status re-adds a returning member (row 5, second half)", () => {
  // No capture holds "member faulty, session back" (the lab scenario will); derived from raid1-member-faulty
  // with ONE file changed: node2's session state FREE -> LOGGED_IN. node2's member answers with its captured
  // raid1-healthy superblock (events 19, AA), as it was when it left.
  const faulty = host("raid1-member-faulty");
  const healed = { ...faulty, readText: (p: string) => (p === "/sys/class/iscsi_session/session2/state" ? "LOGGED_IN\n" : faulty.readText(p)) };
  const LINK2 = `/dev/disk/by-path/ip-10.99.0.12:3260-iscsi-${IQN2}-lun-1`;
  const dropped = { ...recordStart(undefined, { uuid: UUID, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 26, inSync: [A] }), failed: [{ ...B, events: 26 }] };

  function runner(): FakeRunner {
    const r = new FakeRunner();
    r.answer(["mdadm", "--examine", "--export", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--export--sdc"));
    r.answer(["mdadm", "--examine", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--sdc"));
    r.answer(["mdadm", "--examine", "--export", LINK2], capturedResult(spike("raid1-healthy"), "mdadm--examine--export--sdb"));
    r.answer(["mdadm", "--examine", LINK2], capturedResult(spike("raid1-healthy"), "mdadm--examine--sdb"));
    r.answer(["mdadm", "/dev/md127", "--remove", "failed"], { exitCode: 0 });
    r.answer(["mdadm", "/dev/md127", "--re-add", LINK2], { exitCode: 0 });
    return r;
  }

  it("ledger dropped it at 26, it holds 19 and still sees slot 0 active: remove the failed entry, re-add from the bitmap, journal it", async () => {
    const r = runner();
    const ctx = { ...testContext(params(), r, healed), ledger: new MemoryLedger({ kind: "quorate", record: dropped, source: "memory" }), node: "node1" };
    const out = await deepStatus(ctx, 10);
    expect(out.rc).toBe(0);
    expect(out.reason).toMatch(/re-added .*node2.* from the bitmap/);
    expect(r.callsTo("mdadm").filter((a) => a[1] === "/dev/md127")).toEqual([
      ["mdadm", "/dev/md127", "--remove", "failed"],
      ["mdadm", "/dev/md127", "--re-add", LINK2],
    ]);
    expect(ctx.reporter.decisions.map((d) => d.decision)).toContain("re-add");
  });

  it("the ledger started node2 alone since: nothing run, the operator is told the full-resync commands", async () => {
    const r = runner();
    const solo = { ...dropped, starts: [{ node: "node2", time: "2026-11-24T18:10:00.000Z", gen: 19, devs: [B.dev] }] };
    const ctx = { ...testContext(params(), r, healed), ledger: new MemoryLedger({ kind: "quorate", record: solo, source: "memory" }), node: "node1" };
    await deepStatus(ctx, 10);
    expect(r.callsTo("mdadm").filter((a) => a[1] === "/dev/md127")).toEqual([]);
    const d = ctx.reporter.decisions.find((x) => x.decision === "readd-needs-operator");
    expect(d?.details).toMatchObject({ code: "diverged", commands: [["mdadm", "--zero-superblock", LINK2], ["mdadm", "/dev/md127", "--add", LINK2]] });
  });

  it("while a recovery runs (captured raid1-recovering) nothing else is re-added", async () => {
    const r = new FakeRunner();
    r.answer(["mdadm", "--examine", "--export", "/dev/sdc"], capturedResult(spike("raid1-recovering"), "mdadm--examine--export--sdc"));
    r.answer(["mdadm", "--examine", "/dev/sdc"], capturedResult(spike("raid1-recovering"), "mdadm--examine--sdc"));
    const ctx = { ...testContext(params(), r, host("raid1-recovering")), ledger: new MemoryLedger({ kind: "quorate", record: dropped, source: "memory" }), node: "node1" };
    await deepStatus(ctx, 10);
    expect(r.calls.filter((c) => c.argv[1] === "/dev/md127")).toEqual([]);
  });
});

describe("clean stop", () => {
  it("after mdadm --stop the members' final superblocks (captured: 35/35, clean) are recorded as a clean stop", async () => {
    const { stopArray } = await import("./stop.js");
    const r = new FakeRunner();
    const isStop = (a: readonly string[]) => a[0] === "mdadm" && a[1] === "--stop";
    const isLogout = (a: readonly string[]) => a[0] === "iscsiadm" && a.includes("-u");
    r.answer(["mdadm", "--stop"], { exitCode: 0 });
    // raid1-healthy names node1's member sdc and node2's sdb; raid1-stopped-examine (same disks, relogged) sda and sdb
    r.answer(["mdadm", "--examine", "--export", "/dev/sdc"], capturedResult(spike("raid1-stopped-examine"), "mdadm--examine--export--sda"));
    r.answer(["mdadm", "--examine", "/dev/sdc"], capturedResult(spike("raid1-stopped-examine"), "mdadm--examine--sda"));
    r.answer(["mdadm", "--examine", "--export", "/dev/sdb"], capturedResult(spike("raid1-stopped-examine"), "mdadm--examine--export--sdb"));
    r.answer(["mdadm", "--examine", "/dev/sdb"], capturedResult(spike("raid1-stopped-examine"), "mdadm--examine--sdb"));
    r.on({ when: isLogout, answer: capturedResult(spike("login-dead-target"), "iscsiadm-m-node-logout") });
    const fs = phasedHost(r, [{ fs: host("raid1-healthy") }, { after: isStop, fs: host("raid1-stopped-examine") }, { after: isLogout, fs: EMPTY_HOST }]);
    const ledger = new MemoryLedger({ kind: "quorate", record: recordStart(undefined, { uuid: UUID, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 19, inSync: [A, B] }), source: "memory" });
    const ctx = { ...testContext(params(), r, fs), ledger, node: "node1" };
    expect((await stopArray(ctx)).rc).toBe(0);
    expect(ledger.writes).toEqual([expect.objectContaining({ event: "clean-stop", cleanStop: true, gen: 35, inSync: [A, B], failed: [] })]);
    // the record is written before the sessions go
    const order = r.calls.map((c) => (isStop(c.argv) ? "stop" : isLogout(c.argv) ? "logout" : "examine"));
    expect(order.indexOf("examine")).toBeLessThan(order.indexOf("logout"));
  });
});

describe("healthy array, ledger current", () => {
  it("costs only the ledger read: no superblock is examined, nothing written", async () => {
    const r = new FakeRunner();
    const ledger = new MemoryLedger({ kind: "quorate", record: recordStart(undefined, { uuid: UUID, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 19, inSync: [A, B] }), source: "memory" });
    const ctx = { ...testContext(params(), r, host("raid1-healthy")), ledger, node: "node1" };
    expect((await deepStatus(ctx, 10)).rc).toBe(0);
    expect(r.calls).toEqual([]);
    expect(ledger.writes).toEqual([]);
  });
});

describe("a target with no session while degraded", () => {
  // Derived from raid1-member-faulty with ONE change: node2's session (session2) is hidden, as after a start
  // whose login to node2 failed.
  const faulty = host("raid1-member-faulty");
  const noSession2 = { ...faulty, readDir: (p: string) => (p === "/sys/class/iscsi_session" ? (faulty.readDir(p) ?? []).filter((n) => n !== "session2") : faulty.readDir(p)) };
  const dropped = { ...recordStart(undefined, { uuid: UUID, node: "node1", time: "2026-11-24T18:00:00.000Z", gen: 26, inSync: [A] }), failed: [{ ...B, events: 26 }] };
  function runner(login: Parameters<FakeRunner["answer"]>[1]): FakeRunner {
    const r = new FakeRunner();
    r.answer(["mdadm", "--examine", "--export", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--export--sdc"));
    r.answer(["mdadm", "--examine", "/dev/sdc"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--sdc"));
    r.on({ when: isLogin(IQN2), answer: login });
    return r;
  }

  it("still dead (captured login rc 8): one bounded login attempt, no journal noise", async () => {
    const r = runner(capturedResult(spike("login-dead-target"), "iscsiadm-m-node-login"));
    const ctx = { ...testContext(params(), r, noSession2), ledger: new MemoryLedger({ kind: "quorate", record: dropped, source: "memory" }), node: "node1" };
    expect((await deepStatus(ctx, 10)).rc).toBe(0);
    const logins = r.calls.filter((c) => isLogin(IQN2)(c.argv));
    expect(logins).toHaveLength(1);
    expect(logins[0]?.options.timeoutMs).toBe(5000);
    expect(ctx.reporter.decisions.map((d) => d.decision)).toEqual(["degraded"]);
  });

  it("answers again: logged in and journaled; the member is judged by the next check", async () => {
    const r = runner({ exitCode: 0 });
    const ctx = { ...testContext(params(), r, noSession2), ledger: new MemoryLedger({ kind: "quorate", record: dropped, source: "memory" }), node: "node1" };
    const out = await deepStatus(ctx, 10);
    expect(out.reason).toMatch(/logged in to .*node2.* again/);
    expect(ctx.reporter.decisions.map((d) => d.decision)).toContain("login-returning-target");
  });
});
