import { describe, expect, it } from "vitest";
import type { Runner } from "../system/command.js";
import { FakeRunner } from "../../test/support/fake-runner.js";
import { boundedRunner } from "./bounded-runner.js";

describe("boundedRunner", () => {
  it("answers with a timed-out result when the command never returns (a process stuck in D state)", async () => {
    const stuck: Runner = { run: () => new Promise(() => {}) };
    const started = Date.now();
    const r = await boundedRunner(stuck, 50).run("mdadm", ["--stop", "/dev/md127"], { timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(r).toMatchObject({ argv: ["mdadm", "--stop", "/dev/md127"], exitCode: null, timedOut: true });
    expect(r.stderr).toMatch(/abandoned/);
  });

  it("passes a normal result through untouched", async () => {
    const fake = new FakeRunner().answer(["iscsiadm"], { exitCode: 21, stderr: "iscsiadm: No matching sessions found\n" });
    const r = await boundedRunner(fake).run("iscsiadm", ["-m", "node", "-u"], { timeoutMs: 5000 });
    expect(r).toMatchObject({ exitCode: 21, timedOut: false });
    expect(fake.calls[0]?.options.timeoutMs).toBe(5000);
  });
});
