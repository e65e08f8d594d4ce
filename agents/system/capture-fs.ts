/**
 * A HostFs over a folder captured from a real node (see test/fixtures/README.md for the conventions,
 * shared with the lab's capture command):
 *   sys/...                      copies of sysfs attribute files, same relative paths
 *   sys/block/<d>/holders.txt    a directory listing (one name per line; empty file = empty directory)
 *   sys/block/mdN/slaves.txt     likewise
 *   .../block.readlink           the target of the `block` symlink
 *   sys/block/<d>.realpath.txt   the canonical path of /sys/block/<d>
 *   proc-mdstat.txt              /proc/mdstat
 *   ls-l-dev-disk-by-path.txt    `ls -l /dev/disk/by-path` (links under /dev/disk/by-path)
 *   ls-l-dev-md.txt              `ls -l /dev/md`
 * Replays exactly what the tools showed; anything not captured reads as absent.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import type { HostFs } from "./host-fs.js";

const LISTING_FILES: Record<string, string> = {
  "/dev/disk/by-path": "ls-l-dev-disk-by-path.txt",
  "/dev/md": "ls-l-dev-md.txt",
};

/** Parse `ls -l` output into name -> link target (non-links map to undefined). */
export function parseLsLinks(text: string): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("total ")) continue;
    const fields = line.trim().split(/\s+/);
    if (fields.length < 9) continue;
    const rest = fields.slice(8).join(" ");
    const arrow = rest.indexOf(" -> ");
    if (arrow >= 0) out.set(rest.slice(0, arrow), rest.slice(arrow + 4));
    else out.set(rest, undefined);
  }
  return out;
}

export function captureHostFs(dir: string): HostFs {
  const read = (rel: string): string | undefined => {
    const file = join(dir, rel);
    try {
      if (!statSync(file).isFile()) return undefined;
      const text = readFileSync(file, "utf8");
      return text.endsWith("\n") ? text.slice(0, -1) : text;
    } catch {
      return undefined;
    }
  };
  const listing = (path: string): Map<string, string | undefined> | undefined => {
    const file = LISTING_FILES[path];
    if (file === undefined) return undefined;
    const text = read(file);
    return text === undefined ? undefined : parseLsLinks(text);
  };
  const relOf = (path: string): string => path.replace(/^\/+/, "");

  const fs: HostFs = {
    readText(path) {
      if (path === "/proc/mdstat") return read("proc-mdstat.txt");
      if (path.startsWith("/sys/")) return read(relOf(path));
      return undefined;
    },
    readDir(path) {
      const links = listing(path);
      if (links !== undefined) return [...links.keys()].sort();
      if (!path.startsWith("/sys/")) return undefined;
      const asText = read(relOf(path) + ".txt");
      if (asText !== undefined) return asText.split("\n").map((s) => s.trim()).filter(Boolean).sort();
      const real = join(dir, relOf(path));
      try {
        if (!statSync(real).isDirectory()) return undefined;
      } catch {
        return undefined;
      }
      const names = new Set<string>();
      for (const name of readdirSync(real)) {
        names.add(name.replace(/\.(readlink|realpath)\.txt$/, "").replace(/\.txt$/, "").replace(/\.readlink$/, ""));
      }
      return [...names].sort();
    },
    readLink(path) {
      const parent = posix.dirname(path);
      const links = listing(parent);
      if (links !== undefined) return links.get(posix.basename(path));
      if (!path.startsWith("/sys/")) return undefined;
      return read(relOf(path) + ".readlink");
    },
    realPath(path) {
      const parent = posix.dirname(path);
      const links = listing(parent);
      if (links !== undefined) {
        const target = links.get(posix.basename(path));
        if (target === undefined) return links.has(posix.basename(path)) ? path : undefined;
        return posix.normalize(posix.join(parent, target));
      }
      if (!path.startsWith("/sys/")) return undefined;
      const recorded = read(relOf(path) + ".realpath.txt");
      if (recorded !== undefined) return recorded;
      return existsSync(join(dir, relOf(path))) ? path : undefined;
    },
    exists(path) {
      if (path === "/proc/mdstat") return read("proc-mdstat.txt") !== undefined;
      const parent = posix.dirname(path);
      const links = listing(parent);
      if (links !== undefined) return links.has(posix.basename(path));
      if (!path.startsWith("/sys/")) return false;
      const rel = relOf(path);
      return (
        existsSync(join(dir, rel)) ||
        existsSync(join(dir, rel + ".txt")) ||
        existsSync(join(dir, rel + ".readlink")) ||
        existsSync(join(dir, rel + ".realpath.txt"))
      );
    },
  };
  return fs;
}
