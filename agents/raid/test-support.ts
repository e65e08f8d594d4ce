/**
 * Test doubles for the raid agent's heavy actions (used only by *.test.ts next to them): a host that
 * moves from one captured state to the next as the FakeRunner sees the commands that cause it, a
 * recording reporter and a fake clock. Every state is a real capture; only the order is scripted.
 */
import { readFileSync } from "node:fs";
import { fixture } from "../../test/support/fixtures.js";
import { parseExamine, type Examine } from "../md/examine.js";
import { Deadline } from "../system/command.js";
import type { HostFs } from "../system/host-fs.js";
import { captureHostFs } from "../system/capture-fs.js";
import { capturedResult, type FakeRunner } from "../../test/support/fake-runner.js";
import type { ActionContext } from "./context.js";
import type { Candidate } from "./decision.js";
import type { RaidParams } from "./params.js";
import type { LogLevel, Reporter } from "./report.js";

/** A host with nothing on it (no sessions, no arrays, no by-path links). */
export const EMPTY_HOST: HostFs = {
  readText: () => undefined,
  readDir: () => undefined,
  readLink: () => undefined,
  realPath: () => undefined,
  exists: () => false,
};

export interface Phase {
  /** This state holds once the runner has seen a call matching this (and it succeeded). */
  readonly after?: (argv: readonly string[]) => boolean;
  readonly fs: HostFs;
}

/** The host as of the latest phase whose triggering command has run. */
export function phasedHost(runner: FakeRunner, phases: readonly Phase[]): HostFs {
  const current = (): HostFs => {
    let fs = phases[0]?.fs ?? EMPTY_HOST;
    for (const p of phases.slice(1)) if (p.after !== undefined && runner.calls.some((c) => p.after?.(c.argv))) fs = p.fs;
    return fs;
  };
  return {
    readText: (p) => current().readText(p),
    readDir: (p) => current().readDir(p),
    readLink: (p) => current().readLink(p),
    realPath: (p) => current().realPath(p),
    exists: (p) => current().exists(p),
  };
}

/** Overlay /proc/mounts (not part of the spike captures) on a host. */
export function withMounts(fs: HostFs, mounts: string): HostFs {
  return { ...fs, readText: (p) => (p === "/proc/mounts" ? mounts : fs.readText(p)) };
}

export interface Recorded {
  readonly decisions: { decision: string; reason: string; details?: Readonly<Record<string, unknown>> }[];
  readonly logs: { level: LogLevel; msg: string }[];
  readonly ends: { rc: number; reason: string }[];
}

export function recordingReporter(): Reporter & Recorded {
  const r: Recorded = { decisions: [], logs: [], ends: [] };
  return {
    ...r,
    log: (level, msg) => void r.logs.push({ level, msg }),
    decision: (decision, reason, details) => void r.decisions.push({ decision, reason, ...(details ? { details } : {}) }),
    end: (rc, reason) => void r.ends.push({ rc, reason }),
  };
}

export interface FakeClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export function fakeClock(start = 1_000_000): FakeClock {
  let t = start;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  };
}

export function testContext(params: RaidParams, runner: FakeRunner, fs: HostFs, budgetMs = 60_000): ActionContext & { reporter: Reporter & Recorded; clock: FakeClock } {
  const clock = fakeClock();
  return { params, runner, fs, deadline: Deadline.in(budgetMs, clock.now), reporter: recordingReporter(), sleep: clock.sleep, now: clock.now, clock };
}

/** The two real arrays of the spike captures (RAID1 over node1+node2, RAID5 over node1..3). */
export const RAID1_UUID = "1e618de371fb3487b1b62896ad659dc6";
export const RAID5_UUID = "fe26dedf8930648ba5a71d3f48409ac0";
/** The `targets` entry and the by-path device of node N's LUN in the spike lab. */
export const spikeTarget = (n: number): string => `iqn.2024-01.lab.pmslab:node${n}.data@10.99.0.1${n}:3260`;
export const spikeByPath = (n: number): string => `/dev/disk/by-path/ip-10.99.0.1${n}:3260-iscsi-iqn.2024-01.lab.pmslab:node${n}.data-lun-1`;

/** The superblock `mdadm --examine` showed for `dev` in a captured state. */
export function capturedSuperblock(state: string, dev: string): Examine {
  const r = parseExamine(readFileSync(fixture("spike-2026-11-24", state, `mdadm--examine--${dev}.txt`), "utf8"));
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
/** Node N's LUN as start would find it, carrying the superblock captured for `dev` in `state`. */
export const capturedMember = (node: number, state: string, dev: string): Candidate => ({
  target: spikeTarget(node),
  device: spikeByPath(node),
  superblock: capturedSuperblock(state, dev),
});
/** Node N's LUN as start finds it when it cannot be a member. */
export const absentMember = (node: number, problem: Candidate["problem"] = "no-device"): Candidate => ({ target: spikeTarget(node), problem });

/**
 * iscsiadm as a node without node records answers it (captured: reading a record gives rc 21, so each
 * target's record is created with `-o new` and written with `-o update`, both answered 0).
 */
export function withoutNodeRecords(r: FakeRunner): FakeRunner {
  r.on({ when: (a) => a[0] === "iscsiadm" && a.length === 7 && a[1] === "-m" && a[2] === "node", answer: capturedResult(fixture("iscsiadm-node-record-2026-11-25"), "show-missing") });
  return r.on({ when: (a) => a[0] === "iscsiadm" && (a.includes("new") || a.includes("update")), answer: { exitCode: 0 } });
}

/** The argv of an `iscsiadm --login` (to `iqn` when given). */
export const isLogin =
  (iqn?: string) =>
  (argv: readonly string[]): boolean =>
    argv[0] === "iscsiadm" && argv.includes("--login") && (iqn === undefined || argv.includes(iqn));

export const isAssemble = (argv: readonly string[]): boolean => argv[0] === "mdadm" && argv[1] === "--assemble";

/** `mdadm --examine [--export] <link>` answered with the captured outputs of `dev` in spike state `state`. */
export function answerExamines(r: FakeRunner, state: string, devOf: Readonly<Record<string, string>>): FakeRunner {
  const spike = fixture("spike-2026-11-24", state);
  for (const [link, dev] of Object.entries(devOf)) {
    r.answer(["mdadm", "--examine", "--export", link], capturedResult(spike, `mdadm--examine--export--${dev}`));
    r.answer(["mdadm", "--examine", link], capturedResult(spike, `mdadm--examine--${dev}`));
  }
  return r;
}

/**
 * The host a start walks through (captured spike states): nothing before the logins; after the login
 * (to `firstIqn`, or any) the stopped-but-logged-in node (`afterLogin`); after `mdadm --assemble` the
 * running array.
 */
export function startLifecycle(r: FakeRunner, firstIqn?: string, afterLogin: HostFs = captureHostFs(fixture("spike-2026-11-24", "raid1-stopped-examine"))): HostFs {
  return phasedHost(r, [{ fs: EMPTY_HOST }, { after: isLogin(firstIqn), fs: afterLogin }, { after: isAssemble, fs: captureHostFs(fixture("spike-2026-11-24", "raid1-healthy")) }]);
}
