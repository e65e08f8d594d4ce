/**
 * iSCSI initiator sessions as the kernel shows them (/sys/class/iscsi_session, /sys/class/iscsi_connection),
 * and which SCSI disks belong to which session. Built-ins only (status path, daemon).
 */
import type { HostFs } from "../system/host-fs.js";

export interface IscsiSessionState {
  /** "session2" */
  readonly id: string;
  /** The session number iscsiadm calls SID. */
  readonly sid: number;
  readonly target: string;
  /** LOGGED_IN, FAILED, FREE (and UNBOUND on newer kernels). */
  readonly state: string;
  readonly targetState: string | undefined;
  /** replacement_timeout as the kernel applies it, seconds. */
  readonly recoveryTimeoutS: number | undefined;
  readonly initiator: string | undefined;
  /** Portal from the connection's persistent address/port. */
  readonly portal: { readonly address: string; readonly port: number } | undefined;
  /** Connection state: up, failed … */
  readonly connectionState: string | undefined;
  /** SCSI disks of this session, e.g. ["sdb"]. */
  readonly disks: readonly string[];
}

const trimmed = (t: string | undefined): string | undefined => {
  const v = t?.trim();
  return v === undefined || v === "" ? undefined : v;
};

export function readIscsiSessions(fs: HostFs): IscsiSessionState[] {
  const ids = (fs.readDir("/sys/class/iscsi_session") ?? []).filter((n) => /^session\d+$/.test(n));
  if (ids.length === 0) return [];
  const disksBySession = new Map<string, string[]>();
  for (const disk of fs.readDir("/sys/block") ?? []) {
    if (!/^sd[a-z]+$/.test(disk)) continue;
    const real = fs.realPath(`/sys/block/${disk}`);
    const m = real === undefined ? null : /\/(session\d+)\//.exec(real);
    if (m !== null) disksBySession.set(m[1] as string, [...(disksBySession.get(m[1] as string) ?? []), disk]);
  }
  return ids
    .map((id) => {
      const sid = Number(id.slice("session".length));
      const dir = `/sys/class/iscsi_session/${id}`;
      const conn = `/sys/class/iscsi_connection/connection${sid}:0`;
      const address = trimmed(fs.readText(`${conn}/persistent_address`));
      const port = Number(trimmed(fs.readText(`${conn}/persistent_port`)) ?? "NaN");
      const tmo = Number(trimmed(fs.readText(`${dir}/recovery_tmo`)) ?? "NaN");
      return {
        id,
        sid,
        target: trimmed(fs.readText(`${dir}/targetname`)) ?? "",
        state: trimmed(fs.readText(`${dir}/state`)) ?? "UNKNOWN",
        targetState: trimmed(fs.readText(`${dir}/target_state`)),
        recoveryTimeoutS: Number.isFinite(tmo) ? tmo : undefined,
        initiator: trimmed(fs.readText(`${dir}/initiatorname`)),
        portal: address !== undefined && Number.isFinite(port) ? { address, port } : undefined,
        connectionState: trimmed(fs.readText(`${conn}/state`)),
        disks: (disksBySession.get(id) ?? []).sort(),
      };
    })
    .sort((a, b) => a.sid - b.sid);
}
