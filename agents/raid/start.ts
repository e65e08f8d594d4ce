/**
 * start: idempotent. Node records for exactly the configured targets, parallel logins under one deadline,
 * a bounded wait for their devices, both examinations of every member, one pure decision, assembly from
 * the explicit member list, a check of array_state, and on any failure a rollback of what THIS start did.
 */
import { classifyLogin, ISCSIADM, loginArgs, logoutArgs, classifyLogout, prepareNodeRecord } from "../iscsi/iscsiadm.js";
import type { TargetSpec } from "../iscsi/target-spec.js";
import { assembleArgs, examineMember, MDADM, stopArgs } from "../md/mdadm.js";
import { mdadmUuid } from "../md/uuid.js";
import { OCF } from "../ocf/exit-codes.js";
import { describeResult, succeeded } from "../system/command.js";
import { findTargetDevice, mdDeviceOccupant, pollUntil, targetSessions, type ActionContext } from "./context.js";
import { decideStart, type Candidate, type SlotEvidence } from "./decision.js";
import type { Outcome } from "./dispatch.js";
import { checkArrayRuns } from "./status-light.js";
import { readForStart, recordStartInLedger } from "./ledger-io.js";

/** Longest wait for udev to create the by-path links after a login. */
export const DEVICE_WAIT_MS = 10_000;
/** Longest wait for array_state to show a running array after mdadm returned. */
export const ARRAY_STATE_WAIT_MS = 3_000;
const POLL_MS = 100;
/** Cap for one quick iscsiadm/mdadm call (record updates, examine, stop). */
const QUICK_MS = 10_000;
/**
 * Time kept back from start's forward steps so that a failed start can always undo what it did (stop
 * the array it assembled, log out the sessions it opened): 15 % of the budget, 3 to 15 s (the lab's
 * loaded TCG node logged out of three targets in 1.2 s). Without it, a start that used its whole budget
 * left an inactive array and open sessions behind (CI, loaded host: ocf-tester's 20 s start).
 */
export function rollbackReserveMs(budgetMs: number): number {
  return Math.min(15_000, Math.max(3_000, Math.round(budgetMs * 0.15)));
}
/**
 * The least time an assembly is started with: mdadm killed in the middle of --assemble leaves an
 * inactive array holding the members, so with less time left start gives up cleanly instead.
 */
export const ASSEMBLE_MIN_MS = 3_000;

export interface StartOptions {
  /** Outside evidence about slots (issue 8); none by default. */
  readonly external?: readonly SlotEvidence[];
}

export async function startArray(ctx: ActionContext, options: StartOptions = {}): Promise<Outcome> {
  const { params: p, runner, fs, reporter } = ctx;
  // Forward steps run against `fwd`; the rollback keeps the full deadline (see rollbackReserveMs).
  const reserveMs = rollbackReserveMs(ctx.deadline.remainingMs());
  const fwd: ActionContext = { ...ctx, deadline: ctx.deadline.keeping(reserveMs) };
  const deadline = fwd.deadline;
  const uuid = mdadmUuid(p.uuid);
  const quick = (): number => deadline.budget(QUICK_MS);

  const before = checkArrayRuns(fs, p.uuid, p.mdDevice);
  if (before.rc === OCF.SUCCESS) {
    reporter.decision("already-running", `${before.reason}: nothing to do`);
    return { rc: OCF.SUCCESS, reason: before.reason };
  }
  if (before.rc !== OCF.NOT_RUNNING) {
    reporter.decision("refuse-foreign-state", before.reason);
    return { rc: OCF.ERR_GENERIC, reason: before.reason };
  }

  // md_device must be free: never assemble over (or roll back into) someone else's array.
  const occupant = mdDeviceOccupant(fs, p);
  if (occupant.kind === "foreign") {
    const a = occupant.array;
    const reason = `${p.mdDevice} is taken by ${a.device} (${a.arrayState}${a.uuid ? `, array ${mdadmUuid(a.uuid)}` : ""}, members ${a.members.map((m) => m.name).join(" ") || "none"}): not ours, not touched; stop it by hand if it is stale`;
    reporter.decision("refuse-md-device-taken", reason);
    return { rc: OCF.ERR_GENERIC, reason };
  }
  if (occupant.kind === "leftover") {
    const r = await runner.run(MDADM, stopArgs(occupant.array.device), { timeoutMs: quick() });
    reporter.decision("stop-leftover", `stopped the inactive ${occupant.array.device} left by an interrupted start (members ${occupant.array.members.map((m) => m.name).join(" ")})`);
    if (!succeeded(r)) return { rc: OCF.ERR_GENERIC, reason: `could not stop the inactive leftover ${occupant.array.device}: ${describeResult(r)}` };
  }

  // Sessions that exist before this start are not ours to close on rollback.
  const hadSession = new Set([...targetSessions(fs, p.targets)].filter(([, s]) => s !== undefined).map(([t]) => t));

  // 1. Per target, all targets side by side under one deadline: its node record with the agent's
  //    settings (prepareNodeRecord: usually one read, no write), then its login. iscsiadm serialises
  //    writers of its record database with its own lock. On the lab's one-vCPU TCG guests running the
  //    targets side by side did not shorten start (CPU-bound); reading the record first did.
  const loginCapMs = (p.loginTimeoutS * p.loginRetries + 3) * 1000;
  const loginProblems = new Map<TargetSpec, string>();
  let notInstalled: string | undefined;
  await Promise.all(
    p.targets.map(async (t) => {
      const prepared = await prepareNodeRecord(runner, t, p, quick);
      if (prepared !== undefined) {
        loginProblems.set(t, prepared);
        if (/could not start/.test(prepared)) notInstalled = prepared;
        return;
      }
      const r = classifyLogin(await runner.run(ISCSIADM, loginArgs(t), { timeoutMs: deadline.budget(loginCapMs) }));
      if (r.kind === "failed") {
        loginProblems.set(t, r.reason);
        if (r.notInstalled) notInstalled = r.reason;
      }
    }),
  );
  if (notInstalled !== undefined) {
    const reason = `iscsiadm is not installed or not runnable: ${notInstalled}`;
    reporter.decision("refuse-not-installed", reason);
    return { rc: OCF.ERR_INSTALLED, reason };
  }
  const opened = (): TargetSpec[] => p.targets.filter((t) => !hadSession.has(t) && !loginProblems.has(t));

  // 2. Bounded wait for the LUN devices of the targets that logged in.
  const wanted = p.targets.filter((t) => !loginProblems.has(t));
  await pollUntil(fwd, DEVICE_WAIT_MS, POLL_MS, () => (wanted.every((t) => findTargetDevice(fs, t) !== undefined) ? true : undefined));

  // 3. Every member's facts (examined side by side); only disks of this target's iSCSI session qualify.
  const sessions = targetSessions(fs, p.targets);
  let mdadmMissing: string | undefined;
  const candidates: Candidate[] = await Promise.all(
    p.targets.map(async (t): Promise<Candidate> => {
      const problem = loginProblems.get(t);
      if (problem !== undefined) return { target: t.text, problem: "login-failed", detail: problem };
      const dev = findTargetDevice(fs, t);
      if (dev === undefined) return { target: t.text, problem: "no-device", detail: `no /dev/disk/by-path link for ${t.iqn} appeared` };
      const session = sessions.get(t);
      if (dev.disk === undefined || session === undefined || !session.disks.includes(dev.disk)) {
        return { target: t.text, device: dev.link, problem: "not-iscsi", detail: `${dev.link} -> ${dev.disk ?? "?"} is not a disk of an iSCSI session of ${t.iqn}` };
      }
      const ex = await examineMember(runner, dev.link, quick);
      if (ex.ok) return { target: t.text, device: dev.link, superblock: ex.examine };
      if (ex.failure === "not-installed") mdadmMissing = ex.reason;
      return { target: t.text, device: dev.link, problem: ex.failure === "no-superblock" ? "no-superblock" : "unreadable", detail: ex.reason };
    }),
  );
  if (mdadmMissing !== undefined) {
    const reason = `mdadm is not installed or not runnable: ${mdadmMissing}`;
    await rollback(ctx, opened(), false);
    reporter.decision("refuse-not-installed", reason);
    return { rc: OCF.ERR_INSTALLED, reason };
  }

  // 4. One pure decision, on the superblocks and the cluster's ledger (issue 8).
  const ledger = await readForStart(ctx);
  const decision = decideStart(
    {
      uuid: p.uuid,
      candidates,
      ...(options.external ? { external: options.external } : {}),
      ...(ledger ? { ledger: ledger.view } : {}),
      ...(ctx.node !== undefined ? { node: ctx.node } : {}),
      ...(ledger?.override ? { override: ledger.override } : {}),
      ...(ctx.ledger !== undefined ? { overridePossible: ctx.ledger.overrides } : {}),
    },
    p.degraded,
  );
  const details = { verdicts: decision.verdicts, policy: p.degraded, ...(ledger ? { ledger: ledger.view.kind === "quorate" ? { source: ledger.view.source, gen: ledger.view.record?.gen ?? null } : { source: ledger.view.source, unavailable: ledger.view.reason } } : {}) };
  if (decision.verdict === "refuse") {
    reporter.decision(`refuse-${decision.code}`, `not starting ${uuid}: ${decision.reason}`, details);
    const rb = await rollback(ctx, opened(), false);
    return { rc: OCF.ERR_GENERIC, reason: `not starting ${uuid}: ${decision.reason}${rb}` };
  }
  // A degraded start is in the cluster's ledger before it happens, or it does not happen.
  if (decision.degraded) {
    const unrecorded = await recordStartInLedger(ctx, ledger, decision);
    if (unrecorded !== undefined) {
      const reason = `not starting ${uuid} degraded: the start could not be recorded in the cluster's ledger (${unrecorded}), and an unrecorded degraded start lets a later start from the left-out members roll the array back`;
      reporter.decision("refuse-ledger-unwritable", reason);
      const rb = await rollback(ctx, opened(), false);
      return { rc: OCF.ERR_GENERIC, reason: `${reason}${rb}` };
    }
  }

  reporter.decision(decision.force ? "force-assemble" : decision.degraded ? "assemble-degraded" : "assemble", decision.reason, { ...details, run: decision.run, force: decision.force, ...(decision.warnings.length > 0 ? { warnings: decision.warnings } : {}) });
  for (const w of decision.warnings) reporter.log("warn", w, { uuid });

  // 5. Assemble from exactly these members, then check what the kernel says.
  if (deadline.remainingMs() < ASSEMBLE_MIN_MS) {
    const reason = `not starting ${uuid}: only ${(deadline.remainingMs() / 1000).toFixed(1)} s of the start timeout left before assembling (at least ${ASSEMBLE_MIN_MS / 1000} s needed, ${(reserveMs / 1000).toFixed(0)} s kept for undoing); raise the start operation's timeout`;
    reporter.decision("refuse-out-of-time", reason);
    const rb = await rollback(ctx, opened(), false);
    return { rc: OCF.ERR_GENERIC, reason: `${reason}${rb}` };
  }
  const assembled = await runner.run(MDADM, assembleArgs(p.mdDevice, p.uuid, decision.members, decision.run, decision.force), { timeoutMs: deadline.budget(30_000) });
  if (!succeeded(assembled)) {
    const rb = await rollback(ctx, opened(), true);
    return { rc: OCF.ERR_GENERIC, reason: `assembly of ${uuid} failed: ${describeResult(assembled)}${rb}` };
  }
  const running = await pollUntil(fwd, ARRAY_STATE_WAIT_MS, POLL_MS, () => {
    const c = checkArrayRuns(fs, p.uuid, p.mdDevice);
    return c.rc === OCF.SUCCESS ? c : undefined;
  });
  if (running === undefined) {
    const now = checkArrayRuns(fs, p.uuid, p.mdDevice);
    const rb = await rollback(ctx, opened(), true);
    return { rc: OCF.ERR_GENERIC, reason: `mdadm assembled ${uuid} but the kernel does not show it running (${now.reason})${rb}` };
  }
  if (!decision.degraded) await recordStartInLedger(ctx, ledger, decision);
  const degradedNote = decision.degraded ? ` DEGRADED: ${decision.reason}` : "";
  return { rc: OCF.SUCCESS, reason: `${running.reason}${degradedNote}` };
}

/** Undo what this start did: stop the array it assembled, log out the sessions it opened. */
async function rollback(ctx: ActionContext, openedTargets: readonly TargetSpec[], stopArray: boolean): Promise<string> {
  const notes: string[] = [];
  if (stopArray) {
    const r = await ctx.runner.run(MDADM, stopArgs(ctx.params.mdDevice), { timeoutMs: ctx.deadline.budget(QUICK_MS) });
    // mdadm removes a device it failed to start itself (raid1-stopped-examine): "not found" is fine
    if (!succeeded(r) && !/not found|No such file|does not appear to be active/i.test(r.stderr)) notes.push(`stopping ${ctx.params.mdDevice} failed: ${describeResult(r)}`);
  }
  await Promise.all(
    openedTargets.map(async (t) => {
      const r = classifyLogout(await ctx.runner.run(ISCSIADM, logoutArgs(t), { timeoutMs: ctx.deadline.budget(QUICK_MS) }));
      if (r.kind === "failed") notes.push(`logout of ${t.text} failed: ${r.reason}`);
    }),
  );
  ctx.reporter.log(notes.length ? "warn" : "info", "rolled back this start", { stoppedArray: stopArray, loggedOut: openedTargets.map((t) => t.text), problems: notes });
  return notes.length ? `; rollback incomplete: ${notes.join("; ")}` : `; rolled back (${openedTargets.length} session(s) this start opened were closed${stopArray ? ", array stopped" : ""})`;
}
