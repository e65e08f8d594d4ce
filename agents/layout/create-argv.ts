/**
 * The `mdadm --create` argv of each layout, with the settings the lab proved (lab-facts §1, §9, §13):
 * metadata 1.2; a neutral --homehost (an array whose homehost is a node's name gets udev's
 * mdadm-last-resort timer there, which starts it degraded from a stale local disk); for bitmap layouts an
 * explicit --bitmap-chunk sized to the member (mdadm's default, 64 MiB for a 255 MiB member, gave 4 bits
 * and a re-add as slow as a full rebuild; 1 MiB gave 4 s against 21-32 s); PPL for raid5-ppl (no bitmap:
 * md refuses both together). argv only; nothing here runs anything.
 */
import { LAYOUTS, type LayoutName } from "./layouts.js";

export const MIB = 1024 * 1024;
/** Smallest bitmap chunk pmsapp uses (the lab's 1 MiB for 256 MiB members). */
export const MIN_BITMAP_CHUNK = MIB;
/** Aim: at most this many bits; a short outage then dirties few, small chunks (64 Ki bits = 8 KiB of bitmap). */
export const TARGET_BITMAP_BITS = 65_536;

/**
 * Bitmap chunk for a member of `memberBytes`: the smallest power of two >= 1 MiB that keeps the bitmap
 * at or under 65536 bits (1 MiB up to 64 GiB members, 16 MiB for 1 TiB, 64 MiB for 4 TiB). The bitmap
 * fits easily in the space v1.2 metadata leaves before the data.
 */
export function bitmapChunkBytes(memberBytes: number): number {
  let chunk = MIN_BITMAP_CHUNK;
  while (memberBytes / chunk > TARGET_BITMAP_BITS) chunk *= 2;
  return chunk;
}

/** mdadm's size suffix for a power-of-two byte count (1M, 16M, 1G). */
export function mdadmSize(bytes: number): string {
  if (bytes % (1024 * MIB) === 0) return `${bytes / (1024 * MIB)}G`;
  if (bytes % MIB === 0) return `${bytes / MIB}M`;
  return `${Math.ceil(bytes / 1024)}K`;
}

export interface CreateSpec {
  readonly layout: LayoutName;
  /** /dev/mdN or /dev/md/NAME */
  readonly mdDevice: string;
  /** The array name in the superblock (shown as <homehost>:<name>). */
  readonly name: string;
  /** Neutral homehost: the cluster's name, never a node's. */
  readonly homehost: string;
  /** Stable member paths in slot order. */
  readonly members: readonly string[];
  /** Size of the smallest member, for the bitmap chunk. */
  readonly memberBytes: number;
  /** Skip the initial sync: only valid on blank (zeroed) members, e.g. the lab's fresh sparse disks. */
  readonly assumeClean?: boolean;
  /** raid5-journal only (measurement): the journal device. */
  readonly journal?: string;
}

export function createArgv(s: CreateSpec): string[] {
  const layout = LAYOUTS[s.layout];
  if (layout.policy === "journal" && (s.journal === undefined || s.journal === "")) throw new Error("createArgv: raid5-journal needs the journal device");
  const level = layout.level === "raid1" ? "1" : "5";
  const policy: string[] =
    layout.policy === "ppl"
      ? ["--consistency-policy=ppl"]
      : layout.policy === "journal"
        ? ["--write-journal", s.journal as string]
        : ["--bitmap=internal", `--bitmap-chunk=${mdadmSize(bitmapChunkBytes(s.memberBytes))}`];
  return [
    "--create",
    s.mdDevice,
    "--run",
    `--level=${level}`,
    `--raid-devices=${s.members.length}`,
    "--metadata=1.2",
    ...policy,
    `--homehost=${s.homehost}`,
    `--name=${s.name}`,
    ...(s.assumeClean === true ? ["--assume-clean"] : []),
    ...s.members,
  ];
}
