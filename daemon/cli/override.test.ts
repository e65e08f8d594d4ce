/** `pmsapp override start` against the real crm_node/crm_attribute outputs (pacemaker-host-2026-11-24). */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLedgerRecord } from "../../agents/ledger/record.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { journalLine } from "../model/agent-events.js";
import { parseOverrideArgs, runOverride } from "./override.js";

const OFFLINE = fixture("pacemaker-host-2026-11-24");
const LIVE = fixture("pacemaker-host-2026-11-24", "live-one-node");
const UUID = "1e618de3:71fb3487:b1b62896:ad659dc6";
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function run(argv: string[], runner: FakeRunner) {
  const dir = mkdtempSync(join(tmpdir(), "pmsapp-override-"));
  dirs.push(dir);
  const journal = join(dir, "agents.jsonl");
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOverride(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env: { PMSAPP_JOURNAL: journal, SUDO_USER: "alice" }, runner, now: () => Date.parse("2026-11-24T19:30:00.000Z") });
  let lines: string[] = [];
  try {
    lines = readFileSync(journal, "utf8").trim().split("\n");
  } catch {
    /* no journal */
  }
  return { code, out, err, journal: lines.filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const ARGS = ["start", "--array", UUID, "--from", "node2", "--reason", "node1's disk is dead"];

describe("arguments", () => {
  it("bad input is a usage error with the problem named, and nothing runs", async () => {
    const cases: [string[], RegExp][] = [
      [["stop", "--array", UUID], /only 'start'/],
      [["start", "--array", "$(reboot)", "--from", "node2", "--reason", "x"], /not an md array UUID/],
      [["start", "--array", UUID, "--from", "node2;id", "--reason", "x"], /--from needs a node name/],
      [["start", "--array", UUID, "--from", "node2", "--reason", "two\nlines"], /--reason needs one line/],
      [["start", "--array", UUID, "--from", "node2"], /--reason required/],
      [["start", "--array", UUID, "--force"], /unknown option '--force'/],
    ];
    for (const [argv, msg] of cases) {
      const r = new FakeRunner();
      const res = await run(argv, r);
      expect(res.code, argv.join(" ")).toBe(2);
      expect(res.err.join("\n")).toMatch(msg);
      expect(r.calls).toEqual([]);
    }
    expect(parseOverrideArgs(["--help"])).toEqual({ ok: true, help: true });
  });
});

describe("recording", () => {
  it("quorate cluster with a ledger: writes the override into the CIB record, keeps the record's facts, journals it", async () => {
    const r = new FakeRunner()
      .answer(["crm_node", "-n"], capturedResult(LIVE, "crm_node-n"))
      .answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum"))
      .answer(["crm_attribute", "--type", "crm_config", "--name", "pmsapp-ledger-1e618de371fb3487b1b62896ad659dc6", "--query"], capturedResult(LIVE, "crm_attribute-query-quiet"))
      .answer(["crm_attribute", "--type", "crm_config", "--name", "pmsapp-ledger-1e618de371fb3487b1b62896ad659dc6", "--update"], capturedResult(LIVE, "crm_attribute-update"));
    const res = await run(ARGS, r);
    expect(res.code).toBe(0);
    const update = r.callsTo("crm_attribute").find((a) => a.includes("--update"));
    const rec = parseLedgerRecord(update?.at(-1) ?? "");
    expect(rec.ok && rec.record).toMatchObject({ gen: 26, writer: "node1", event: "override", inSync: [{ slot: 0 }], overrides: [{ by: "alice", from: "node2", reason: "node1's disk is dead", overridesGen: 26, time: "2026-11-24T19:30:00.000Z" }] });
    expect(res.journal).toEqual([expect.objectContaining({ agent: "override", kind: "decision", decision: "override-start", uuid: "1e618de371fb3487b1b62896ad659dc6", details: expect.objectContaining({ by: "alice", from: "node2", overridesGen: 26 }) })]);
    expect(res.out.join(" ")).toMatch(/next start of 1e618de3:71fb3487:b1b62896:ad659dc6 on node2 .*used once/);
    // pmsappd turns exactly such lines into `agent` events
    expect(journalLine.safeParse(res.journal[0]).success).toBe(true);
  });

  it("a lone node without quorum: the override goes into its own CIB copy, with a note", async () => {
    const r = new FakeRunner()
      .answer(["crm_node", "-n"], capturedResult(LIVE, "crm_node-n"))
      .answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-without-quorum"))
      .answer(["crm_attribute", "--type", "crm_config", "--name", "pmsapp-ledger-1e618de371fb3487b1b62896ad659dc6", "--query"], capturedResult(LIVE, "crm_attribute-query-missing-without-quorum"))
      .answer(["crm_attribute", "--type", "crm_config", "--name", "pmsapp-ledger-1e618de371fb3487b1b62896ad659dc6", "--update"], capturedResult(OFFLINE, "crm_attribute-update"));
    const res = await run(ARGS, r);
    expect(res.code).toBe(0);
    expect(res.err.join(" ")).toMatch(/no quorum.*this node's CIB copy/);
    const rec = parseLedgerRecord(r.callsTo("crm_attribute").find((a) => a.includes("--update"))?.at(-1) ?? "");
    expect(rec.ok && rec.record).toMatchObject({ gen: 0, overrides: [{ from: "node2", overridesGen: 0 }] });
  });

  it("no Pacemaker (crm_node's real error): exit 3, pointing to degraded=force; nothing written", async () => {
    const r = new FakeRunner().answer(["crm_node", "-n"], capturedResult(OFFLINE, "crm_node-n-no-cluster"));
    const res = await run(ARGS, r);
    expect(res.code).toBe(3);
    expect(res.err.join(" ")).toMatch(/Could not connect to controller.*degraded=force/);
    expect(res.journal).toEqual([]);
  });

  it("the CIB write fails: exit 1 with crm_attribute's message, no journal record", async () => {
    const r = new FakeRunner()
      .answer(["crm_node", "-n"], capturedResult(LIVE, "crm_node-n"))
      .answer(["crm_node", "-q"], capturedResult(LIVE, "crm_node-q-with-quorum"))
      .answer(["crm_attribute", "--type", "crm_config", "--name", "pmsapp-ledger-1e618de371fb3487b1b62896ad659dc6", "--query"], capturedResult(OFFLINE, "crm_attribute-query-missing"))
      .answer(["crm_attribute", "--type", "crm_config", "--name", "pmsapp-ledger-1e618de371fb3487b1b62896ad659dc6", "--update"], capturedResult(OFFLINE, "crm_attribute-query-no-cluster"));
    const res = await run(ARGS, r);
    expect(res.code).toBe(1);
    expect(res.err.join(" ")).toMatch(/not recorded: .*Could not connect to the CIB/);
    expect(res.journal).toEqual([]);
  });
});

describe("pmsapp CLI", () => {
  it("`pmsapp override` reaches the override command (usage error without a kind's arguments, nothing run)", async () => {
    const { runCli } = await import("./run.js");
    const r = new FakeRunner();
    const err: string[] = [];
    const code = await runCli(["override", "start", "--array", UUID], { out: () => {}, err: (l) => err.push(l), env: {}, isTty: false, runner: r, interrupted: new Promise(() => {}) });
    expect(code).toBe(2);
    expect(err.join(" ")).toMatch(/--from, --reason required/);
    expect(r.calls).toEqual([]);
  });
});
