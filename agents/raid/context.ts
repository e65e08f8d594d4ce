/**
 * What every heavy action works with: its parameters, the one Runner, the host's /proc, /sys and /dev,
 * one deadline for the whole action, a reporter, and a clock. Tests build it with a FakeRunner, a
 * captured host and a fake clock; heavy.ts builds the real one.
 */
import { readMdArray, type MdArrayState } from "../md/array-state.js";
import type { IscsiSessionState } from "../iscsi/session-state.js";
import { readIscsiSessions } from "../iscsi/session-state.js";
import type { TargetSpec } from "../iscsi/target-spec.js";
import { matchesByPathName } from "../iscsi/target-spec.js";
import type { Deadline, Runner } from "../system/command.js";
import type { HostFs } from "../system/host-fs.js";
import type { LedgerStore } from "../ledger/store.js";
import type { RaidParams } from "./params.js";
import type { Reporter } from "./report.js";
import { mdKernelName } from "./status-light.js";

export interface ActionContext {
  readonly params: RaidParams;
  readonly runner: Runner;
  readonly fs: HostFs;
  readonly deadline: Deadline;
  readonly reporter: Reporter;
  /** Wait this long (bounded polling only; every loop also checks the deadline). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Wall clock (ms), for ledger times. */
  readonly now: () => number;
  /** Where the array's evidence ledger lives (issue 8); absent = no ledger is read or written. */
  readonly ledger?: LedgerStore;
  /** This node's cluster name; the ledger is only written when it is known. */
  readonly node?: string;
}

export const BY_PATH = "/dev/disk/by-path";

/** The session of this target in sysfs (same IQN; same portal address and port unless a host name). */
export function sessionOf(sessions: readonly IscsiSessionState[], t: TargetSpec): IscsiSessionState | undefined {
  return sessions.find(
    (s) =>
      s.target === t.iqn &&
      (s.portal === undefined || (s.portal.port === t.portal.port && (t.portal.kind === "hostname" || s.portal.address.toLowerCase() === t.portal.host.toLowerCase()))),
  );
}

export function targetSessions(fs: HostFs, targets: readonly TargetSpec[]): Map<TargetSpec, IscsiSessionState | undefined> {
  const sessions = readIscsiSessions(fs);
  return new Map(targets.map((t) => [t, sessionOf(sessions, t)]));
}

export interface TargetDevice {
  /** The by-path link, as the array is assembled from it. */
  readonly link: string;
  /** The kernel disk behind it, e.g. "sdb". */
  readonly disk: string | undefined;
}

/** The LUN device of this target under /dev/disk/by-path (lowest LUN first), if udev made it. */
export function findTargetDevice(fs: HostFs, t: TargetSpec): TargetDevice | undefined {
  const names = (fs.readDir(BY_PATH) ?? []).filter((n) => matchesByPathName(n, t)).sort((a, b) => lunOf(a) - lunOf(b));
  const name = names[0];
  if (name === undefined) return undefined;
  const link = `${BY_PATH}/${name}`;
  const real = fs.realPath(link);
  const m = real === undefined ? null : /^\/dev\/([a-z]+)$/.exec(real);
  return { link, disk: m === null ? undefined : m[1] };
}

function lunOf(name: string): number {
  return Number(/-lun-(\d+)$/.exec(name)?.[1] ?? "1e9");
}

/** Poll `probe` until it returns a value or the time runs out (never longer than the deadline). */
export async function pollUntil<T>(ctx: Pick<ActionContext, "deadline" | "sleep">, maxMs: number, stepMs: number, probe: () => T | undefined): Promise<T | undefined> {
  const stopAt = Math.min(maxMs, ctx.deadline.remainingMs());
  let waited = 0;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (waited >= stopAt || ctx.deadline.expired()) return undefined;
    const step = Math.min(stepMs, stopAt - waited);
    await ctx.sleep(step);
    waited += step;
  }
}

export type MdDeviceOccupant =
  | { readonly kind: "free" }
  /** An inactive array made only of disks of our targets' sessions: the remains of an interrupted start. */
  | { readonly kind: "leftover"; readonly array: MdArrayState }
  /** Anything else: another array, or an inactive one holding other disks (e.g. a local auto-assembly). */
  | { readonly kind: "foreign"; readonly array: MdArrayState };

/** What currently sits at md_device (called when the array with our UUID is not running). */
export function mdDeviceOccupant(fs: HostFs, params: RaidParams): MdDeviceOccupant {
  const name = mdKernelName(fs, params.mdDevice);
  const a = name === undefined ? undefined : readMdArray(fs, name);
  if (a === undefined || a.arrayState === "clear" || (a.arrayState === "inactive" && a.members.length === 0)) return { kind: "free" };
  if (a.arrayState === "inactive") {
    const ours = new Set([...targetSessions(fs, params.targets).values()].flatMap((s) => s?.disks ?? []));
    if (a.members.every((m) => ours.has(m.name))) return { kind: "leftover", array: a };
  }
  return { kind: "foreign", array: a };
}
