/**
 * Test doubles for the raid agent's heavy actions (used only by *.test.ts next to them): a host that
 * moves from one captured state to the next as the FakeRunner sees the commands that cause it, a
 * recording reporter and a fake clock. Every state is a real capture; only the order is scripted.
 */
import { Deadline } from "../system/command.js";
import type { HostFs } from "../system/host-fs.js";
import type { FakeRunner } from "../../test/support/fake-runner.js";
import type { ActionContext } from "./context.js";
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
