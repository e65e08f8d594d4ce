/**
 * The event model of pmsappd, shared by the daemon (which produces frames) and the CLI (which validates
 * them). One JSON object per WebSocket text frame.
 *
 * Stream = [snapshot-begin, exists*, snapshot-end | replay-begin, event*, replay-end], then live events,
 * with occasional bookmarks. Every frame carries the daemon-start id (`epoch`) and a sequence number:
 * live events count up from 1; snapshot frames and `exists` events carry the sequence number the
 * snapshot reflects, so a client that remembers the last `seq` it saw can resume with
 * `?since=<epoch>:<seq>`.
 */
import { z } from "zod";

export const PROTOCOL_VERSION = 1;

export const ENTITY_KINDS = ["array", "member", "session", "target", "lun", "initiator", "agent"] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export const EVENT_VERBS = ["exists", "create", "change", "destroy"] as const;
export type EventVerb = (typeof EVENT_VERBS)[number];

export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Attribute values are flat JSON scalars or lists of strings: easy to diff, print and put in labels. */
export const attributeValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);
export type AttributeValue = z.infer<typeof attributeValue>;
export const attributes = z.record(z.string(), attributeValue);
export type Attributes = Readonly<Record<string, AttributeValue>>;

const stamp = {
  v: z.literal(PROTOCOL_VERSION),
  epoch: z.string().min(1).max(64),
  seq: z.number().int().nonnegative(),
  ts: z.string(),
  node: z.string().min(1).max(253),
};

export const eventFrame = z.object({
  ...stamp,
  type: z.enum(EVENT_VERBS),
  kind: z.enum(ENTITY_KINDS),
  /** Stable identity within the node: "md127", "md127/sdb", "<iqn>@<portal>", "<iqn>/lun/1" … */
  id: z.string().min(1).max(512),
  /** All attributes after the event (for destroy: the last known ones). */
  state: attributes,
  /** For change: the attributes that changed and their previous values (old -> new with `state`). */
  old: attributes.optional(),
  severity: z.enum(SEVERITIES),
});
export type EventFrame = z.infer<typeof eventFrame>;

export const controlFrame = z.object({
  ...stamp,
  type: z.enum(["snapshot-begin", "snapshot-end", "replay-begin", "replay-end", "bookmark"]),
  /** Why a snapshot was sent instead of a replay, or how many events a replay holds. */
  reason: z.string().max(200).optional(),
  count: z.number().int().nonnegative().optional(),
});
export type ControlFrame = z.infer<typeof controlFrame>;

export const frame = z.union([eventFrame, controlFrame]);
export type Frame = z.infer<typeof frame>;

/** What state diffing produces before the hub stamps it with epoch, seq, time and node. */
export interface EventBody {
  readonly type: EventVerb;
  readonly kind: EntityKind;
  readonly id: string;
  readonly state: Attributes;
  readonly old?: Attributes;
  readonly severity: Severity;
}

export function isEventFrame(f: Frame): f is EventFrame {
  return (EVENT_VERBS as readonly string[]).includes(f.type);
}

/** Parse `<epoch>:<seq>` (the resume point); undefined when malformed. */
export function parseResumePoint(text: string | null | undefined): { epoch: string; seq: number } | undefined {
  if (text === null || text === undefined) return undefined;
  const m = /^([A-Za-z0-9-]{1,64}):(\d{1,15})$/.exec(text);
  if (m === null) return undefined;
  return { epoch: m[1] as string, seq: Number(m[2]) };
}
