/**
 * Which paths may become members of a new array: only the udev by-path link of a LUN of a logged-in iSCSI
 * session (`/dev/disk/by-path/ip-<address>:<port>-iscsi-<iqn>-lun-<n>`), whose disk really belongs to a
 * session of that IQN and portal, and that no md array holds. A bare /dev/sdX is refused (sdX letters
 * follow login order and name another LUN after the next login), and so is any path to a local disk: the
 * node's own LUN must be used through its iSCSI path, like every other node's, or the array could not
 * be assembled anywhere else. Reads the host through HostFs only; no commands.
 */
import { readIscsiSessions } from "../iscsi/session-state.js";
import { validateIscsiName } from "../iscsi/target-spec.js";
import { mdHoldersOf } from "../md/array-state.js";
import type { HostFs } from "../system/host-fs.js";

export const BY_PATH_DIR = "/dev/disk/by-path";

export interface ByPathName {
  readonly address: string;
  readonly port: number;
  readonly iqn: string;
  readonly lun: number;
}

/** `ip-10.99.1.11:3260-iscsi-iqn.2026-11.lab.pmsapp:node1.disk-lun-1` (IPv6: `ip-[fe80::1]:3260-…`). */
export function parseByPathName(name: string): ByPathName | undefined {
  const m = /^ip-(\[[0-9A-Fa-f:.]+\]|[0-9.]+):(\d{1,5})-iscsi-((?:iqn|eui|naa)\.[^/\s]+)-lun-(\d+)$/.exec(name);
  if (m === null || validateIscsiName(m[3] as string) !== undefined) return undefined;
  return { address: (m[1] as string).replace(/^\[|\]$/g, ""), port: Number(m[2]), iqn: m[3] as string, lun: Number(m[4]) };
}

/** The raid agent's `targets` entry for this LUN. */
export function targetEntry(p: ByPathName): string {
  const host = p.address.includes(":") ? `[${p.address}]` : p.address;
  return `${p.iqn}@${host}:${p.port}`;
}

export interface MemberOk {
  readonly ok: true;
  readonly path: string;
  /** Kernel disk name behind the link, e.g. "sdb". */
  readonly disk: string;
  readonly lun: ByPathName;
  /** Size in bytes from /sys/block/<disk>/size; undefined when unreadable. */
  readonly sizeBytes: number | undefined;
}

export interface MemberRefused {
  readonly ok: false;
  readonly path: string;
  readonly reason: string;
  /** The path names a local disk (not a disk of an iSCSI session). */
  readonly local?: { readonly device: string };
}

export type MemberCheck = MemberOk | MemberRefused;

/** Check one member path against this host's sessions, links and md holders. */
export function checkMemberPath(fs: HostFs, path: string): MemberCheck {
  const shown = JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
  if (/^\/dev\/(sd[a-z]+|vd[a-z]+|xvd[a-z]+|nvme\d+n\d+|hd[a-z]+)(p?\d+)?$/.test(path)) {
    return { ok: false, path, reason: `${shown} is a kernel disk name, which can name another disk after the next login or boot: give the LUN's /dev/disk/by-path/ip-…-iscsi-<iqn>-lun-N link` };
  }
  if (!path.startsWith(`${BY_PATH_DIR}/`) || path.slice(BY_PATH_DIR.length + 1).includes("/")) {
    return {
      ok: false,
      path,
      reason: `${shown} is not an iSCSI LUN path: members are given as /dev/disk/by-path/ip-<portal>-iscsi-<iqn>-lun-N links of logged-in sessions`,
      local: { device: fs.realPath(path) ?? path },
    };
  }
  const name = path.slice(BY_PATH_DIR.length + 1);
  const lun = parseByPathName(name);
  const real = fs.realPath(path);
  if (lun === undefined) {
    return {
      ok: false,
      path,
      reason: `${shown} is not the by-path link of an iSCSI LUN (ip-<portal>:<port>-iscsi-<iqn>-lun-N): a local disk cannot be a member, use this node's LUN through its iSCSI session like any other node's`,
      local: { device: real ?? path },
    };
  }
  if (!(fs.readDir(BY_PATH_DIR) ?? []).includes(name) || real === undefined) {
    return { ok: false, path, reason: `${shown} does not exist: log in to ${targetEntry(lun)} first (iscsiadm -m node -T ${lun.iqn} -p ${targetEntry(lun).split("@")[1]} --login)` };
  }
  const disk = /^\/dev\/(sd[a-z]+)$/.exec(real)?.[1];
  const session = readIscsiSessions(fs).find(
    (s) => s.target === lun.iqn && (s.portal === undefined || (s.portal.address.toLowerCase() === lun.address.toLowerCase() && s.portal.port === lun.port)),
  );
  if (disk === undefined || session === undefined || !session.disks.includes(disk)) {
    return { ok: false, path, reason: `${shown} -> ${real} is not a disk of an iSCSI session of ${lun.iqn} on this node`, local: { device: real } };
  }
  if (session.state !== "LOGGED_IN") return { ok: false, path, reason: `the iSCSI session of ${lun.iqn} is ${session.state}, not LOGGED_IN` };
  const holders = mdHoldersOf(fs, disk);
  if (holders.length > 0) {
    return { ok: false, path, reason: `${shown} (${disk}) is held by ${holders.map((h) => `/dev/${h}`).join(", ")}: it is in use by a running array, which pmsapp create never overwrites` };
  }
  const sectors = Number(fs.readText(`/sys/block/${disk}/size`)?.trim() ?? "NaN");
  return { ok: true, path, disk, lun, sizeBytes: Number.isFinite(sectors) && sectors > 0 ? sectors * 512 : undefined };
}
