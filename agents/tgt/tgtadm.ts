/**
 * tgtadm as argv arrays, and a small client over the Runner. Exit codes and messages were read from a real
 * tgtd 1.0.85 (test/fixtures/tgt-host-2026-11-24): every refusal of tgtd is exit 22 (EINVAL) with
 * "tgtadm: <reason>" on stderr; when no tgtd listens, tgtadm exits 107 (ENOTCONN, "failed to send request
 * hdr to tgt daemon, Transport endpoint is not connected").
 *
 * tgtadm packs options into one "key=value,key=value" string that tgtd splits on commas: callers must only
 * pass values without commas (target.conf's validation guarantees it; `assertParamSafe` double-checks).
 *
 * There is deliberately no "new account" here: tgtadm takes a CHAP secret only as `--password <secret>`,
 * which every local user can read in /proc/<pid>/cmdline while it runs. The keeper creates accounts over
 * tgtd's management socket instead (./ipc.ts).
 */
import type { CommandResult, Deadline, Runner } from "../system/command.js";
import { describeResult, succeeded } from "../system/command.js";
import { parseTgtShow, type TgtTarget } from "./show.js";

export const TGTADM = "tgtadm";
export const TGTD = "tgtd";
/** One tgtadm call talks to a local daemon over a Unix socket: it is quick or something is wrong. */
export const TGTADM_CALL_CAP_MS = 10_000;

const LLD = ["--lld", "iscsi"] as const;

/** Exit codes of tgtadm meaning "no tgtd to talk to" (ENOTCONN seen live; ECONNREFUSED, ENOENT by the socket's nature). */
const DAEMON_DOWN_CODES = new Set([107, 111, 2]);

export type InitiatorSpec = { readonly kind: "address" | "name"; readonly value: string };

function assertParamSafe(...values: string[]): void {
  for (const v of values) {
    if (v === "" || /[,\s]/.test(v)) throw new Error(`refusing to pass '${v}' to tgtadm: empty, or contains a comma or whitespace`);
  }
}

export const tgtadmArgs = {
  showTargets: (): string[] => [...LLD, "--op", "show", "--mode", "target"],
  newTarget(tid: number, iqn: string): string[] {
    assertParamSafe(iqn);
    return [...LLD, "--op", "new", "--mode", "target", "--tid", String(tid), "-T", iqn];
  },
  deleteTarget: (tid: number, force: boolean): string[] => [
    ...LLD,
    "--op",
    "delete",
    "--mode",
    "target",
    "--tid",
    String(tid),
    ...(force ? ["--force"] : []),
  ],
  newLun(tid: number, lun: number, path: string, bsoflags: string | undefined): string[] {
    assertParamSafe(path, ...(bsoflags !== undefined ? [bsoflags] : []));
    return [
      ...LLD,
      "--op",
      "new",
      "--mode",
      "logicalunit",
      "--tid",
      String(tid),
      "--lun",
      String(lun),
      "-b",
      path,
      ...(bsoflags !== undefined ? ["--bsoflags", bsoflags] : []),
    ];
  },
  deleteLun: (tid: number, lun: number): string[] => [...LLD, "--op", "delete", "--mode", "logicalunit", "--tid", String(tid), "--lun", String(lun)],
  updateLunIdentity(tid: number, lun: number, scsiId: string, scsiSn: string): string[] {
    assertParamSafe(scsiId, scsiSn);
    return [
      ...LLD,
      "--op",
      "update",
      "--mode",
      "logicalunit",
      "--tid",
      String(tid),
      "--lun",
      String(lun),
      "--params",
      `scsi_id=${scsiId},scsi_sn=${scsiSn}`,
    ];
  },
  bindInitiator(tid: number, who: InitiatorSpec): string[] {
    assertParamSafe(who.value);
    return [...LLD, "--op", "bind", "--mode", "target", "--tid", String(tid), who.kind === "name" ? "--initiator-name" : "--initiator-address", who.value];
  },
  unbindInitiator(tid: number, who: InitiatorSpec): string[] {
    assertParamSafe(who.value);
    return [...LLD, "--op", "unbind", "--mode", "target", "--tid", String(tid), who.kind === "name" ? "--initiator-name" : "--initiator-address", who.value];
  },
  deleteAccount(user: string): string[] {
    assertParamSafe(user);
    return [...LLD, "--op", "delete", "--mode", "account", "--user", user];
  },
  bindAccount(tid: number, user: string): string[] {
    assertParamSafe(user);
    return [...LLD, "--op", "bind", "--mode", "account", "--tid", String(tid), "--user", user];
  },
  /** Asks tgtd to exit; tgtd refuses (22, "invalid request") while any target exists. */
  deleteSystem: (): string[] => [...LLD, "--op", "delete", "--mode", "system"],
};

/** How an ACL entry printed by `--op show` is removed: names by --initiator-name, the rest by address. */
export function aclEntrySpec(entry: string): InitiatorSpec {
  return /^(iqn|eui|naa)\./i.test(entry) ? { kind: "name", value: entry } : { kind: "address", value: entry };
}

export type ShowResult =
  | { readonly ok: true; readonly targets: TgtTarget[] }
  | { readonly ok: false; readonly daemonDown: boolean; readonly notInstalled: boolean; readonly reason: string };

export function daemonIsDown(r: CommandResult): boolean {
  return r.failedToStart === undefined && !r.timedOut && r.exitCode !== null && DAEMON_DOWN_CODES.has(r.exitCode);
}

/** The one-line reason tgtadm gave ("this target already exists"), without the "tgtadm: " prefix. */
export function tgtadmReason(r: CommandResult): string {
  const line = r.stderr.trim().split("\n").filter(Boolean).pop() ?? "";
  return line.replace(/^tgtadm:\s*/, "") || describeResult(r);
}

export class TgtadmClient {
  constructor(
    private readonly runner: Runner,
    private readonly deadline: Deadline,
  ) {}

  run(args: readonly string[]): Promise<CommandResult> {
    return this.runner.run(TGTADM, args, { timeoutMs: this.deadline.budget(TGTADM_CALL_CAP_MS) });
  }

  async show(): Promise<ShowResult> {
    const r = await this.run(tgtadmArgs.showTargets());
    if (succeeded(r)) return { ok: true, targets: parseTgtShow(r.stdout) };
    if (r.failedToStart !== undefined) return { ok: false, daemonDown: false, notInstalled: true, reason: `tgtadm is not installed (${r.failedToStart})` };
    if (daemonIsDown(r)) return { ok: false, daemonDown: true, notInstalled: false, reason: `tgtd is not running (${tgtadmReason(r)})` };
    return { ok: false, daemonDown: false, notInstalled: false, reason: describeResult(r) };
  }
}
