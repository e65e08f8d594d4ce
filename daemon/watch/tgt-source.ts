/**
 * tgtd's targets, LUNs and connected initiators, polled with
 * `tgtadm --lld iscsi --op show --mode target` (argv, under a deadline).
 */
import type { CommandResult, Runner } from "../../agents/system/command.js";
import { describeResult, succeeded } from "../../agents/system/command.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseTgtShow, type TgtTarget } from "../../agents/tgt/show.js";

export const TGTADM_SHOW = ["--lld", "iscsi", "--op", "show", "--mode", "target"] as const;

export type TgtRead =
  | { readonly ok: true; readonly targets: TgtTarget[] }
  /** tgtadm is not installed: this node exports nothing (a valid state, not an error). */
  | { readonly ok: true; readonly targets: []; readonly notInstalled: string }
  | { readonly ok: false; readonly reason: string; readonly result: CommandResult };

export async function readTgtTargets(runner: Runner, timeoutMs: number): Promise<TgtRead> {
  const result = await runner.run("tgtadm", [...TGTADM_SHOW], { timeoutMs });
  if (result.failedToStart !== undefined && /not found/.test(result.failedToStart)) return { ok: true, targets: [], notInstalled: result.failedToStart };
  if (!succeeded(result)) return { ok: false, reason: describeResult(result), result };
  return { ok: true, targets: parseTgtShow(result.stdout) };
}

/** In a captured node folder (host_format = capture): its tgtadm-op-show.txt; none = no targets. */
export function readCapturedTgt(captureDir: string): TgtRead {
  try {
    return { ok: true, targets: parseTgtShow(readFileSync(join(captureDir, "tgtadm-op-show.txt"), "utf8")) };
  } catch {
    return { ok: true, targets: [] };
  }
}
