/**
 * The raid agent's side of the evidence ledger (issue 8): read it before a start, write it after a start,
 * at a clean stop and (from depth-10 status) at every member change, and re-add a returning member when
 * `decideReadd` proves it safe. Only the node running the array gets here, so there is one writer.
 * A ledger write that fails never fails the action: the superblocks still carry the divergence guard, and
 * the failure is a journal decision the operator sees.
 */
import type { LedgerRecord, LedgerMember, OverrideEntry } from "../ledger/record.js";
import { consumeOverride, pendingOverride, recordCleanStop, recordMemberChange, recordStart } from "../ledger/record.js";
import type { LedgerView } from "../ledger/store.js";
import type { MdArrayState } from "../md/array-state.js";
import { classifyLogin, ISCSIADM, loginArgs } from "../iscsi/iscsiadm.js";
import { examineMember, MDADM } from "../md/mdadm.js";
import { describeResult, succeeded } from "../system/command.js";
import { findTargetDevice, targetSessions, type ActionContext } from "./context.js";
import type { StartDecision } from "./decision.js";
import { decideReadd } from "./readd.js";

const QUICK_MS = 10_000;

export interface StartLedger {
  readonly view: LedgerView;
  readonly record: LedgerRecord | undefined;
  readonly override: OverrideEntry | undefined;
}

/** The ledger as evidence for a start, and the override waiting for this node (also in a non-quorate copy). */
export async function readForStart(ctx: ActionContext): Promise<StartLedger | undefined> {
  if (ctx.ledger === undefined) return undefined;
  const view = await ctx.ledger.read(ctx.params.uuid);
  const record = view.kind === "quorate" ? view.record : view.localRecord;
  const override = ctx.node === undefined ? undefined : pendingOverride(record, ctx.node);
  if (view.kind === "unavailable") ctx.reporter.log("info", `no outside evidence from ${view.source}: ${view.reason}`);
  return { view, record, override };
}

async function write(ctx: ActionContext, record: LedgerRecord, what: string): Promise<string | undefined> {
  if (ctx.ledger === undefined) return undefined;
  const w = await ctx.ledger.write(record);
  if (w.ok) {
    ctx.reporter.log("info", `ledger written: ${what}`, { gen: record.gen, inSync: record.inSync, failed: record.failed });
    return undefined;
  }
  ctx.reporter.decision("ledger-write-failed", `could not record ${what} in the ${ctx.ledger.name}: ${w.reason}; the next start has less evidence`);
  return w.reason;
}

/**
 * Record a start: the members it assembles, at the freshest count it saw. A degraded start is recorded
 * BEFORE the assembly, and must be: if the cluster never learns that this node ran without some members,
 * a later start from those members would look proven and roll the array back. So the caller refuses a
 * degraded start when this returns a reason. A full start is recorded after the assembly (nothing to
 * protect: every member is current). Returns why the record could not be written, if it could not.
 */
export async function recordStartInLedger(ctx: ActionContext, ledger: StartLedger | undefined, decision: Extract<StartDecision, { verdict: "assemble" }>): Promise<string | undefined> {
  if (ctx.ledger === undefined || ledger === undefined) return undefined;
  if (ctx.node === undefined) return ledger.view.kind === "quorate" ? "this node's cluster name is unknown" : undefined;
  const members = decision.verdicts.filter((v) => v.status === "member" && v.slot !== undefined && v.devUuid !== undefined);
  const inSync: LedgerMember[] = members.map((v) => ({ slot: v.slot as number, dev: v.devUuid as string }));
  const gen = Math.max(0, ...members.map((v) => v.events ?? 0));
  const time = new Date(ctx.now()).toISOString();
  // A non-quorate view's record is a stale copy: never build on it (only its override was used).
  const prev = ledger.view.kind === "quorate" ? ledger.record : undefined;
  let record = recordStart(prev, { uuid: ctx.params.uuid, node: ctx.node, time, gen, inSync });
  if (decision.usedOverride !== undefined) {
    const withOverride = prev === undefined ? { ...record, overrides: ledger.record?.overrides ?? [] } : record;
    record = consumeOverride(withOverride, ctx.node, time);
    ctx.reporter.decision("override-consumed", `start used the override by ${decision.usedOverride.by} of ${decision.usedOverride.time} (${decision.usedOverride.reason})`, { override: decision.usedOverride });
  }
  const failed = await write(ctx, record, `start on ${ctx.node} with slots ${inSync.map((m) => m.slot).join(",")} at events ${gen}`);
  // Without quorum nothing could be relied on anyway (only an override got here): not a reason to refuse.
  return ledger.view.kind === "quorate" ? failed : undefined;
}

/** The in-sync members of an array and the freshest event count among them, from their superblocks. */
async function observe(ctx: ActionContext, array: MdArrayState): Promise<{ inSync: LedgerMember[]; gen: number } | string> {
  const inSync: LedgerMember[] = [];
  let gen = 0;
  for (const m of array.members.filter((x) => x.slot !== null && x.flags.includes("in_sync") && !x.flags.includes("faulty"))) {
    const ex = await examineMember(ctx.runner, `/dev/${m.name}`, () => ctx.deadline.budget(QUICK_MS));
    if (!ex.ok) return `cannot read the superblock of ${m.name}: ${ex.reason}`;
    inSync.push({ slot: m.slot as number, dev: ex.examine.devUuid });
    gen = Math.max(gen, ex.examine.events);
  }
  return { inSync, gen };
}

/** Before `mdadm --stop` the caller keeps the array's state; after it, the members' superblocks are final. */
export async function recordAfterCleanStop(ctx: ActionContext, before: MdArrayState): Promise<void> {
  if (ctx.ledger === undefined || ctx.node === undefined) return;
  const view = await ctx.ledger.read(ctx.params.uuid);
  if (view.kind !== "quorate") {
    ctx.reporter.decision("ledger-not-written", `clean stop not recorded: ${view.reason}`);
    return;
  }
  const seen = await observe(ctx, before);
  if (typeof seen === "string") {
    ctx.reporter.decision("ledger-not-written", `clean stop not recorded: ${seen}`);
    return;
  }
  const time = new Date(ctx.now()).toISOString();
  await write(ctx, recordCleanStop(view.record, { uuid: ctx.params.uuid, node: ctx.node, time, ...seen }), `clean stop with slots ${seen.inSync.map((m) => m.slot).join(",")} at events ${seen.gen}`);
}

/**
 * Depth-10 status on the running array: record a member change when the in-sync slots differ from the
 * ledger's, then try to bring back configured members that are reachable again but not in the array.
 * Returns notes for the status reason.
 */
export async function reconcileRunningArray(ctx: ActionContext, array: MdArrayState): Promise<string[]> {
  if (ctx.ledger === undefined || ctx.node === undefined) return [];
  const notes: string[] = [];
  const view = await ctx.ledger.read(ctx.params.uuid);
  if (view.kind !== "quorate") {
    ctx.reporter.log("warn", `ledger not reconciled: ${view.reason}`);
    return [];
  }
  let record = view.record;
  const inSyncSlots = array.members.filter((m) => m.slot !== null && m.flags.includes("in_sync") && !m.flags.includes("faulty")).map((m) => m.slot as number).sort((a, b) => a - b);
  const recorded = (record?.inSync ?? []).map((m) => m.slot).sort((a, b) => a - b);
  const slotsChanged = record === undefined || inSyncSlots.join(",") !== recorded.join(",");
  const degraded = (array.raidDisks ?? 0) > inSyncSlots.length;
  // The common case costs only the ledger read: same in-sync slots as recorded, nothing missing.
  if (!slotsChanged && !degraded) return notes;
  const seen = await observe(ctx, array);
  if (typeof seen === "string") {
    ctx.reporter.log("warn", `ledger not reconciled: ${seen}`);
    return [];
  }
  const sameDevs = seen.inSync.every((m) => record?.inSync.some((r) => r.slot === m.slot && r.dev === m.dev));
  if (slotsChanged || !sameDevs) {
    const time = new Date(ctx.now()).toISOString();
    const next = recordMemberChange(record, { uuid: ctx.params.uuid, node: ctx.node, time, ...seen });
    const dropped = next.failed.filter((f) => !(record?.failed ?? []).some((x) => x.dev === f.dev));
    ctx.reporter.decision("ledger-member-change", `members in sync now: slots ${inSyncSlots.join(",") || "none"} at events ${seen.gen}${dropped.length ? `; dropped: ${dropped.map((d) => `slot ${d.slot} at events ${d.events}`).join(", ")}` : ""}`, { inSync: next.inSync, failed: next.failed });
    await write(ctx, next, `member change (slots ${inSyncSlots.join(",")})`);
    record = next;
  }
  if (!degraded) return notes;

  // A configured target without any session (it was dead when the array started): one bounded login
  // attempt per check, all in parallel; its device is looked at by the next check.
  const loginCapMs = (ctx.params.loginTimeoutS * ctx.params.loginRetries + 3) * 1000;
  const noSession = [...targetSessions(ctx.fs, ctx.params.targets)].filter(([, s]) => s === undefined).map(([t]) => t);
  await Promise.all(
    noSession.map(async (t) => {
      const r = classifyLogin(await ctx.runner.run(ISCSIADM, loginArgs(t), { timeoutMs: ctx.deadline.budget(loginCapMs) }));
      if (r.kind === "logged-in") {
        ctx.reporter.decision("login-returning-target", `${t.text} answers again: logged in; its member is judged by the next check`);
        notes.push(`logged in to ${t.text} again`);
      } else if (r.kind === "failed") ctx.reporter.log("debug", `${t.text} still unreachable: ${r.reason}`);
    }),
  );

  // Returning members: a configured target logged in again whose disk is not an in-sync member.
  const inSyncDisks = new Set(array.members.filter((m) => m.flags.includes("in_sync") && !m.flags.includes("faulty")).map((m) => m.name));
  const recovering = array.members.some((m) => !m.flags.includes("faulty") && !m.flags.includes("in_sync"));
  if (recovering) return notes; // a rebuild is running: one thing at a time
  for (const [t, s] of targetSessions(ctx.fs, ctx.params.targets)) {
    if (s === undefined || s.state !== "LOGGED_IN") continue;
    const dev = findTargetDevice(ctx.fs, t);
    if (dev?.disk === undefined || inSyncDisks.has(dev.disk) || !s.disks.includes(dev.disk)) continue;
    const ex = await examineMember(ctx.runner, dev.link, () => ctx.deadline.budget(QUICK_MS));
    if (!ex.ok) {
      if (ex.failure === "no-superblock") {
        ctx.reporter.decision("readd-needs-operator", `${t.text} is reachable again but ${dev.link} carries no md superblock (a new disk?): add it by hand if it should be a member: mdadm ${array.device} --add ${dev.link}`);
      }
      continue;
    }
    const d = decideReadd({ uuid: ctx.params.uuid, mdDevice: array.device, arrayEvents: seen.gen, running: seen.inSync.map((m) => ({ slot: m.slot, devUuid: m.dev })), device: dev.link, superblock: ex.examine, ledger: record });
    if (d.verdict === "ignore") continue;
    if (d.verdict === "operator") {
      ctx.reporter.decision(`readd-needs-operator`, `${t.text}: ${d.reason}`, { code: d.code, commands: d.commands });
      notes.push(`${t.text} needs the operator (${d.code})`);
      continue;
    }
    if (array.members.some((m) => m.flags.includes("faulty"))) {
      const rm = await ctx.runner.run(MDADM, [array.device, "--remove", "failed"], { timeoutMs: ctx.deadline.budget(QUICK_MS) });
      if (!succeeded(rm)) {
        ctx.reporter.decision("readd-failed", `could not remove the failed member before re-adding ${dev.link}: ${describeResult(rm)}`);
        continue;
      }
    }
    const r = await ctx.runner.run(MDADM, [...d.command], { timeoutMs: ctx.deadline.budget(QUICK_MS) });
    if (succeeded(r)) {
      ctx.reporter.decision("re-add", d.reason, { target: t.text, device: dev.link });
      notes.push(`re-added ${t.text} from the bitmap`);
    } else {
      ctx.reporter.decision("readd-failed", `mdadm ${d.command.join(" ")} failed: ${describeResult(r)}`, { target: t.text });
    }
  }
  return notes;
}
