/**
 * Starting tgtd without a shell and without tgt.service: `tgtd -f` (foreground, so the pid we get is the
 * daemon's own and its messages go to a log file instead of vanishing), detached into its own session so it
 * outlives the keeper, with the same fixed PATH/environment as every other command. The pid is recorded in a
 * pid file; a pid only counts as "our tgtd" while /proc/<pid>/comm still says tgtd.
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { resolveProgram, SYSTEM_PATH } from "../system/execa-runner.js";
import type { HostFs } from "../system/host-fs.js";

export const TGTD_PID_FILE = "/run/pmsapp/tgtd.pid";

export type SpawnResult = { readonly ok: true; readonly pid: number; readonly argv: readonly string[] } | { readonly ok: false; readonly reason: string };

export interface DaemonSpawner {
  /** Start `program args` detached, stdout+stderr appended to `logFile`; resolves once the process exists. */
  spawnDetached(program: string, args: readonly string[], logFile: string): Promise<SpawnResult>;
}

/** `tgtd -f`, optionally listening on one portal only (the form used for the host captures). */
export function tgtdArgv(portal?: { address: string; port: number }): string[] {
  return portal === undefined ? ["-f"] : ["-f", "--iscsi", `portal=${portal.address}:${portal.port}`];
}

export function createDetachedSpawner(searchPath: readonly string[] = SYSTEM_PATH): DaemonSpawner {
  return {
    async spawnDetached(program, args, logFile) {
      const resolved = resolveProgram(program, searchPath);
      if (resolved === undefined) return { ok: false, reason: `${program} not found in ${searchPath.join(":")}` };
      let fd: number;
      try {
        mkdirSync(dirname(logFile), { recursive: true, mode: 0o750 });
        fd = openSync(logFile, "a", 0o640);
      } catch (e) {
        return { ok: false, reason: `cannot open ${logFile} for ${program}'s output: ${(e as Error).message}` };
      }
      try {
        const child = spawn(resolved, [...args], {
          detached: true,
          stdio: ["ignore", fd, fd],
          cwd: "/",
          env: { PATH: searchPath.join(":"), LC_ALL: "C", LANG: "C" },
          shell: false,
        });
        const started = await new Promise<SpawnResult>((resolve) => {
          child.once("spawn", () => resolve({ ok: true, pid: child.pid ?? -1, argv: [resolved, ...args] }));
          child.once("error", (e) => resolve({ ok: false, reason: `${resolved}: ${e.message}` }));
        });
        child.unref();
        return started;
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** True when `pid` is a live process whose command name is tgtd. */
export function isTgtdPid(fs: HostFs, pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && fs.readText(`/proc/${pid}/comm`)?.trim() === "tgtd";
}

export function parsePidFile(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}
