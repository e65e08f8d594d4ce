/**
 * The one start decision of the raid agent, as a pure function of explicit evidence: may this array be
 * assembled from the members this node can see, and how (all present; degraded with --run; dirty degraded
 * with --force), or must start refuse, and why. No I/O, no clock: every input is in `StartEvidence`, so
 * the rows of issue 8 can later add evidence (cluster store, node ledgers, operator override) without
 * changing how the present members' superblocks are judged.
 *
 * md facts used (storage-anchors c.3): the member with the highest event count is the authority; members
 * within 1 of it are current, lower ones stale; a member's `Array State` is its view of every slot when it
 * last wrote; RAID1 runs with 1 member, RAID4/5 with n-1 and RAID6 with n-2 when clean; a dirty degraded
 * parity array can return wrong data for the missing member's blocks.
 */
import type { OverrideEntry } from "../ledger/record.js";
import type { LedgerView } from "../ledger/store.js";
import { hasParity, minimumMembers, type Examine } from "../md/examine.js";
import { mdadmUuid } from "../md/uuid.js";
import { closesWriteHole, policyFromFeatureMap } from "../layout/layouts.js";
import type { DegradedPolicy } from "./params.js";

/** One configured target as start found it. */
export interface Candidate {
  /** The `targets` entry, e.g. iqn.2024-01.lab.pmslab:node2.data@10.99.0.12:3260. */
  readonly target: string;
  /** The device it would be assembled from (by-path link), when one appeared. */
  readonly device?: string;
  /** Its superblock, when it has one and could be read. */
  readonly superblock?: Examine;
  /**
   * Why it cannot be a member, when it cannot: no device appeared in time, the device is not a disk of an
   * iSCSI session of this target (never the node's own disk), no superblock, unreadable.
   */
  readonly problem?: "no-device" | "login-failed" | "not-iscsi" | "no-superblock" | "unreadable";
  /** Details for the operator (e.g. the iscsiadm or mdadm message). */
  readonly detail?: string;
}

/**
 * Evidence from outside the present superblocks about a slot's freshness (issue 8: the cluster manager's
 * replicated store, the node daemons' ledgers). `events` is the slot's last known event count.
 */
export interface SlotEvidence {
  readonly source: string;
  readonly slot: number;
  readonly events: number;
}

export interface StartEvidence {
  /** Canonical UUID of the configured array. */
  readonly uuid: string;
  /** One per configured target, in `targets` order. */
  readonly candidates: readonly Candidate[];
  readonly external?: readonly SlotEvidence[];
  /** The cluster's ledger as this node sees it (issue 8); absent = none consulted. */
  readonly ledger?: LedgerView;
  /** This node's cluster name (for messages and the override command). */
  readonly node?: string;
  /** An operator override waiting for a start on this node (`pmsapp override start`). */
  readonly override?: OverrideEntry;
  /** False where no override can be recorded (rgmanager): refusals then point to degraded=force. */
  readonly overridePossible?: boolean;
}

export type RefusalCode =
  | "no-members"
  | "inconsistent"
  | "duplicate-member"
  | "policy-refuses-degraded"
  | "not-enough-members"
  | "freshness-unproven"
  | "ledger-says-stale"
  | "diverged"
  | "dirty-degraded";

export interface MemberVerdict {
  readonly target: string;
  readonly device?: string;
  readonly slot?: number;
  readonly events?: number;
  /** The member's device UUID (what the ledger records). */
  readonly devUuid?: string;
  /** member: assembled; stale: left out (needs a full --add later); rejected: not usable at all. */
  readonly status: "member" | "spare" | "stale" | "rejected" | "absent";
  readonly why?: string;
}

export type StartDecision =
  | {
      readonly verdict: "assemble";
      /** Devices for `mdadm --assemble <md> --uuid=<uuid> <members>`, in slot order. */
      readonly members: readonly string[];
      /** Pass --run (start although not all members are present). */
      readonly run: boolean;
      /** Pass --force (dirty degraded parity array, policy force only). */
      readonly force: boolean;
      readonly degraded: boolean;
      readonly reason: string;
      /** Loud facts the operator must see (forced starts, stale members left out). */
      readonly warnings: readonly string[];
      readonly verdicts: readonly MemberVerdict[];
      /** The operator override this start relies on (start must consume it). */
      readonly usedOverride?: OverrideEntry;
    }
  | { readonly verdict: "refuse"; readonly code: RefusalCode; readonly reason: string; readonly verdicts: readonly MemberVerdict[] };

const slotOf = (e: Examine): number | undefined => (e.role.kind === "active" ? e.role.slot : undefined);

export function decideStart(evidence: StartEvidence, policy: DegradedPolicy): StartDecision {
  const verdicts: MemberVerdict[] = [];
  const usable: { c: Candidate; sb: Examine }[] = [];

  // 1. Which candidates can be members at all.
  for (const c of evidence.candidates) {
    const base = { target: c.target, ...(c.device !== undefined ? { device: c.device } : {}) };
    if (c.problem !== undefined || c.superblock === undefined) {
      const why = c.problem === "not-iscsi" ? `not a disk of an iSCSI session of ${c.target}; refusing it` : `${c.problem ?? "no superblock"}${c.detail ? `: ${c.detail}` : ""}`;
      verdicts.push({ ...base, status: c.problem === "not-iscsi" ? "rejected" : "absent", why });
      continue;
    }
    if (c.superblock.uuid !== evidence.uuid) {
      verdicts.push({ ...base, status: "rejected", why: `carries array ${c.superblock.uuid}, not ${evidence.uuid}` });
      continue;
    }
    usable.push({ c, sb: c.superblock });
  }
  const refuse = (code: RefusalCode, reason: string): StartDecision => ({ verdict: "refuse", code, reason, verdicts: [...verdicts] });

  if (usable.length === 0) return refuse("no-members", `no member of array ${evidence.uuid} is reachable: ${describeVerdicts(verdicts)}`);

  // 2. The present superblocks must describe one array shape that matches the configuration.
  const first = usable[0]!.sb;
  const odd = usable.find(({ sb }) => sb.level !== first.level || sb.raidDevices !== first.raidDevices);
  if (odd !== undefined) {
    return refuse("inconsistent", `members disagree about the array: ${usable.map(({ c, sb }) => `${c.target} says ${sb.level} of ${sb.raidDevices}`).join(", ")}`);
  }
  const n = first.raidDevices;
  if (n !== evidence.candidates.length) {
    return refuse("inconsistent", `targets lists ${evidence.candidates.length} members but the superblocks describe a ${first.level} of ${n} devices: fix the targets parameter`);
  }
  const seenDev = new Map<string, string>();
  for (const { c, sb } of usable) {
    const other = seenDev.get(sb.devUuid);
    if (other !== undefined) return refuse("duplicate-member", `${c.target} and ${other} carry the same member (device UUID ${sb.devUuid}): the same disk is exported twice or was cloned`);
    seenDev.set(sb.devUuid, c.target);
  }

  // 3. Freshness: the highest event count is the authority; its slot view tells who it saw fail.
  const maxEvents = Math.max(...usable.map(({ sb }) => sb.events));
  const authority = usable.filter(({ sb }) => sb.events === maxEvents).sort((a, b) => (slotOf(a.sb) ?? 1e9) - (slotOf(b.sb) ?? 1e9))[0]!;
  // A member that the authority records as failed AND that itself records the authority's slot as
  // missing ran without it while the authority ran without it: two histories (split brain).
  const authSlot = slotOf(authority.sb);
  const diverged = new Set(
    usable
      .filter(({ sb }) => {
        const s = slotOf(sb);
        return sb !== authority.sb && s !== undefined && authSlot !== undefined && authority.sb.arraySlots[s] === "." && sb.arraySlots[authSlot] === ".";
      })
      .map(({ sb }) => sb),
  );
  const fresh: { c: Candidate; sb: Examine; slot: number }[] = [];
  const spares: { c: Candidate; sb: Examine }[] = [];
  for (const { c, sb } of usable) {
    const slot = slotOf(sb);
    const base = { target: c.target, ...(c.device !== undefined ? { device: c.device } : {}), events: sb.events, devUuid: sb.devUuid, ...(slot !== undefined ? { slot } : {}) };
    if (diverged.has(sb)) {
      verdicts.push({ ...base, status: "stale", why: `diverged: it ran without ${authority.c.target} while ${authority.c.target} ran without it` });
      continue;
    }
    if (sb.events < maxEvents - 1) {
      verdicts.push({ ...base, status: "stale", why: `event count ${sb.events} is behind ${maxEvents}: it missed writes and needs a full re-add` });
      continue;
    }
    if (slot === undefined) {
      spares.push({ c, sb });
      verdicts.push({ ...base, status: "spare", why: `role ${sb.role.kind}` });
      continue;
    }
    if (sb !== authority.sb && authority.sb.arraySlots[slot] === "." && sb.events < maxEvents) {
      verdicts.push({ ...base, status: "stale", why: `the freshest member (${authority.c.target}) records slot ${slot} as failed` });
      continue;
    }
    const holder = fresh.find((f) => f.slot === slot);
    if (holder !== undefined) {
      return refuse("duplicate-member", `${c.target} and ${holder.c.target} both claim slot ${slot} with current event counts: the array diverged; resolve by hand`);
    }
    fresh.push({ c, sb, slot });
    verdicts.push({ ...base, status: "member" });
  }
  fresh.sort((a, b) => a.slot - b.slot);
  const members = [...fresh.map((f) => f.c.device ?? f.c.target), ...spares.map((s) => s.c.device ?? s.c.target)];
  const missing = [...Array(n).keys()].filter((s) => !fresh.some((f) => f.slot === s));
  const staleNotes = verdicts.filter((v) => v.status === "stale").map((v) => `${v.target} left out: ${v.why}`);
  // `targets` lists the members in slot order; a slot's configured target is only named when that
  // target is indeed not serving another slot (otherwise the list is not in slot order).
  const slotName = (s: number): string => {
    const t = evidence.candidates[s]?.target;
    return t !== undefined && !fresh.some((f) => f.c.target === t) ? `slot ${s} (${t})` : `slot ${s}`;
  };
  const override = evidence.override;
  const overrideHint =
    evidence.overridePossible === false
      ? "start it once with degraded=force (this cluster manager keeps no override)"
      : `pmsapp override start --array ${mdadmUuid(evidence.uuid)} --from ${evidence.node ?? "<this node>"} --reason "..."`;
  /** Refusals the operator's override took responsibility for (each becomes a loud warning). */
  const overridden: string[] = [];

  // 3b. Divergence refuses whatever the policy: only the operator knows which side's writes to keep.
  if (diverged.size > 0) {
    const others = usable.filter(({ sb }) => diverged.has(sb));
    const why = `the array diverged: ${authority.c.target} (events ${maxEvents}) and ${others.map(({ c, sb }) => `${c.target} (events ${sb.events})`).join(", ")} each ran without the other, so each holds writes the other lacks`;
    const tie = others.some(({ sb }) => sb.events === maxEvents);
    if (override === undefined || tie) {
      const how = tie ? "both sides have the same event count, so even an override cannot tell which to keep: make the side you do not keep unreachable, then override" : `save what you need from the side you do not keep, then ${overrideHint} to start from ${authority.c.target}`;
      return refuse("diverged", `${why}; ${how}; a diverged member is never re-added automatically`);
    }
    overridden.push(why);
  }

  // 3c. The quorate ledger: a present member the cluster recorded as dropped is behind whatever ran on.
  const record = evidence.ledger?.kind === "quorate" ? evidence.ledger.record : undefined;
  if (record !== undefined) {
    const droppedPresent = fresh.filter((f) => record.failed.some((x) => x.dev === f.sb.devUuid));
    const inSyncPresent = fresh.filter((f) => record.inSync.some((x) => x.dev === f.sb.devUuid));
    if (droppedPresent.length > 0 && inSyncPresent.length === 0) {
      const newer = record.inSync.map((m) => slotName(m.slot)).join(", ") || "no member";
      const drops = droppedPresent.map((f) => `${f.c.target} as dropped at events ${record.failed.find((x) => x.dev === f.sb.devUuid)?.events ?? "?"}`).join(", ");
      const why = `the cluster's ledger (written by ${record.writer} at ${record.time}, events ${record.gen}) records ${drops} while ${newer} ran on: the likely newer member is ${newer}`;
      if (override === undefined) return refuse("ledger-says-stale", `${why}; bring it back, or if it is lost for good: ${overrideHint}`);
      overridden.push(why);
    }
  }
  /** The ledger proves slot `s` is not newer than the present members: they were all in sync at its last record (and have not fallen behind it), and `s` was in sync with them or dropped. */
  const ledgerProves = (s: number): boolean =>
    record !== undefined &&
    fresh.every((f) => f.sb.events + 1 >= record.gen && record.inSync.some((m) => m.dev === f.sb.devUuid && m.slot === f.slot)) &&
    (record.inSync.some((m) => m.slot === s) || record.failed.some((m) => m.slot === s));

  // 4. Everything present: a normal assembly, no --run.
  if (missing.length === 0) {
    return { verdict: "assemble", members, run: false, force: false, degraded: false, reason: `all ${n} members present and current (events ${maxEvents})`, warnings: staleNotes, verdicts };
  }

  // 5. Degraded: policy, md's minimum, freshness, dirty parity.
  const missingText = missing.map(slotName).join(", ");
  if (policy === "refuse") return refuse("policy-refuses-degraded", `${missingText} missing and degraded=refuse: not starting degraded (${describeVerdicts(verdicts)})`);
  const needed = minimumMembers(first.level, n, true);
  if (fresh.length < needed) {
    return refuse("not-enough-members", `${first.level} of ${n} needs ${needed} current members, only ${fresh.length} present; ${missingText} missing (${describeVerdicts(verdicts)})`);
  }
  const unproven = missing.filter((s) => {
    if (authority.sb.arraySlots[s] === ".") return false;
    if (ledgerProves(s)) return false;
    return !(evidence.external ?? []).some((e) => e.slot === s && e.events <= maxEvents);
  });
  // A RAID5 with a partial parity log is consistent after a crash: md replays the log and starts it (issue 9).
  const pplClosesHole = authority.sb.featureMap !== undefined && closesWriteHole({ level: first.level, policy: policyFromFeatureMap(first.level, authority.sb.featureMap) });
  const dirtyParity = hasParity(first.level) && !authority.sb.clean && !pplClosesHole;
  const warnings = [...staleNotes];
  if (unproven.length > 0) {
    const why = `the freshest present member ${authority.c.target} (events ${maxEvents}) last saw ${unproven.map(slotName).join(", ")} active: it may hold newer writes`;
    if (policy !== "force" && override === undefined) {
      const outside = evidence.ledger === undefined ? "" : evidence.ledger.kind === "unavailable" ? `; no outside evidence (${evidence.ledger.reason})` : record === undefined ? "; the cluster's ledger has no record of this array" : `; the cluster's ledger (events ${record.gen}) does not show every present member in sync`;
      return refuse("freshness-unproven", `${why}${outside}; bring ${unproven.map(slotName).join(", ")} back, or if it is known to be stale: ${overrideHint} (or degraded=force)`);
    }
    if (policy === "force") warnings.push(`FORCED degraded start: ${why}; writes made there since are lost if it was newer`);
    else overridden.push(why);
  }
  if (override !== undefined && overridden.length > 0) {
    warnings.push(`OVERRIDE by ${override.by} at ${override.time} (${override.reason}), overriding ledger events ${override.overridesGen}: ${overridden.join("; ")}; writes that exist only elsewhere are lost`);
  }
  if (dirtyParity) {
    const why = `${first.level} is dirty (superblock state ${authority.sb.state}) and degraded: parity may be wrong for ${missingText}`;
    if (policy !== "force") return refuse("dirty-degraded", `${why}; start with degraded=force only if you accept possible corruption of those blocks`);
    warnings.push(`FORCED start of a dirty degraded ${first.level} (mdadm --force): ${why}`);
  }
  return {
    verdict: "assemble",
    members,
    run: true,
    force: dirtyParity,
    degraded: true,
    // "Hold no writes these lack": each missing slot is recorded as failed by the freshest member, or the
    // ledger shows it was in sync with these members (a dead active member is current, not behind).
    reason: `${dirtyParity ? `forced past a dirty degraded ${first.level} (degraded=force): ` : ""}starting degraded without ${missingText}: ${fresh.length} of ${n} current members (events ${maxEvents})${unproven.length === 0 ? ", and the missing ones hold no writes these lack" : ""}`,
    warnings,
    verdicts,
    ...(override !== undefined && overridden.length > 0 ? { usedOverride: override } : {}),
  };
}

function describeVerdicts(vs: readonly MemberVerdict[]): string {
  return vs.filter((v) => v.status !== "member").map((v) => `${v.target}: ${v.status}${v.why ? ` (${v.why})` : ""}`).join("; ") || "no problems found";
}
