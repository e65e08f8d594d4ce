/**
 * status/monitor depth 10 and 20. Depth 10: the depth-0 check, then every member's state and every
 * configured target's session; a degraded array is reported (log + journal) and fails only below the
 * level's minimum. Depth 20: also one read from the md device, by a child process under the deadline, so
 * a hung device cannot hang the agent (the read does not use O_DIRECT; it reads a block that changes with
 * time, so repeated checks do not keep hitting the same cached block).
 */
import { minimumMembers } from "../md/examine.js";
import type { MdArrayState } from "../md/array-state.js";
import { OCF } from "../ocf/exit-codes.js";
import { describeResult, succeeded } from "../system/command.js";
import { targetSessions, type ActionContext } from "./context.js";
import type { Outcome } from "./dispatch.js";
import { checkArrayRuns } from "./status-light.js";
import { reconcileRunningArray } from "./ledger-io.js";
import { runningLayout } from "./layout-check.js";
import { describeObserved } from "../layout/layouts.js";

export const READ_BLOCK_BYTES = 4096;

export interface MemberReport {
  readonly healthy: boolean;
  readonly inSync: number;
  readonly problems: readonly string[];
}

/** Members and sessions of a running array, judged against the level's minimum. */
export function judgeMembers(ctx: Pick<ActionContext, "fs" | "params">, array: MdArrayState): MemberReport {
  const problems: string[] = [];
  const active = array.members.filter((m) => m.slot !== null && !m.flags.includes("faulty"));
  const inSync = active.filter((m) => m.flags.includes("in_sync")).length;
  for (const m of array.members) {
    if (m.flags.includes("faulty")) problems.push(`member ${m.name} is faulty`);
    else if (m.slot === null || !m.flags.includes("in_sync")) problems.push(`member ${m.name} is ${m.flags.join(",") || "not in sync"}${array.syncProgress ? ` (${array.syncAction} ${Math.floor((array.syncProgress.done * 100) / array.syncProgress.total)}%)` : ""}`);
  }
  if ((array.degraded ?? 0) > 0) problems.unshift(`degraded: ${array.degraded} of ${array.raidDisks ?? "?"} devices missing`);
  const sessions = targetSessions(ctx.fs, ctx.params.targets);
  const ourDisks = new Set<string>();
  for (const [t, s] of sessions) {
    if (s === undefined) problems.push(`no iSCSI session for ${t.text}`);
    else {
      s.disks.forEach((d) => ourDisks.add(d));
      if (s.state !== "LOGGED_IN") problems.push(`session ${s.id} of ${t.text} is ${s.state}`);
    }
  }
  for (const m of array.members) {
    if (!ourDisks.has(m.name)) problems.push(`member ${m.name} is not a disk of a configured target's session`);
  }
  const level = array.level ?? "unknown";
  const needed = minimumMembers(level, array.raidDisks ?? array.members.length, true);
  return { healthy: inSync >= needed, inSync, problems };
}

export async function deepStatus(ctx: ActionContext, depth: 10 | 20): Promise<Outcome> {
  const { fs, params: p, reporter } = ctx;
  const base = checkArrayRuns(fs, p.uuid, p.mdDevice);
  if (base.rc !== OCF.SUCCESS || base.array === undefined) return { rc: base.rc, reason: base.reason };
  const array = base.array;
  const judged = judgeMembers(ctx, array);
  if (!judged.healthy) {
    const reason = `${array.device}: only ${judged.inSync} member(s) in sync, below what ${array.level} needs: ${judged.problems.join("; ")}`;
    reporter.decision("failed-below-minimum", reason, { problems: judged.problems });
    return { rc: OCF.ERR_GENERIC, reason };
  }
  if (judged.problems.length > 0) reporter.decision("degraded", `${array.device} serves, but: ${judged.problems.join("; ")}`, { problems: judged.problems });
  // The ledger's member-change record and the automatic re-add happen here, on the node running the array.
  const ledgerNotes = await reconcileRunningArray(ctx, array);
  if (depth === 20) {
    const read = await readOneBlock(ctx, array.name);
    if (read !== undefined) return { rc: OCF.ERR_GENERIC, reason: read };
  }
  const note = (judged.problems.length > 0 ? ` (degraded: ${judged.problems.join("; ")})` : "") + (ledgerNotes.length > 0 ? `; ${ledgerNotes.join("; ")}` : "");
  // The layout (level, consistency policy) is part of the outcome, which the journal records and pmsappd streams.
  const layout = runningLayout(fs, array);
  const layoutText = layout === undefined ? "" : `; layout ${describeObserved(layout)}`;
  return { rc: OCF.SUCCESS, reason: `${base.reason}, depth ${depth} ok${note}${layoutText}` };
}

/** One block read from the array by `dd`; undefined when it worked, else why not. */
async function readOneBlock(ctx: ActionContext, mdName: string): Promise<string | undefined> {
  const sectors = Number(ctx.fs.readText(`/sys/block/${mdName}/size`) ?? "0");
  const blocks = Number.isFinite(sectors) ? Math.floor((sectors * 512) / READ_BLOCK_BYTES) : 0;
  const skip = blocks > 1 ? Math.floor(Date.now() / 1000) % blocks : 0;
  const args = [`if=/dev/${mdName}`, "of=/dev/null", `bs=${READ_BLOCK_BYTES}`, "count=1", `skip=${skip}`];
  const budget = ctx.deadline.budget();
  // The runner kills dd at the deadline; a process stuck in the kernel may not die at once, so the agent
  // does not wait for it beyond the deadline either.
  const r = await Promise.race([
    ctx.runner.run("dd", args, { timeoutMs: budget }),
    new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), budget + 500).unref()),
  ]);
  if (r === "hung") return `read from /dev/${mdName} did not return within ${budget} ms (device hung?)`;
  return succeeded(r) ? undefined : `read from /dev/${mdName} failed: ${describeResult(r)}`;
}
