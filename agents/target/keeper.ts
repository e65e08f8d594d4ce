/**
 * The target keeper: export this node's disk over iSCSI, after making sure no local md array holds it.
 *
 * start (idempotent; every run converges the same state, a second run changes nothing):
 *   1. udevadm settle (bounded): let udev's auto-assembly of the disk happen now, not after we looked.
 *   2. resolve the stable path; refuse a disk that is mounted, swapped on, or held by anything but md.
 *   3. mdadm.conf: managed array excluded from auto-assembly BEFORE any stop. Stopping md closes the disk,
 *      udev sees a change event, and without the exclusion `mdadm --incremental` grabs the disk again.
 *   4. every md array holding the disk: identified by UUID (sysfs, or `mdadm --detail --export` for an
 *      inactive array, whose sysfs uuid is all zeros); stopped only when it is the managed array and is not
 *      mounted or in use; otherwise refuse and export nothing. Its last-resort timer is masked first.
 *   5. tgtd: started if not running (detached `tgtd -f`, pid file), waited for.
 *   6. target, LUN (the resolved kernel device, the one just checked), per-node scsi_id/scsi_sn, CHAP (the
 *      account over tgtd's management socket, so the secret is on no command line), and the ACL last, so no
 *      initiator can log in before the LUN is complete; ALL is removed.
 *   7. verify with `tgtadm --op show` (LUN's backing store is the disk, ACL as configured) and the holders.
 *   Transient failures (disk not there yet, tgtd not up, md re-grabbing the disk, a tgtadm error) are retried
 *   with backoff until start_timeout_s; refusals (foreign array, disk in use, tid taken) end at once.
 *   8. after the export is up: the initramfs copy of mdadm.conf is refreshed when it changed (bounded).
 * stop: remove the LUN and target; refuse while initiators are connected unless forced; stop tgtd if the
 *   keeper started it and no target is left.
 * status: 0 when the LUN is exported from the right disk and no local md holds the disk, else 3.
 */
import { createHash } from "node:crypto";
import type { Runner } from "../system/command.js";
import { Deadline, describeResult, succeeded } from "../system/command.js";
import type { HostFs } from "../system/host-fs.js";
import { readMdArray } from "../md/array-state.js";
import { canonicalUuid, mdadmUuid } from "../md/uuid.js";
import { findTarget, type TgtTarget } from "../tgt/show.js";
import { ipcDialect, newAccountRequest, tgtadmErrorText, type IpcTransport } from "../tgt/ipc.js";
import { aclEntrySpec, TGTADM, TGTADM_CALL_CAP_MS, TGTD, TgtadmClient, tgtadmArgs, tgtadmReason, type InitiatorSpec } from "../tgt/tgtadm.js";
import { isTgtdPid, parsePidFile, tgtdArgv, type DaemonSpawner } from "../tgt/tgtd.js";
import type { TargetConfig } from "./config.js";
import { canonicalDevicePath, inspectDisk, mdInUseReasons, otherMembers, parseMdadmExport, resolveBackingDevice, type DiskInspection } from "./disk.js";
import type { KeeperEvents } from "./events.js";
import type { SystemFiles } from "./files.js";
import { applyAutoassemblyBlock, detectMdadmConf } from "./mdadm-conf.js";

/** LSB init-script exit codes. */
export const LSB = { OK: 0, GENERIC: 1, ARGS: 2, NOT_INSTALLED: 5, NOT_CONFIGURED: 6 } as const;
export const LSB_STATUS = { RUNNING: 0, NOT_RUNNING: 3, UNKNOWN: 4 } as const;

export interface KeeperDeps {
  readonly runner: Runner;
  readonly fs: HostFs;
  readonly files: SystemFiles;
  readonly spawner: DaemonSpawner;
  /** tgtd's management socket: CHAP accounts are created there, never with the secret in an argv. */
  readonly ipc: IpcTransport;
  readonly events: KeeperEvents;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly pidFile: string;
  readonly initramfsStamp: string;
}

export interface Outcome {
  readonly rc: number;
  readonly message: string;
}

type Retry = { kind: "retry"; reason: string };
type Refuse = { kind: "refuse"; rc: number; reason: string };
type Step = { kind: "ok" } | Retry | Refuse;
const retry = (reason: string): Retry => ({ kind: "retry", reason });
const refuse = (reason: string, rc: number = LSB.GENERIC): Refuse => ({ kind: "refuse", rc, reason });

const MDADM_CALL_CAP_MS = 20_000;
const INITRAMFS_CAP_MS = 180_000;
const TGTD_WAIT_MS = 5_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5_000;

function desiredAcl(config: TargetConfig): InitiatorSpec[] {
  return config.allowedInitiators.map((r) => ({ kind: r.kind, value: r.value }));
}

class StartRun {
  private confDone = false;
  readonly stoppedArrays: string[] = [];
  device = "";

  constructor(
    private readonly config: TargetConfig,
    private readonly deps: KeeperDeps,
    private readonly deadline: Deadline,
    private readonly tgt: TgtadmClient,
  ) {}

  private note(decision: string, reason: string, details?: Record<string, unknown>): void {
    this.deps.events.decision("start", decision, reason, details);
  }

  async settle(): Promise<void> {
    const t = this.config.udevSettleTimeoutS;
    const r = await this.deps.runner.run("udevadm", ["settle", `--timeout=${t}`], { timeoutMs: this.deadline.budget((t + 2) * 1000) });
    if (succeeded(r)) this.note("udev-settled", `udev settled in ${r.durationMs} ms`);
    else this.deps.events.warn("start", "udev-not-settled", `udev did not settle: ${describeResult(r)}; holders are checked again after every change`);
  }

  async attempt(): Promise<Step> {
    await this.settle();
    const resolved = resolveBackingDevice(this.deps.fs, this.config.backingDevice);
    if (!resolved.ok) return resolved.missing ? retry(resolved.reason) : refuse(resolved.reason);
    this.device = resolved.device;
    this.note("device-resolved", `${this.config.backingDevice} is ${resolved.device}`);

    let disk = inspectDisk(this.deps.fs, resolved);
    const inUse = this.diskInUse(disk);
    if (inUse !== undefined) return refuse(inUse);

    // Decide about every holder before changing anything: a refusal leaves the host untouched.
    const plan = await this.planStops(disk);
    if (plan.kind !== "ok") return plan;

    if (!this.confDone) {
      const conf = this.ensureMdadmConf();
      if (conf.kind !== "ok") return conf;
      this.confDone = true;
    }

    if (plan.stop.length > 0) {
      const stopped = await this.stopArrays(plan.stop);
      if (stopped.kind !== "ok") return stopped;
      await this.settle();
      disk = inspectDisk(this.deps.fs, resolved);
      if (disk.mdHolders.length > 0) {
        return retry(`${disk.mdHolders.join(", ")} holds ${disk.device} again right after the stop (udev re-assembled it; is ${this.mdadmConfPath()} the file mdadm reads?)`);
      }
    }

    const up = await this.ensureTgtd();
    if (up.kind !== "ok") return up;
    const exported = await this.ensureExport();
    if (exported.kind !== "ok") return exported;
    return this.verify();
  }

  private diskInUse(disk: DiskInspection): string | undefined {
    if (disk.usage === undefined) return `cannot read /proc/mounts: refusing to export ${disk.device} without proving it is not mounted`;
    if (disk.usage.mountedAt.length > 0) return `${disk.device} is mounted at ${disk.usage.mountedAt.join(", ")}: refusing to export a disk in use by a filesystem`;
    if (disk.usage.swap) return `${disk.device} is used as swap: refusing to export it`;
    if (disk.otherHolders.length > 0) return `${disk.device} is held by ${disk.otherHolders.join(", ")} (not md): refusing to export a disk in use`;
    return undefined;
  }

  mdadmConfPath(): string {
    return this.config.mdadmConf ?? detectMdadmConf((p) => this.deps.files.exists(p));
  }

  private ensureMdadmConf(): Step {
    const path = this.mdadmConfPath();
    const before = this.deps.files.readText(path) ?? "";
    const edit = applyAutoassemblyBlock(before, this.config.managedUuid, this.config.backingDevice, this.config.mdAutoassemblyBlock);
    if (!edit.changed) {
      this.note("mdadm-conf-ok", `${path} already keeps array ${mdadmUuid(this.config.managedUuid)} from auto-assembling`);
      return { kind: "ok" };
    }
    const err = this.deps.files.writeAtomic(path, edit.text, 0o644);
    if (err !== undefined) return refuse(`${err}: cannot keep md from re-assembling the disk, so nothing is exported`);
    this.note("mdadm-conf-written", `${path}: auto-assembly of array ${mdadmUuid(this.config.managedUuid)} switched off (${this.config.mdAutoassemblyBlock})`, {
      disabledLines: edit.disabled,
    });
    return { kind: "ok" };
  }

  private async identify(md: string, memberDevice: string): Promise<string | undefined> {
    const fromSysfs = readMdArray(this.deps.fs, md)?.uuid;
    if (fromSysfs !== undefined) return fromSysfs;
    const cap = { timeoutMs: this.deadline.budget(MDADM_CALL_CAP_MS) };
    const detail = await this.deps.runner.run("mdadm", ["--detail", "--export", `/dev/${md}`], cap);
    const fromDetail = succeeded(detail) ? canonicalUuid(parseMdadmExport(detail.stdout).MD_UUID) : undefined;
    if (fromDetail !== undefined) return fromDetail;
    const examine = await this.deps.runner.run("mdadm", ["--examine", "--export", memberDevice], { timeoutMs: this.deadline.budget(MDADM_CALL_CAP_MS) });
    return succeeded(examine) ? canonicalUuid(parseMdadmExport(examine.stdout).MD_UUID) : undefined;
  }

  private async planStops(disk: DiskInspection): Promise<{ kind: "ok"; stop: string[] } | Exclude<Step, { kind: "ok" }>> {
    const stop: string[] = [];
    for (const md of disk.mdHolders) {
      const uuid = await this.identify(md, disk.device);
      const state = readMdArray(this.deps.fs, md)?.arrayState ?? "unknown";
      if (uuid === undefined) {
        return refuse(`${md} holds ${disk.device} but its UUID cannot be read (sysfs, mdadm --detail, mdadm --examine): not stopping an array I cannot identify`);
      }
      if (uuid !== this.config.managedUuid) {
        return refuse(
          `${md} (UUID ${mdadmUuid(uuid)}, ${state}) holds ${disk.device} and is not the managed array ${mdadmUuid(this.config.managedUuid)}: not stopping it; stop it yourself if it is not in use, or correct managed_uuid`,
        );
      }
      const others = otherMembers(this.deps.fs, md, disk);
      if (others.length > 0) {
        return refuse(`${md} (the managed array, ${state}) holds ${disk.device} together with ${others.join(", ")}: an assembled array, not a boot-time stray; refusing to stop it`);
      }
      const busy = mdInUseReasons(this.deps.fs, md);
      if (busy.length > 0) return refuse(`${md} (the managed array, ${state}) holds ${disk.device} and is ${busy.join("; ")}: refusing to stop it`);
      if (state !== "inactive") {
        this.deps.events.warn(
          "start",
          "stray-array-was-running",
          `${md} was running (${state}) from this node's disk, probably started by mdadm-last-resort: this member's event count may have moved on; the raid agent's stale-member checks decide whether it can rejoin`,
          { md, arrayState: state },
        );
      }
      this.note("stray-array-found", `${md} (managed array ${mdadmUuid(uuid)}, ${state}) holds ${disk.device}: auto-assembled at boot; stopping it`, {
        md,
        arrayState: state,
      });
      stop.push(md);
    }
    return { kind: "ok", stop };
  }

  private async stopArrays(arrays: readonly string[]): Promise<Step> {
    for (const md of arrays) {
      await this.maskLastResort(md);
      const r = await this.deps.runner.run("mdadm", ["--stop", `/dev/${md}`], { timeoutMs: this.deadline.budget(MDADM_CALL_CAP_MS) });
      if (!succeeded(r)) return retry(`mdadm --stop /dev/${md} failed: ${describeResult(r)}`);
      this.stoppedArrays.push(md);
      this.note("stray-array-stopped", `stopped ${md}`, { md });
    }
    return { kind: "ok" };
  }

  private async maskLastResort(md: string): Promise<void> {
    if (!this.config.maskLastResort) return;
    if (!this.deps.files.exists("/run/systemd/system")) {
      this.note("last-resort-skip", "not booted with systemd: no mdadm-last-resort timers to mask");
      return;
    }
    const units = [`mdadm-last-resort@${md}.timer`, `mdadm-last-resort@${md}.service`];
    const cap = { timeoutMs: this.deadline.budget(10_000) };
    const stop = await this.deps.runner.run("systemctl", ["stop", ...units], cap);
    const mask = await this.deps.runner.run("systemctl", ["mask", ...units], { timeoutMs: this.deadline.budget(10_000) });
    if (succeeded(mask)) this.note("last-resort-masked", `masked ${units.join(" ")} so mdadm --run cannot start ${md} degraded from this disk`);
    else this.deps.events.warn("start", "last-resort-not-masked", `could not mask ${units.join(" ")}: ${describeResult(mask)} (stop: ${describeResult(stop)})`);
  }

  private async ensureTgtd(): Promise<Step> {
    const first = await this.tgt.show();
    if (first.ok) return { kind: "ok" };
    if (first.notInstalled) return refuse(first.reason, LSB.NOT_INSTALLED);
    if (!first.daemonDown) return retry(`tgtadm --op show failed: ${first.reason}`);
    const spawned = await this.deps.spawner.spawnDetached(TGTD, tgtdArgv(this.config.portal), this.config.tgtdLog);
    if (!spawned.ok) return refuse(`cannot start tgtd: ${spawned.reason}`, LSB.NOT_INSTALLED);
    const err = this.deps.files.writeAtomic(this.deps.pidFile, `${spawned.pid}\n`, 0o644);
    if (err !== undefined) this.deps.events.warn("start", "pidfile-not-written", err);
    this.note("tgtd-started", `started ${spawned.argv.join(" ")} (pid ${spawned.pid}, log ${this.config.tgtdLog})`, { pid: spawned.pid });
    const until = this.deps.now() + Math.min(TGTD_WAIT_MS, this.deadline.remainingMs());
    for (;;) {
      const s = await this.tgt.show();
      if (s.ok) return { kind: "ok" };
      if (this.deps.now() >= until) return retry(`tgtd (pid ${spawned.pid}) does not answer tgtadm: ${s.reason}`);
      await this.deps.sleep(100);
    }
  }

  private async tgtadm(what: string, args: string[]): Promise<Step> {
    const r = await this.tgt.run(args);
    if (succeeded(r)) {
      this.note(what, `tgtadm ${args.join(" ")}`);
      return { kind: "ok" };
    }
    return retry(`${what} failed: tgtadm ${args.join(" ")}: exit ${r.exitCode ?? r.signal} (${tgtadmReason(r)})`);
  }

  private async ensureExport(): Promise<Step> {
    const shown = await this.tgt.show();
    if (!shown.ok) return retry(shown.reason);
    const c = this.config;
    let target = findTarget(shown.targets, c.iqn);
    const fresh = target === undefined;
    if (target === undefined) {
      const taken = shown.targets.find((t) => t.tid === c.tid);
      if (taken !== undefined) return refuse(`tid ${c.tid} is used by another target (${taken.iqn}): set a free tid in the config`);
      const made = await this.tgtadm("target-created", tgtadmArgs.newTarget(c.tid, c.iqn));
      if (made.kind !== "ok") return made;
      target = { tid: c.tid, iqn: c.iqn, state: undefined, driver: undefined, luns: [], nexuses: [], acl: [], accounts: [] };
    } else if (target.tid !== c.tid) {
      this.deps.events.warn("start", "tid-differs", `target ${c.iqn} already exists with tid ${target.tid} (config: ${c.tid}); using it`);
    }
    const tid = target.tid;

    for (const other of target.luns) {
      if (other.lun !== c.lun && other.backingStore !== undefined && canonicalDevicePath(this.deps.fs, other.backingStore) === this.device) {
        return refuse(`LUN ${other.lun} of ${c.iqn} already exports ${this.device}; the config says LUN ${c.lun}: remove it (pmsapp-target stop) first`);
      }
    }
    const lun = target.luns.find((l) => l.lun === c.lun);
    if (lun === undefined) {
      const added = await this.tgtadm("lun-created", tgtadmArgs.newLun(tid, c.lun, this.device, c.bsoflags));
      if (added.kind !== "ok") return added;
      const ident = await this.tgtadm("lun-identity-set", tgtadmArgs.updateLunIdentity(tid, c.lun, c.scsiId, c.scsiSn));
      if (ident.kind !== "ok") return ident;
    } else if (lun.backingStore === undefined || canonicalDevicePath(this.deps.fs, lun.backingStore) !== this.device) {
      return refuse(
        `LUN ${c.lun} of ${c.iqn} exports ${lun.backingStore ?? "nothing"}, not ${this.device}: refusing to replace a LUN initiators may be using; run pmsapp-target stop first`,
      );
    } else {
      this.note("lun-present", `LUN ${c.lun} of ${c.iqn} already exports ${this.device}`);
    }

    if (c.chap !== undefined && !target.accounts.some((a) => a.user === c.chap?.user && !a.outgoing)) {
      await this.tgt.run(tgtadmArgs.deleteAccount(c.chap.user)); // a leftover account may carry an old secret
      const acc = await this.createChapAccount(c.chap.user, c.chap.password);
      if (acc.kind !== "ok") return acc;
      const bound = await this.tgtadm("chap-bound", tgtadmArgs.bindAccount(tid, c.chap.user));
      if (bound.kind !== "ok") return bound;
    } else if (c.chap === undefined && target.accounts.length > 0) {
      this.deps.events.warn("start", "chap-not-configured", `${c.iqn} has CHAP account(s) ${target.accounts.map((a) => a.user).join(", ")} that target.conf does not name; left in place`);
    }

    return this.ensureAcl(tid, fresh ? [] : target.acl);
  }

  /**
   * The CHAP account, over tgtd's management socket (the request tgtadm would send), never as
   * `tgtadm --password <secret>`: a command line is readable by every local user for as long as it runs.
   */
  private async createChapAccount(user: string, password: string): Promise<Step> {
    const v = await this.deps.runner.run(TGTADM, ["--version"], { timeoutMs: this.deadline.budget(TGTADM_CALL_CAP_MS) });
    const dialect = succeeded(v) ? ipcDialect(v.stdout) : { error: `tgtadm --version failed: ${describeResult(v)}` };
    if ("error" in dialect) {
      return refuse(`cannot create the CHAP account: ${dialect.error}; without tgt's management protocol version the secret would have to go on tgtadm's command line, which pmsapp never does`);
    }
    const reply = await this.deps.ipc.send(dialect.socketPath, newAccountRequest(dialect, user, password), this.deadline.budget(TGTADM_CALL_CAP_MS));
    if (!reply.ok) return retry(`chap-account-created failed: ${reply.reason}`);
    if (reply.err !== 0) return retry(`chap-account-created failed: tgtd refused account ${user}: ${tgtadmErrorText(reply.err)}`);
    this.note("chap-account-created", `CHAP account ${user} created over tgtd's management socket ${dialect.socketPath} (tgt ${dialect.version}); the secret was on no command line`);
    return { kind: "ok" };
  }

  private async ensureAcl(tid: number, current: readonly string[]): Promise<Step> {
    const want = desiredAcl(this.config);
    for (const w of want) {
      if (current.includes(w.value)) continue;
      const b = await this.tgtadm("initiator-allowed", tgtadmArgs.bindInitiator(tid, w));
      if (b.kind !== "ok") return b;
    }
    for (const entry of current) {
      if (want.some((w) => w.value === entry)) continue;
      const u = await this.tgtadm(entry === "ALL" ? "acl-all-removed" : "initiator-removed", tgtadmArgs.unbindInitiator(tid, aclEntrySpec(entry)));
      if (u.kind !== "ok") return u;
    }
    return { kind: "ok" };
  }

  private async verify(): Promise<Step> {
    const shown = await this.tgt.show();
    if (!shown.ok) return retry(`verify: ${shown.reason}`);
    const v = checkExport(this.deps.fs, this.config, shown.targets, this.device);
    if (v.problem !== undefined) return retry(`verify: ${v.problem}`);
    if (v.aclProblem !== undefined) return retry(`verify: ${v.aclProblem}`);
    const disk = inspectDisk(this.deps.fs, { device: this.device, name: this.device.slice(5) });
    if (disk.mdHolders.length > 0) return retry(`verify: ${disk.mdHolders.join(", ")} holds ${this.device} while it is exported`);
    return { kind: "ok" };
  }
}

interface ExportCheck {
  readonly target: TgtTarget | undefined;
  /** Why the disk is not exported as configured; undefined when it is. */
  readonly problem: string | undefined;
  readonly aclProblem: string | undefined;
}

export function checkExport(fs: HostFs, config: TargetConfig, targets: readonly TgtTarget[], device: string): ExportCheck {
  const target = findTarget(targets, config.iqn);
  if (target === undefined) return { target, problem: `tgtd has no target ${config.iqn}`, aclProblem: undefined };
  const lun = target.luns.find((l) => l.lun === config.lun);
  let problem: string | undefined;
  if (lun === undefined) problem = `target ${config.iqn} has no LUN ${config.lun} (only ${target.luns.map((l) => l.lun).join(", ") || "none"})`;
  else if (lun.backingStore === undefined || canonicalDevicePath(fs, lun.backingStore) !== device)
    problem = `LUN ${config.lun} of ${config.iqn} exports ${lun.backingStore ?? "nothing"}, not ${device}`;
  else if (lun.online === false) problem = `LUN ${config.lun} of ${config.iqn} is offline`;
  const want = new Set(config.allowedInitiators.map((r) => r.value));
  const have = new Set(target.acl);
  const aclProblem =
    want.size === have.size && [...want].every((w) => have.has(w))
      ? undefined
      : `ACL of ${config.iqn} is [${target.acl.join(", ") || "empty"}], configured [${[...want].join(", ")}]`;
  return { target, problem, aclProblem };
}

async function refreshInitramfs(config: TargetConfig, deps: KeeperDeps, confPath: string): Promise<string | undefined> {
  if (!config.refreshInitramfs) return undefined;
  const f = deps.files;
  const tool =
    f.exists("/usr/sbin/update-initramfs") && f.exists("/usr/share/initramfs-tools/hooks/mdadm")
      ? { argv: ["update-initramfs", "-u"], name: "update-initramfs" }
      : ["/usr/bin/dracut", "/usr/sbin/dracut", "/sbin/dracut"].some((p) => f.exists(p)) &&
          ["/usr/lib/dracut/modules.d/90mdraid", "/usr/share/dracut/modules.d/90mdraid"].some((p) => f.exists(p))
        ? { argv: ["dracut", "-f"], name: "dracut" }
        : undefined;
  if (tool === undefined) {
    deps.events.decision("start", "initramfs-none", "no initramfs generator with an mdadm hook (update-initramfs/dracut): nothing to refresh");
    return undefined;
  }
  const hash = createHash("sha256")
    .update(f.readText(confPath) ?? "")
    .digest("hex");
  if ((f.readText(deps.initramfsStamp) ?? "").trim() === hash) {
    deps.events.decision("start", "initramfs-current", `the initramfs was rebuilt with this ${confPath} already`);
    return undefined;
  }
  const [program, ...args] = tool.argv as [string, ...string[]];
  const r = await deps.runner.run(program, args, { timeoutMs: INITRAMFS_CAP_MS });
  if (!succeeded(r)) {
    const why = `initramfs not refreshed: ${describeResult(r)}; its copy of mdadm.conf may still auto-assemble the array at the next boot (the keeper stops it again then)`;
    deps.events.warn("start", "initramfs-failed", why);
    return why;
  }
  f.writeAtomic(deps.initramfsStamp, `${hash}\n`, 0o644);
  deps.events.decision("start", "initramfs-refreshed", `${tool.argv.join(" ")} done in ${r.durationMs} ms`);
  return undefined;
}

export async function startKeeper(config: TargetConfig, deps: KeeperDeps): Promise<Outcome> {
  const t0 = deps.now();
  deps.events.begin("start");
  const deadline = Deadline.in(config.startTimeoutS * 1000, deps.now);
  const run = new StartRun(config, deps, deadline, new TgtadmClient(deps.runner, deadline));
  let backoff = BACKOFF_FIRST_MS;
  let attempts = 0;
  let result: Outcome | undefined;
  while (result === undefined) {
    attempts += 1;
    const step = await run.attempt();
    if (step.kind === "ok") break;
    if (step.kind === "refuse") {
      result = { rc: step.rc, message: `refused: ${step.reason}` };
      break;
    }
    if (deadline.remainingMs() <= backoff) {
      result = { rc: LSB.GENERIC, message: `gave up after ${attempts} attempt(s) in ${Math.round((deps.now() - t0) / 1000)} s: ${step.reason}` };
      break;
    }
    deps.events.warn("start", "retry", `attempt ${attempts}: ${step.reason}; retrying in ${backoff} ms`);
    await deps.sleep(backoff);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  }
  if (result === undefined) {
    const warning = await refreshInitramfs(config, deps, run.mdadmConfPath());
    const stopped = run.stoppedArrays.length > 0 ? `; stopped stray ${run.stoppedArrays.join(", ")}` : "";
    result = {
      rc: LSB.OK,
      message: `exported ${run.device} as ${config.iqn} LUN ${config.lun} to ${config.allowedInitiators.map((a) => a.value).join(", ")}${stopped}${warning ? `; warning: ${warning}` : ""}`,
    };
  }
  deps.events.end("start", result.rc, result.message, deps.now() - t0);
  return result;
}

export async function stopKeeper(config: TargetConfig, deps: KeeperDeps, force: boolean): Promise<Outcome> {
  const t0 = deps.now();
  deps.events.begin("stop");
  const finish = (rc: number, message: string): Outcome => {
    deps.events.end("stop", rc, message, deps.now() - t0);
    return { rc, message };
  };
  const tgt = new TgtadmClient(deps.runner, Deadline.in(60_000, deps.now));
  const shown = await tgt.show();
  if (!shown.ok) {
    if (shown.daemonDown || shown.notInstalled) return finish(LSB.OK, `nothing exported: ${shown.reason}`);
    return finish(LSB.GENERIC, `cannot read tgtd's state: ${shown.reason}`);
  }
  const target = findTarget(shown.targets, config.iqn);
  if (target !== undefined) {
    if (target.nexuses.length > 0 && !force) {
      const who = target.nexuses.map((n) => `${n.initiator} (${n.addresses.join(", ") || "no address"})`).join(", ");
      return finish(
        LSB.GENERIC,
        `refused: initiators are logged in to ${config.iqn}: ${who}; the node running the array would lose this member. Stop the array there first, or run stop --force`,
      );
    }
    if (target.nexuses.length > 0) deps.events.warn("stop", "forced", `removing ${config.iqn} with ${target.nexuses.length} initiator(s) logged in (--force)`);
    if (!force && target.luns.some((l) => l.lun === config.lun)) {
      const r = await tgt.run(tgtadmArgs.deleteLun(target.tid, config.lun));
      if (!succeeded(r)) return finish(LSB.GENERIC, `cannot remove LUN ${config.lun}: ${tgtadmReason(r)}`);
      deps.events.decision("stop", "lun-removed", `removed LUN ${config.lun} of ${config.iqn}`);
    }
    const r = await tgt.run(tgtadmArgs.deleteTarget(target.tid, force));
    if (!succeeded(r)) return finish(LSB.GENERIC, `cannot remove target ${config.iqn} (tid ${target.tid}): ${tgtadmReason(r)}`);
    deps.events.decision("stop", "target-removed", `removed target ${config.iqn} (tid ${target.tid})`);
  } else {
    deps.events.decision("stop", "not-exported", `tgtd has no target ${config.iqn}`);
  }

  const after = await tgt.show();
  if (after.ok && findTarget(after.targets, config.iqn) !== undefined) return finish(LSB.GENERIC, `target ${config.iqn} is still there after removal`);
  const pid = parsePidFile(deps.files.readText(deps.pidFile));
  if (pid !== undefined && isTgtdPid(deps.fs, pid) && after.ok && after.targets.length === 0) {
    const r = await tgt.run(tgtadmArgs.deleteSystem());
    if (succeeded(r)) {
      deps.files.remove(deps.pidFile);
      deps.events.decision("stop", "tgtd-stopped", `tgtd (pid ${pid}, started by the keeper) asked to exit: no target left`);
    } else deps.events.warn("stop", "tgtd-not-stopped", `tgtd (pid ${pid}) did not exit: ${tgtadmReason(r)}`);
  } else if (pid !== undefined && !isTgtdPid(deps.fs, pid)) {
    deps.files.remove(deps.pidFile);
  }
  return finish(LSB.OK, target !== undefined ? `${config.iqn} is no longer exported` : `${config.iqn} was not exported`);
}

export async function statusKeeper(config: TargetConfig, deps: KeeperDeps): Promise<Outcome> {
  const resolved = resolveBackingDevice(deps.fs, config.backingDevice);
  if (!resolved.ok) return { rc: LSB_STATUS.NOT_RUNNING, message: `not exported: ${resolved.reason}` };
  const tgt = new TgtadmClient(deps.runner, Deadline.in(15_000, deps.now));
  const shown = await tgt.show();
  if (!shown.ok) return { rc: LSB_STATUS.NOT_RUNNING, message: `not exported: ${shown.reason}` };
  const check = checkExport(deps.fs, config, shown.targets, resolved.device);
  const disk = inspectDisk(deps.fs, resolved);
  if (disk.mdHolders.length > 0) {
    const exported = check.problem === undefined ? " while tgtd exports it (two writers possible)" : "";
    return { rc: LSB_STATUS.NOT_RUNNING, message: `not healthy: ${disk.mdHolders.join(", ")} (local md) holds ${resolved.device}${exported}` };
  }
  if (check.problem !== undefined) return { rc: LSB_STATUS.NOT_RUNNING, message: `not exported: ${check.problem}` };
  const who = check.target?.nexuses.map((n) => n.initiator).join(", ") || "none";
  const acl = check.aclProblem !== undefined ? `; warning: ${check.aclProblem}` : "";
  return { rc: LSB_STATUS.RUNNING, message: `exported: ${resolved.device} as ${config.iqn} LUN ${config.lun}; initiators logged in: ${who}${acl}` };
}
