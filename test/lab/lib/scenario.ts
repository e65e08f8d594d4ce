/**
 * The lab inside vitest: `const lab = useLab({ client: true })` in a describe block boots a fresh lab
 * before its tests, collects logs of every failed test (ARTIFACTS_DIR) and tears the lab down after
 * them. Without root, /dev/net/tun or qemu the block is skipped with the reason printed, unless
 * PMSAPP_LAB_REQUIRED=1 (then it fails, so CI cannot pass by skipping).
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { Lab, labPrerequisites, type LabOptions } from "./lab.js";

export function labUnavailable(): string | undefined {
  const missing = labPrerequisites();
  if (missing.length === 0) return undefined;
  const why = `the lab cannot run on this machine: ${missing.join("; ")}`;
  if (process.env["PMSAPP_LAB_REQUIRED"] === "1") throw new Error(why);
  process.stderr.write(`SKIPPED: ${why}\n`);
  return why;
}

export function useLab(options: LabOptions): () => Lab {
  let lab: Lab | undefined;
  // The bring-up's timeout also covers a queued wait for the shared lab's lock (PMSAPP_LAB_WAIT_S): a
  // run that waited its turn must not time out before it boots (15 min, the lab project's hookTimeout,
  // when nothing waits, as in CI).
  const waitMs = Math.max(0, Number(process.env["PMSAPP_LAB_WAIT_S"] ?? "0")) * 1000;
  beforeAll(async () => {
    lab = await Lab.up(options);
  }, waitMs + 15 * 60_000);
  afterEach(async (ctx) => {
    if (lab !== undefined && ctx.task.result?.state === "fail") await lab.collectLogs(ctx.task.name);
  });
  afterAll(async () => {
    await lab?.down();
  });
  return () => {
    if (lab === undefined) throw new Error("the lab did not come up (see the beforeAll error)");
    return lab;
  };
}
