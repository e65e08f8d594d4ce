/**
 * The re-add decision (issue 8), pure: may a returning member be put back into the running array from
 * the write-intent bitmap (`mdadm <md> --re-add <dev>`), or must the operator decide?
 *
 * A bitmap re-add copies only the regions written since the member left; it is right only when the
 * member's contents are a strict prefix of the running array's history. That is proven when:
 *   - the ledger recorded the member as dropped at event count E and its own count is <= E (it did not
 *     write after it was dropped) and below the running array's (md would not recover an equal one);
 *   - its own Array State still shows every running member active (it never ran without them: md
 *     rewrites the slots of absent members as missing at the first superblock update of a degraded run);
 *   - no start in the ledger used it without the running members since the last point where it held
 *     the same data as all of them (a start that assembled them together, or a rejoin: a member change
 *     after which a returning member was back in sync).
 * Anything else is never automatic: a diverged member holds writes that exist nowhere else, so the
 * operator is told what to run (zero its superblock and add it for a full resync) after saving them;
 * when the evidence is missing the operator is told why nothing was done.
 */
import type { LedgerRecord } from "../ledger/record.js";
import type { Examine } from "../md/examine.js";
import { mdadmUuid } from "../md/uuid.js";

export interface RunningMember {
  readonly slot: number;
  readonly devUuid: string;
}

export interface ReaddEvidence {
  readonly uuid: string;
  readonly mdDevice: string;
  /** The running array's event count (an in-sync member's superblock). */
  readonly arrayEvents: number;
  /** The in-sync members of the running array. */
  readonly running: readonly RunningMember[];
  /** The returning member: its device and superblock. */
  readonly device: string;
  readonly superblock: Examine;
  /** The quorate ledger record, if there is one. */
  readonly ledger: LedgerRecord | undefined;
}

export type ReaddDecision =
  | { readonly verdict: "re-add"; readonly reason: string; readonly command: readonly string[] }
  /** Not ours or already in: nothing to do, nothing to say. */
  | { readonly verdict: "ignore"; readonly reason: string }
  | {
      readonly verdict: "operator";
      readonly code: "diverged" | "unproven" | "not-a-member";
      readonly reason: string;
      /** What the operator would run once they decide (never run automatically). */
      readonly commands: readonly (readonly string[])[];
    };

export function decideReadd(e: ReaddEvidence): ReaddDecision {
  const sb = e.superblock;
  if (sb.uuid !== e.uuid) return { verdict: "ignore", reason: `${e.device} belongs to array ${mdadmUuid(sb.uuid)}, not ${mdadmUuid(e.uuid)}` };
  if (e.running.some((r) => r.devUuid === sb.devUuid)) return { verdict: "ignore", reason: `${e.device} is already an in-sync member` };
  const fullResync = [
    ["mdadm", "--zero-superblock", e.device],
    ["mdadm", e.mdDevice, "--add", e.device],
  ];
  const operator = (code: "diverged" | "unproven" | "not-a-member", why: string): ReaddDecision => ({
    verdict: "operator",
    code,
    reason: `${e.device} is not re-added automatically: ${why}. ${code === "diverged" ? "Save what you need from it first; then" : "If it is known to hold nothing newer,"} a full resync: ${fullResync.map((c) => c.join(" ")).join(" && ")}`,
    commands: fullResync,
  });
  if (sb.role.kind !== "active") return operator("not-a-member", `its superblock says ${sb.role.kind}, not an active slot`);
  const slot = sb.role.slot;
  const ranWithout = e.running.filter((r) => sb.arraySlots[r.slot] !== "A");
  if (ranWithout.length > 0) {
    return operator("diverged", `its own superblock (events ${sb.events}) records slot(s) ${ranWithout.map((r) => r.slot).join(", ")} of the running array as missing: it ran without them`);
  }
  if (sb.events >= e.arrayEvents) return operator("diverged", `its event count ${sb.events} is not below the running array's ${e.arrayEvents}: it is not behind, it may have run elsewhere`);
  if (e.ledger === undefined) return operator("unproven", "no quorate ledger record says when it was dropped");
  const drop = e.ledger.failed.find((f) => f.dev === sb.devUuid);
  if (drop === undefined) return operator("unproven", `the ledger (events ${e.ledger.gen}) does not record slot ${slot}'s device ${mdadmUuid(sb.devUuid)} as dropped`);
  if (sb.events > drop.events) return operator("diverged", `it was dropped at events ${drop.events} but its own count is ${sb.events}: it was written after it left`);
  const runningDevs = e.running.map((r) => r.devUuid);
  // Starts and rejoins are kept oldest first; one that has it together with every running member is a
  // common point of both histories, so only the starts after the last such one count.
  const withAll = (devs: readonly string[]): boolean => devs.includes(sb.devUuid) && runningDevs.every((d) => devs.includes(d));
  let lastCommon = -1;
  e.ledger.starts.forEach((s, i) => {
    if (withAll(s.devs)) lastCommon = i;
  });
  const soloStart = e.ledger.starts.slice(lastCommon + 1).find((s) => s.devs.includes(sb.devUuid));
  if (soloStart !== undefined) return operator("diverged", `the ledger shows a ${soloStart.kind === "rejoin" ? "member change" : "start"} on ${soloStart.node} at ${soloStart.time} (events ${soloStart.gen}) that used it without the running members`);
  return {
    verdict: "re-add",
    reason: `${e.device} (slot ${slot}) left at events ${drop.events}, holds ${sb.events}, never ran without the running members: a strict prefix of the array (events ${e.arrayEvents}), re-added from the bitmap`,
    command: [e.mdDevice, "--re-add", e.device],
  };
}
