/**
 * The typed boundary for reading the host's state: /proc, /sys and /dev. All reads are synchronous and
 * cheap (the status path uses them) and never throw for a missing file: absence is a value.
 * Production code uses `realHostFs()`; tests use `captureHostFs()` over trees captured from real tools.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { posix } from "node:path";

export interface HostFs {
  /** File contents with one trailing newline removed, or undefined when it cannot be read. */
  readText(path: string): string | undefined;
  /** Entry names of a directory (sorted), or undefined when it does not exist. */
  readDir(path: string): string[] | undefined;
  /** The target of a symbolic link, or undefined when the path is not a link. */
  readLink(path: string): string | undefined;
  /** The canonical path (links resolved), or undefined when the path does not exist. */
  realPath(path: string): string | undefined;
  exists(path: string): boolean;
}

function chomp(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** The live host, optionally under another root (e.g. a chroot or a test tree with the real layout). */
export function realHostFs(root = "/"): HostFs {
  const at = (p: string): string => (root === "/" ? p : posix.join(root, p));
  const strip = (p: string): string => (root === "/" ? p : "/" + posix.relative(root, p));
  return {
    readText(path) {
      try {
        return chomp(readFileSync(at(path), "utf8"));
      } catch {
        return undefined;
      }
    },
    readDir(path) {
      try {
        return readdirSync(at(path)).sort();
      } catch {
        return undefined;
      }
    },
    readLink(path) {
      try {
        return readlinkSync(at(path));
      } catch {
        return undefined;
      }
    },
    realPath(path) {
      try {
        return strip(realpathSync(at(path)));
      } catch {
        return undefined;
      }
    },
    exists(path) {
      return existsSync(at(path));
    },
  };
}
