/**
 * The NFS client's writer and verifier, run inside the client VM with its /usr/bin/node (bundled to one
 * CommonJS file by nfs-writer.ts; no dependencies).
 *
 *   node nfs-writer.cjs write  <data file on NFS> <ack log on local disk> <record size> <pause ms>
 *   node nfs-writer.cjs verify <data file> <ack log> <record size>      -> one JSON line (VerifyReport)
 *
 * write: record after record, each written in place and fsynced; only then is it acknowledged in the ack
 * log (appended and fsynced on the client's own disk). A failed write or fsync is logged to
 * `<ack log>.err`, the file is reopened and the same record is tried again (it was never acknowledged).
 * Creating `<ack log>.stop` ends the loop after the current record.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync, appendFileSync, constants } from "node:fs";
import { randomBytes } from "node:crypto";
import { encodeRecord, parseAckLog, verifyRecords } from "./nfs-writer-records.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function appendDurably(path: string, line: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, 0o644);
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function write(dataPath: string, ackPath: string, size: number, pauseMs: number): Promise<void> {
  const acks = existsSync(ackPath) ? parseAckLog(readFileSync(ackPath, "latin1")) : [];
  let seq = acks.reduce((max, a) => Math.max(max, a.seq), 0) + 1;
  let fd: number | undefined;
  const stopFile = `${ackPath}.stop`;
  while (!existsSync(stopFile)) {
    const record = encodeRecord(seq, size, randomBytes(size));
    const t0 = Date.now();
    try {
      fd ??= openSync(dataPath, constants.O_WRONLY | constants.O_CREAT, 0o644);
      let done = 0;
      while (done < record.length) done += writeSync(fd, record, done, record.length - done, (seq - 1) * size + done);
      fsyncSync(fd);
      const t1 = Date.now();
      appendDurably(ackPath, `ack ${seq} ${t1} ${t1 - t0}\n`);
      seq++;
    } catch (e) {
      appendFileSync(`${ackPath}.err`, `err ${seq} ${Date.now()} ${(e as Error).message.replace(/\n/g, " ")}\n`);
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // the descriptor is gone either way
        }
        fd = undefined;
      }
      await sleep(500);
      continue;
    }
    if (pauseMs > 0) await sleep(pauseMs);
  }
  if (fd !== undefined) closeSync(fd);
}

function verify(dataPath: string, ackPath: string, size: number): void {
  const acks = parseAckLog(readFileSync(ackPath, "latin1"));
  const data = existsSync(dataPath) ? readFileSync(dataPath) : Buffer.alloc(0);
  const r = verifyRecords(data, acks, size);
  const cut = (xs: readonly number[]) => ({ count: xs.length, first: xs.slice(0, 20) });
  process.stdout.write(
    JSON.stringify({ ...r, lost: cut(r.lost), corruptedAcked: cut(r.corruptedAcked), corruptedUnacked: cut(r.corruptedUnacked), maxAcked: acks.reduce((m, a) => Math.max(m, a.seq), 0) }) + "\n",
  );
}

async function main(argv: string[]): Promise<number> {
  const [mode, dataPath, ackPath, sizeText, pauseText] = argv;
  const size = Number(sizeText);
  if (dataPath === undefined || ackPath === undefined || !Number.isInteger(size) || size <= 0) {
    process.stderr.write("usage: nfs-writer write <data> <acklog> <size> <pause-ms> | verify <data> <acklog> <size>\n");
    return 2;
  }
  if (mode === "write") {
    const pause = Number(pauseText ?? "0");
    if (!Number.isFinite(pause) || pause < 0) {
      process.stderr.write(`nfs-writer: bad pause ${pauseText}\n`);
      return 2;
    }
    await write(dataPath, ackPath, size, pause);
    return 0;
  }
  if (mode === "verify") {
    verify(dataPath, ackPath, size);
    return 0;
  }
  process.stderr.write(`nfs-writer: unknown mode ${mode}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (rc) => process.exit(rc),
  (e: Error) => {
    process.stderr.write(`nfs-writer: ${e.message}\n`);
    process.exit(1);
  },
);
