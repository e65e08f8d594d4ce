/** Pacemaker's controller found (or not) in a captured process table; a tree without one cannot tell. */
import { describe, expect, it } from "vitest";
import { realHostFs } from "../system/host-fs.js";
import { captureHostFs } from "../system/capture-fs.js";
import { fixture } from "../../test/support/fixtures.js";
import { pacemakerController } from "./pacemaker-presence.js";

const table = (name: string) => realHostFs(fixture("proc-comm-2026-11-24", name));

describe("pacemakerController", () => {
  it("running: a process whose comm is the kernel's 15-character cut of pacemaker-controld", () => {
    expect(pacemakerController(table("with-controller"))).toBe("running");
  });

  it("absent: a process table without it", () => {
    expect(pacemakerController(table("without-controller"))).toBe("absent");
  });

  it("unknown: a captured sysfs tree has no process table, so the caller still asks crm_node", () => {
    expect(pacemakerController(captureHostFs(fixture("spike-2026-11-24", "raid1-healthy")))).toBe("unknown");
  });
});
