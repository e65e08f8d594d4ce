/**
 * The state of md arrays as the kernel shows it in sysfs (/sys/block/mdN/md/...). This is the one model
 * behind the agent's status, the daemon's events and the CLI. Built-ins only: the status path uses it.
 * Attribute meanings: Documentation/admin-guide/md.rst.
 */
import type { HostFs } from "../system/host-fs.js";
import { canonicalUuid } from "./uuid.js";

export interface MdMemberState {
  /** Kernel name of the member's block device, e.g. "sdb". */
  readonly name: string;
  /** /dev path of the member, e.g. "/dev/sdb". */
  readonly device: string;
  /** Role in the array, null when it has none (spare, faulty). */
  readonly slot: number | null;
  /** Flags from dev-X/state: in_sync, faulty, spare, write_mostly, blocked, write_error, want_replacement, replacement. */
  readonly flags: readonly string[];
  /** Sector from which recovery continues; null when not recovering. */
  readonly recoveryStart: number | null;
  /** Corrected read errors (dev-X/errors). */
  readonly errors: number | null;
}

export interface SyncProgress {
  readonly done: number;
  readonly total: number;
}

export interface MdArrayState {
  /** Kernel name, e.g. "md127". */
  readonly name: string;
  readonly device: string;
  /** Canonical UUID; undefined for an inactive array (sysfs shows zeros) or when unreadable. */
  readonly uuid: string | undefined;
  /** clear, inactive, suspended, readonly, read-auto, clean, active, write-pending, active-idle, broken. */
  readonly arrayState: string;
  /** raid1, raid5 … ; undefined while inactive. */
  readonly level: string | undefined;
  readonly raidDisks: number | undefined;
  /** Number of missing devices; undefined while inactive. */
  readonly degraded: number | undefined;
  /** idle, resync, recover, check, repair, reshape, frozen; undefined while inactive. */
  readonly syncAction: string | undefined;
  readonly syncProgress: SyncProgress | undefined;
  readonly members: readonly MdMemberState[];
}

/** States in which md serves I/O. */
export const RUNNING_ARRAY_STATES: ReadonlySet<string> = new Set(["clean", "active", "active-idle", "write-pending", "read-auto", "readonly"]);

export function isRunning(a: MdArrayState): boolean {
  return RUNNING_ARRAY_STATES.has(a.arrayState);
}

function intOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

function nonEmpty(text: string | undefined): string | undefined {
  const t = text?.trim();
  return t === undefined || t === "" ? undefined : t;
}

export function parseSyncCompleted(text: string | undefined): SyncProgress | undefined {
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(text?.trim() ?? "");
  if (m === null) return undefined;
  const total = Number(m[2]);
  return total > 0 ? { done: Number(m[1]), total } : undefined;
}

/** Names of md block devices present on the host ("md0", "md127" …). */
export function listMdArrays(fs: HostFs): string[] {
  return (fs.readDir("/sys/block") ?? []).filter((n) => /^md\d+$/.test(n));
}

export function readMdArray(fs: HostFs, name: string): MdArrayState | undefined {
  const md = `/sys/block/${name}/md`;
  const arrayState = nonEmpty(fs.readText(`${md}/array_state`));
  if (arrayState === undefined) return undefined;
  const members: MdMemberState[] = [];
  for (const entry of fs.readDir(md) ?? []) {
    if (!entry.startsWith("dev-")) continue;
    const dir = `${md}/${entry}`;
    const link = fs.readLink(`${dir}/block`);
    const memberName = link !== undefined ? link.slice(link.lastIndexOf("/") + 1) : entry.slice(4);
    members.push({
      name: memberName,
      device: `/dev/${memberName}`,
      slot: intOrUndefined(fs.readText(`${dir}/slot`)) ?? null,
      flags: (fs.readText(`${dir}/state`) ?? "").split(",").map((s) => s.trim()).filter(Boolean),
      recoveryStart: intOrUndefined(fs.readText(`${dir}/recovery_start`)) ?? null,
      errors: intOrUndefined(fs.readText(`${dir}/errors`)) ?? null,
    });
  }
  members.sort((a, b) => (a.slot ?? 1e9) - (b.slot ?? 1e9) || a.name.localeCompare(b.name));
  return {
    name,
    device: `/dev/${name}`,
    uuid: canonicalUuid(fs.readText(`${md}/uuid`)),
    arrayState,
    level: nonEmpty(fs.readText(`${md}/level`)),
    raidDisks: intOrUndefined(fs.readText(`${md}/raid_disks`)),
    degraded: intOrUndefined(fs.readText(`${md}/degraded`)),
    syncAction: nonEmpty(fs.readText(`${md}/sync_action`)),
    syncProgress: parseSyncCompleted(fs.readText(`${md}/sync_completed`)),
    members,
  };
}

export function readAllMdArrays(fs: HostFs): MdArrayState[] {
  return listMdArrays(fs)
    .map((n) => readMdArray(fs, n))
    .filter((a): a is MdArrayState => a !== undefined);
}

/** The array with this UUID (canonical or any spelling), if the kernel has it active. */
export function findMdArrayByUuid(fs: HostFs, uuid: string): MdArrayState | undefined {
  const want = canonicalUuid(uuid);
  if (want === undefined) return undefined;
  return readAllMdArrays(fs).find((a) => a.uuid === want);
}

/** md arrays that hold a block device (from /sys/block/<disk>/holders), e.g. ["md127"]. */
export function mdHoldersOf(fs: HostFs, disk: string): string[] {
  const name = disk.replace(/^\/dev\//, "");
  return (fs.readDir(`/sys/block/${name}/holders`) ?? []).filter((n) => n.startsWith("md"));
}
