/**
 * stop with parameters the agent cannot use (malformed, missing, unreadable swraid.conf). Decided for
 * data safety first:
 *
 * - Under Pacemaker a failed stop leads to fencing this node; a successful one lets the cluster start the
 *   array on another node. Claiming "stopped" while the array still runs here would assemble it twice in
 *   the cluster: two writers on one RAID, silent corruption. That is the one outcome worse than fencing.
 * - So stop answers 0 only when this node provably runs nothing that could be this resource's array: no
 *   md array (active or not) with the configured UUID, if that much of the configuration is readable, and
 *   no md array holding a disk of an iSCSI session (this agent only ever assembles iSCSI LUNs). Then
 *   nothing is run, and the reason says the configuration still has to be fixed.
 * - Otherwise 6 (not configured): the agent cannot tell which array or sessions are its own, so it
 *   touches nothing and does not claim success; the cluster manager fences or blocks, and the operator
 *   fixes the configuration. Local arrays on non-iSCSI disks (a root RAID1 on sda/sdb) are not suspects.
 *
 * Built-ins only (light path): sysfs reads, no command.
 */
import { readAllMdArrays, type MdArrayState } from "../md/array-state.js";
import { canonicalUuid, mdadmUuid } from "../md/uuid.js";
import { OCF } from "../ocf/exit-codes.js";
import type { HostFs } from "../system/host-fs.js";

export interface UnconfiguredStop {
  readonly rc: number;
  readonly reason: string;
}

/** Is this block device (kernel name, e.g. "sdc") a LUN of an iSCSI session? */
function isIscsiDisk(fs: HostFs, disk: string): boolean {
  const real = fs.realPath(`/sys/block/${disk}`);
  return real !== undefined && /\/session\d+\//.test(real);
}

function describe(a: MdArrayState): string {
  return `${a.device} (${a.arrayState}, members ${a.members.map((m) => m.name).join(" ") || "none"})`;
}

/**
 * @param problems why the configuration was refused (each naming its parameter)
 * @param rawUuid the `uuid` value as given, used only if it is a well-formed md UUID
 */
export function stopWithUnusableConfiguration(fs: HostFs, problems: readonly string[], rawUuid: string | undefined): UnconfiguredStop {
  const uuid = canonicalUuid(rawUuid);
  const arrays = readAllMdArrays(fs);
  const suspects = arrays.filter((a) => (uuid !== undefined && a.uuid === uuid) || a.members.some((m) => isIscsiDisk(fs, m.name)));
  const refused = `configuration refused (${problems.join("; ")})`;
  if (suspects.length === 0) {
    const what = uuid !== undefined ? `no md array with UUID ${mdadmUuid(uuid)} and none on an iSCSI disk` : "no md array on an iSCSI disk";
    return {
      rc: OCF.SUCCESS,
      reason: `${refused}, but ${what} exists on this node, so nothing of this resource runs here: stopped without running anything; fix the configuration before the next start`,
    };
  }
  return {
    rc: OCF.ERR_CONFIGURED,
    reason: `${refused}, and ${suspects.map(describe).join(", ")} exists on this node: without a usable configuration the agent cannot tell whether it is this resource's array, so it touches nothing and does not report it stopped (reporting it stopped could let the cluster assemble it on a second node)`,
  };
}
