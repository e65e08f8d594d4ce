import { describe, expect, it } from "vitest";
import { Deadline, describeResult, succeeded } from "./command.js";
import { createExecaRunner, resolveProgram } from "./execa-runner.js";

describe("Deadline", () => {
  it("gives each command what is left, capped, never zero", () => {
    let now = 1000;
    const d = Deadline.in(5000, () => now);
    expect(d.budget(2000)).toBe(2000);
    now = 5500;
    expect(d.budget(2000)).toBe(500);
    now = 7000;
    expect(d.expired()).toBe(true);
    expect(d.budget()).toBe(1);
  });
});

describe("execa runner", () => {
  const runner = createExecaRunner();

  it("runs argv without a shell and without inheriting the environment", async () => {
    const r = await runner.run("sh", ["-c", 'echo "$0:$HOME:$PATH"', "x; rm -rf /nonexistent"], { timeoutMs: 5000 });
    expect(succeeded(r)).toBe(true);
    expect(r.stdout.trim()).toBe("x; rm -rf /nonexistent::/usr/sbin:/usr/bin:/sbin:/bin");
  });

  it("kills a command at its deadline and says so", async () => {
    const r = await runner.run("sleep", ["10"], { timeoutMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(5000);
    expect(describeResult(r)).toMatch(/killed after \d+ ms \(deadline\)/);
  });

  it("reports a missing program as a value", async () => {
    expect(resolveProgram("pmsapp-no-such-tool")).toBeUndefined();
    const r = await runner.run("pmsapp-no-such-tool", [], { timeoutMs: 1000 });
    expect(r.failedToStart).toMatch(/not found/);
    expect(succeeded(r)).toBe(false);
  });
});
