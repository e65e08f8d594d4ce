/**
 * Event derivation: a pure diff of two node states. No clocks, no I/O; the hub stamps the bodies.
 * Events come only from this diff, never from a raw inotify callback (userspace writes to sysfs fire
 * inotify too, and a callback may stand for several changes or none).
 */
import type { Attributes, AttributeValue, EventBody } from "./events.js";
import { entities, severityOf, type Entity, type NodeState } from "./state.js";

function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** The previous values of the attributes that differ; undefined when nothing changed. */
export function changedAttributes(before: Attributes, after: Attributes): Attributes | undefined {
  const old: Record<string, AttributeValue> = {};
  let any = false;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!sameValue(before[key], after[key])) {
      old[key] = before[key] ?? null;
      any = true;
    }
  }
  return any ? old : undefined;
}

/**
 * md moves array_state between these with every burst of writes (safe mode marks the array clean after
 * 200 ms without writes, active or write-pending while writing): seen in the lab as dozens of changes a
 * minute under a plain dd. A change of nothing but that is not an event; the value rides along in the
 * state of the array's next real event.
 */
export const BUSY_ARRAY_STATES: ReadonlySet<string> = new Set(["clean", "active", "active-idle", "write-pending"]);

function onlyWriteActivity(kind: string, old: Attributes, after: Attributes): boolean {
  const keys = Object.keys(old);
  return kind === "array" && keys.length === 1 && keys[0] === "arrayState" && BUSY_ARRAY_STATES.has(String(old.arrayState)) && BUSY_ARRAY_STATES.has(String(after.arrayState));
}

/** Parents before children when things appear, children before parents when they go. */
const CREATE_ORDER = ["array", "member", "target", "lun", "initiator", "session", "agent"];
const rank = (e: Entity): number => CREATE_ORDER.indexOf(e.kind);

export function snapshotEvents(state: NodeState): EventBody[] {
  return [...entities(state).values()]
    .sort((a, b) => rank(a) - rank(b))
    .map((e) => ({ type: "exists", kind: e.kind, id: e.id, state: e.attrs, severity: severityOf(e.kind, e.attrs) }));
}

export function diffStates(before: NodeState, after: NodeState): EventBody[] {
  const was = entities(before);
  const now = entities(after);
  const destroyed: EventBody[] = [];
  const others: EventBody[] = [];
  for (const [key, e] of was) {
    if (!now.has(key)) destroyed.push({ type: "destroy", kind: e.kind, id: e.id, state: e.attrs, severity: severityOf(e.kind, e.attrs, true) });
  }
  const entries = [...now.entries()].sort(([, a], [, b]) => rank(a) - rank(b));
  for (const [key, e] of entries) {
    const prev = was.get(key);
    if (prev === undefined) {
      others.push({ type: "create", kind: e.kind, id: e.id, state: e.attrs, severity: severityOf(e.kind, e.attrs) });
      continue;
    }
    const old = changedAttributes(prev.attrs, e.attrs);
    if (old !== undefined && !onlyWriteActivity(e.kind, old, e.attrs)) others.push({ type: "change", kind: e.kind, id: e.id, state: e.attrs, old, severity: severityOf(e.kind, e.attrs) });
  }
  destroyed.sort((a, b) => CREATE_ORDER.indexOf(b.kind) - CREATE_ORDER.indexOf(a.kind));
  return [...destroyed, ...others];
}
