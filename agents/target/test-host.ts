/**
 * Test support for the keeper (not bundled: only *.test.ts import it). A captured node folder replayed as
 * a host, with the few things a capture cannot hold made explicit:
 *   - /proc/mounts derived from the same capture's lsblk.txt (its MOUNTPOINT column), plus extra lines a
 *     test adds to model "mounted";
 *   - the md array disappearing from sysfs once the test's `mdadm --stop` answer ran (`stopMd`);
 *   - /proc/<pid>/comm for a tgtd the test pretends is alive.
 * And tgtadm answered from the real tgtd captures: an argv is answered with the result captured for the
 * identical command line (`*.cmd`), so the keeper can only issue commands that were run on a real tgtd.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandResult } from "../system/command.js";
import { captureHostFs } from "../system/capture-fs.js";
import type { HostFs } from "../system/host-fs.js";
import { capturedResult } from "../../test/support/fake-runner.js";

export function mountsFromLsblk(lsblkText: string): string {
  const lines = lsblkText.split("\n").slice(1);
  const out: string[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    // NAME MAJ:MIN SIZE TYPE FSTYPE MOUNTPOINT: a mount point is the 6th column, starting with /
    const mount = f[5];
    if (f.length >= 6 && mount !== undefined && mount.startsWith("/")) {
      out.push(`/dev/${(f[0] ?? "").replace(/^[^A-Za-z0-9]+/, "")} ${mount} ${f[4]} rw 0 0`);
    }
  }
  return out.join("\n") + "\n";
}

export interface TestHost {
  readonly fs: HostFs;
  /** md names stopped so far: their sysfs is gone and they no longer hold anything. */
  readonly stopped: Set<string>;
  extraMounts: string[];
  /** Lines of /proc/swaps after its header; undefined = no /proc/swaps. */
  swaps: string[] | undefined;
  /** Holders added to a device's holders directory (e.g. a dm device on the disk). */
  extraHolders: Map<string, string[]>;
  /** Simulate an unreadable /proc/mounts. */
  mountsUnreadable: boolean;
  livePids: Map<number, string>;
}

export function testHost(captureDir: string): TestHost {
  const base = captureHostFs(captureDir);
  const lsblk = readFileSync(join(captureDir, "lsblk.txt"), "utf8");
  const host: TestHost = {
    stopped: new Set(),
    extraMounts: [],
    swaps: undefined,
    extraHolders: new Map(),
    mountsUnreadable: false,
    livePids: new Map(),
    fs: {
      readText(p) {
        if (p === "/proc/mounts") return host.mountsUnreadable ? undefined : mountsFromLsblk(lsblk) + host.extraMounts.map((m) => `${m}\n`).join("");
        if (p === "/proc/swaps") return host.swaps === undefined ? undefined : ["Filename Type Size Used Priority", ...host.swaps].join("\n") + "\n";
        const pid = /^\/proc\/(\d+)\/comm$/.exec(p);
        if (pid) return host.livePids.get(Number(pid[1]));
        if (isStoppedMd(p)) return undefined;
        return base.readText(p);
      },
      readDir(p) {
        if (isStoppedMd(p)) return undefined;
        const holders = /^\/sys\/block\/([^/]+)\/holders$/.exec(p);
        if (holders) return [...(base.readDir(p) ?? []), ...(host.extraHolders.get(holders[1] ?? "") ?? [])].filter((h) => !host.stopped.has(h));
        return base.readDir(p);
      },
      readLink: (p) => (isStoppedMd(p) ? undefined : base.readLink(p)),
      realPath: (p) => (isStoppedMd(p) ? undefined : base.realPath(p)),
      exists: (p) => (isStoppedMd(p) ? false : base.exists(p)),
    },
  };
  const isStoppedMd = (p: string): boolean => [...host.stopped].some((md) => p === `/sys/block/${md}` || p.startsWith(`/sys/block/${md}/`));
  return host;
}

/** Every `<name>.cmd` of a capture folder: command line -> name. */
export function capturedCommands(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith(".cmd")) continue;
    const line = readFileSync(join(dir, f), "utf8").trim();
    if (!out.has(line)) out.set(line, f.slice(0, -4));
  }
  return out;
}

/** The captured result of exactly this command line, or undefined when it was never run on a real tgtd. */
export function replay(dirs: readonly string[], argv: readonly string[]): Omit<CommandResult, "argv"> | undefined {
  const line = argv.map((a, i) => (i === 0 ? a.slice(a.lastIndexOf("/") + 1) : a)).join(" ");
  for (const dir of dirs) {
    const name = capturedCommands(dir).get(line);
    if (name !== undefined) return capturedResult(dir, name);
  }
  return undefined;
}
