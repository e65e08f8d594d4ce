/**
 * The NFS client writer's record format and the verifier, pure (no I/O), shared by the guest program
 * (nfs-writer-guest.ts, bundled and run with the guest's /usr/bin/node) and the unit tests.
 *
 * Record N (N = 1, 2, ...) lives at offset (N-1)*size of one file: a header line
 * `PMSAREC1 <N, 12 digits> <sha256 hex of "N:" + payload>\n`, then the payload (printable random bytes)
 * up to `size`. A slot of zero bytes was never written (a hole). A record is acknowledged only after its
 * write and fsync returned; the writer then appends `ack <N> <client ms> <write+fsync ms>` to a log on the
 * client's own disk and fsyncs that too.
 */
import { createHash } from "node:crypto";

export const MAGIC = "PMSAREC1";
const HEADER_LENGTH = MAGIC.length + 1 + 12 + 1 + 64 + 1;
export const MIN_RECORD_SIZE = HEADER_LENGTH + 16;
const PAYLOAD_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function digest(seq: number, payload: Buffer): string {
  return createHash("sha256").update(`${seq}:`).update(payload).digest("hex");
}

/** One record of exactly `size` bytes; `random` supplies the payload's entropy (>= payload length). */
export function encodeRecord(seq: number, size: number, random: Buffer): Buffer {
  if (!Number.isInteger(seq) || seq < 1 || seq > 999_999_999_999) throw new Error(`record number out of range: ${seq}`);
  if (size < MIN_RECORD_SIZE) throw new Error(`record size ${size} is below ${MIN_RECORD_SIZE}`);
  const payloadLength = size - HEADER_LENGTH;
  if (random.length < payloadLength) throw new Error(`need ${payloadLength} random bytes, got ${random.length}`);
  const payload = Buffer.alloc(payloadLength);
  for (let i = 0; i < payloadLength; i++) payload[i] = PAYLOAD_ALPHABET.charCodeAt((random[i] as number) & 63);
  const header = Buffer.from(`${MAGIC} ${String(seq).padStart(12, "0")} ${digest(seq, payload)}\n`, "latin1");
  return Buffer.concat([header, payload]);
}

export type SlotState = { readonly kind: "hole" } | { readonly kind: "record"; readonly seq: number } | { readonly kind: "corrupt"; readonly reason: string };

/** What one slot holds: nothing, an intact record (its number), or something damaged. */
export function decodeSlot(slot: Buffer): SlotState {
  if (slot.every((b) => b === 0)) return { kind: "hole" };
  if (slot.length < MIN_RECORD_SIZE) return { kind: "corrupt", reason: `short slot (${slot.length} bytes)` };
  const header = slot.subarray(0, HEADER_LENGTH).toString("latin1");
  const m = /^PMSAREC1 (\d{12}) ([0-9a-f]{64})\n$/.exec(header);
  if (m === null) return { kind: "corrupt", reason: "bad header" };
  const seq = Number(m[1]);
  if (digest(seq, slot.subarray(HEADER_LENGTH)) !== m[2]) return { kind: "corrupt", reason: `checksum mismatch in record ${seq}` };
  return { kind: "record", seq };
}

export interface Ack {
  readonly seq: number;
  /** Client wall clock when write+fsync returned (ms since the epoch). */
  readonly at: number;
  /** How long write+fsync took (ms). */
  readonly ms: number;
}

/** The writer's ack log; a torn last line (the client's own crash) is ignored, anything else malformed throws. */
export function parseAckLog(text: string): Ack[] {
  const acks: Ack[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line === "") return;
    const m = /^ack (\d+) (\d+) (\d+)$/.exec(line);
    if (m === null) {
      if (i === lines.length - 1) return;
      throw new Error(`ack log line ${i + 1} is malformed: ${JSON.stringify(line.slice(0, 80))}`);
    }
    acks.push({ seq: Number(m[1]), at: Number(m[2]), ms: Number(m[3]) });
  });
  return acks;
}

export interface VerifyReport {
  readonly recordSize: number;
  readonly slots: number;
  readonly acked: number;
  readonly intactAcked: number;
  /** Acknowledged records whose slot is a hole or beyond the end of the file: lost writes. */
  readonly lost: readonly number[];
  /** Acknowledged records whose slot holds something else or fails its checksum. */
  readonly corruptedAcked: readonly number[];
  /** Slots never acknowledged that hold damaged data (a write cut by the failover; not a lost write). */
  readonly corruptedUnacked: readonly number[];
  /** Slots never acknowledged that hold an intact record (written, the fsync's answer never came). */
  readonly intactUnacked: number;
}

/** Check every acknowledged record against the data file, and count every damaged slot. */
export function verifyRecords(data: Buffer, acks: readonly Ack[], size: number): VerifyReport {
  const slots = Math.ceil(data.length / size);
  const ackedSeqs = new Set(acks.map((a) => a.seq));
  const lost: number[] = [];
  const corruptedAcked: number[] = [];
  const corruptedUnacked: number[] = [];
  let intactAcked = 0;
  let intactUnacked = 0;
  for (let i = 0; i < slots; i++) {
    const seq = i + 1;
    const state = decodeSlot(data.subarray(i * size, Math.min((i + 1) * size, data.length)));
    const acked = ackedSeqs.has(seq);
    if (state.kind === "hole") {
      if (acked) lost.push(seq);
    } else if (state.kind === "record" && state.seq === seq) {
      if (acked) intactAcked++;
      else intactUnacked++;
    } else if (acked) {
      corruptedAcked.push(seq);
    } else {
      corruptedUnacked.push(seq);
    }
  }
  for (const seq of [...ackedSeqs].sort((a, b) => a - b)) if (seq > slots) lost.push(seq);
  return { recordSize: size, slots, acked: ackedSeqs.size, intactAcked, lost, corruptedAcked, corruptedUnacked, intactUnacked };
}
