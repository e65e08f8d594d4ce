/**
 * status/monitor depth 0: is the array with THIS UUID running here, under the configured name? sysfs
 * only, no commands (the guide's swraid grepped /proc/mdstat for any active array). Built-ins only.
 */
import { OCF } from "../ocf/exit-codes.js";
import { RUNNING_ARRAY_STATES, listMdArrays, readMdArray, type MdArrayState } from "../md/array-state.js";
import { canonicalUuid, mdadmUuid } from "../md/uuid.js";
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

/**
 * The active md array carrying this UUID and its array_state (the same array findMdArrayByUuid finds:
 * first in /sys/block order with a non-empty array_state), reading two sysfs files per array and
 * nothing else: depth 0 runs every 10-30 s and needs no member details.
 */
function locateByUuid(fs: HostFs, uuid: string): { readonly name: string; readonly arrayState: string } | undefined {
  const want = canonicalUuid(uuid);
  if (want === undefined) return undefined;
  for (const name of listMdArrays(fs)) {
    if (canonicalUuid(fs.readText(`/sys/block/${name}/md/uuid`)) !== want) continue;
    const arrayState = fs.readText(`/sys/block/${name}/md/array_state`)?.trim();
    if (arrayState !== undefined && arrayState !== "") return { name, arrayState };
  }
  return undefined;
}

/**
 * Does the array with THIS UUID run here under md_device? `detail: "full"` (default) also returns the
 * array's state with its members for the callers that need them; "state" reads only what the answer
 * needs (status depth 0). Both give the same rc and reason.
 */
export function checkArrayRuns(fs: HostFs, uuid: string, mdDevice: string, detail: "full" | "state" = "full"): Check {
  const found = locateByUuid(fs, uuid);
  const shown = mdadmUuid(uuid);
  if (found === undefined) return { rc: OCF.NOT_RUNNING, reason: `array ${shown} is not active on this node` };
  const array = detail === "full" ? readMdArray(fs, found.name) : undefined;
  const device = `/dev/${found.name}`;
  const arrayState = array?.arrayState ?? found.arrayState;
  const withArray = array !== undefined ? { array } : {};
  if (!RUNNING_ARRAY_STATES.has(arrayState)) {
    return { rc: OCF.ERR_GENERIC, reason: `array ${shown} exists as ${device} but is ${arrayState}, not running`, ...withArray };
  }
  const expected = mdKernelName(fs, mdDevice);
  if (expected !== found.name) {
    return {
      rc: OCF.ERR_GENERIC,
      reason: `array ${shown} runs as ${device}, not as ${mdDevice}: stop it (mdadm --stop ${device}) before the cluster starts it`,
      ...withArray,
    };
  }
  return { rc: OCF.SUCCESS, reason: `array ${shown} runs as ${device} (${arrayState})`, ...withArray };
}
