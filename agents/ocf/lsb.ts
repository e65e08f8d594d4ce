/**
 * LSB init-script exit codes (LSB core 4.1, "Init Script Actions") and how the raid agent's OCF outcome
 * maps onto them for the swraid drop-in. start/stop codes 1-7 mean the same in LSB and OCF; status differs:
 * 0 running, 1 dead (here: present but failed), 3 not running, 4 unknown (e.g. unusable configuration).
 */
import { OCF } from "./exit-codes.js";

export const LSB_STATUS = { RUNNING: 0, DEAD: 1, NOT_RUNNING: 3, UNKNOWN: 4 } as const;
/** Invalid or excess arguments (unknown action, usage). */
export const LSB_USAGE = 2;

export function lsbExitCode(action: "start" | "stop" | "status", ocfRc: number): number {
  if (action !== "status") return ocfRc;
  if (ocfRc === OCF.SUCCESS) return LSB_STATUS.RUNNING;
  if (ocfRc === OCF.NOT_RUNNING) return LSB_STATUS.NOT_RUNNING;
  if (ocfRc === OCF.ERR_GENERIC) return LSB_STATUS.DEAD;
  return LSB_STATUS.UNKNOWN;
}
