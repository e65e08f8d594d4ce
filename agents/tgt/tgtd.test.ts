import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { realHostFs } from "../system/host-fs.js";
import { createDetachedSpawner, isTgtdPid, parsePidFile, tgtdArgv } from "./tgtd.js";

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

describe("createDetachedSpawner (real processes)", () => {
  it("starts a program detached with its output appended to the log, and returns its own pid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pmsapp-spawn-"));
    const log = join(dir, "sub", "daemon.log");
    const r = await createDetachedSpawner().spawnDetached("sh", ["-c", "echo started-$$; exec sleep 30"], log);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    started.push(r.pid);
    expect(r.argv[0]).toMatch(/\/sh$/);
    const fs = realHostFs();
    // its own session: detached from ours, so it outlives the keeper
    const stat = fs.readText(`/proc/${r.pid}/stat`) ?? "";
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    expect(Number(fields[3])).toBe(r.pid); // session id = own pid
    for (let i = 0; i < 50 && !readFileSync(log, "utf8").includes("started-"); i++) await new Promise((res) => setTimeout(res, 20));
    expect(readFileSync(log, "utf8")).toBe(`started-${r.pid}\n`);
    expect(isTgtdPid(fs, r.pid)).toBe(false); // comm is sleep, not tgtd
  });

  it("a program that is not installed is a reason, not an exception", async () => {
    const r = await createDetachedSpawner().spawnDetached("no-such-tgtd", [], join(tmpdir(), "x.log"));
    expect(r).toEqual({ ok: false, reason: "no-such-tgtd not found in /usr/sbin:/usr/bin:/sbin:/bin" });
  });
});

describe("pid file", () => {
  it("parses a pid and nothing else", () => {
    expect(parsePidFile("4242\n")).toBe(4242);
    expect(parsePidFile("42x")).toBeUndefined();
    expect(parsePidFile(undefined)).toBeUndefined();
    expect(tgtdArgv()).toEqual(["-f"]);
    expect(tgtdArgv({ address: "127.0.0.1", port: 3260 })).toEqual(["-f", "--iscsi", "portal=127.0.0.1:3260"]);
  });
});
