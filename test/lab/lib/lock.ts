/**
 * One lab at a time, and a new run after an interrupted one starts clean. The running lab writes
 * RUN_DIR/<vm>.pid (qemu's -pidfile) and holds LOCK_FILE (its own pid). cleanupStale() kills qemu
 * processes from pidfiles (only if /proc says they are our qemu), deletes the namespace (with its bridges
 * and taps) and removes the lock. All synchronous, so it also runs in exit and signal handlers.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { deleteNetworkSync } from "./network.js";
import { LAB_DIR, LOCK_FILE, RUN_DIR } from "./paths.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in a pidfile, if that process is a qemu of this lab. */
export function qemuPidFrom(pidfile: string): number | undefined {
  if (!existsSync(pidfile)) return undefined;
  const pid = Number(readFileSync(pidfile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.startsWith("qemu-system") || cmdline.includes("/qemu-system") ? (cmdline.includes(RUN_DIR) ? pid : undefined) : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILL and wait (up to 5 s) until the process is gone. */
export function killAndWait(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return;
  }
  const until = Date.now() + 5000;
  while (alive(pid) && Date.now() < until) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

export class LabBusyError extends Error {}

/** Take the lock; refuse when another live lab holds it, clean up after a dead one first. */
export function acquireLock(): string[] {
  mkdirSync(LAB_DIR, { recursive: true });
  if (existsSync(LOCK_FILE)) {
    const holder = Number(readFileSync(LOCK_FILE, "utf8").trim());
    if (Number.isInteger(holder) && holder !== process.pid && alive(holder)) {
      throw new LabBusyError(`another lab is running (pid ${holder}, lock ${LOCK_FILE}); wait for it or stop it with: kill ${holder}`);
    }
  }
  const removed = cleanupStale({ force: true });
  writeFileSync(LOCK_FILE, `${process.pid}\n`);
  return removed;
}

/**
 * acquireLock, but while another live lab holds the lock wait up to PMSAPP_LAB_WAIT_S seconds (default 0:
 * refuse at once), saying every minute whom it waits for. Lets several developers queue runs on one machine.
 */
export async function acquireLockWaiting(waitS = Number(process.env["PMSAPP_LAB_WAIT_S"] ?? "0")): Promise<string[]> {
  const until = Date.now() + (Number.isFinite(waitS) && waitS > 0 ? waitS * 1000 : 0);
  let lastSaid = 0;
  for (;;) {
    try {
      return acquireLock();
    } catch (e) {
      if (!(e instanceof LabBusyError) || Date.now() >= until) throw e;
      if (Date.now() - lastSaid >= 60_000) {
        process.stderr.write(`lab: ${e.message}; waiting (PMSAPP_LAB_WAIT_S)\n`);
        lastSaid = Date.now();
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

export function releaseLock(): void {
  try {
    if (existsSync(LOCK_FILE) && Number(readFileSync(LOCK_FILE, "utf8").trim()) === process.pid) rmSync(LOCK_FILE);
  } catch {
    // already gone
  }
}

/**
 * Remove every qemu, tap, bridge and the namespace a previous lab left behind. Returns what it removed.
 * `force` ignores the lock (used by `prepare.ts down` and after the lock holder is known dead).
 */
export function cleanupStale(options: { force: boolean }): string[] {
  const removed: string[] = [];
  if (!options.force && existsSync(LOCK_FILE)) {
    const holder = Number(readFileSync(LOCK_FILE, "utf8").trim());
    if (alive(holder)) throw new LabBusyError(`lab pid ${holder} holds ${LOCK_FILE}`);
  }
  if (existsSync(RUN_DIR)) {
    for (const f of readdirSync(RUN_DIR).filter((n) => n.endsWith(".pid"))) {
      const pid = qemuPidFrom(join(RUN_DIR, f));
      if (pid !== undefined) {
        killAndWait(pid);
        removed.push(`qemu ${f.replace(/\.pid$/, "")} (pid ${pid})`);
      }
      rmSync(join(RUN_DIR, f), { force: true });
    }
  }
  if (deleteNetworkSync()) removed.push("network namespace (bridges, taps)");
  if (existsSync(LOCK_FILE)) {
    const holder = Number(readFileSync(LOCK_FILE, "utf8").trim());
    if (holder === process.pid || !alive(holder)) {
      rmSync(LOCK_FILE, { force: true });
      if (holder !== process.pid) removed.push(`stale lock of pid ${holder}`);
    }
  }
  return removed;
}
