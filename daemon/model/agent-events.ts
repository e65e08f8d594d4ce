/**
 * Agent events: each line the agents append to their journal becomes one `agent` event. The daemon keeps
 * the last record of each agent instance so that a snapshot also shows what every agent did last.
 */
import { forcedStart } from "./forced-start.js";
import { z } from "zod";
import type { Attributes, AttributeValue, EventBody } from "./events.js";
import { severityOf } from "./state.js";

/** The journal line as agents/journal/journal.ts writes it; unknown fields are ignored. */
export const journalLine = z.object({
  time: z.string().max(64),
  agent: z.string().min(1).max(64),
  instance: z.string().max(256),
  action: z.string().min(1).max(64),
  kind: z.enum(["action-begin", "decision", "action-end"]),
  decision: z.string().max(128).optional(),
  reason: z.string().max(2000).optional(),
  rc: z.number().int().optional(),
  durationMs: z.number().nonnegative().optional(),
  uuid: z.string().max(64).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type JournalLine = z.infer<typeof journalLine>;

export type ParsedJournalLine = { ok: true; record: JournalLine } | { ok: false; reason: string };

export function parseJournalLine(text: string): ParsedJournalLine {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: `not JSON: ${text.slice(0, 80)}` };
  }
  const r = journalLine.safeParse(raw);
  if (!r.success) return { ok: false, reason: r.error.issues.map((i) => `${i.path.join(".") || "line"}: ${i.message}`).join("; ") };
  return { ok: true, record: r.data };
}

export function agentId(r: JournalLine): string {
  return `${r.agent}/${r.instance === "" ? "-" : r.instance}`;
}

/** Details are flattened to scalars (objects become JSON text) so they fit the attribute model. */
function flatDetails(details: Readonly<Record<string, unknown>> | undefined): Attributes {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(details ?? {})) {
    if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[`details.${k}`] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === "string")) out[`details.${k}`] = v as string[];
    else out[`details.${k}`] = JSON.stringify(v) ?? null;
  }
  return out;
}

export function agentAttrs(r: JournalLine): Attributes {
  return {
    time: r.time,
    agent: r.agent,
    instance: r.instance,
    action: r.action,
    step: r.kind,
    decision: r.decision ?? null,
    reason: r.reason ?? null,
    rc: r.rc ?? null,
    durationMs: r.durationMs ?? null,
    uuid: r.uuid ?? null,
    ...flatDetails(r.details),
  };
}

/** The event for a new journal line: `create` the first time an instance is seen, `change` after. */
export function agentEvent(r: JournalLine, seenBefore: boolean): EventBody {
  const state = agentAttrs(r);
  return { type: seenBefore ? "change" : "create", kind: "agent", id: agentId(r), state, severity: severityOf("agent", state) };
}

export function agentExists(r: JournalLine): EventBody {
  const state = agentAttrs(r);
  return { type: "exists", kind: "agent", id: agentId(r), state, severity: severityOf("agent", state) };
}

/**
 * Records an operator wants to see in `pmsapp status` after the fact: an agent refusing to act
 * (decisions named `refuse-*`) and overrides (the `override` agent's records, and a start that went past a
 * safety rule: forced by `degraded=force`, or let through by an override; see forced-start.ts).
 */
export type NotableKind = "refusal" | "override";

export function notableKind(r: JournalLine): NotableKind | undefined {
  if (r.agent === "override" || r.decision?.startsWith("override") === true || forcedStart(r.decision, r.details?.["warnings"]) !== undefined) return "override";
  if (r.kind === "decision" && r.decision?.startsWith("refuse") === true) return "refusal";
  return undefined;
}

/** Identity of an instance's last refusal / override: `<agent>/<instance>!refusal`. */
export function notableId(r: JournalLine, kind: NotableKind): string {
  return `${agentId(r)}!${kind}`;
}

/** The event for an instance's last refusal or override (kept apart from its last record, which moves on). */
export function notableEvent(r: JournalLine, kind: NotableKind, verb: "exists" | "create" | "change"): EventBody {
  const state: Attributes = { ...agentAttrs(r), notable: kind };
  return { type: verb, kind: "agent", id: notableId(r, kind), state, severity: forcedStart(r.decision, r.details?.["warnings"]) === "forced" ? "critical" : "warning" };
}
