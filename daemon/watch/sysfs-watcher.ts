/**
 * inotify watches on md sysfs attributes. The kernel signals array_state, degraded, sync_action,
 * sync_completed and dev-X/state with sysfs_notify(), which kernfs turns into IN_MODIFY, so plain
 * fs.watch sees those changes (never chokidar, never /proc/mdstat). A callback only schedules a
 * debounced re-read; events come from diffing what is read. Watches whose file goes away (array
 * stopped, member removed) are closed and re-armed by the next discovery pass.
 */
import { watch as fsWatch, type FSWatcher } from "node:fs";
import { posix } from "node:path";
import { listMdArrays } from "../../agents/md/array-state.js";
import type { HostFs } from "../../agents/system/host-fs.js";

export const ARRAY_ATTRIBUTES = ["array_state", "degraded", "sync_action", "sync_completed"] as const;

/** The sysfs attribute files worth watching on this host now (host paths, e.g. /sys/block/md127/md/degraded). */
export function mdWatchPaths(fs: HostFs): string[] {
  const out: string[] = [];
  for (const name of listMdArrays(fs)) {
    const md = `/sys/block/${name}/md`;
    for (const a of ARRAY_ATTRIBUTES) if (fs.exists(`${md}/${a}`)) out.push(`${md}/${a}`);
    for (const entry of fs.readDir(md) ?? []) if (entry.startsWith("dev-") && fs.exists(`${md}/${entry}/state`)) out.push(`${md}/${entry}/state`);
  }
  return out.sort();
}

export type WatchFn = (file: string, listener: (eventType: string) => void) => FSWatcher;

export class SysfsWatcher {
  private readonly watches = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Directory the host paths live under ("/" on a live host). */
    private readonly root: string,
    private readonly onTrigger: (paths: string[]) => void,
    private readonly debounceMs: number,
    private readonly watchFn: WatchFn = (file, listener) => fsWatch(file, { persistent: false }, listener),
  ) {}

  private pending = new Set<string>();

  get watchedPaths(): string[] {
    return [...this.watches.keys()].sort();
  }

  /** Make the set of watches equal `paths`: close the gone ones, open the new ones. Returns failures. */
  arm(paths: readonly string[]): string[] {
    const want = new Set(paths);
    for (const [p, w] of this.watches) {
      if (!want.has(p)) {
        w.close();
        this.watches.delete(p);
      }
    }
    const failed: string[] = [];
    for (const p of want) {
      if (this.watches.has(p)) continue;
      try {
        const w = this.watchFn(this.root === "/" ? p : posix.join(this.root, p), (eventType) => {
          if (eventType === "rename") this.drop(p);
          this.schedule(p);
        });
        w.on("error", () => {
          this.drop(p);
          this.schedule(p);
        });
        this.watches.set(p, w);
      } catch {
        failed.push(p);
      }
    }
    return failed;
  }

  private drop(p: string): void {
    this.watches.get(p)?.close();
    this.watches.delete(p);
  }

  private schedule(p: string): void {
    this.pending.add(p);
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const paths = [...this.pending];
      this.pending = new Set();
      this.onTrigger(paths);
    }, this.debounceMs);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }
}
