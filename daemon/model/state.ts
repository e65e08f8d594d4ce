/**
 * What one node knows about itself: its md arrays, its iSCSI initiator sessions, and the targets its
 * tgtd exports. Flattened into entities (kind + id + flat attributes) so that events are a plain diff.
 */
import { forcedStart } from "./forced-start.js";
import type { MdArrayState, MdMemberState } from "../../agents/md/array-state.js";
import type { IscsiSessionState } from "../../agents/iscsi/session-state.js";
import type { TgtTarget } from "../../agents/tgt/show.js";
import type { Attributes, EntityKind, Severity } from "./events.js";

export interface NodeState {
  readonly arrays: readonly MdArrayState[];
  readonly sessions: readonly IscsiSessionState[];
  readonly targets: readonly TgtTarget[];
}

export const EMPTY_STATE: NodeState = { arrays: [], sessions: [], targets: [] };

export interface Entity {
  readonly kind: EntityKind;
  readonly id: string;
  readonly attrs: Attributes;
}

/** Resync/recovery progress in percent with two decimals, or null when no sync is running. */
export function syncPercent(a: MdArrayState): number | null {
  if (a.syncProgress === undefined) return null;
  return Math.round((a.syncProgress.done / a.syncProgress.total) * 10000) / 100;
}

/**
 * One word for a member, from its dev-X/state flags: faulty wins, then a spare being rebuilt
 * ("recovering": a slot and a recovery_start while the array recovers), spare, in_sync; "unknown"
 * when the kernel showed no flags.
 */
export function memberCondition(m: MdMemberState, array: MdArrayState): string {
  const f = new Set(m.flags);
  if (f.has("faulty")) return "faulty";
  if (f.has("spare") && m.slot !== null && array.syncAction === "recover") return "recovering";
  if (f.has("spare")) return "spare";
  if (f.has("in_sync")) return "in_sync";
  return m.flags[0] ?? "unknown";
}

/** Slots 0..raid_disks-1 that no member fills: the "removed" slots mdadm shows as `_`. */
export function emptySlots(a: MdArrayState): number[] {
  if (a.raidDisks === undefined) return [];
  const taken = new Set(a.members.map((m) => m.slot).filter((s): s is number => s !== null));
  const out: number[] = [];
  for (let s = 0; s < a.raidDisks; s++) if (!taken.has(s)) out.push(s);
  return out;
}

export function arrayAttrs(a: MdArrayState): Attributes {
  return {
    device: a.device,
    uuid: a.uuid ?? null,
    arrayState: a.arrayState,
    level: a.level ?? null,
    raidDisks: a.raidDisks ?? null,
    degraded: a.degraded ?? null,
    syncAction: a.syncAction ?? null,
    syncPercent: syncPercent(a),
    syncDone: a.syncProgress?.done ?? null,
    syncTotal: a.syncProgress?.total ?? null,
    members: a.members.length,
    emptySlots: emptySlots(a).map(String),
  };
}

/** recovery_start is left out on purpose: it moves with every poll during recovery, and the array's
 * syncPercent already reports that progress. */
export function memberAttrs(m: MdMemberState, a: MdArrayState): Attributes {
  return {
    array: a.name,
    name: m.name,
    device: m.device,
    slot: m.slot,
    flags: [...m.flags],
    condition: memberCondition(m, a),
    errors: m.errors,
  };
}

export function sessionId(s: IscsiSessionState): string {
  return s.portal === undefined ? `${s.target}@${s.id}` : `${s.target}@${s.portal.address}:${s.portal.port}`;
}

export function sessionAttrs(s: IscsiSessionState): Attributes {
  return {
    session: s.id,
    sid: s.sid,
    target: s.target,
    portal: s.portal === undefined ? null : `${s.portal.address}:${s.portal.port}`,
    state: s.state,
    targetState: s.targetState ?? null,
    connectionState: s.connectionState ?? null,
    recoveryTimeoutS: s.recoveryTimeoutS ?? null,
    disks: [...s.disks],
  };
}

export function targetAttrs(t: TgtTarget): Attributes {
  return {
    tid: t.tid,
    iqn: t.iqn,
    state: t.state ?? null,
    driver: t.driver ?? null,
    acl: [...t.acl],
    initiators: t.nexuses.length,
  };
}

export function entities(state: NodeState): Map<string, Entity> {
  const out = new Map<string, Entity>();
  const put = (kind: EntityKind, id: string, attrs: Attributes): void => {
    out.set(`${kind} ${id}`, { kind, id, attrs });
  };
  for (const a of state.arrays) {
    put("array", a.name, arrayAttrs(a));
    for (const m of a.members) put("member", `${a.name}/${m.name}`, memberAttrs(m, a));
  }
  for (const s of state.sessions) put("session", sessionId(s), sessionAttrs(s));
  for (const t of state.targets) {
    put("target", t.iqn, targetAttrs(t));
    for (const l of t.luns) {
      put("lun", `${t.iqn}/lun/${l.lun}`, {
        target: t.iqn,
        lun: l.lun,
        type: l.type,
        backingStore: l.backingStore ?? null,
        online: l.online ?? null,
      });
    }
    const byInitiator = new Map<string, { alias: string | null; addresses: string[]; nexuses: string[] }>();
    for (const n of t.nexuses) {
      const entry = byInitiator.get(n.initiator) ?? { alias: null, addresses: [], nexuses: [] };
      entry.alias = entry.alias ?? n.alias ?? null;
      entry.addresses.push(...n.addresses);
      entry.nexuses.push(String(n.nexus));
      byInitiator.set(n.initiator, entry);
    }
    for (const [initiator, e] of byInitiator) {
      put("initiator", `${t.iqn}/initiator/${initiator}`, {
        target: t.iqn,
        initiator,
        alias: e.alias,
        addresses: [...new Set(e.addresses)].sort(),
        nexuses: e.nexuses,
      });
    }
  }
  return out;
}

/** How bad an entity looks, for colouring and filtering; never used to decide anything. */
export function severityOf(kind: EntityKind, attrs: Attributes, destroyed = false): Severity {
  switch (kind) {
    case "array":
      if (destroyed || attrs.arrayState === "inactive" || attrs.arrayState === "broken") return "critical";
      return typeof attrs.degraded === "number" && attrs.degraded > 0 ? "warning" : "info";
    case "member":
      if (attrs.condition === "faulty") return "critical";
      return destroyed || attrs.condition !== "in_sync" ? "warning" : "info";
    case "session":
      return destroyed || attrs.state !== "LOGGED_IN" ? "warning" : "info";
    case "target":
      return destroyed || (attrs.state !== null && attrs.state !== "ready") ? "warning" : "info";
    case "lun":
      return destroyed || attrs.online === false ? "warning" : "info";
    case "initiator":
      return destroyed ? "warning" : "info";
    case "agent": {
      // A forced start may have lost writes (md's write hole): the loudest event there is. A refusal or a
      // member left for the operator means the service waits for someone.
      const decision = typeof attrs.decision === "string" ? attrs.decision : "";
      const forced = forcedStart(decision, attrs["details.warnings"]);
      if (forced === "forced") return "critical";
      if (forced === "overridden" || decision.startsWith("refuse-") || decision === "readd-needs-operator") return "warning";
      const rc = attrs.rc;
      return typeof rc === "number" && rc !== 0 && rc !== 7 ? "warning" : "info";
    }
  }
}
