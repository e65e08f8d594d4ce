/**
 * Turns a folder that holds one captured node state into another captured state, file by file, the
 * way the kernel changes sysfs: changed attributes are rewritten in place (so inotify reports a
 * modification), vanished ones are removed, new ones appear. With host_format = capture, pmsappd
 * watches such a folder exactly as it watches /sys: the tests and the lab replay use this.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

function files(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(root, p));
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

/** Make `into` hold exactly the files of the capture `from`; returns the relative paths it touched. */
export function replayCapture(from: string, into: string): string[] {
  const want = new Set(files(from));
  const touched: string[] = [];
  for (const rel of files(into)) {
    if (!want.has(rel)) {
      rmSync(join(into, rel));
      touched.push(rel);
    }
  }
  for (const rel of want) {
    const src = readFileSync(join(from, rel));
    const dst = join(into, rel);
    if (existsSync(dst) && readFileSync(dst).equals(src)) continue;
    mkdirSync(dirname(dst), { recursive: true });
    writeFileSync(dst, src);
    touched.push(rel);
  }
  return touched.sort();
}
