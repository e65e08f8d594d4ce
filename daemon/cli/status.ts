/** `pmsapp status`: one screen from each node's snapshot and the cluster manager's view. */
import type { EventFrame } from "../model/events.js";
import type { OwnerResult } from "./cluster-owner.js";
import { showValue, type Paint } from "./format.js";

export interface NodeSnapshot {
  readonly node: string;
  readonly display: string;
  readonly entities: readonly EventFrame[];
  readonly error?: string;
}

function ofKind(entities: readonly EventFrame[], kind: string): EventFrame[] {
  return entities.filter((e) => e.kind === kind);
}

const colourBy = (paint: Paint, e: EventFrame, text: string): string => (e.severity === "critical" ? paint.red(text) : e.severity === "warning" ? paint.yellow(text) : text);

export function renderOwners(owners: OwnerResult | undefined, paint: Paint): string[] {
  if (owners === undefined) return [paint.dim("cluster service: no cluster manager found (neither crm_mon nor clustat is installed)")];
  if (!owners.ok) return [paint.yellow(`cluster service: unknown (${owners.reason})`)];
  if (owners.owners.length === 0) return [`cluster service: ${owners.manager} reports no services`];
  return owners.owners.map((o) => {
    const where = o.nodes.length > 0 ? `on ${o.nodes.join(", ")}` : "not running";
    const line = `cluster service ${o.service}: ${where} (${o.manager}, ${o.state})`;
    return o.nodes.length > 0 ? paint.bold(line) : paint.yellow(line);
  });
}

export function renderNode(snap: NodeSnapshot, paint: Paint): string[] {
  if (snap.error !== undefined) return [paint.red(`${snap.node}: ${snap.error}`)];
  const lines = [paint.bold(`${snap.node}`)];
  const arrays = ofKind(snap.entities, "array");
  const members = ofKind(snap.entities, "member");
  if (arrays.length === 0) lines.push("  md: no arrays on this node");
  for (const a of arrays) {
    const s = a.state;
    const progress = s.syncPercent !== null ? `, ${showValue(s.syncAction)} ${showValue(s.syncPercent)}%` : "";
    lines.push(colourBy(paint, a, `  ${a.id} ${showValue(s.level)} ${showValue(s.arrayState)}, degraded ${showValue(s.degraded)} of ${showValue(s.raidDisks)}${progress}`));
    const mine = members.filter((m) => m.state.array === a.id);
    for (const m of mine) lines.push(colourBy(paint, m, `    slot ${showValue(m.state.slot).padEnd(4)} ${String(m.state.name).padEnd(6)} ${showValue(m.state.condition)}`));
    const empty = Array.isArray(s.emptySlots) ? s.emptySlots : [];
    for (const slot of empty) lines.push(paint.yellow(`    slot ${slot.padEnd(4)} ${"-".padEnd(6)} removed`));
  }
  const targets = ofKind(snap.entities, "target");
  if (targets.length === 0) lines.push("  target: none exported");
  for (const t of targets) {
    lines.push(colourBy(paint, t, `  target ${t.id} ${showValue(t.state.state)}`));
    for (const l of ofKind(snap.entities, "lun").filter((x) => x.state.target === t.id && x.state.backingStore !== null)) {
      lines.push(colourBy(paint, l, `    LUN ${showValue(l.state.lun)} ${showValue(l.state.backingStore)} online ${showValue(l.state.online)}`));
    }
    if (!ofKind(snap.entities, "lun").some((x) => x.state.target === t.id && x.state.backingStore !== null)) lines.push(paint.yellow("    no LUN with a backing store"));
    for (const i of ofKind(snap.entities, "initiator").filter((x) => x.state.target === t.id)) {
      lines.push(`    initiator ${showValue(i.state.initiator)} (${showValue(i.state.alias)}) from ${showValue(i.state.addresses)}`);
    }
  }
  const sessions = ofKind(snap.entities, "session");
  if (sessions.length > 0) lines.push("  sessions:");
  for (const s of sessions) lines.push(colourBy(paint, s, `    ${s.id} ${showValue(s.state.state)} disks ${showValue(s.state.disks)}`));
  lines.push(...renderNotable(snap.entities, paint));
  return lines;
}

/** At most this many refusal/override lines per node; the rest are counted. */
export const NOTABLE_SHOWN = 5;
const REASON_SHOWN = 200;

/**
 * The agents' last refusal and last override of each instance (the daemon keeps them from the journal
 * and sends them in its snapshot as `agent` entities with `state.notable`), newest first.
 */
export function renderNotable(entities: readonly EventFrame[], paint: Paint): string[] {
  const notable = ofKind(entities, "agent")
    .filter((a) => a.state.notable === "refusal" || a.state.notable === "override")
    .sort((a, b) => String(b.state.time).localeCompare(String(a.state.time)));
  if (notable.length === 0) return [];
  const lines = ["  agents' last refusals and overrides (newest first):"];
  for (const a of notable.slice(0, NOTABLE_SHOWN)) {
    const when = String(a.state.time).replace("T", " ").replace(/\.\d+Z$|Z$/, "Z");
    const instance = a.id.replace(/![a-z]+$/, "");
    const reason = showValue(a.state.reason);
    const why = reason.length > REASON_SHOWN ? `${reason.slice(0, REASON_SHOWN - 1)}…` : reason;
    lines.push(paint.yellow(`    ${when} ${String(a.state.notable).padEnd(8)} ${instance} ${showValue(a.state.action)} ${showValue(a.state.decision)}: ${why}`));
  }
  if (notable.length > NOTABLE_SHOWN) lines.push(`    ... ${notable.length - NOTABLE_SHOWN} more (pmsapp events --json shows them all)`);
  return lines;
}
