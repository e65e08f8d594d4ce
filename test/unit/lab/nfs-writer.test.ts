/**
 * The NFS writer and its verifier without VMs: the record format, and the bundled guest program run
 * with this host's node on a local file (write until told to stop, then verify; then damage the file
 * the ways a failover could and check the verifier counts each).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { guestProgram } from "../../lab/lib/nfs-writer.js";
import { decodeSlot, encodeRecord, parseAckLog, verifyRecords, type Ack } from "../../lab/lib/nfs-writer-records.js";
import { randomBytes } from "node:crypto";

const SIZE = 256;
const ack = (seq: number): Ack => ({ seq, at: 1_700_000_000_000 + seq, ms: 3 });

describe("NFS writer records", () => {
  it("a record decodes to its number; one flipped byte anywhere is a checksum or header error", () => {
    const r = encodeRecord(42, SIZE, randomBytes(SIZE));
    expect(r.length).toBe(SIZE);
    expect(decodeSlot(r)).toEqual({ kind: "record", seq: 42 });
    for (const at of [0, 30, 120, SIZE - 1]) {
      const bad = Buffer.from(r);
      bad[at] = (bad[at] as number) ^ 0x01;
      expect(decodeSlot(bad).kind).toBe("corrupt");
    }
    expect(decodeSlot(Buffer.alloc(SIZE))).toEqual({ kind: "hole" });
  });

  it("verify: lost (hole or past the end), corrupted acknowledged, torn unacknowledged, misplaced", () => {
    const recs = [1, 2, 3, 4, 5].map((n) => encodeRecord(n, SIZE, randomBytes(SIZE)));
    recs[1] = Buffer.alloc(SIZE); // record 2 never reached the disk
    (recs[2] as Buffer)[200] = 0x21; // record 3 damaged
    recs[3] = encodeRecord(1, SIZE, randomBytes(SIZE)); // slot 4 holds record 1: misplaced
    const torn = (recs[4] as Buffer).subarray(0, 100); // record 5 torn, not acknowledged
    const data = Buffer.concat([...recs.slice(0, 4), torn]);
    const r = verifyRecords(data, [1, 2, 3, 4, 6].map(ack), SIZE);
    expect(r.slots).toBe(5);
    expect(r.intactAcked).toBe(1);
    expect(r.lost).toEqual([2, 6]);
    expect(r.corruptedAcked).toEqual([3, 4]);
    expect(r.corruptedUnacked).toEqual([5]);
  });

  it("the ack log parser ignores a torn last line and refuses damage in the middle", () => {
    expect(parseAckLog("ack 1 100 5\nack 2 200 6\nack 3 3")).toEqual([{ seq: 1, at: 100, ms: 5 }, { seq: 2, at: 200, ms: 6 }]);
    expect(() => parseAckLog("ack 1 100 5\ngarbage\nack 3 300 1\n")).toThrow("line 2 is malformed");
  });
});

describe("NFS writer program (bundled, run with this host's node)", () => {
  it("writes, acknowledges, stops on request; the verifier finds every acknowledged record, then the damage done", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pmsapp-writer-"));
    const program = join(dir, "nfs-writer.cjs");
    writeFileSync(program, await guestProgram());
    const data = join(dir, "records.dat");
    const acks = join(dir, "acks.log");
    const child = spawn(process.execPath, [program, "write", data, acks, String(SIZE), "1"], { stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const until = Date.now() + 10_000;
    while (Date.now() < until && (!existsSync(acks) || parseAckLog(readFileSync(acks, "latin1")).length < 30)) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(`${acks}.stop`, "");
    expect(await exited).toBe(0);

    const verify = () => JSON.parse(spawnSync(process.execPath, [program, "verify", data, acks, String(SIZE)], { encoding: "utf8" }).stdout);
    const clean = verify();
    expect(clean.acked).toBeGreaterThanOrEqual(30);
    expect(clean.intactAcked).toBe(clean.acked);
    expect(clean.lost.count + clean.corruptedAcked.count + clean.corruptedUnacked.count).toBe(0);

    const bytes = readFileSync(data);
    bytes[SIZE * 4 + 150] = (bytes[SIZE * 4 + 150] as number) ^ 0xff; // record 5
    bytes.fill(0, SIZE * 9, SIZE * 10); // record 10
    writeFileSync(data, bytes);
    const damaged = verify();
    expect(damaged.corruptedAcked).toEqual({ count: 1, first: [5] });
    expect(damaged.lost).toEqual({ count: 1, first: [10] });
    expect(damaged.intactAcked).toBe(clean.acked - 2);
  });

  it("bad arguments: usage and exit 2, nothing written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pmsapp-writer-"));
    const program = join(dir, "nfs-writer.cjs");
    writeFileSync(program, await guestProgram());
    const r = spawnSync(process.execPath, [program, "write", join(dir, "d"), join(dir, "a"), "ten", "1"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("usage");
    expect(existsSync(join(dir, "d"))).toBe(false);
  });
});
