/**
 * The evidence ledger of one md array (issue 8): what the node running the array last knew about its
 * members, kept where it survives the loss of members (the CIB under Pacemaker). One compact JSON object;
 * parsing is strict (an unreadable record is no evidence, never a guess), updates are pure functions.
 *
 * `gen` is the array's event count when the record was written. `failed[].events` is an event count the
 * dropped member cannot have passed without running on its own (the array's count when the drop was seen).
 */
import * as z from "zod";
import { canonicalUuid } from "../md/uuid.js";

/** How many starts and overrides a record keeps (the CIB value stays small). */
export const KEEP_STARTS = 8;
export const KEEP_OVERRIDES = 8;

const uuidText = z.string().refine((s) => canonicalUuid(s) !== undefined, "not an md UUID").transform((s) => canonicalUuid(s) as string);
const nodeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "not a node name");
const count = z.number().int().nonnegative();
const isoTime = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, "not an ISO-8601 UTC time");

const member = z.object({ slot: count, dev: uuidText });
const failedMember = z.object({ slot: count, dev: uuidText, events: count });
/**
 * A point where the listed devices held the same data: a start that assembled them, or ("rejoin") a member
 * change after which a returning member was back in sync with the running ones. Records written before
 * rejoins were kept have no `kind`: every entry of theirs is a start.
 */
const startEntry = z.object({ node: nodeName, time: isoTime, gen: count, devs: z.array(uuidText), kind: z.optional(z.enum(["start", "rejoin"])) });
const overrideEntry = z.object({
  by: z.string().min(1).max(64),
  from: nodeName,
  reason: z.string().min(1).max(400),
  time: isoTime,
  overridesGen: count,
  consumed: z.optional(isoTime),
});

export const LEDGER_EVENTS = ["start", "clean-stop", "member-change", "override"] as const;

const recordSchema = z.object({
  v: z.literal(1),
  uuid: uuidText,
  gen: count,
  writer: nodeName,
  time: isoTime,
  event: z.enum(LEDGER_EVENTS),
  inSync: z.array(member),
  failed: z.array(failedMember),
  cleanStop: z.boolean(),
  starts: z.array(startEntry),
  overrides: z.array(overrideEntry),
});

export type LedgerRecord = z.output<typeof recordSchema>;
export type LedgerMember = z.output<typeof member>;
export type FailedMember = z.output<typeof failedMember>;
export type StartEntry = z.output<typeof startEntry>;
export type OverrideEntry = z.output<typeof overrideEntry>;

export type ParsedRecord = { readonly ok: true; readonly record: LedgerRecord } | { readonly ok: false; readonly error: string };

export function parseLedgerRecord(text: string): ParsedRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `ledger record is not JSON: ${(e as Error).message}` };
  }
  const r = recordSchema.safeParse(json);
  if (!r.success) return { ok: false, error: `ledger record is malformed: ${r.error.issues.map((i) => `${i.path.join(".") || "record"}: ${i.message}`).join("; ")}` };
  return { ok: true, record: r.data };
}

/** Compact JSON, the form stored in the CIB. */
export function serializeLedgerRecord(r: LedgerRecord): string {
  return JSON.stringify(r);
}

/** What the writer knows at a start, a clean stop or a member change. */
export interface Observation {
  readonly uuid: string;
  readonly node: string;
  readonly time: string;
  /** The array's event count now. */
  readonly gen: number;
  /** The members in sync now. */
  readonly inSync: readonly LedgerMember[];
}

const bySlot = <T extends { slot: number }>(xs: readonly T[]): T[] => [...xs].sort((a, b) => a.slot - b.slot);

/**
 * Failed members after an observation: those in sync at the previous record and not now are dropped at
 * `dropEvents`; earlier drops stay (with their original count) until the slot is in sync again.
 */
function nextFailed(prev: LedgerRecord | undefined, o: Observation, dropEvents: number): FailedMember[] {
  const nowDevs = new Set(o.inSync.map((m) => m.dev));
  const nowSlots = new Set(o.inSync.map((m) => m.slot));
  const kept = (prev?.failed ?? []).filter((f) => !nowDevs.has(f.dev) && !nowSlots.has(f.slot));
  const dropped = (prev?.inSync ?? []).filter((m) => !nowDevs.has(m.dev) && !kept.some((k) => k.dev === m.dev)).map((m) => ({ ...m, events: dropEvents }));
  return bySlot([...kept, ...dropped]);
}

function base(prev: LedgerRecord | undefined, o: Observation, event: LedgerRecord["event"], dropEvents: number): LedgerRecord {
  return {
    v: 1,
    uuid: o.uuid,
    gen: o.gen,
    writer: o.node,
    time: o.time,
    event,
    inSync: bySlot(o.inSync),
    failed: nextFailed(prev, o, dropEvents),
    cleanStop: false,
    starts: prev?.starts ?? [],
    overrides: prev?.overrides ?? [],
  };
}

/**
 * After a start assembled `o.inSync`. A member that was in sync at the previous record and is missing now
 * may hold the writes of the superblock update that was in flight when the last holder died (md's margin
 * of one event), so it is recorded as dropped at gen + 1.
 */
export function recordStart(prev: LedgerRecord | undefined, o: Observation): LedgerRecord {
  const r = base(prev, o, "start", o.gen + 1);
  return { ...r, starts: [...r.starts, { node: o.node, time: o.time, gen: o.gen, devs: o.inSync.map((m) => m.dev) }].slice(-KEEP_STARTS) };
}

/** After a clean stop: these members hold everything; nothing was in flight. */
export function recordCleanStop(prev: LedgerRecord | undefined, o: Observation): LedgerRecord {
  return { ...base(prev, o, "clean-stop", o.gen), cleanStop: true };
}

/**
 * After the running array's members changed (a member failed, was removed or re-added). A member that is
 * in sync now and was not at the previous record has caught up with the running ones: that is a common
 * point of their histories (as a start with all of them would be), so it is kept in `starts` as a rejoin.
 * Without it, a degraded failover start that the other member later rejoined would look, forever after,
 * like a start that used this member without the others (seen in the lab's 2-node soak).
 */
export function recordMemberChange(prev: LedgerRecord | undefined, o: Observation): LedgerRecord {
  const r = base(prev, o, "member-change", o.gen);
  const before = new Set((prev?.inSync ?? []).map((m) => m.dev));
  if (prev === undefined || o.inSync.every((m) => before.has(m.dev))) return r;
  return { ...r, starts: [...r.starts, { node: o.node, time: o.time, gen: o.gen, devs: o.inSync.map((m) => m.dev), kind: "rejoin" as const }].slice(-KEEP_STARTS) };
}

export interface OverrideRequest {
  readonly uuid: string;
  readonly by: string;
  readonly from: string;
  readonly reason: string;
  readonly time: string;
  /** The node writing the record (the one the operator runs `pmsapp override` on). */
  readonly writer: string;
}

/** An operator's override, pending until the next start on `from` consumes it. */
export function recordOverride(prev: LedgerRecord | undefined, o: OverrideRequest): LedgerRecord {
  const entry: OverrideEntry = { by: o.by, from: o.from, reason: o.reason, time: o.time, overridesGen: prev?.gen ?? 0 };
  const overrides = [...(prev?.overrides ?? []).map((x) => (x.consumed === undefined ? { ...x, consumed: o.time } : x)), entry].slice(-KEEP_OVERRIDES);
  if (prev === undefined) {
    return { v: 1, uuid: o.uuid, gen: 0, writer: o.writer, time: o.time, event: "override", inSync: [], failed: [], cleanStop: false, starts: [], overrides };
  }
  return { ...prev, writer: o.writer, time: o.time, event: "override", overrides };
}

/**
 * The override waiting for a start on `node`, if any. It only holds while the ledger is still at the
 * generation it overrode: once anything was recorded since (a start, a member change, a clean stop) the
 * situation the operator judged is gone, and a forgotten override must not let a later start through.
 */
export function pendingOverride(r: LedgerRecord | undefined, node: string): OverrideEntry | undefined {
  return r?.overrides.find((x) => x.consumed === undefined && x.from === node && x.overridesGen === r.gen && r.event === "override");
}

/** Mark the pending override of `node` as used (called with the record a start writes). */
export function consumeOverride(r: LedgerRecord, node: string, time: string): LedgerRecord {
  return { ...r, overrides: r.overrides.map((x) => (x.consumed === undefined && x.from === node ? { ...x, consumed: time } : x)) };
}
