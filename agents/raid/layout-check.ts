/**
 * The array's layout as this node can see it without changing anything, and the agent's judgement of it
 * (agents/layout/layouts.ts, issue 9): from sysfs when the array runs here, else from `mdadm --examine`
 * of the first configured target whose LUN is already visible here (read-only). On a node that sees no
 * member (the usual passive node: no sessions), the layout cannot be known and start will meet it.
 */
import { observedFromExamine, observedFromSysfs, judgeLayout, describeObserved, type ObservedLayout } from "../layout/layouts.js";
import type { MdArrayState } from "../md/array-state.js";
import { MDADM } from "../md/mdadm.js";
import { OCF } from "../ocf/exit-codes.js";
import { succeeded } from "../system/command.js";
import type { HostFs } from "../system/host-fs.js";
import { findTargetDevice, targetSessions, type ActionContext } from "./context.js";
import type { Outcome } from "./dispatch.js";
import { checkArrayRuns } from "./status-light.js";

/** The running array's layout from sysfs (level, raid_disks, consistency_policy). */
export function runningLayout(fs: HostFs, array: MdArrayState): ObservedLayout | undefined {
  return observedFromSysfs(array.level, array.raidDisks, fs.readText(`/sys/block/${array.name}/md/consistency_policy`));
}

export type SeenLayout = { readonly from: string; readonly layout: ObservedLayout } | { readonly from: undefined; readonly why: string };

export async function seeLayout(ctx: Pick<ActionContext, "fs" | "params" | "runner" | "deadline">): Promise<SeenLayout> {
  const { fs, params: p } = ctx;
  const running = checkArrayRuns(fs, p.uuid, p.mdDevice);
  if (running.rc === OCF.SUCCESS && running.array !== undefined) {
    const l = runningLayout(fs, running.array);
    if (l !== undefined) return { from: `running ${running.array.device}`, layout: l };
  }
  const sessions = targetSessions(fs, p.targets);
  for (const t of p.targets) {
    const dev = findTargetDevice(fs, t);
    const s = sessions.get(t);
    if (dev === undefined || dev.disk === undefined || s === undefined || !s.disks.includes(dev.disk)) continue;
    const r = await ctx.runner.run(MDADM, ["--examine", dev.link], { timeoutMs: ctx.deadline.budget(10_000) });
    if (!succeeded(r)) continue;
    const l = observedFromExamine(r.stdout);
    if (l !== undefined && /Array UUID\s*:\s*([0-9a-f:]+)/.exec(r.stdout)?.[1]?.replace(/:/g, "") === p.uuid) return { from: `superblock of ${dev.link}`, layout: l };
  }
  return { from: undefined, why: "no member of this array is visible on this node (no running array, no logged-in LUN with its superblock)" };
}

/** validate-all's layout step: exit 6 with the reason for a layout pmsapp does not run under this policy. */
export async function validateLayout(ctx: Pick<ActionContext, "fs" | "params" | "runner" | "deadline">): Promise<Outcome> {
  const seen = await seeLayout(ctx);
  if (seen.from === undefined) return { rc: OCF.SUCCESS, reason: `layout not checked here: ${seen.why}; validate-all on the node running it checks it` };
  const v = judgeLayout(seen.layout, ctx.params.degraded);
  if (!v.ok) return { rc: OCF.ERR_CONFIGURED, reason: `layout refused (${seen.from}): ${v.reason}` };
  return { rc: OCF.SUCCESS, reason: `layout ${v.layout?.name ?? describeObserved(seen.layout)} (${seen.from}): ${v.note}` };
}
