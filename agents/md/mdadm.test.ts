import { describe, expect, it } from "vitest";
import { capturedResult, FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { assembleArgs, examineMember, stopArgs } from "./mdadm.js";

const spike = (s: string) => fixture("spike-2026-11-24", s);

describe("examineMember", () => {
  it("both examinations of a real member agree: one typed record", async () => {
    const r = new FakeRunner()
      .answer(["mdadm", "--examine", "--export"], capturedResult(spike("raid1-stopped-examine"), "mdadm--examine--export--sda"))
      .answer(["mdadm", "--examine"], capturedResult(spike("raid1-stopped-examine"), "mdadm--examine--sda"));
    const e = await examineMember(r, "/dev/sda", () => 1000);
    expect(e.ok && e.examine).toMatchObject({ events: 35, role: { kind: "active", slot: 0 }, clean: true });
    expect(r.calls.map((c) => c.argv)).toEqual([
      ["mdadm", "--examine", "--export", "/dev/sda"],
      ["mdadm", "--examine", "/dev/sda"],
    ]);
  });

  it("no superblock (captured rc 1) and a vanished device (captured 'cannot open') are told apart", async () => {
    const none = new FakeRunner().answer(["mdadm"], capturedResult(spike("raid1-healthy"), "mdadm--examine--export--sda"));
    expect(await examineMember(none, "/dev/sda", () => 1000)).toMatchObject({ ok: false, failure: "no-superblock" });
    const gone = new FakeRunner().answer(["mdadm"], capturedResult(spike("raid1-member-faulty"), "mdadm--examine--export--sdb"));
    expect(await examineMember(gone, "/dev/sdb", () => 1000)).toMatchObject({ ok: false, failure: "cannot-open" });
  });

  it("a superblock that changed between the two calls is not trusted", async () => {
    const r = new FakeRunner()
      .answer(["mdadm", "--examine", "--export"], capturedResult(spike("raid1-healthy"), "mdadm--examine--export--sdb"))
      .answer(["mdadm", "--examine"], capturedResult(spike("raid1-recovering"), "mdadm--examine--sdb"));
    expect(await examineMember(r, "/dev/sdb", () => 1000)).toMatchObject({ ok: false, failure: "unparsable" });
  });
});

describe("mdadm command lines", () => {
  it("assemble by UUID from an explicit list; --run and --force only when asked (the captured command's shape)", () => {
    const members = ["/dev/disk/by-path/a", "/dev/disk/by-path/b"];
    expect(assembleArgs("/dev/md0", "fe26dedf8930648ba5a71d3f48409ac0", members, false, false)).toEqual(["--assemble", "/dev/md0", "--uuid=fe26dedf:8930648b:a5a71d3f:48409ac0", ...members]);
    expect(assembleArgs("/dev/md0", "fe26dedf8930648ba5a71d3f48409ac0", members, true, true)).toEqual(["--assemble", "/dev/md0", "--uuid=fe26dedf:8930648b:a5a71d3f:48409ac0", "--run", "--force", ...members]);
    expect(stopArgs("/dev/md127")).toEqual(["--stop", "/dev/md127"]);
  });
});
