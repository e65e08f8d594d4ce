import { describe, expect, it } from "vitest";
import { Deadline } from "../system/command.js";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { aclEntrySpec, daemonIsDown, TgtadmClient, tgtadmArgs, tgtadmReason } from "./tgtadm.js";

const HOST = fixture("tgt-host-2026-11-24");

describe("tgtadm argv", () => {
  it("refuses values tgtd would split into extra parameters", () => {
    expect(() => tgtadmArgs.newLun(1, 1, "/dev/vdb,path=/dev/sda", undefined)).toThrow(/comma/);
    expect(() => tgtadmArgs.bindAccount(1, "pms app")).toThrow(/whitespace/);
    expect(() => tgtadmArgs.bindInitiator(1, { kind: "address", value: "" })).toThrow(/empty/);
  });
  it("ACL entries are removed by name or by address", () => {
    expect(aclEntrySpec("iqn.2024-01.lab.pmslab:node3")).toEqual({ kind: "name", value: "iqn.2024-01.lab.pmslab:node3" });
    expect(aclEntrySpec("ALL")).toEqual({ kind: "address", value: "ALL" });
    expect(tgtadmArgs.unbindInitiator(1, aclEntrySpec("ALL")).slice(-2)).toEqual(["--initiator-address", "ALL"]);
  });
});

describe("tgtadm results (real)", () => {
  it("tgtd not running: exit 107", () => {
    const r = { argv: ["tgtadm"], ...capturedResult(HOST, "show-target--no-tgtd") };
    expect(daemonIsDown(r)).toBe(true);
    expect(tgtadmReason(r)).toBe("failed to send request hdr to tgt daemon, Transport endpoint is not connected");
  });
  it("a refusal is exit 22 with tgtd's reason, not 'daemon down'", () => {
    const r = { argv: ["tgtadm"], ...capturedResult(HOST, "new-target--tid-exists") };
    expect(daemonIsDown(r)).toBe(false);
    expect(tgtadmReason(r)).toBe("this target already exists");
  });
  it("client.show: parsed targets, daemon down, not installed", async () => {
    const d = Deadline.in(5000);
    const up = new FakeRunner().answer(["tgtadm"], capturedResult(HOST, "show-target--acl-chap"));
    expect(await new TgtadmClient(up, d).show()).toMatchObject({ ok: true, targets: [{ tid: 1 }] });
    const down = new FakeRunner().answer(["tgtadm"], capturedResult(HOST, "show-target--no-tgtd"));
    expect(await new TgtadmClient(down, d).show()).toMatchObject({ ok: false, daemonDown: true });
    const missing = new FakeRunner().answer(["tgtadm"], { exitCode: null, failedToStart: "tgtadm not found in /usr/sbin:/usr/bin:/sbin:/bin" });
    expect(await new TgtadmClient(missing, d).show()).toMatchObject({ ok: false, notInstalled: true });
  });
});
