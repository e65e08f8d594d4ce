import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { consumeOverride, KEEP_STARTS, parseLedgerRecord, pendingOverride, recordCleanStop, recordMemberChange, recordOverride, recordStart, serializeLedgerRecord } from "./record.js";

const U = "1e618de371fb3487b1b62896ad659dc6";
const A = { slot: 0, dev: "32179c5aaa143de39a78e40cfca0c647" };
const B = { slot: 1, dev: "f3024cad6985555184d38c0ca806b4b8" };
const at = (m: number) => `2026-11-24T18:${String(m).padStart(2, "0")}:00.000Z`;

describe("parse and serialize", () => {
  it("the value read back from a real CIB parses, and serializes to the same text", () => {
    const text = readFileSync(fixture("pacemaker-host-2026-11-24", "live-one-node", "crm_attribute-query-quiet.txt"), "utf8").trim();
    const r = parseLedgerRecord(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(serializeLedgerRecord(r.record)).toBe(text);
  });

  it("not JSON, wrong version, bad UUID, negative counts, a node name with shell characters: rejected with the field named", () => {
    expect(parseLedgerRecord("{").ok).toBe(false);
    const good = JSON.parse(serializeLedgerRecord(recordStart(undefined, { uuid: U, node: "node1", time: at(0), gen: 3, inSync: [A, B] })));
    const bad = (patch: object) => {
      const r = parseLedgerRecord(JSON.stringify({ ...good, ...patch }));
      return r.ok ? "accepted" : r.error;
    };
    expect(bad({ v: 2 })).toMatch(/v:/);
    expect(bad({ uuid: "nope" })).toMatch(/uuid: not an md UUID/);
    expect(bad({ gen: -1 })).toMatch(/gen:/);
    expect(bad({ writer: "node1; rm -rf /" })).toMatch(/writer: not a node name/);
    expect(bad({})).toBe("accepted");
  });
});

describe("updates", () => {
  it("start, member failure, re-add, clean stop: failed members carry the count they were dropped at", () => {
    const s = recordStart(undefined, { uuid: U, node: "node1", time: at(0), gen: 19, inSync: [A, B] });
    expect(s).toMatchObject({ event: "start", gen: 19, failed: [], cleanStop: false, starts: [{ node: "node1", gen: 19, devs: [A.dev, B.dev] }] });
    const f = recordMemberChange(s, { uuid: U, node: "node1", time: at(5), gen: 26, inSync: [A] });
    expect(f).toMatchObject({ event: "member-change", inSync: [A], failed: [{ ...B, events: 26 }] });
    const later = recordMemberChange(f, { uuid: U, node: "node1", time: at(6), gen: 28, inSync: [A] });
    expect(later.failed).toEqual([{ ...B, events: 26 }]);
    const back = recordMemberChange(later, { uuid: U, node: "node1", time: at(7), gen: 30, inSync: [A, B] });
    expect(back.failed).toEqual([]);
    expect(recordCleanStop(back, { uuid: U, node: "node1", time: at(8), gen: 35, inSync: [A, B] })).toMatchObject({ event: "clean-stop", cleanStop: true, gen: 35 });
  });

  it("a member missing at a start is recorded one event past the start (md's margin for an in-flight update)", () => {
    const s = recordStart(undefined, { uuid: U, node: "node1", time: at(0), gen: 19, inSync: [A, B] });
    expect(recordStart(s, { uuid: U, node: "node2", time: at(1), gen: 19, inSync: [B] }).failed).toEqual([{ ...A, events: 20 }]);
  });

  it("keeps only the last starts", () => {
    let r = recordStart(undefined, { uuid: U, node: "node1", time: at(0), gen: 1, inSync: [A, B] });
    for (let i = 1; i < 20; i++) r = recordStart(r, { uuid: U, node: "node1", time: at(i), gen: i + 1, inSync: [A, B] });
    expect(r.starts).toHaveLength(KEEP_STARTS);
    expect(r.starts.at(-1)?.gen).toBe(20);
  });

  it("an override is pending for its node until consumed, records the generation it overrides, and a newer one supersedes it", () => {
    const s = recordMemberChange(recordStart(undefined, { uuid: U, node: "node1", time: at(0), gen: 19, inSync: [A, B] }), { uuid: U, node: "node1", time: at(1), gen: 26, inSync: [A] });
    const o = recordOverride(s, { uuid: U, by: "root", from: "node2", reason: "node1 lost", time: at(2), writer: "node2" });
    expect(pendingOverride(o, "node2")).toMatchObject({ by: "root", overridesGen: 26 });
    expect(pendingOverride(o, "node1")).toBeUndefined();
    expect(pendingOverride(consumeOverride(o, "node2", at(3)), "node2")).toBeUndefined();
    const o2 = recordOverride(o, { uuid: U, by: "root", from: "node1", reason: "changed my mind", time: at(4), writer: "node2" });
    expect(pendingOverride(o2, "node2")).toBeUndefined();
    expect(pendingOverride(o2, "node1")?.reason).toBe("changed my mind");
    expect(o2.inSync).toEqual([A]);
  });

  it("an override not used before the ledger moved on (a start, a member change) is void", () => {
    const s = recordStart(undefined, { uuid: U, node: "node1", time: at(0), gen: 19, inSync: [A, B] });
    const o = recordOverride(s, { uuid: U, by: "root", from: "node2", reason: "x", time: at(1), writer: "node2" });
    expect(pendingOverride(o, "node2")).toBeDefined();
    expect(pendingOverride(recordStart(o, { uuid: U, node: "node1", time: at(2), gen: 20, inSync: [A, B] }), "node2")).toBeUndefined();
    expect(pendingOverride(recordMemberChange(o, { uuid: U, node: "node1", time: at(2), gen: 19, inSync: [A] }), "node2")).toBeUndefined();
  });
});
