/**
 * What the backing disk is and who uses it: the kernel name behind the stable path, its partitions, md and
 * other holders (/sys/block/<disk>/holders, and each partition's), mounts and swap. Pure reads of HostFs.
 */
import { posix } from "node:path";
import type { HostFs } from "../system/host-fs.js";

export type ResolvedDisk = { readonly ok: true; readonly device: string; readonly name: string } | { readonly ok: false; readonly missing: boolean; readonly reason: string };

/** The kernel device behind a stable path, e.g. /dev/disk/by-path/virtio-pci-0000:00:03.0 -> /dev/vdb. */
export function resolveBackingDevice(fs: HostFs, stablePath: string): ResolvedDisk {
  const real = fs.realPath(stablePath);
  if (real === undefined) return { ok: false, missing: true, reason: `backing device ${stablePath} does not exist (disk missing, or udev has not created the link yet)` };
  const name = posix.basename(real);
  if (!real.startsWith("/dev/") || !/^[A-Za-z0-9._-]+$/.test(name)) {
    return { ok: false, missing: false, reason: `backing device ${stablePath} resolves to ${real}, which is not a /dev block device` };
  }
  if (!fs.exists(`/sys/block/${name}`) && !fs.exists(`/sys/class/block/${name}`)) {
    return { ok: false, missing: false, reason: `backing device ${stablePath} resolves to ${real}, which the kernel does not list as a block device (/sys/class/block/${name})` };
  }
  const sysPath = fs.realPath(`/sys/block/${name}`) ?? "";
  if (/\/session\d+\//.test(sysPath)) {
    return {
      ok: false,
      missing: false,
      reason: `backing device ${stablePath} resolves to ${real}, an iSCSI disk (${sysPath}): export this node's local disk, never a LUN logged in from a target`,
    };
  }
  if (/^(md\d+|dm-\d+|loop\d+|sr\d+)$/.test(name)) {
    return { ok: false, missing: false, reason: `backing device ${stablePath} resolves to ${real}: export a physical disk, not an md/dm/loop/optical device` };
  }
  return { ok: true, device: real, name };
}

/** /dev path in canonical form: links under /dev/disk, /dev/md and /dev/mapper resolved. */
export function canonicalDevicePath(fs: HostFs, path: string): string {
  const p = posix.normalize(path);
  if (/^\/dev\/(disk|md|mapper)\//.test(p)) return fs.realPath(p) ?? p;
  return p;
}

export interface MountEntry {
  readonly source: string;
  readonly target: string;
}

/** /proc/mounts (or /proc/self/mounts): "source target fstype options 0 0", octal escapes for spaces. */
export function parseMounts(text: string): MountEntry[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 2 && f[0] !== "")
    .map((f) => ({ source: unescape(f[0] ?? ""), target: unescape(f[1] ?? "") }));
}

/** Device paths in /proc/swaps (first column after the header). */
export function parseSwaps(text: string): string[] {
  return text
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((s) => s.startsWith("/"));
}

export interface UsageFacts {
  /** Mount points whose source is one of the devices. */
  readonly mountedAt: string[];
  readonly swap: boolean;
}

/** Is any of these kernel names mounted or swapped on? Unreadable /proc/mounts counts as "unknown" (undefined). */
export function usageOf(fs: HostFs, names: readonly string[]): UsageFacts | undefined {
  const mountsText = fs.readText("/proc/mounts");
  if (mountsText === undefined) return undefined;
  const set = new Set(names.map((n) => `/dev/${n}`));
  const mountedAt = parseMounts(mountsText)
    .filter((m) => m.source.startsWith("/dev/") && set.has(canonicalDevicePath(fs, m.source)))
    .map((m) => m.target);
  const swap = parseSwaps(fs.readText("/proc/swaps") ?? "").some((s) => set.has(canonicalDevicePath(fs, s)));
  return { mountedAt, swap };
}

export interface DiskInspection {
  readonly device: string;
  readonly name: string;
  readonly partitions: readonly string[];
  /** md arrays holding the disk or one of its partitions, e.g. ["md127"]. */
  readonly mdHolders: readonly string[];
  /** Anything else holding it (dm-*, bcache …). */
  readonly otherHolders: readonly string[];
  /** undefined when /proc/mounts could not be read. */
  readonly usage: UsageFacts | undefined;
}

export function inspectDisk(fs: HostFs, disk: { device: string; name: string }): DiskInspection {
  const partitions = (fs.readDir(`/sys/block/${disk.name}`) ?? []).filter((e) => e.startsWith(disk.name) && e !== disk.name);
  const holders = new Set<string>();
  for (const h of fs.readDir(`/sys/block/${disk.name}/holders`) ?? []) holders.add(h);
  for (const p of partitions) for (const h of fs.readDir(`/sys/block/${disk.name}/${p}/holders`) ?? []) holders.add(h);
  const all = [...holders].sort();
  return {
    device: disk.device,
    name: disk.name,
    partitions,
    mdHolders: all.filter((h) => /^md\d+$/.test(h)),
    otherHolders: all.filter((h) => !/^md\d+$/.test(h)),
    usage: usageOf(fs, [disk.name, ...partitions]),
  };
}

/** Why an md array may not be stopped: holders of the md itself, mounts, swap. Empty = free. */
export function mdInUseReasons(fs: HostFs, md: string): string[] {
  const reasons: string[] = [];
  const holders = fs.readDir(`/sys/block/${md}/holders`) ?? [];
  if (holders.length > 0) reasons.push(`held by ${holders.join(", ")}`);
  const partitions = (fs.readDir(`/sys/block/${md}`) ?? []).filter((e) => e.startsWith(`${md}p`));
  const usage = usageOf(fs, [md, ...partitions]);
  if (usage === undefined) reasons.push("cannot read /proc/mounts to prove it is not mounted");
  else {
    if (usage.mountedAt.length > 0) reasons.push(`mounted at ${usage.mountedAt.join(", ")}`);
    if (usage.swap) reasons.push("used as swap");
  }
  return reasons;
}

/**
 * Members of an md array other than the backing disk and its partitions (/sys/block/mdX/slaves). A stray
 * array assembled at boot from this node's disk has none; an array with other members (iSCSI LUNs) is a
 * real, assembled array and is never the keeper's to stop.
 */
export function otherMembers(fs: HostFs, md: string, disk: { name: string; partitions: readonly string[] }): string[] {
  const own = new Set([disk.name, ...disk.partitions]);
  return (fs.readDir(`/sys/block/${md}/slaves`) ?? []).filter((m) => !own.has(m));
}

/** `mdadm --detail --export` / `--examine --export`: KEY=VALUE lines. */
export function parseMdadmExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(MD_[A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}
