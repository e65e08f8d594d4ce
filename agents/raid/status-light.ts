/**
 * status/monitor depth 0: is the array with THIS UUID running here, under the configured name? sysfs
 * only, no commands (the guide's swraid grepped /proc/mdstat for any active array). Built-ins only.
 */
import { OCF } from "../ocf/exit-codes.js";
import { findMdArrayByUuid, isRunning, type MdArrayState } from "../md/array-state.js";
import { mdadmUuid } from "../md/uuid.js";
import type { HostFs } from "../system/host-fs.js";

export interface Check {
  readonly rc: number;
  readonly reason: string;
  readonly array?: MdArrayState;
}

/** Kernel name behind an md device path: /dev/md0 -> md0, /dev/md/lab -> md127 (through its link). */
export function mdKernelName(fs: HostFs, mdDevice: string): string | undefined {
  const direct = /^\/dev\/(md\d+)$/.exec(mdDevice);
  if (direct !== null) return direct[1];
  const real = fs.realPath(mdDevice);
  const m = real === undefined ? null : /^\/dev\/(md\d+)$/.exec(real);
  return m === null ? undefined : m[1];
}

export function checkArrayRuns(fs: HostFs, uuid: string, mdDevice: string): Check {
  const array = findMdArrayByUuid(fs, uuid);
  const shown = mdadmUuid(uuid);
  if (array === undefined) return { rc: OCF.NOT_RUNNING, reason: `array ${shown} is not active on this node` };
  if (!isRunning(array)) {
    return { rc: OCF.ERR_GENERIC, reason: `array ${shown} exists as ${array.device} but is ${array.arrayState}, not running`, array };
  }
  const expected = mdKernelName(fs, mdDevice);
  if (expected !== array.name) {
    return {
      rc: OCF.ERR_GENERIC,
      reason: `array ${shown} runs as ${array.device}, not as ${mdDevice}: stop it (mdadm --stop ${array.device}) before the cluster starts it`,
      array,
    };
  }
  return { rc: OCF.SUCCESS, reason: `array ${shown} runs as ${array.device} (${array.arrayState})`, array };
}
