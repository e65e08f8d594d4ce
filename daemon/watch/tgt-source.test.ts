import { describe, expect, it } from "vitest";
import { FakeRunner, capturedResult } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { TGTADM_SHOW, readCapturedTgt, readTgtTargets } from "./tgt-source.js";

const healthy = fixture("spike-2026-11-24", "raid1-healthy");

describe("tgt source", () => {
  it("runs tgtadm show with argv and a deadline, and parses the real output", async () => {
    const runner = new FakeRunner().answer(["tgtadm", ...TGTADM_SHOW], capturedResult(healthy, "tgtadm-op-show"));
    const r = await readTgtTargets(runner, 1234);
    expect(r.ok && r.targets.map((t) => [t.iqn, t.luns.length, t.nexuses.length])).toEqual([["iqn.2024-01.lab.pmslab:node1.data", 2, 1]]);
    expect(runner.calls[0]).toMatchObject({ argv: ["tgtadm", "--lld", "iscsi", "--op", "show", "--mode", "target"], options: { timeoutMs: 1234 } });
  });

  it("a failing or hanging tgtadm is an error with the reason; a missing one means no targets", async () => {
    const failing = await readTgtTargets(new FakeRunner().answer(["tgtadm"], { exitCode: 107 }), 1000);
    expect(failing).toMatchObject({ ok: false, reason: expect.stringContaining("exit 107") });
    const hanging = await readTgtTargets(new FakeRunner().on({ prefix: ["tgtadm"], answer: {}, takesMs: 5000 }), 100);
    expect(hanging).toMatchObject({ ok: false, reason: expect.stringContaining("deadline") });
    const missing = await readTgtTargets(new FakeRunner().answer(["tgtadm"], { failedToStart: "tgtadm not found in /usr/sbin:/usr/bin:/sbin:/bin", exitCode: null }), 1000);
    expect(missing).toMatchObject({ ok: true, targets: [] });
  });

  it("a captured node folder replays its tgtadm output; boot-autoassembled has no LUN 1", () => {
    const r = readCapturedTgt(fixture("spike-2026-11-24", "boot-autoassembled"));
    expect(r.ok && r.targets[0]?.luns.map((l) => l.lun)).toEqual([0]);
    expect(readCapturedTgt("/nonexistent")).toEqual({ ok: true, targets: [] });
  });
});
