import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JournalLine } from "../model/agent-events.js";
import { JournalTail } from "./journal-tail.js";

const rec = (action: string, extra: Partial<JournalLine> = {}) =>
  JSON.stringify({ time: "2026-11-24T12:00:00.000Z", agent: "raid", instance: "lab", action, kind: "action-end", rc: 0, ...extra }) + "\n";

describe("journal tail", () => {
  let dir: string;
  let file: string;
  let seen: string[];
  let primed: string[];
  let bad: string[];
  let tail: JournalTail;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "pmsapp-journal-"));
    file = join(dir, "journal", "agents.jsonl");
    seen = [];
    primed = [];
    bad = [];
    tail = new JournalTail({ path: file, onRecord: (r) => seen.push(r.action), onPrime: (r) => primed.push(r.action), onBadLine: (r) => bad.push(r) });
  });
  afterEach(async () => {
    await tail.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("primes from existing lines without events, then reports appended ones, whole lines only", async () => {
    await tail.start(); // creates the directory
    writeFileSync(file, rec("start") + rec("monitor"));
    await tail.close();
    tail = new JournalTail({ path: file, onRecord: (r) => seen.push(r.action), onPrime: (r) => primed.push(r.action), onBadLine: (r) => bad.push(r) });
    await tail.start();
    expect(primed).toEqual(["start", "monitor"]);
    const line = rec("stop");
    appendFileSync(file, line.slice(0, 20));
    tail.poll();
    expect(seen).toEqual([]);
    appendFileSync(file, line.slice(20));
    tail.poll();
    expect(seen).toEqual(["stop"]);
  });

  it("follows rotation to <file>.1 and truncation, and skips bad lines with a reason", async () => {
    await tail.start();
    appendFileSync(file, rec("a"));
    tail.poll();
    renameSync(file, file + ".1");
    appendFileSync(file, rec("b") + "not json\n" + JSON.stringify({ agent: "raid" }) + "\n");
    tail.poll();
    truncateSync(file, 0);
    appendFileSync(file, rec("c"));
    tail.poll();
    expect(seen).toEqual(["a", "b", "c"]);
    expect(bad.length).toBe(2);
    expect(bad[0]).toContain("not JSON");
  });

  it("sees appends through chokidar without an explicit poll", async () => {
    await tail.start();
    appendFileSync(file, rec("watched"));
    const end = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    expect(seen).toEqual(["watched"]);
  });
});
