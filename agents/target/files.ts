/**
 * The files the keeper reads and writes outside /proc and /sys: mdadm.conf, its pid file, the initramfs
 * stamp, and existence checks for tools' hook folders. Rooted so tests run against a temporary tree.
 * Writes are atomic (temp file in the same folder, fsync, rename) and keep the old file's mode.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, posix } from "node:path";

export interface SystemFiles {
  readText(path: string): string | undefined;
  exists(path: string): boolean;
  /** Replace the file atomically; returns an error message, or undefined on success. */
  writeAtomic(path: string, text: string, mode?: number): string | undefined;
  remove(path: string): void;
}

export function rootedFiles(root = "/"): SystemFiles {
  const at = (p: string): string => (root === "/" ? p : posix.join(root, p));
  return {
    readText(path) {
      try {
        return readFileSync(at(path), "utf8");
      } catch {
        return undefined;
      }
    },
    exists(path) {
      return existsSync(at(path));
    },
    writeAtomic(path, text, mode) {
      const file = at(path);
      const tmp = `${file}.pmsapp-tmp-${process.pid}`;
      try {
        mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
        let keepMode = mode ?? 0o644;
        try {
          keepMode = statSync(file).mode & 0o7777;
        } catch {
          /* new file */
        }
        const fd = openSync(tmp, "w", keepMode);
        try {
          writeSync(fd, text);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, file);
        try {
          const dfd = openSync(dirname(file), "r");
          fsyncSync(dfd);
          closeSync(dfd);
        } catch {
          /* directory fsync is best effort */
        }
        return undefined;
      } catch (e) {
        try {
          rmSync(tmp, { force: true });
        } catch {
          /* the temp file was never created */
        }
        return `cannot write ${path}: ${(e as Error).message}`;
      }
    },
    remove(path) {
      rmSync(at(path), { force: true });
    },
  };
}
