/**
 * stop: idempotent (success when nothing runs: rgmanager stops every service on every node at start-up).
 * Refuses while the md device is mounted or held, because a parent's stop still runs after its child's
 * failed, and logging out under a mounted ext4 loses data. Then mdadm --stop, then logout of ONLY the
 * configured targets' records, in parallel and bounded even when a target is dead. Success only when
 * the array is gone and those sessions are closed.
 */
import { recordAfterCleanStop } from "./ledger-io.js";
import { classifyLogout, ISCSIADM, logoutArgs } from "../iscsi/iscsiadm.js";
import { findMdArrayByUuid, mdHoldersOf } from "../md/array-state.js";
import { MDADM, stopArgs } from "../md/mdadm.js";
import { mdadmUuid } from "../md/uuid.js";
import { OCF } from "../ocf/exit-codes.js";
import { describeResult, succeeded } from "../system/command.js";
import type { HostFs } from "../system/host-fs.js";
import { mdDeviceOccupant, pollUntil, targetSessions, type ActionContext } from "./context.js";
import type { Outcome } from "./dispatch.js";
import { mdKernelName } from "./status-light.js";

const QUICK_MS = 15_000;
const GONE_WAIT_MS = 3_000;

/** Mount points whose source is this md device (any spelling: /dev/md0, /dev/md/name). */
export function mountsOf(fs: HostFs, mdName: string): string[] {
  const text = fs.readText("/proc/mounts") ?? "";
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const [source, target] = line.split(" ");
    if (source === undefined || target === undefined || !source.startsWith("/dev/md")) continue;
    const name = mdKernelName(fs, source);
    if (name === mdName) out.push(target.replace(/\\040/g, " "));
  }
  return out;
}

export async function stopArray(ctx: ActionContext): Promise<Outcome> {
  const { params: p, runner, fs, deadline, reporter } = ctx;
  const uuid = mdadmUuid(p.uuid);
  const done: string[] = [];

  // The array with our UUID, wherever it runs; or an inactive leftover at our md_device built from our targets.
  const occupant = mdDeviceOccupant(fs, p);
  const array = findMdArrayByUuid(fs, p.uuid) ?? (occupant.kind === "leftover" ? occupant.array : undefined);
  if (array !== undefined) {
    const mounts = mountsOf(fs, array.name);
    const holders = fs.readDir(`/sys/block/${array.name}/holders`) ?? [];
    if (mounts.length > 0 || holders.length > 0) {
      const what = [...mounts.map((m) => `mounted on ${m}`), ...holders.map((h) => `held by ${h}`)].join(", ");
      const reason = `refusing to stop ${array.device} (${uuid}): it is ${what}; stop what uses it first (the iSCSI sessions stay up so no data is lost)`;
      reporter.decision("refuse-in-use", reason, { mounts, holders });
      return { rc: OCF.ERR_GENERIC, reason };
    }
    const r = await runner.run(MDADM, stopArgs(array.device), { timeoutMs: deadline.budget(QUICK_MS) });
    if (!succeeded(r)) {
      const reason = `mdadm --stop ${array.device} failed: ${describeResult(r)}; sessions left logged in`;
      reporter.decision("stop-failed", reason);
      return { rc: OCF.ERR_GENERIC, reason };
    }
    const gone = await pollUntil(ctx, GONE_WAIT_MS, 100, () => (findMdArrayByUuid(fs, p.uuid) === undefined ? true : undefined));
    if (gone === undefined) return { rc: OCF.ERR_GENERIC, reason: `mdadm --stop ${array.device} returned 0 but the array still runs; sessions left logged in` };
    done.push(`stopped ${array.device}`);
    if (findMdArrayByUuid(fs, p.uuid) === undefined && array.arrayState !== "inactive") await recordAfterCleanStop(ctx, array);
  }

  // Never log out a disk something still holds (e.g. an array assembled outside the cluster).
  const sessions = targetSessions(fs, p.targets);
  const held = [...sessions].flatMap(([t, s]) => (s?.disks ?? []).flatMap((d) => mdHoldersOf(fs, d).map((h) => `${t.text}: ${d} held by ${h}`)));
  if (held.length > 0) {
    const reason = `refusing to log out: ${held.join("; ")}`;
    reporter.decision("refuse-held", reason);
    return { rc: OCF.ERR_GENERIC, reason };
  }

  const problems: string[] = [];
  let loggedOut = 0;
  await Promise.all(
    p.targets.map(async (t) => {
      const ran = await runner.run(ISCSIADM, logoutArgs(t), { timeoutMs: deadline.budget(QUICK_MS) });
      // No iscsiadm on this node and no session of this target in sysfs: nothing of ours can be logged in.
      if (ran.failedToStart !== undefined && sessions.get(t) === undefined) return;
      const r = classifyLogout(ran);
      if (r.kind === "failed") problems.push(`${t.text}: ${r.reason}`);
      if (r.kind === "logged-out") loggedOut++;
    }),
  );
  const left = [...targetSessions(fs, p.targets)].filter(([, s]) => s !== undefined).map(([t, s]) => `${t.text} (${s?.id} ${s?.state})`);
  if (problems.length > 0 || left.length > 0) {
    const reason = `${done.length ? done.join(", ") + "; " : ""}logout incomplete: ${[...problems, ...left.map((l) => `still logged in: ${l}`)].join("; ")}`;
    reporter.decision("logout-failed", reason);
    return { rc: OCF.ERR_GENERIC, reason };
  }
  if (array === undefined) done.push("array not running");
  done.push(loggedOut > 0 ? `logged out ${loggedOut} session(s)` : "no sessions to log out");
  return { rc: OCF.SUCCESS, reason: `${uuid}: ${done.join(", ")}` };
}
