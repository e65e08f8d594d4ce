import { EventEmitter } from "node:events";
import type { FSWatcher } from "node:fs";
import { describe, expect, it } from "vitest";
import { captureHostFs } from "../../agents/system/capture-fs.js";
import { fixture } from "../../test/support/fixtures.js";
import { SysfsWatcher, mdWatchPaths } from "./sysfs-watcher.js";

const spike = (s: string) => captureHostFs(fixture("spike-2026-11-24", s));

/** A stand-in for fs.watch that records what is watched and lets the test fire events. */
function fakeWatch() {
  const open = new Map<string, { emitter: EventEmitter; listener: (t: string) => void; closed: boolean }>();
  const watchFn = (file: string, listener: (t: string) => void): FSWatcher => {
    const emitter = new EventEmitter();
    const entry = { emitter, listener, closed: false };
    open.set(file, entry);
    return Object.assign(emitter, { close: () => (entry.closed = true) }) as unknown as FSWatcher;
  };
  return { open, watchFn };
}

describe("md sysfs watch paths", () => {
  it("raid1-healthy: the four array attributes and each member's state", () => {
    expect(mdWatchPaths(spike("raid1-healthy"))).toEqual([
      "/sys/block/md127/md/array_state",
      "/sys/block/md127/md/degraded",
      "/sys/block/md127/md/dev-sdb/state",
      "/sys/block/md127/md/dev-sdc/state",
      "/sys/block/md127/md/sync_action",
      "/sys/block/md127/md/sync_completed",
    ]);
  });
  it("an inactive array has only array_state and its member; a stopped one nothing", () => {
    expect(mdWatchPaths(spike("boot-autoassembled"))).toEqual(["/sys/block/md127/md/array_state", "/sys/block/md127/md/dev-vdb/state"]);
    expect(mdWatchPaths(spike("raid1-stopped-examine"))).toEqual([]);
  });
});

describe("SysfsWatcher", () => {
  it("watches under its root, debounces a burst into one trigger, drops a renamed file and re-arms on the next pass", async () => {
    const { open, watchFn } = fakeWatch();
    const triggers: string[][] = [];
    const w = new SysfsWatcher("/capture", (p) => triggers.push(p.sort()), 20, watchFn);
    const paths = mdWatchPaths(spike("raid1-healthy"));
    expect(w.arm(paths)).toEqual([]);
    expect([...open.keys()]).toContain("/capture/sys/block/md127/md/dev-sdb/state");

    open.get("/capture/sys/block/md127/md/dev-sdb/state")?.listener("change");
    open.get("/capture/sys/block/md127/md/degraded")?.listener("change");
    await new Promise((r) => setTimeout(r, 60));
    expect(triggers).toEqual([["/sys/block/md127/md/degraded", "/sys/block/md127/md/dev-sdb/state"]]);

    open.get("/capture/sys/block/md127/md/array_state")?.listener("rename");
    expect(open.get("/capture/sys/block/md127/md/array_state")?.closed).toBe(true);
    expect(w.watchedPaths).not.toContain("/sys/block/md127/md/array_state");
    await new Promise((r) => setTimeout(r, 60));
    expect(triggers.length).toBe(2);
    w.arm(paths);
    expect(w.watchedPaths).toContain("/sys/block/md127/md/array_state");

    // The array stops: its watches are closed.
    w.arm([]);
    expect([...open.values()].every((e) => e.closed)).toBe(true);
    w.close();
  });
});
