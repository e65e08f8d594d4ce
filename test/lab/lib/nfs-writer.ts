/**
 * The NFS client's continuous writer, driven from the host: numbered, checksummed records written
 * through the NFS mount with an fsync after each, acknowledged in a log on the client's own disk
 * (nfs-writer-guest.ts inside the client, bundled here with esbuild), and a verifier that checks every
 * acknowledged record is present and intact and counts damaged ones (nfs-writer-records.ts).
 *
 *   const w = new NfsWriter(lab.client);
 *   await w.start();                                  // waits for the first acknowledged record
 *   const ack = await w.waitAckAfter(lab, t, 300_000); // first record acknowledged after client time t
 *   await w.stop(); const report = await w.verify();
 */
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GuestNode, Lab } from "./lab.js";
import { parseAckLog, type Ack, type VerifyReport } from "./nfs-writer-records.js";
import { CLIENT_MOUNT } from "./storage.js";

const GUEST_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "nfs-writer-guest.ts");
const GUEST_PROGRAM = "/usr/local/lib/nfs-writer.cjs";

let bundled: Promise<string> | undefined;

/** The guest program as one CommonJS file for the guest's node (built once per process). */
export function guestProgram(): Promise<string> {
  bundled ??= build({ entryPoints: [GUEST_SOURCE], bundle: true, platform: "node", format: "cjs", target: "node20", write: false, logLevel: "silent" }).then((r) => {
    const out = r.outputFiles[0];
    if (out === undefined) throw new Error("esbuild produced no output for the NFS writer");
    return out.text;
  });
  return bundled;
}

/** What verify() reports; list fields carry a count and the first 20 record numbers. */
export interface WriterReport extends Omit<VerifyReport, "lost" | "corruptedAcked" | "corruptedUnacked"> {
  readonly lost: { count: number; first: number[] };
  readonly corruptedAcked: { count: number; first: number[] };
  readonly corruptedUnacked: { count: number; first: number[] };
  readonly maxAcked: number;
}

export interface WriterOptions {
  /** Data file on the NFS mount. */
  readonly dataPath?: string;
  /** Ack log on the client's own disk. */
  readonly ackPath?: string;
  readonly recordSize?: number;
  /** Pause between records (ms). */
  readonly pauseMs?: number;
}

export class NfsWriter {
  readonly dataPath: string;
  readonly ackPath: string;
  readonly recordSize: number;
  readonly pauseMs: number;

  constructor(readonly client: GuestNode, options: WriterOptions = {}) {
    this.dataPath = options.dataPath ?? `${CLIENT_MOUNT}/records.dat`;
    this.ackPath = options.ackPath ?? "/var/lib/nfs-writer/acks.log";
    this.recordSize = options.recordSize ?? 1024;
    this.pauseMs = options.pauseMs ?? 50;
  }

  /** Install the program, start the writer detached, wait until it acknowledged its first record. */
  async start(lab: Lab, timeoutMs = 60_000): Promise<void> {
    await this.client.writeFile(GUEST_PROGRAM, await guestProgram(), "0644");
    await this.client.must(
      `mkdir -p ${dirname(this.ackPath)}; rm -f ${this.ackPath}.stop
{ setsid /usr/bin/node ${GUEST_PROGRAM} write ${this.dataPath} ${this.ackPath} ${this.recordSize} ${this.pauseMs} >/dev/null 2>${this.ackPath}.stderr </dev/null & echo $! > ${this.ackPath}.pid; }`,
      { timeoutMs: 20_000 },
    );
    await lab.waitFor("the NFS writer's first acknowledged record", async () => (await this.lastAck()) ?? false, { timeoutMs, intervalMs: 500 });
  }

  async running(): Promise<boolean> {
    return (await this.client.sh(`kill -0 "$(cat ${this.ackPath}.pid)" 2>/dev/null`, { timeoutMs: 10_000 })).rc === 0;
  }

  async lastAck(): Promise<Ack | undefined> {
    const r = await this.client.sh(`tail -n 1 ${this.ackPath} 2>/dev/null`, { timeoutMs: 10_000 });
    return parseAckLog(r.stdout.endsWith("\n") ? r.stdout : "")[0];
  }

  /** The first record acknowledged at or after client time `clientMs`, if any yet. */
  async firstAckAfter(clientMs: number): Promise<Ack | undefined> {
    const r = await this.client.sh(`awk -v t=${Math.floor(clientMs)} '$1 == "ack" && $3 >= t { print; exit }' ${this.ackPath}`, { timeoutMs: 20_000 });
    return parseAckLog(r.stdout)[0];
  }

  async waitAckAfter(lab: Lab, clientMs: number, timeoutMs: number): Promise<Ack> {
    const r = await lab.waitFor(`a record acknowledged by the NFS writer after client time ${clientMs}`, async () => (await this.firstAckAfter(clientMs)) ?? false, { timeoutMs, intervalMs: 1000 });
    return r.value;
  }

  /** Every acknowledged record so far. */
  async acks(): Promise<Ack[]> {
    return parseAckLog(await this.client.must(`cat ${this.ackPath}`, { timeoutMs: 60_000 }));
  }

  /** What the writer logged as failed writes/fsyncs (each retried; none acknowledged). */
  async errors(): Promise<string[]> {
    const r = await this.client.sh(`cat ${this.ackPath}.err 2>/dev/null`, { timeoutMs: 20_000 });
    return r.stdout.split("\n").filter(Boolean);
  }

  /** Ask the writer to stop after its current record and wait (up to timeoutMs) until it has. */
  async stop(lab: Lab, timeoutMs = 120_000): Promise<void> {
    await this.client.must(`touch ${this.ackPath}.stop`, { timeoutMs: 10_000 });
    await lab.waitFor("the NFS writer to stop", async () => !(await this.running()), { timeoutMs, intervalMs: 500 });
  }

  /** Verify the data file (read fresh through NFS: the client's page cache is dropped first). */
  async verify(): Promise<WriterReport> {
    const out = await this.client.must(
      `sync; echo 3 > /proc/sys/vm/drop_caches; /usr/bin/node ${GUEST_PROGRAM} verify ${this.dataPath} ${this.ackPath} ${this.recordSize}`,
      { timeoutMs: 300_000 },
    );
    return JSON.parse(out.trim().split("\n").pop() ?? "{}") as WriterReport;
  }
}
